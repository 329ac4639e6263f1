"""The CDS Hooks JSON rule: no null and no empty string, array or object, except `"cards": []`.

`find_violations` reports breaches (tests use it on every response); `prune` removes them so a
slip in card building never reaches an EHR as a non-conformant response.
"""

from __future__ import annotations

from typing import Any

_CONTAINERS = (str, list, dict)  # exactly these types (not subclasses) can be empty
_NESTED = (dict, list)


def _is_empty(value: Any) -> bool:
    """None, "", [] or {} (called on every node of every card: no generator; issue 18)."""
    return value is None or (type(value) in _CONTAINERS and not value)


def find_violations(document: Any) -> list[str]:
    """JSONPath-like locations of every null or empty value ("$.cards[0].detail")."""
    found: list[str] = []

    def walk(value: Any, path: str, allow_empty: bool) -> None:
        if _is_empty(value):
            if not (allow_empty and value == []):
                found.append(path)
            return
        if isinstance(value, dict):
            for key, item in value.items():
                walk(item, f"{path}.{key}", allow_empty=path == "$" and key == "cards")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]", allow_empty=False)

    walk(document, "$", allow_empty=False)
    return found


def _clean(value: Any) -> Any:
    # One pass per container, scalars not recursed into, the emptiness test inlined: half the
    # cost of cleaning and then filtering, on every node of every answer (issue 18).
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(item, _NESTED):
                item = _clean(item)
            if item is None or (type(item) in _CONTAINERS and not item):
                continue
            out[key] = item
        return out
    if isinstance(value, list):
        kept: list[Any] = []
        for item in value:
            if isinstance(item, _NESTED):
                item = _clean(item)
            if item is None or (type(item) in _CONTAINERS and not item):
                continue
            kept.append(item)
        return kept
    return value


def prune(document: Any) -> Any:
    """A copy without null or empty values; containers emptied by pruning go too. The top-level
    `cards` key always stays (an empty list means "no guidance")."""
    cleaned = _clean(document)
    if isinstance(document, dict) and "cards" in document and isinstance(cleaned, dict):
        cleaned.setdefault("cards", [])
    return cleaned
