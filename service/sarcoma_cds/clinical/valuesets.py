"""Value sets as data (`cql-free-rules/valuesets/*.yaml`), validated strictly at start-up.

A site adds its local codes by editing YAML, never Python. Membership is tested on the
normalised code (see codes.py); a concept matches when any of its codings matches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sarcoma_cds.clinical.codes import (
    FAMILY,
    ICDO3,
    KNOWN_SYSTEMS,
    canonical_system,
    icdo3_parts,
    normalise_code,
)
from sarcoma_cds.clinical.datafile import load_yaml


class ValueSetError(Exception):
    """An invalid value-set file: the message names the file, the path inside it and the problem."""


class CodingLike(Protocol):
    @property
    def system(self) -> str | None: ...
    @property
    def code(self) -> str | None: ...


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str
    codes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    ranges: tuple[tuple[str, str], ...] = ()
    behaviours: tuple[str, ...] = ()
    # Where these codes come from, when it differs from the file's `source` (per-code sources).
    source: str | None = None

    @field_validator("system")
    @classmethod
    def _known_system(cls, v: str) -> str:
        canon = canonical_system(v)
        if canon not in KNOWN_SYSTEMS:
            raise ValueError(f"unknown code system {v!r}")
        return canon

    @model_validator(mode="after")
    def _not_empty(self) -> _Entry:
        if not (self.codes or self.prefixes or self.ranges):
            raise ValueError("an entry needs codes, prefixes or ranges")
        for low, high in self.ranges:
            if normalise_code(self.system, low) > normalise_code(self.system, high):
                raise ValueError(f"range {low}..{high} is empty (low > high)")
        if self.behaviours and self.system != ICDO3:
            raise ValueError("behaviours apply only to ICD-O-3 entries")
        return self


class Concept(BaseModel):
    """A listed concept's name and, for a histology-of-site concept, its ICD-O-3 codes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    display: str
    morphology: str | None = Field(default=None, pattern=r"^\d{4}/\d$")
    topography: str | None = Field(default=None, pattern=r"^C\d\d\.\d$")


class ValueSetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str
    title: str
    source: str
    # This file adds its codes to another value set (generated codes kept apart from curated).
    supplements: str | None = None
    include: tuple[_Entry, ...] = Field(min_length=1)
    exclude: tuple[_Entry, ...] = ()
    values: dict[str, float] = Field(default_factory=dict)
    concepts: dict[str, Concept] = Field(default_factory=dict)


@dataclass(frozen=True)
class _CompiledEntry:
    system: str
    codes: frozenset[str]
    prefixes: tuple[str, ...]
    ranges: tuple[tuple[str, str], ...]
    behaviours: frozenset[str]

    @classmethod
    def of(cls, e: _Entry) -> _CompiledEntry:
        n = e.system
        return cls(
            system=FAMILY.get(n, n),
            codes=frozenset(normalise_code(n, c) for c in e.codes),
            prefixes=tuple(normalise_code(n, p) for p in e.prefixes),
            ranges=tuple((normalise_code(n, lo), normalise_code(n, hi)) for lo, hi in e.ranges),
            behaviours=frozenset(e.behaviours),
        )

    def matches(self, system: str, code: str) -> bool:
        if FAMILY.get(system, system) != self.system:
            return False
        if system == ICDO3:
            return self._matches_icdo3(code)
        if code in self.codes or any(code.startswith(p) for p in self.prefixes):
            return True
        return any(_in_range(code, lo, hi) for lo, hi in self.ranges)

    def _matches_icdo3(self, code: str) -> bool:
        morph, behaviour = icdo3_parts(code)
        if self.behaviours and behaviour not in self.behaviours:
            return False
        for listed in self.codes:
            lm, lb = icdo3_parts(listed)
            if lm == morph and (lb is None or lb == behaviour):
                return True
        if any(morph.startswith(p) for p in self.prefixes):
            return True
        return any(_in_range(morph, lo, hi) for lo, hi in self.ranges)


def _in_range(code: str, lo: str, hi: str) -> bool:
    # A high bound covers its own children: C15..C26 includes C26.9 (truncate before comparing).
    return lo <= code and code[: len(hi)] <= hi


# Membership answers are cached per value set: a 300-resource chart asks ~7,500 questions about
# ~40 distinct codings. Bounded, because the codes come from requests.
_CACHE_LIMIT = 4096


