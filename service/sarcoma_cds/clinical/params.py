"""Guideline thresholds and schedules: `cql-free-rules/parameters.yaml`, loaded once at start-up
into the `ClinicalParameters` passed to the pure core.

A setting may override a parameter only within the range the file allows (the paper's range);
rules and card text name parameters (`{param: name}` in a condition, `{param.name}` in text) and
`substitute` replaces those names by the values in force, so that cards and decisions always
use the same number.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import Field as Field_
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sarcoma_cds.clinical.datafile import load_yaml
from sarcoma_cds.paths import default_rules_dir
from sarcoma_cds.values.numerals import every_months, number_words, roman_numeral


@dataclass(frozen=True)
class ClinicalParameters:
    """The values in force; every field is a parameter of parameters.yaml (same name)."""

    synchronous_months: int
    long_dfi_months: int
    origin_long_dfi_months: int
    staging_window_days: int
    tfi_favourable_months: int
    imaging_recent_days: int
    biopsy_min_cores: int
    biopsy_core_gauge_min: int
    biopsy_core_gauge_max: int
    biopsy_bleeding_percent: int
    omd_max_lesions: int
    omd_max_sites: int
    flr_min_percent: float
    flr_workup_min_percent: float
    flr_workup_percent: float
    large_lesion_cm: float  # in the paper's unit; lesion sizes are in mm
    small_lesion_cm: float
    adjuvant_discussion_months: int
    followup_early_interval_min_months: int
    followup_early_interval_months: int
    followup_early_years: int
    followup_middle_interval_months: int
    followup_middle_years: int
    followup_late_interval_months: int
    reassess_min_cycles: int
    reassess_max_cycles: int
    good_ps_max_ecog: int
    good_ps_min_karnofsky: int
    unfit_min_asa: int
    limited_ecog: int
    limited_asa: int
    limited_min_karnofsky: int
    limited_max_karnofsky: int
    line_gap_days: int  # lines of systemic therapy from medication records (clinical/lines.py)
    regimen_window_days: int
    ecog_poor_min: int  # MDT card: systemic therapy or best supportive care (mdt-referral.yaml)
    # Each parameter's range in the file (min, max): for a paper's range such as 9.1's "TFI
    # longer than 12–18 months", the paper's own numbers, named as `tfi_favourable_months.min`.
    bounds: Mapping[str, tuple[float, float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def values(self) -> dict[str, float]:
        """Every parameter by name, and each one's range as `name.min` and `name.max`."""
        out: dict[str, float] = {f.name: getattr(self, f.name) for f in _parameter_fields()}
        for name, (lo, hi) in self.bounds.items():
            out[f"{name}.min"], out[f"{name}.max"] = lo, hi
        return out


def _parameter_fields() -> tuple[Field_[Any], ...]:
    return tuple(f for f in fields(ClinicalParameters) if f.name != "bounds")


class ParameterError(Exception):
    """An invalid parameters file, an override out of range, or an unknown parameter name."""


