"""One worklist row from one patient's evaluation: the cards as the EHR would receive them and
the facts they rest on, flattened for a spreadsheet."""

from __future__ import annotations

from typing import Any

from sarcoma_cds.clinical.facts import State
from sarcoma_cds.pipeline import Evaluation
from sarcoma_cds.rules.logic import label

EXTENSION_KEY = "org.sarcoma-cds"
# Column → type, in order (the parquet schema is built from this).
COLUMNS: dict[str, str] = {
    "patient_id": "string",
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


def worklist_row(patient_id: str, evaluation: Evaluation) -> dict[str, Any] | None:
    """The row, or None when patient-view would show no card for this patient."""
    cards = evaluation.cards_json()
    if not cards:
        return None
    topics: list[str] = []
    warnings: list[str] = []
    for card in cards:
        these = card_topics(card)
        topics += [t for t in these if t not in topics]
        if card.get("indicator") in ("warning", "critical"):
            warnings += [t for t in these if t not in warnings]
    sites = _known(evaluation, "metastatic_sites") or ()
    dfi = _known(evaluation, "dfi_months")
    lesions = _known(evaluation, "lesion_count")
    due = _known(evaluation, "followup_next_due")
    return {
        "patient_id": patient_id,
        "timing": _label(evaluation, "timing"),
        "dfi_months": float(dfi) if isinstance(dfi, int | float) else None,
        "oligometastatic": _label(evaluation, "oligometastatic"),
        "sites": SEPARATOR.join(sites if isinstance(sites, tuple | list) else [str(sites)]),
        "lesion_count": int(lesions) if isinstance(lesions, int | float) else None,
        "topics": SEPARATOR.join(topics),
        "warnings": SEPARATOR.join(warnings),
        "data_gaps": GAP_SEPARATOR.join(evaluation.data_gaps),
        "histology": _label(evaluation, "histology"),
        "followup_overdue": _label(evaluation, "followup_overdue"),
        "followup_next_due": str(due) if due is not None else "",
        "summary": str(cards[0].get("summary", "")),
    }