@dataclass(frozen=True)
class ValueSet:
    id: str
    title: str
    include: tuple[_CompiledEntry, ...]
    exclude: tuple[_CompiledEntry, ...]
    values: dict[str, float]
    concepts: dict[str, Concept] = field(default_factory=dict)
    supplements: str | None = None
    _cache: dict[tuple[str | None, str | None], bool] = field(
        default_factory=dict, compare=False, repr=False
    )

    def contains(self, system: str | None, code: str | None) -> bool:
        key = (system, code)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        answer = self._contains(system, code)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = answer
        return answer

    def _contains(self, system: str | None, code: str | None) -> bool:
        canon = canonical_system(system)
        if not canon or not code:
            return False
        norm = normalise_code(canon, code)
        if any(e.matches(canon, norm) for e in self.exclude):
            return False
        return any(e.matches(canon, norm) for e in self.include)

    def excludes_any(self, codings: Iterable[CodingLike]) -> bool:
        """Is any coding explicitly excluded (known, and known not to belong)?"""
        for c in codings:
            canon = canonical_system(c.system)
            if canon and c.code:
                norm = normalise_code(canon, c.code)
                if any(e.matches(canon, norm) for e in self.exclude):
                    return True
        return False

    @cached_property
    def morphologies(self) -> frozenset[str]:
        """The four-digit ICD-O-3 morphologies of the listed concepts (histology of site)."""
        return frozenset(c.morphology[:4] for c in self.concepts.values() if c.morphology)

    def matches_any(self, codings: Iterable[CodingLike]) -> bool:
        return any(self.contains(c.system, c.code) for c in codings)

    def value_of(self, codings: Iterable[CodingLike]) -> float | None:
        """The ordinal value (`values:` in the file) of the first matching coding."""
        for c in codings:
            if self.contains(c.system, c.code) and c.code is not None:
                canon = canonical_system(c.system)
                norm = normalise_code(canon, c.code) if canon else c.code
                for listed, value in self.values.items():
                    if canon and normalise_code(canon, listed) == norm:
                        return value
        return None


_NONE: frozenset[str] = frozenset()


class ValueSets:
    """All value sets by id; a missing id is a programming error caught at start-up."""

    def __init__(self, sets: dict[str, ValueSet]) -> None:
        self._sets = sets
        self._memberships: dict[tuple[str | None, str | None], frozenset[str]] = {}
        # Listed concepts with properties (ICD-O-3 of a histology-of-site concept), by coding.
        self._concepts: dict[tuple[str, str], Concept] = {}
        for vs in sets.values():
            for entry in vs.include:
                for code in entry.codes:
                    if code in vs.concepts:
                        self._concepts[(entry.system, code)] = vs.concepts[code]

    def concept(self, system: str | None, code: str | None) -> Concept | None:
        """The listed concept (name, ICD-O-3 morphology and topography) of a coding, if any."""
        canon = canonical_system(system)
        if not canon or not code:
            return None
        return self._concepts.get((canon, normalise_code(canon, code)))

    def memberships(self, codings: Iterable[CodingLike]) -> frozenset[str]:
        """The ids of every value set any of these codings belongs to (cached per coding), so a
        record is indexed once instead of asking each value set about each resource."""
        out = _NONE
        for c in codings:
            key = (c.system, c.code)
            ids = self._memberships.get(key)
            if ids is None:
                ids = frozenset(i for i, vs in self._sets.items() if vs.contains(c.system, c.code))
                if len(self._memberships) >= _CACHE_LIMIT:
                    self._memberships.clear()
                self._memberships[key] = ids
            # The cached set itself when one coding decides (most resources): no new set.
            if ids:
                out = out | ids if out else ids
        return out

    def __getitem__(self, vs_id: str) -> ValueSet:
        return self._sets[vs_id]

    def __contains__(self, vs_id: object) -> bool:
        return vs_id in self._sets

    def ids(self) -> list[str]:
        return sorted(self._sets)

    def require(self, ids: Iterable[str]) -> None:
        missing = sorted(set(ids) - set(self._sets))
        if missing:
            raise ValueSetError(f"value sets missing from the rules folder: {', '.join(missing)}")

    @classmethod
    def load_dir(cls, folder: Path) -> ValueSets:
        if not folder.is_dir():
            raise ValueSetError(f"{folder}: value-set folder not found")
        sets: dict[str, ValueSet] = {}
        for path in sorted(folder.glob("*.yaml")):
            vs = load_file(path)
            sets[vs.id] = vs
        if not sets:
            raise ValueSetError(f"{folder}: no value-set files (*.yaml)")
        return cls(_apply_supplements(sets, folder))


def _apply_supplements(sets: dict[str, ValueSet], folder: Path) -> dict[str, ValueSet]:
    """A supplement's codes (and ordinal values) join the value set it names; the supplement
    stays loadable on its own (its concepts' names and properties)."""
    out = dict(sets)
    for vs in sets.values():
        if vs.supplements is None:
            continue
        target = out.get(vs.supplements)
        if target is None or target.supplements is not None:
            raise ValueSetError(
                f"{folder / (vs.id + '.yaml')}: at supplements: no value set "
                f"{vs.supplements!r} to supplement"
            )
        out[target.id] = ValueSet(
            id=target.id,
            title=target.title,
            include=target.include + vs.include,
            exclude=target.exclude,
            values={**target.values, **vs.values},
            concepts={**target.concepts, **vs.concepts},
        )
    return out


def load_file(path: Path) -> ValueSet:
    f = load_yaml(path, ValueSetFile, ValueSetError)
    if f.id != path.stem:
        raise ValueSetError(f"{path}: at id: {f.id!r} differs from the file name {path.stem!r}")
    return ValueSet(
        id=f.id,
        title=f.title,
        include=tuple(_CompiledEntry.of(e) for e in f.include),
        exclude=tuple(_CompiledEntry.of(e) for e in f.exclude),
        values=dict(f.values),
        concepts=dict(f.concepts),
        supplements=f.supplements,
    )
