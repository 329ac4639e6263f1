"""Names in rule files that stand for values kept elsewhere, replaced once at load:
`{param: name}` / `{param.name}` (parameters.yaml) and `{consensus.<id>}` (the recommendation's
consensus percentage from recommendations.yaml, "57%"), so that no number is typed twice."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sarcoma_cds.clinical.params import ClinicalParameters, UnknownParameter, substitute
from sarcoma_cds.rules.schema import Recommendation

CONSENSUS_REF = re.compile(r"\{consensus\.(\d{1,2}\.\d)\}")
_LEFTOVER = re.compile(r"\{(?:param|consensus)[.:][^}]*\}")


class BadReference(Exception):
    def __init__(self, path: Path, where: str, problem: str) -> None:
        super().__init__(f"{path}: at {where}: {problem}")


def resolve(
    raw: Any, params: ClinicalParameters, recs: Mapping[str, Recommendation], path: Path
) -> Any:
    """`raw` (a parsed rule file) with every reference replaced; an unknown or malformed name
    raises BadReference naming the file and the path inside it."""
    try:
        out = substitute(raw, params)
    except UnknownParameter as exc:
        raise BadReference(path, exc.where, exc.problem) from None
    return _consensus(out, recs, path, "")


def _consensus(node: Any, recs: Mapping[str, Recommendation], path: Path, at: str) -> Any:
    if isinstance(node, dict):
        return {
            k: _consensus(v, recs, path, f"{at}.{k}" if at else str(k)) for k, v in node.items()
        }
    if isinstance(node, list):
        return [
            _consensus(v, recs, path, f"{at}.{i}" if at else str(i)) for i, v in enumerate(node)
        ]
    if not isinstance(node, str):
        return node

    def percent(m: re.Match[str]) -> str:
        if m[1] not in recs:
            raise BadReference(path, at, f"unknown recommendation {m[1]!r} in {m[0]}")
        return f"{recs[m[1]].consensus_percent}%"

    text = CONSENSUS_REF.sub(percent, node)
    if leftover := _LEFTOVER.search(text):
        raise BadReference(
            path,
            at,
            f"malformed reference {leftover[0]!r} (use {{param.name}} or {{consensus.5.5}})",
        )
    return text
