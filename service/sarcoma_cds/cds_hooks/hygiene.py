"""The CDS Hooks JSON rule: no null and no empty string, array or object, except `"cards": []`.

`find_violations` reports breaches (tests use it on every response); `prune` removes them so a
slip in card building never reaches an EHR as a non-conformant response.
"""

from __future__ import annotations

from typing import Any

_CONTAINERS = (str, list, dict)  # exactly these types (not subclasses) can be empty


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


def prune(document: Any) -> Any:
    """A copy without null or empty values; containers emptied by pruning go too. The top-level
    `cards` key always stays (an empty list means "no guidance")."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            out = {k: clean(v) for k, v in value.items()}
            return {k: v for k, v in out.items() if not _is_empty(v)}
        if isinstance(value, list):
            return [item for item in (clean(v) for v in value) if not _is_empty(item)]
        return value

    cleaned = clean(document)
    if isinstance(document, dict) and "cards" in document and isinstance(cleaned, dict):
        cleaned.setdefault("cards", [])
    return cleaned