class Parameter(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    min: float
    max: float
    unit: str = Field(min_length=1)
    passage: str = Field(min_length=1)

    @model_validator(mode="after")
    def _value_in_range(self) -> Parameter:
        if not self.min <= self.value <= self.max:
            raise ValueError(f"value {self.value:g} outside its range {self.min:g}–{self.max:g}")
        return self

    @property
    def overridable(self) -> bool:
        return self.min < self.max


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    parameters: dict[str, Parameter] = Field(min_length=1)


@dataclass(frozen=True)
class ParameterTable:
    parameters: dict[str, Parameter]
    source: Path

    def build(self, overrides: Mapping[str, float | None] | None = None) -> ClinicalParameters:
        """The parameters in force: the file's values, with `overrides` (None: not set) each
        within its parameter's range."""
        chosen = {name: p.value for name, p in self.parameters.items()}
        for name, value in (overrides or {}).items():
            if value is None:
                continue
            p = self.parameters.get(name)
            if p is None:
                raise ParameterError(f"{self.source}: no parameter {name!r} to override")
            if not p.min <= value <= p.max:
                allowed = f"{p.min:g}" if not p.overridable else f"{p.min:g}–{p.max:g}"
                raise ParameterError(
                    f"SARCOMA_CDS_{name.upper()}={value:g} is outside the range the guideline "
                    f"allows for {name} ({allowed} {p.unit}; {self.source})"
                )
            chosen[name] = value
        bounds = {name: (p.min, p.max) for name, p in self.parameters.items()}
        return _typed(chosen, bounds, self.source)


def _typed(
    values: dict[str, float], bounds: dict[str, tuple[float, float]], source: Path
) -> ClinicalParameters:
    """A ClinicalParameters with each value as its field's type; the file must name exactly
    the fields (a programming error otherwise, caught by every test)."""
    types = {f.name: f.type for f in _parameter_fields()}
    if set(types) != set(values):
        missing, extra = set(types) - set(values), set(values) - set(types)
        raise ParameterError(
            f"{source}: parameters out of step with the code: missing "
            f"{sorted(missing)}, unknown {sorted(extra)}"
        )
    out: dict[str, Any] = {}
    for name, value in values.items():
        if types[name] == "int":
            if value != int(value):
                raise ParameterError(f"{source}: {name} takes a whole number, not {value:g}")
            out[name] = int(value)
        else:
            out[name] = float(value)
    return ClinicalParameters(**out, bounds=bounds)


def load_parameters(path: Path) -> ParameterTable:
    f = load_yaml(path, _File, ParameterError)
    table = ParameterTable(dict(f.parameters), path)
    table.build()  # the names and types match the code
    return table


@cache
def default_table() -> ParameterTable:
    return load_parameters(default_rules_dir() / "parameters.yaml")


def default_parameters() -> ClinicalParameters:
    """The file's values, no overrides (tests, tools)."""
    return default_table().build()


# --- parameters named in rule and dictionary files ----------------------------------------------
# `{param.name}`, `{param.name.min}` (its range's ends), with a format: `{param.name:words}`
TEXT_REF = re.compile(r"\{param\.([a-z0-9_]+(?:\.min|\.max)?)(?::([a-z]+))?\}")
_MALFORMED = re.compile(r"\{param[.:][^}]*\}")
FORMATS: dict[str, Callable[[float], str]] = {
    "words": number_words,  # "four" (cores)
    "roman": roman_numeral,  # "III" (ASA class)
    "every": every_months,  # "yearly" (an interval in months)
}


class UnknownParameter(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"at {where}: {problem}")
        self.where, self.problem = where, problem


def substitute(raw: Any, params: ClinicalParameters, where: str = "") -> Any:
    """`raw` (parsed YAML) with `{param: name}` mappings replaced by the value and
    `{param.name}` in strings by the value in words ("12", "25"; with a format, `:words`
    "four", `:roman` "III", `:every` "yearly"); raises UnknownParameter with the path inside
    the file for a name that is not a parameter or a format that does not exist."""
    values = params.values()

    def walk(node: Any, at: str) -> Any:
        if isinstance(node, dict):
            if set(node) == {"param"} and isinstance(node["param"], str):
                return _value(values, node["param"], at)
            return {k: walk(v, f"{at}.{k}" if at else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{at}.{i}" if at else str(i)) for i, v in enumerate(node)]
        if isinstance(node, str) and "{param" in node:
            out = TEXT_REF.sub(lambda m: _text(values, m, at), node)
            if leftover := _MALFORMED.search(out):
                raise UnknownParameter(
                    at,
                    f"malformed reference {leftover[0]!r} (use {{param.name}}, "
                    f"{{param.name.min}} or {{param.name:{'|'.join(FORMATS)}}})",
                )
            return out
        return node

    return walk(raw, where)


def _value(values: Mapping[str, float], name: str, at: str) -> float:
    if name not in values:
        known = sorted(n for n in values if "." not in n)
        raise UnknownParameter(
            at, f"unknown parameter {name!r} (known: {known}, each with .min and .max)"
        )
    return values[name]


def _text(values: Mapping[str, float], m: re.Match[str], at: str) -> str:
    n = _value(values, m[1], at)
    if m[2] is None:
        return f"{n:g}"
    if m[2] not in FORMATS:
        raise UnknownParameter(at, f"unknown format {m[2]!r} in {m[0]} (known: {sorted(FORMATS)})")
    return FORMATS[m[2]](n)
