"""CDS Hooks request → resources → facts → rules → cards, without any web framework.

`Engine.load(settings)` reads and validates the rules and value sets once (start-up);
`Engine.evaluate(...)` is pure: the caller passes "today".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sarcoma_cds.cards.builder import build_cards
from sarcoma_cds.cards.examples import run_examples
from sarcoma_cds.cards.identity import assign_uuids
from sarcoma_cds.cards.orders import OrderTemplateError, validate_orders
from sarcoma_cds.cds_hooks.cards import Card, CdsResponse
from sarcoma_cds.clinical.params import ClinicalParameters
from sarcoma_cds.clinical.profile import MetastaticProfile, derive_profile
from sarcoma_cds.fhir.prefetch import collect
from sarcoma_cds.rules.loader import RulesError, RuleSet, load_rules
from sarcoma_cds.settings import Settings

__all__ = ["Engine", "Evaluation", "Evaluator", "RulesError"]


@dataclass(frozen=True)
class Evaluation:
    cards: list[Card]
    facts: dict[str, Any] = field(default_factory=dict)  # given directly (tests, fakes)
    data_gaps: list[str] = field(default_factory=list)
    profile: MetastaticProfile | None = None

    def response(self) -> CdsResponse:
        """The CDS Hooks answer; `.to_json()` is what goes on the wire."""
        return CdsResponse(cards=self.cards)

    def cards_json(self) -> list[dict[str, Any]]:
        """The cards exactly as the EHR receives them."""
        cards: list[dict[str, Any]] = self.response().to_json()["cards"]
        return cards

    def facts_json(self) -> dict[str, Any]:
        """The derived profile with every fact's evidence or reason; built only when asked
        for (the `facts` command), not on every service call."""
        if self.facts or self.profile is None:
            return self.facts
        return self.profile.detailed()


def parameter_overrides(settings: Settings) -> dict[str, float | None]:
    """The parameters the settings set (`SARCOMA_CDS_<PARAMETER>`); unset ones are None.
    `load_rules` checks each against its range in parameters.yaml."""
    return {name: getattr(settings, name) for name in Settings.PARAMETER_OVERRIDES}


def _check_dictionary(rules: RuleSet, params: ClinicalParameters) -> None:
    """The rules folder's fact dictionary names exactly the facts the code derives (an empty
    record derives every fact, all unknown)."""
    try:
        derive_profile(collect("start-up", {}), rules.valuesets, params, _ANY_DAY, rules.facts)
    except RuntimeError as exc:
        raise RulesError(f"{rules.folder / 'facts.yaml'}: {exc}") from exc


_ANY_DAY = date(2025, 1, 1)  # the start-up check needs a day; an empty record ignores it


class Evaluator(Protocol):
    """What the web layer needs of the engine (tests pass a fake)."""

    def evaluate(
        self,
        patient_id: str,
        prefetch: Mapping[str, Any],
        today: date,
        user_id: str | None = None,
        hook_instance: str | None = None,
        unreadable: Mapping[str, str] | None = None,
        fhir_server: str | None = None,
    ) -> Evaluation: ...


@dataclass(frozen=True)
class Engine:
    settings: Settings
    rules: RuleSet
    params: ClinicalParameters

    @classmethod
    def load(cls, settings: Settings) -> Engine:
        """Load and validate rules and value sets; raise RulesError on any invalid file."""
        rules = load_rules(settings.rules_dir, parameter_overrides(settings))
        try:
            validate_orders(rules.rules)
        except OrderTemplateError as exc:
            raise RulesError(str(exc)) from exc
        params = rules.params
        _check_dictionary(rules, params)
        if failures := run_examples(rules):
            raise RulesError(
                f"{rules.folder / 'rules'}: {len(failures)} inline example(s) fail: "
                + "; ".join(failures[:5])
            )
        return cls(settings=settings, rules=rules, params=params)

    def profile(
        self,
        patient_id: str,
        prefetch: Mapping[str, Any],
        today: date,
        unreadable: Mapping[str, str] | None = None,
        fhir_server: str | None = None,
    ) -> MetastaticProfile:
        record = collect(patient_id, prefetch, unreadable, fhir_server)
        return derive_profile(record, self.rules.valuesets, self.params, today, self.rules.facts)

    def evaluate(
        self,
        patient_id: str,
        prefetch: Mapping[str, Any],
        today: date,
        user_id: str | None = None,
        hook_instance: str | None = None,
        unreadable: Mapping[str, str] | None = None,
        fhir_server: str | None = None,
    ) -> Evaluation:
        """`prefetch`: key → resource / searchset Bundle / None, as received (absent keys absent).
        `unreadable`: key → why the caller could not obtain it (e.g. a failed fetch), named on
        the summary card. `fhir_server`: the call's fhirServer, against which absolute subject
        references are checked. `user_id` is accepted for the CDS Hooks context but does not
        change the cards; `hook_instance` and the patient make card uuids unique, and stable
        for retries of the same call."""
        profile = self.profile(patient_id, prefetch, today, unreadable, fhir_server)
        cards = assign_uuids(
            build_cards(self.rules, profile, patient_id, hook_instance), hook_instance, patient_id
        )
        return Evaluation(cards=cards, data_gaps=list(profile.data_gaps), profile=profile)
