"""CDS Hooks request → resources → facts → rules → cards, without any web framework.

`Engine.load(settings)` reads and validates the rules and value sets once (start-up);
`Engine.evaluate(...)` is pure: the caller passes "today".

SKELETON: the clinical core replaces the body of `evaluate` (issue 3/4). The signature is fixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sarcoma_cds.settings import Settings


class RulesError(Exception):
    """A rule or value-set file is invalid; the message names the file, the path and the problem."""


@dataclass(frozen=True)
class Evaluation:
    cards: list[dict[str, Any]]  # JSON-ready CDS Hooks cards (no nulls, no empty values)
    facts: dict[str, Any] = field(default_factory=dict)  # the derived profile, as JSON
    data_gaps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Engine:
    settings: Settings

    @classmethod
    def load(cls, settings: Settings) -> Engine:
        """Load and validate rules and value sets; raise RulesError on any invalid file."""
        return cls(settings=settings)

    def evaluate(
        self,
        patient_id: str,
        prefetch: Mapping[str, Any],
        today: date,
        user_id: str | None = None,
    ) -> Evaluation:
        """`prefetch`: key → resource / searchset Bundle / None, as received (absent keys absent)."""
        return Evaluation(cards=[])
