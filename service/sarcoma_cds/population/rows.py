"""One worklist row from one patient's evaluation: the cards as the EHR would receive them and
the facts they rest on, flattened for a spreadsheet.

The worklist holds the patients whose patient-view carries a summary card (STS with liver
metastases, the consensus applies). A patient with cards but no summary card — the record
suggests STS and liver disease but cannot settle it (data-quality card), or GIST
(not-applicable card) — is listed apart, for the report's data-quality section.

Each patient's *branch* is the pathway their cards follow, read from the cards themselves:
the lead section of the plan card (the layout's card gathering treatment pathway, liver
recurrence, local therapy and MDT referral); without a plan card, follow-up or the summary
alone; off the list, the one topic the patient's card has.
"""

from __future__ import annotations

from typing import Any

from sarcoma_cds.cards.layout import LAYOUT, SUMMARY_TOPIC
from sarcoma_cds.clinical.facts import State
from sarcoma_cds.pipeline import Evaluation
from sarcoma_cds.rules.logic import label

EXTENSION_KEY = "org.sarcoma-cds"
# Column → type, in order (the parquet schema is built from this).
COLUMNS: dict[str, str] = {
    "patient_id": "string",
    "branch": "string",
    "timing": "string",
    "dfi_months": "float",
    "oligometastatic": "string",
    "sites": "string",
    "lesion_count": "int",
    "topics": "string",
    "warnings": "string",
    "data_gaps": "string",
    "histology": "string",
    "followup_overdue": "string",
    "followup_next_due": "string",
    "summary": "string",
}
SEPARATOR = ";"
# The card that carries the plan: its lead section names the branch.
PLAN_TOPICS = next(topics for topics in LAYOUT if "treatment-pathway" in topics)
FOLLOW_UP_TOPIC = "follow-up"
GAP_SEPARATOR = " | "  # gaps are sentences that may hold ';'


def card_topics(card: dict[str, Any]) -> list[str]:
    """The topics a card gathers (a card may hold the sections of several rules)."""
    ext = card.get("extension", {}).get(EXTENSION_KEY, {})
    sections = ext.get("sections") or []
    return [s["topic"] for s in sections] or [ext["topic"]]


def _known(evaluation: Evaluation, name: str) -> Any:
    profile = evaluation.profile
    if profile is None or name not in profile.facts:
        return None
    fact = profile[name]
    return fact.value if fact.state is State.KNOWN else None


def _label(evaluation: Evaluation, name: str) -> str:
    profile = evaluation.profile
    if profile is None or name not in profile.facts:
        return ""
    return label(profile[name])


def branch_of(cards: list[dict[str, Any]]) -> str:
    """The topic that names the pathway these cards follow (module doc)."""
    topics: list[str] = []
    for card in cards:
        these = card_topics(card)
        if these[0] in PLAN_TOPICS:
            return these[0]
        topics += these
    if FOLLOW_UP_TOPIC in topics:
        return FOLLOW_UP_TOPIC
    return topics[0]


def _topics(cards: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(every topic, the topics of a warning or critical card), in card order, once each."""
    topics: list[str] = []
    warnings: list[str] = []
    for card in cards:
        these = card_topics(card)
        topics += [t for t in these if t not in topics]
        if card.get("indicator") in ("warning", "critical"):
            warnings += [t for t in these if t not in warnings]
    return topics, warnings


def patient_entry(patient_id: str, evaluation: Evaluation) -> tuple[bool, dict[str, Any]] | None:
    """(True, the worklist row) for a patient whose patient-view carries a summary card;
    (False, an off-list entry) for one with other cards only (data quality, GIST); None for a
    patient patient-view shows nothing for."""
    # What a row needs of each card, read off the cards patient-view returns (serialising
    # them to wire JSON again would cost a tenth of the evaluation).
    cards = [
        {"summary": c.summary, "indicator": c.indicator, "extension": c.extension or {}}
        for c in evaluation.cards
    ]
    if not cards:
        return None
    topics, warnings = _topics(cards)
    branch = branch_of(cards)
    gaps = GAP_SEPARATOR.join(evaluation.data_gaps)
    if SUMMARY_TOPIC not in topics:
        summary = str(cards[0].get("summary", ""))
        return False, {
            "patient_id": patient_id,
            "branch": branch,
            "summary": summary,
            "data_gaps": gaps,
        }
    sites = _known(evaluation, "metastatic_sites") or ()
    dfi = _known(evaluation, "dfi_months")
    lesions = _known(evaluation, "lesion_count")
    due = _known(evaluation, "followup_next_due")
    summary_card = next(c for c in cards if card_topics(c)[0] == SUMMARY_TOPIC)
    return True, {
        "patient_id": patient_id,
        "branch": branch,
        "timing": _label(evaluation, "timing"),
        "dfi_months": float(dfi) if isinstance(dfi, int | float) else None,
        "oligometastatic": _label(evaluation, "oligometastatic"),
        "sites": SEPARATOR.join(sites if isinstance(sites, tuple | list) else [str(sites)]),
        "lesion_count": int(lesions) if isinstance(lesions, int | float) else None,
        "topics": SEPARATOR.join(topics),
        "warnings": SEPARATOR.join(warnings),
        "data_gaps": gaps,
        "histology": _label(evaluation, "histology"),
        "followup_overdue": _label(evaluation, "followup_overdue"),
        "followup_next_due": str(due) if due is not None else "",
        "summary": str(summary_card.get("summary", "")),
    }
