"""Guideline thresholds and schedules: `cql-free-rules/parameters.yaml`, loaded once at start-up
into the `ClinicalParameters` passed to the pure core.

A setting may override a parameter only within the range the file allows (the paper's range);
rules and card text name parameters (`{param: name}` in a condition, `{param.name}` in text) and
`substitute` replaces those names by the values in force, so that cards and decisions always
use the same number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sarcoma_cds.paths import default_rules_dir


@dataclass(frozen=True)
class ClinicalParameters:
    """The values in force; every field is a parameter of parameters.yaml (same name)."""

    synchronous_months: int
    long_dfi_months: int
    origin_long_dfi_months: int
    staging_window_days: int
    tfi_favourable_months: int
    tfi_borderline_upper_months: int
    tfi_paper_lower_months: int
    imaging_recent_days: int
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

    def values(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


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
        return _typed(chosen, self.source)


def _typed(values: dict[str, float], source: Path) -> ClinicalParameters:
    """A ClinicalParameters with each value as its field's type; the file must name exactly
    the fields (a programming error otherwise, caught by every test)."""
    types = {f.name: f.type for f in fields(ClinicalParameters)}
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
    return ClinicalParameters(**out)


def load_parameters(path: Path) -> ParameterTable:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise ParameterError(f"{path}: cannot be read: {exc}") from exc
    try:
        f = _File.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ParameterError(f"{path}: at {where}: {first['msg']}") from exc
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
TEXT_REF = re.compile(r"\{param\.([a-z0-9_]+)\}")


class UnknownParameter(Exception):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"at {where}: {problem}")
        self.where, self.problem = where, problem


def substitute(raw: Any, params: ClinicalParameters, where: str = "") -> Any:
    """`raw` (parsed YAML) with `{param: name}` mappings replaced by the value and
    `{param.name}` in strings by the value in words ("12", "25"); raises UnknownParameter with
    the path inside the file for a name that is not a parameter."""
    values = params.values()

    def value(name: str, at: str) -> float:
        if name not in values:
            raise UnknownParameter(at, f"unknown parameter {name!r} (known: {sorted(values)})")
        return values[name]

    def walk(node: Any, at: str) -> Any:
        if isinstance(node, dict):
            if set(node) == {"param"} and isinstance(node["param"], str):
                return value(node["param"], at)
            return {k: walk(v, f"{at}.{k}" if at else str(k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, f"{at}.{i}" if at else str(i)) for i, v in enumerate(node)]
        if isinstance(node, str) and "{param." in node:
            return TEXT_REF.sub(lambda m: f"{value(m[1], at):g}", node)
        return node

    return walk(raw, where)
