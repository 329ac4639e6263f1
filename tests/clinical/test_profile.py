"""The whole profile: every fact present and explained, "not supplied" vs "none recorded", the
compact JSON for the card, and the example library end to end."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from tests.clinical.conftest import ROOT, Derive
from tests.support.fhir_data import (
    LOINC,
    cm,
    condition,
    lesion_count,
    liver_met,
    lms_primary,
    observation,
    procedure,
    sct,
)

from sarcoma_cds.clinical.dictionary import default_dictionary
from sarcoma_cds.clinical.facts import State
from sarcoma_cds.clinical.params import default_parameters
from sarcoma_cds.clinical.profile import MetastaticProfile, derive_profile
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import collect

EXAMPLES = sorted((ROOT / "fhir-examples").glob("*.json"))


def _assert_explained(p: MetastaticProfile) -> None:
    assert set(p.facts) == set(default_dictionary())
    for name, fact in p.facts.items():
        if fact.state is not State.KNOWN:
            assert fact.reason, f"{name} is {fact.state} without a reason"
            assert fact.value is None


def test_a_rich_record_derives_every_fact_with_reasons(derive: Derive) -> None:
    p = derive(
        lms_primary("2022-01-15"),
        liver_met(onset="2023-03-01"),
        lesion_count("lc", 2),
        observation("e", (LOINC, "89247-1"), valueInteger=1),
        procedure("chemo", sct("367336001"), period=("2023-04-01", "2023-08-01")),
    )
    _assert_explained(p)
    assert p["timing"].value == "metachronous"
    assert p["oligometastatic"].is_yes
    assert p["ecog"].value == 1


@pytest.mark.parametrize(
    "omit",
    [
        ("conditions",),
        ("observations",),
        ("procedures",),
        ("patient", "conditions", "observations", "procedures"),
    ],
)
def test_a_missing_prefetch_key_never_gives_no(derive: Derive, omit: tuple[str, ...]) -> None:
    """Compared with the same record where the key is supplied but empty, a fact may only move
    from a value to unknown, never to a different value."""
    base = (lms_primary(), liver_met()) if "conditions" not in omit else ()
    supplied_empty = derive(*base)
    missing = derive(*base, omit=omit)
    _assert_explained(missing)
    for name, fact in missing.facts.items():
        if fact.known:
            assert fact.value == supplied_empty[name].value, name
    for key in omit:
        if key != "patient":
            assert f"{key.capitalize()} were not sent by the EHR" in missing.data_gaps


def test_nothing_supplied_gives_no_known_fact(derive: Derive) -> None:
    p = derive(omit=("patient", "conditions", "observations", "procedures"))
    assert [name for name, fact in p.facts.items() if fact.known] == []
    assert p["oligometastatic"].reason == "no conditions were supplied"


def test_compact_json_has_no_nulls_and_words_unknowns(derive: Derive) -> None:
    p = derive(lms_primary("2022-01-15"), liver_met(onset="2022-07"))
    out = p.compact()
    assert None not in out.values()
    assert out["timing"] == "indeterminate"
    assert out["liver_metastasis_current"] == "yes"
    assert "dfi_months" not in out  # an unknown number is omitted
    assert out["histology"] == "leiomyosarcoma"
    json.dumps(out)  # serialisable as-is
    detailed = p.detailed()
    assert detailed["timing"]["state"] == "indeterminate"
    assert "2022-07" in detailed["timing"]["reason"]


def test_unconfirmed_diagnoses_are_listed(derive: Derive) -> None:
    """An unconfirmed primary is listed; an unconfirmed current liver metastasis is named by the
    summary's own bullet instead, with its date (REVIEW5 m7: said once)."""
    p = derive(lms_primary(verification="unconfirmed"), liver_met(verification="unconfirmed"))
    assert p.unconfirmed == ("C49.4 (Condition/prim)",)
    assert p.compact()["unconfirmed"] == ["C49.4 (Condition/prim)"]
    assert p["liver_metastasis_confirmed"].is_no
    assert p["liver_metastasis_confirmed"].note == "C78.7, 2024-03-01"


def test_other_patients_resources_are_ignored(derive: Derive) -> None:
    other = "Patient/p2"
    p = derive(
        lms_primary(),
        liver_met(),
        condition("x", cm("C78.00"), onset="2024-01-01", subject=other),
        lesion_count("lc", 9) | {"subject": {"reference": other}},
        procedure("hx", sct("107963000"), performed="2024-01-01", subject=other),
    )
    assert p["metastatic_sites"].value == ("liver",)
    assert p["prior_liver_resections"].value == 0
    assert p["lesion_count"].state is State.UNKNOWN
    assert "3 resource(s) of another patient ignored" in p.data_gaps


def test_subject_as_absolute_url_or_versioned_is_the_patient(derive: Derive) -> None:
    p = derive(
        lms_primary(subject="https://ehr.example/fhir/Patient/p1"),
        liver_met(subject="Patient/p1/_history/3"),
    )
    assert p["sts"].is_yes
    assert p["liver_metastasis_current"].is_yes
    assert not any("another patient" in g for g in p.data_gaps)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_request_derives_an_explained_profile(
    valuesets: ValueSets, path: Path
) -> None:
    request: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    patient_id = request["context"]["patientId"]
    record = collect(patient_id, request.get("prefetch", {}))
    p = derive_profile(record, valuesets, default_parameters(), date(2025, 6, 1))
    _assert_explained(p)
    json.dumps(p.compact())


def test_honesty_check_and_metastasis_classification_run_once_per_profile(
    derive: Derive, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both are shared by the tumour and burden facts: computed once, not once per module."""
    from sarcoma_cds.clinical import burden, honesty, metastases, profile

    calls = {"doubts": 0, "classify": 0}
    real_doubts, real_classify = honesty.condition_doubts, metastases.classify_metastases

    def doubts(rec: Any) -> Any:
        calls["doubts"] += 1
        return real_doubts(rec)

    def classify(rec: Any, vs: Any) -> Any:
        calls["classify"] += 1
        return real_classify(rec, vs)

    for module in (profile, honesty, burden):
        if hasattr(module, "condition_doubts"):
            monkeypatch.setattr(module, "condition_doubts", doubts)
        if hasattr(module, "classify_metastases"):
            monkeypatch.setattr(module, "classify_metastases", classify)
    from sarcoma_cds.clinical import tumour

    monkeypatch.setattr(tumour, "condition_doubts", doubts)
    # No STS recorded: the branch where the tumour facts also need the honesty check.
    p = derive(condition("x", cm("C18.9"), onset="2024-01-01"), liver_met())
    assert p["sts"].is_no
    assert calls == {"doubts": 1, "classify": 1}
