"""The repair loop of the projection: drop each broken element, name it, keep the rest.

Only resources with a broken element come here (the projection's first, C-only try failed).
msgspec reports one error per try, with its path (``$.code.coding[0].system``); the element at
that path is removed from a copy of the resource and the try repeated, at most `MAX_REPAIRS`
times. The input is never modified.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

# A resource with more broken elements than this is set aside whole (nothing useful is left).
MAX_REPAIRS = 8

_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_STEP = re.compile(r"\.(?P<key>[^.\[]+)|\[(?P<index>\d+)\]")

T = TypeVar("T")
Loc = tuple[int | str, ...]


class UnreadableResource(ValueError):
    """Nothing useful of the resource could be read (too many broken elements)."""


def repaired(
    raw: dict[str, Any], build: Callable[[dict[str, Any]], T]
) -> tuple[T, tuple[str, ...]]:
    """`build` of `raw` less its broken elements, and those elements named ("onsetDateTime
    'not-a-date'"). Raises UnreadableResource when the resource type itself is unreadable or
    more than MAX_REPAIRS elements are broken."""
    data = copy.deepcopy(raw)
    unreadable: list[str] = []
    for _ in range(MAX_REPAIRS + 1):
        try:
            return build(data), tuple(dict.fromkeys(unreadable))
        except msgspec.ValidationError as exc:
            loc = error_location(str(exc))
            if not loc or loc[0] == "resourceType":
                raise UnreadableResource("resourceType") from exc
            unreadable.append(describe(loc, data))
            prune(data, loc)
    raise UnreadableResource(", ".join(unreadable[:5]))


def error_location(message: str) -> Loc:
    """The path of a msgspec validation error as keys and indexes; () for the whole object."""
    match = _AT.search(message)
    if match is None:
        return ()
    return tuple(
        int(step["index"]) if step["index"] is not None else step["key"]
        for step in _STEP.finditer(match["path"])
    )


def describe(loc: Loc, data: Any) -> str:
    """'code.coding.0.system 7': the element's path and (the start of) what it held."""
    value: Any = data
    for step in loc:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            value = None
            break
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{'.'.join(str(p) for p in loc)} {shown}"


def prune(data: Any, loc: Loc) -> None:
    """Remove the element at `loc` (a dict key or a list item)."""
    parent: Any = data
    for step in loc[:-1]:
        try:
            parent = parent[step]
        except (KeyError, IndexError, TypeError):
            return
    last = loc[-1]
    in_dict = isinstance(parent, dict) and last in parent
    in_list = isinstance(parent, list) and isinstance(last, int) and last < len(parent)
    if in_dict or in_list:
        del parent[last]
