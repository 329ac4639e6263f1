"""REVIEW5 M1, m1, m2: cards of example 51 with a lesion count and then a "worsened" or
"improved" disease status (the reviewer's 51A/B/C), and of example 46 (an old progression).
REVIEW6 M1, m1, m2: 51B (Procedures not sent) against 51F (Procedures sent, no chemotherapy in
them) and 51E (a chemotherapy Procedure for the metastases).

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


def _procedure(id_: str, code: str, display: str, start: str, end: str) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": id_,
        "status": "completed",
        "code": {"coding": [{"system": SNOMED, "code": code, "display": display}]},
        "subject": SUBJECT,
        "performedPeriod": {"start": start, "end": end},
    }


# 51F: Procedures are sent, none is systemic therapy; 51E: chemotherapy for the metastases.
CT_CHEST = _procedure(
    "ct-chest", "169069000", "Computed tomography of chest", "2026-05-10", "2026-05-10"
)
CHEMO = _procedure("chemo", "367336001", "Chemotherapy", "2026-01-10", "2026-04-10")


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
    # Shown once: on the summary's Facts line, or beside the 11.1 bullet when that is shown.
    drug = "doxorubicin (ordered 2025-03-24 and stopped; cycles not recorded)"
    assert text.replace("\n", " ").count(drug) == 1
    # REVIEW6 m1: no operation on the primary is presumed ("peri-operative").
    assert "Peri-operative" not in text
    if "Preoperative chemotherapy" not in text:
        label = "Therapy before the first metastasis (for the primary): "
        assert label + drug in text.replace("\n", " ")


@pytest.mark.parametrize("added", [(), (IMPROVED,)], ids=["51A", "51C"])
def test_never_treated_metastases_keep_resection_and_name_the_prior_drug(
    engine: Engine, added: tuple[dict[str, Any], ...]
) -> None:
    cards = _cards(engine, LESION_COUNT, *added)
    text = _text(cards)
    treatment = _treatment(cards)
    # The 5.3 route stays open and 11.1 is offered: never treated for the metastases.
    assert "consider liver resection if complete resection is feasible" in treatment["detail"]
    assert "Preoperative chemotherapy may be considered" in treatment["detail"]
    # REVIEW6 m1: the drug that treated the primary is named where the regimen is chosen.
    assert (
        "Already given for the primary: doxorubicin (ordered 2025-03-24 and stopped; cycles not "
        "recorded)."
    ) in treatment["detail"]
    assert "no liver surgery" not in text.lower()
    assert "resection after systemic therapy fits 8.1" not in text


def test_51f_untreated_progression_leads_to_restaging_and_the_board(engine: Engine) -> None:
    """Procedures and medications sent, no systemic therapy for the metastases in them: a known
    "untreated" progression, not a treatment failure (REVIEW5 M1)."""
    cards = _cards(engine, LESION_COUNT, WORSENED, CT_CHEST)
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
    assert "consider liver resection if complete resection is feasible" in treatment["detail"]
    assert "is unknown" not in _text(cards)
    # REVIEW6 m2: the summary carries the progression the treatment card leads with.
    summary = next(c for c in cards if "summary" in card_topics(c))
    assert summary["summary"] == (
        "STS liver metastases (synovial sarcoma, metachronous): 2 lesions in 1 site; progressed, "
        "not yet treated: restage (1.1)"
    )
    assert "not yet treated for metastatic disease: restage" in summary["detail"]


def test_51b_progression_with_therapy_unknown_proposes_no_resection(engine: Engine) -> None:
    """REVIEW6 M1: Procedures not sent, so chemotherapy recorded only as a Procedure may have
    treated the metastases. Never "no therapy recorded", never "consider liver resection":
    check the therapy; if treated no liver surgery now, if not restage and the MDT."""
    cards = _cards(engine, LESION_COUNT, WORSENED)
    text = _text(cards)
    treatment = _treatment(cards)
    assert treatment["indicator"] == "warning"
    assert treatment["summary"] == (
        "STS liver metastases progressed, therapy for them unknown: check it; no liver surgery "
        "decision until then; restage, MDT (1.1)"
    )
    assert (
        "Disease progressed, recorded 2026-05-10 (site not recorded); whether systemic therapy "
        "was given for the metastases is unknown (Procedures not sent): check; if treated, no "
        "liver surgery now and next line at the MDT (§3.10); if not, restage and the MDT weighs "
        "resection or systemic therapy first"
    ) in treatment["detail"]
    for never in (
        "no systemic therapy for",
        "consider liver resection",
        "Preoperative chemotherapy may be considered",
        "not yet treated",
    ):
        assert never not in text
    summary = next(c for c in cards if "summary" in card_topics(c))
    assert summary["summary"] == (
        "STS liver metastases (synovial sarcoma, metachronous): 2 lesions in 1 site; progressed, "
        "therapy unknown: restage (1.1)"
    )


def test_51e_progression_on_chemotherapy_for_the_metastases(engine: Engine) -> None:
    """The same record with the chemotherapy Procedure visible: a treatment failure."""
    cards = _cards(engine, LESION_COUNT, WORSENED, CHEMO)
    treatment = _treatment(cards)
    assert treatment["summary"] == (
        "STS with liver metastases; disease progressed after chemotherapy (line 1): no liver "
        "surgery now; MDT for next line"
    )
    assert "consider liver resection" not in _text(cards)
    assert "is unknown" not in _text(cards)


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
