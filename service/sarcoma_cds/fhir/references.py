"""Resolving FHIR references inside one request: `Type/id`, absolute URLs ending in `Type/id`
(with or without `_history`), `urn:uuid:` fullUrls of Bundle entries, and `#id` to the
referencing resource's `contained` resources."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from sarcoma_cds.fhir.projection import Reference, Resource

T = TypeVar("T")


def type_and_id(ref: str) -> tuple[str, str] | None:
    """("Condition", "abc") from `Condition/abc`, `https://x/fhir/Condition/abc/_history/2`."""
    parts = ref.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) >= 2 and parts[-2] and parts[-1] and parts[-2][0].isupper():
        return parts[-2], parts[-1]
    return None


@dataclass
class ReferenceIndex:
    by_type_id: dict[tuple[str, str], Resource] = field(default_factory=dict)
    by_full_url: dict[str, Resource] = field(default_factory=dict)
    # id(container) -> {"#id": contained resource}; containers live as long as the record
    contained: dict[int, dict[str, Resource]] = field(default_factory=dict)

    def add(self, res: Resource, full_url: str | None) -> None:
        if res.id:
            self.by_type_id.setdefault((res.resourceType, res.id), res)
        if full_url:
            self.by_full_url.setdefault(full_url, res)

    def add_contained(self, container: Resource, res: Resource) -> None:
        if res.id:
            self.contained.setdefault(id(container), {})[f"#{res.id}"] = res

    def resolve(
        self, ref: Reference | str | None, source: Resource | None = None
    ) -> Resource | None:
        """The resource a reference names within this request, or None."""
        text = ref.reference if isinstance(ref, Reference) else ref
        if not text:
            return None
        if text.startswith("#"):
            return self.contained.get(id(source), {}).get(text) if source is not None else None
        if (hit := self.by_full_url.get(text)) is not None:
            return hit
        key = type_and_id(text)
        return self.by_type_id.get(key) if key else None

    def resolve_as(
        self, ref: Reference | str | None, kind: type[T], source: Resource | None = None
    ) -> T | None:
        hit = self.resolve(ref, source)
        return hit if isinstance(hit, kind) else None

    def same(
        self, ref: Reference | str | None, target: Resource, source: Resource | None = None
    ) -> bool:
        """Does `ref` name `target` (by identity, when resolvable; else by Type/id)?"""
        hit = self.resolve(ref, source)
        if hit is not None:
            return hit is target
        text = ref.reference if isinstance(ref, Reference) else ref
        key = type_and_id(text) if text else None
        return key is not None and key == (target.resourceType, target.id)

    def remapped(self, replaced: Mapping[int, Resource]) -> ReferenceIndex:
        """The same index after a pass replaced resources by copies (`id(old)` -> new): lookups
        answer the copies, so `same` (identity) holds between references and the new record."""
        out = ReferenceIndex()
        out.by_type_id = {k: replaced.get(id(r), r) for k, r in self.by_type_id.items()}
        out.by_full_url = {k: replaced.get(id(r), r) for k, r in self.by_full_url.items()}
        for key, inner in self.contained.items():
            container = replaced.get(key)
            target = out.contained.setdefault(id(container) if container else key, {})
            for k, r in inner.items():
                target.setdefault(k, replaced.get(id(r), r))
        return out
