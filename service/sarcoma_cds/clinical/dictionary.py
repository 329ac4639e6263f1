"""The fact dictionary (`cql-free-rules/facts.yaml`): every fact's kind, allowed values, unit,
label and paper section — data, loaded and validated once at start-up.

The profile derives exactly these facts, the rule loader checks every test against them (an
unknown category value in a rule stops start-up), and a derived category value outside the
dictionary is a programming error caught by every test.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sarcoma_cds.clinical.datafile import load_yaml
from sarcoma_cds.clinical.params import (
    ClinicalParameters,
    UnknownParameter,
    default_parameters,
    substitute,
)
from sarcoma_cds.paths import default_rules_dir

Kind = Literal["bool", "int", "float", "category", "date", "list", "text"]


class FactDictionaryError(Exception):
    """An invalid fact dictionary: names the file, the path inside it and the problem."""


class FactDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Kind
    label: str = Field(min_length=1)
    section: str = Field(min_length=1)
    unit: str | None = None
    roman: bool = False  # an int written in Roman numerals on cards (ASA class)
    # category values → their words on cards (None: the value with underscores as spaces)
    values: dict[str, str | None] | None = None
    # A fact said as a sentence instead of "label: value", where the bare value would read wrong
    # ("Not a surgical candidate: no") or as a field name ("Soft tissue sarcoma: yes"): "yes" and
    # "no" for a yes/no fact, "value" for any other known value. `{note}` is the fact's note,
    # `{what}` and `{when}` what its evidence shows and its dates (cards.render.said_text).
    said: dict[Literal["yes", "no", "value"], str] | None = None

    @model_validator(mode="after")
    def _values_for_categories_only(self) -> FactDefinition:
        if (self.kind == "category") != bool(self.values):
            raise ValueError("a category lists its allowed values; other kinds list none")
        if self.said and (self.kind == "bool") != ("value" not in self.said):
            raise ValueError('a yes/no fact is said by "yes" and "no", any other by "value"')
        if self.unit and self.kind not in ("int", "float"):
            raise ValueError("only numbers carry a unit")
        return self

    def words(self, value: str) -> str:
        """A category value in clinical words ("asps" → "alveolar soft part sarcoma")."""
        return (self.values or {}).get(value) or value.replace("_", " ")


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    facts: dict[str, FactDefinition] = Field(min_length=1)


class FactDictionary(Mapping[str, FactDefinition]):
    """Fact name → definition, in display order."""

    def __init__(self, facts: Mapping[str, FactDefinition], source: Path | None = None) -> None:
        self._facts = dict(facts)
        self.source = source
        # Each category's allowed values, for the check every profile passes (issue 18).
        self.categories: dict[str, frozenset[str]] = {
            name: frozenset(d.values or ())
            for name, d in self._facts.items()
            if d.kind == "category"
        }

    def __getitem__(self, name: str) -> FactDefinition:
        return self._facts[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    def kind(self, name: str) -> Kind | None:
        d = self._facts.get(name)
        return d.kind if d else None

    def label(self, name: str) -> str:
        return self._facts[name].label

    def allowed(self, name: str) -> tuple[str, ...]:
        """A category's allowed values (empty for other kinds)."""
        return tuple(self._facts[name].values or ())


def load_fact_dictionary(path: Path, params: ClinicalParameters | None = None) -> FactDictionary:
    """The dictionary, with `{param.name}` in its labels replaced by the values in force."""

    def with_values(raw: object) -> object:
        try:
            return substitute(raw, params or default_parameters())
        except UnknownParameter as exc:
            raise FactDictionaryError(f"{path}: {exc}") from exc

    f = load_yaml(path, _File, FactDictionaryError, with_values)
    return FactDictionary(f.facts, path)


@cache
def default_dictionary() -> FactDictionary:
    """The dictionary shipped with the code (the rules folder's own is checked against it)."""
    return load_fact_dictionary(default_rules_dir() / "facts.yaml")
