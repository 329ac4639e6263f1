"""Three-valued, explained facts: the currency between the clinical core, the rules and the cards.

A fact is `known` (with a value), `unknown` (the data to decide is missing), `indeterminate`
(data exist but are too coarse or ambiguous to classify) or `not_applicable` (the question does
not arise: no TFI without a liver recurrence, no follow-up schedule without a metastasectomy).
Unknown and indeterminate always carry a human-readable `reason` naming what is missing; no code
path turns them into "no". Not applicable carries the reason it does not arise; it is never
missing data (see `rules/logic.py` for how conditions read it).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

FactValue = bool | int | float | str | tuple[str, ...]


class State(StrEnum):
    KNOWN = "known"
    UNKNOWN = "unknown"
    INDETERMINATE = "indeterminate"
    NOT_APPLICABLE = "not_applicable"


# Frozen msgspec Structs, not pydantic models: a chart derives ~400 facts and evidence items per
# call, and a Struct is built in C (~20× faster than a validated model); the fact's one
# invariant is checked in `__post_init__` (bench/README.md, issue 18).
class Evidence(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One piece of source data behind a fact: a resource reference and the date it carries."""

    ref: str  # "Condition/abc"
    date: str | None = None  # as written in the resource ("2023-05", "2024-03-15")
    what: str | None = None  # short label: "liver metastasis (C78.7)"

    def as_json(self) -> dict[str, str]:
        """The members that are set, in declaration order."""
        out = {"ref": self.ref}
        if self.date is not None:
            out["date"] = self.date
        if self.what is not None:
            out["what"] = self.what
        return out


class Fact(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    state: State
    value: FactValue | None = None
    evidence: tuple[Evidence, ...] = ()
    reason: str | None = None  # why unknown / indeterminate / not applicable
    note: str | None = None  # how a known value was derived, in words
    unconfirmed: bool = False  # rests on an unconfirmed / provisional / differential diagnosis

    def __post_init__(self) -> None:
        if self.state is State.KNOWN and self.value is None:
            raise ValueError("a known fact needs a value")
        if self.state is not State.KNOWN:
            if self.value is not None:
                raise ValueError(f"a fact that is {self.state.value} has no value")
            if not self.reason:
                raise ValueError(f"a fact that is {self.state.value} needs a reason")

    # --- constructors -------------------------------------------------------------------------
    @classmethod
    def of(
        cls,
        value: FactValue,
        evidence: tuple[Evidence, ...] | list[Evidence] = (),
        note: str | None = None,
        unconfirmed: bool = False,
    ) -> Fact:
        return cls(
            state=State.KNOWN,
            value=value,
            evidence=tuple(evidence),
            note=note,
            unconfirmed=unconfirmed,
        )

    @classmethod
    def unknown(cls, reason: str, evidence: tuple[Evidence, ...] | list[Evidence] = ()) -> Fact:
        return cls(state=State.UNKNOWN, reason=reason, evidence=tuple(evidence))

    @classmethod
    def indeterminate(
        cls, reason: str, evidence: tuple[Evidence, ...] | list[Evidence] = ()
    ) -> Fact:
        return cls(state=State.INDETERMINATE, reason=reason, evidence=tuple(evidence))

    @classmethod
    def not_applicable(
        cls, reason: str, evidence: tuple[Evidence, ...] | list[Evidence] = ()
    ) -> Fact:
        """The question does not arise (`reason` says why); never missing data."""
        return cls(state=State.NOT_APPLICABLE, reason=reason, evidence=tuple(evidence))

    # --- reading ------------------------------------------------------------------------------
    @property
    def known(self) -> bool:
        return self.state is State.KNOWN

    @property
    def is_yes(self) -> bool:
        return self.state is State.KNOWN and self.value is True

    @property
    def is_no(self) -> bool:
        return self.state is State.KNOWN and self.value is False

    def as_json(self) -> dict[str, Any]:
        """JSON without nulls or empty containers (the CDS Hooks JSON rule)."""
        out: dict[str, Any] = {"state": self.state.value}
        if self.value is not None:
            out["value"] = list(self.value) if isinstance(self.value, tuple) else self.value
        if self.reason:
            out["reason"] = self.reason
        if self.note:
            out["note"] = self.note
        if self.unconfirmed:
            out["unconfirmed"] = True
        if self.evidence:
            out["evidence"] = [e.as_json() for e in self.evidence]
        return out
