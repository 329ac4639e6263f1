"""Property (issue 12): corrupting one random element of a valid request changes nothing that
does not depend on it. Precisely: the request with that element broken (a wrong type, NaN,
1e300) gives the same facts and the same cards as the request without that element at all, so
the broken element is unknown and everything else is used; and it never raises."""

from __future__ import annotations

import copy
import math
from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import load_example, load_manifest

from sarcoma_cds.pipeline import Engine

# A spread of shapes: the project's mCODE and EHR encodings and the real-world ones.
FILES = [
    e["file"]
    for e in load_manifest()
    if e["file"][:2] in {"01", "03", "21", "29", "35", "38", "39", "40", "41", "43", "45"}
]
TODAY = date(2026, 6, 1)
BROKEN = [{"not": "a primitive"}, [1, 2], math.nan, 1e300, -(10**12)]

Path = tuple[str | int, ...]


def leaves(node: Any, path: Path = ()) -> list[Path]:
    """Paths to every primitive under `node`, except the resourceType that routes a resource."""
    out: list[Path] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key != "resourceType":
                out += leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += leaves(value, (*path, i))
    else:
        out.append(path)
    return out


def _parent(root: Any, path: Path) -> Any:
    node = root
    for step in path[:-1]:
        node = node[step]
    return node


def with_value(prefetch: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(prefetch)
    _parent(out, path)[path[-1]] = value
    return out


def without(prefetch: dict[str, Any], path: Path) -> dict[str, Any]:
    out = copy.deepcopy(prefetch)
    parent = _parent(out, path)
    del parent[path[-1]]
    return out


def signature(engine: Engine, pid: str, prefetch: dict[str, Any]) -> tuple[Any, Any]:
    ev = engine.evaluate(pid, prefetch, TODAY, hook_instance="p")
    assert ev.profile is not None
    facts = {n: (f.state, f.value) for n, f in ev.profile.facts.items()}
    cards = [
        (c["extension"]["org.sarcoma-cds"]["topic"], c["indicator"], c["summary"])
        for c in ev.cards_json()
    ]
    return facts, cards


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_one_broken_element_is_the_same_as_that_element_absent(
    engine: Engine, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(FILES))
    request = load_example(name)
    pid, prefetch = request["context"]["patientId"], request["prefetch"]
    path = data.draw(st.sampled_from(leaves(prefetch)))
    if isinstance(path[-1], int):
        return  # a list item: removing it shifts its neighbours (covered by the dict leaves)
    broken = with_value(prefetch, path, data.draw(st.sampled_from(BROKEN)))
    assert signature(engine, pid, broken) == signature(engine, pid, without(prefetch, path))
