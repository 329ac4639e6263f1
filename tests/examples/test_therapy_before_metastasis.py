"""REVIEW5 M1, m1, m2: cards of example 51 with a lesion count and then a "worsened" or
"improved" disease status (the reviewer's 51A/B/C), and of example 46 (an old progression).

Example 51's doxorubicin was ordered around the primary and stopped nine months before the
liver metastasis: the metastases were never treated, so no card may speak of a progression
"after doxorubicin (line 1)", of metastases "improved" on it, or drop the 11.1 bullet.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest
from tests.conftest import card_topics, evaluate_example, load_example, load_manifest

from sarcoma_cds.pipeline import Engine

TODAY = date(2026, 6, 1)
EX51 = "51-synthea-raw-transaction-bundle-urn-uuid.json"
EX46 = "46-idea4rc-uterine-lms-progression-episode.json"
SUBJECT = {"reference": "urn:uuid:8d4f3c2a-1b6e-4f7a-9c3d-2e1f0a9b8c7d"}
SNOMED = "http://snomed.info/sct"
LESION_COUNT = {
    "resourceType": "Observation",
    "id": "lesion-count",
    "status": "final",
    "code": {
        "coding": [
            {
                "system": "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver",
                "code": "lesion-count",
            }
        ]
    },
    "subject": SUBJECT,
    "effectiveDateTime": "2026-05-10",
    "valueInteger": 2,
    "bodySite": {"coding": [{"system": SNOMED, "code": "10200004"}]},
}


def _status(code: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "disease-status",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "97509-4"}]},
        "subject": SUBJECT,
        "effectiveDateTime": "2026-05-10",
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": code}]},
    }


WORSENED, IMPROVED = _status("271299001"), _status("268910001")


def _cards(engine: Engine, *added: dict[str, Any]) -> list[dict[str, Any]]:
    request = copy.deepcopy(load_example(EX51))
    entries = request["prefetch"]["patient"]["entry"]
    for resource in added:
        url = f"urn:uuid:{resource['id']}"
        method = {"method": "POST", "url": resource["resourceType"]}
        entries.append({"fullUrl": url, "resource": resource, "request": method})
    evaluation = engine.evaluate(
        request["context"]["patientId"], request["prefetch"], TODAY, hook_instance="t"
    )
    cards: list[dict[str, Any]] = evaluation.cards_json()
    return cards


def _text(cards: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['summary']}\n{c['detail']}" for c in cards)


def _treatment(cards: list[dict[str, Any]]) -> dict[str, Any]:
    return next(c for c in cards if "treatment-pathway" in card_topics(c))


@pytest.mark.parametrize("added", [(), (WORSENED,), (IMPROVED,)], ids=["51A", "51B", "51C"])
def test_therapy_for_the_primary_is_context_shown_once(
    engine: Engine, added: tuple[dict[str, Any], ...]
) -> None:
    cards = _cards(engine, LESION_COUNT, *added)
    text = _text(cards)
    assert "line 1" not in text
    assert "Latest systemic therapy" not in text
    context = (
        "Peri-operative therapy for the primary: doxorubicin (ordered 2025-03-24 and stopped; "
        "cycles not recorded), before the first metastasis (2025-12-15)"
    )
    assert text.replace("\n", " ").count(context) == 1
    treatment = _treatment(cards)
    # The 5.3 route stays open and 11.1 is offered: never treated for the metastases.
    assert "consider liver resection if complete resection is feasible" in treatment["detail"]
    assert "Preoperative chemotherapy may be considered" in treatment["detail"]
    assert "no liver surgery" not in text.lower()
    assert "resection after systemic therapy fits 8.1" not in text


def test_51b_untreated_progression_leads_to_restaging_and_the_board(engine: Engine) -> None:
    cards = _cards(engine, LESION_COUNT, WORSENED)
    treatment = _treatment(cards)
    assert treatment["indicator"] == "warning"
    assert treatment["summary"] == (
        "STS liver metastases progressed, no systemic therapy for them recorded: restage; MDT "
        "weighs resection or systemic therapy first (11.2)"
    )
    assert (
        "Disease progressed, recorded 2026-05-10 (site not recorded), with no systemic therapy "
        "for the metastatic disease recorded: restage; the MDT weighs resection or systemic "
        "therapy first, by the risk of liver progression"
    ) in treatment["detail"]


def test_51c_improved_is_no_response_to_the_adjuvant_drug(engine: Engine) -> None:
    """An "improved" status changes nothing: the metastases had no systemic therapy."""
    shown = [(c["summary"], c["detail"], c["indicator"]) for c in _cards(engine, LESION_COUNT)]
    improved = _cards(engine, LESION_COUNT, IMPROVED)
    assert [(c["summary"], c["detail"], c["indicator"]) for c in improved] == shown


def test_46_old_progression_is_dated_and_cites_within_scope(engine: Engine) -> None:
    """m1: 8.3 is for synchronous disease only; m2: an 8½-month-old progression is dated, with
    nothing since, and restaged before deciding."""
    entry = next(e for e in load_manifest() if e["file"] == EX46)
    cards = evaluate_example(engine, entry)[1].cards_json()
    text = _text(cards).replace("\n", " ")
    assert "8.3" not in text
    summary = next(c for c in cards if "summary" in card_topics(c))
    ext = summary["extension"]["org.sarcoma-cds"]
    assert "8.3" not in ext["recommendations"]
    assert {"1.1", "5.1"} <= set(ext["recommendations"])
    assert "(§3.10)" in summary["detail"]
    treatment = _treatment(cards)
    assert (
        "Progression recorded 2025-09-15 (site not recorded), 8 months and 17 days ago (more "
        "than 90 days), no treatment recorded since: restage to see whether it is still "
        "progressing; no liver surgery until then"
    ) in treatment["detail"]
    assert "while the disease progresses" not in text
