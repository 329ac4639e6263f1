"""IDEA4RC shapes and registry morphology Conditions read as the facts (issue 21)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    ICDO3,
    LOINC,
    PID,
    concept,
    condition,
    lesion_count,
    observation,
    prefetch_of,
    procedure,
)

from sarcoma_cds.clinical.european import lift
from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.fhir.prefetch import PatientRecord, collect

ATHENA = "http://fhir.ohdsi.org/CodeSystem/concepts"
IDEA4RC_CS = "http://hl7.eu/fhir/ig/idea4rc/CodeSystem/cs-idea4rc-vocab-eu-i4rc"
IG = "http://hl7.eu/fhir/ig/idea4rc/StructureDefinition/"
FOLLOWING = "http://hl7.org/fhir/StructureDefinition/condition-occurredFollowing"
LMS_RPS = (ATHENA, "44500548")  # Leiomyosarcoma, NOS, of retroperitoneum
LMS_UTERUS = (ATHENA, "44501977")  # Leiomyosarcoma, NOS, of uterus, NOS
SYNOVIAL_LIMB = (ATHENA, "36536106")  # Synovial sarcoma, NOS, of ... lower limb and hip
MET_LIVER = (ATHENA, "36770544")
METASTASIS = (ATHENA, "36769180")
LIVER_STRUCTURE = (ATHENA, "4009105")


def test_histology_of_site_concept_is_a_primary_sts_with_histology_and_site(
    derive: Derive,
) -> None:
    p = derive(
        condition("prim", LMS_RPS, onset="2022-01-15"),
        condition("met", MET_LIVER, onset="2024-03-01"),
        lesion_count("lc", 1, when="2025-05-20"),
    )
    assert p["sts"].value is True
    assert p["histology"].value == "leiomyosarcoma"
    assert p["primary_site_retroperitoneal"].value is True
    assert p["intra_abdominal_primary"].value is True
    assert p["metastatic_sites"].value == ("liver",)
    assert p["timing"].value == "metachronous"


def test_uterine_concept_reads_as_uterus_plus_morphology(derive: Derive) -> None:
    p = derive(condition("prim", LMS_UTERUS, onset="2022-01-15"))
    assert p["sts"].value is True
    assert p["histology"].value == "leiomyosarcoma"
    assert p["primary_site_retroperitoneal"].value is False
    assert p["intra_abdominal_primary"].value is True


def test_generic_metastasis_takes_its_athena_body_site(derive: Derive) -> None:
    p = derive(
        condition("prim", SYNOVIAL_LIMB, onset="2024-01-15"),
        condition("met", METASTASIS, onset="2024-03-01", body_site=LIVER_STRUCTURE),
    )
    assert p["metastatic_sites"].value == ("liver",)
    assert p["histology"].value == "synovial_sarcoma"
    assert p["timing"].value == "synchronous"


def test_diagnosis_observation_gives_the_exact_date_behind_onset_age(derive: Derive) -> None:
    diagnosis = observation(
        "dx", (LOINC, "29308-4"), when="2023-09-10", valueCodeableConcept=concept(LMS_RPS)
    )
    p = derive(
        condition("prim", LMS_RPS, onsetAge={"value": 63, "code": "a", "unit": "years"}),
        diagnosis,
        condition("met", MET_LIVER, onset="2024-02-01"),
        birth="1960-03-15",
    )
    assert p["primary_diagnosis_date"].value == "2023-09-10"
    assert p["timing"].value == "synchronous"
    # Without the Observation the age gives only a year: the timing is not decidable.
    q = derive(
        condition("prim", LMS_RPS, onsetAge={"value": 63, "code": "a", "unit": "years"}),
        condition("met", MET_LIVER, onset="2024-02-01"),
        birth="1960-03-15",
    )
    assert q["timing"].state.value == "indeterminate"


def test_idea4rc_histology_extension_with_icdo3_value(derive: Derive) -> None:
    prim = condition("prim", (ATHENA, "4201415"), onset="2022-01-15")  # unknown to the IG list
    prim["extension"] = [
        {
            "url": IG + "condition-histology-morphology-behavior",
            "valueCodeableConcept": concept((ICDO3, "8890/3")),
        }
    ]
    p = derive(prim)
    assert p["histology"].value == "leiomyosarcoma"


def test_registry_morphology_condition(derive: Derive) -> None:
    nl = "http://hl7.org/fhir/sid/icd-10-nl"
    p = derive(
        condition("site", (nl, "C49.4"), onset="2025-01-15"),
        condition("morph", (ICDO3, "M8890/3"), onset="2025-01-15"),
        condition("met", (nl, "C78.7"), onset="2025-11-03"),
        today=date(2026, 6, 1),
    )
    assert p["sts"].value is True
    assert p["histology"].value == "leiomyosarcoma"
    assert p["timing"].value == "metachronous"
    # The morphology alone still establishes the sarcoma.
    q = derive(condition("morph", (ICDO3, "8890/3"), onset="2025-01-15"))
    assert q["sts"].value is True
    assert q["primary_diagnosis_date"].value == "2025-01-15"


def test_a_sarcoma_outside_the_sts_morphologies_is_not_a_known_no(derive: Derive) -> None:
    p = derive(condition("morph", (ICDO3, "M9180/3"), onset="2025-01-15"))  # osteosarcoma
    assert p["sts"].state.value == "indeterminate"
    assert "9180/3" in (p["sts"].reason or "")
    q = derive(condition("x", (ATHENA, "999999999"), onset="2025-01-15"))
    assert q["sts"].state.value == "indeterminate"
    assert "IDEA4RC concept" in (q["sts"].reason or "")
    # A benign or intermediate tumour is not a sarcoma: a readable "no".
    r = derive(condition("morph", (ICDO3, "8890/0"), onset="2025-01-15"))
    assert r["sts"].value is False


# --- episodes, treatments and references (lift) -----------------------------------------------

PROGRESSION = (ATHENA, "32949")
PARTIAL_REMISSION = (ATHENA, "32947")
SURGICAL_PROCEDURE = (ATHENA, "4301351")
LOCAL_EXCISION = (ATHENA, "4315400")
DOXORUBICIN_IFOSFAMIDE = (ATHENA, "35806965")


Json = dict[str, Any]


def _following(rid: str) -> Json:
    return {"url": FOLLOWING, "valueReference": {"reference": f"Condition/{rid}"}}


def _episode(rid: str, follows: str, when: str, code: tuple[str, str] = LMS_UTERUS) -> Json:
    ep = condition(rid, code, onset=when, clinical="relapse", extension=[_following(follows)])
    ep["clinicalStatus"]["coding"].append({"system": PROGRESSION[0], "code": PROGRESSION[1]})
    return ep


def _lift(valuesets: ValueSets, *resources: Json) -> PatientRecord:
    return lift(collect(PID, prefetch_of(resources)), valuesets)


def test_episodes_are_events_of_the_earliest_condition(valuesets: ValueSets) -> None:
    """A chain of episodes (progression following a progression) keeps one primary, the
    baseline, dated by the diagnosis; each episode's status becomes an assessment."""
    rec = _lift(
        valuesets,
        condition("base", LMS_UTERUS, onset="2023-03-01"),
        _episode("ep1", "base", "2024-09-15"),
        _episode("ep2", "ep1", "2025-09-15"),
    )
    assert [c.id for c in rec.conditions] == ["base"]
    statuses = [o for o in rec.observations if o.code and o.code.coding[0].code == "97509-4"]
    assert sorted(o.effectiveDateTime or "" for o in statuses) == ["2024-09-15", "2025-09-15"]


def test_a_following_condition_with_another_code_is_not_an_episode(valuesets: ValueSets) -> None:
    rec = _lift(
        valuesets,
        condition("base", LMS_UTERUS, onset="2023-03-01"),
        _episode("other", "base", "2024-09-15", code=LMS_RPS),
        condition("met", MET_LIVER, onset="2024-01-01", extension=[_following("base")]),
    )
    assert [c.id for c in rec.conditions] == ["base", "other", "met"]


def test_an_entered_in_error_episode_gives_no_status(valuesets: ValueSets) -> None:
    ep = _episode("ep", "base", "2024-09-15")
    ep["verificationStatus"]["coding"][0]["code"] = "entered-in-error"
    rec = _lift(valuesets, condition("base", LMS_UTERUS, onset="2023-03-01"), ep)
    assert not [o for o in rec.observations if o.code and o.code.coding[0].code == "97509-4"]


def test_episode_cycle_has_no_baseline_and_is_left_alone(valuesets: ValueSets) -> None:
    rec = _lift(valuesets, _episode("a", "b", "2024-01-01"), _episode("b", "a", "2024-02-01"))
    assert [c.id for c in rec.conditions] == ["a", "b"]


def test_lift_remaps_references_to_the_lifted_resources(valuesets: ValueSets) -> None:
    """ReferenceIndex compares by identity: after lift a surgery's reason names the lifted
    primary, and a reason naming an episode names its baseline."""
    surgery = procedure("op", SURGICAL_PROCEDURE, performed="2023-04-05")
    surgery["reasonReference"] = [{"reference": "Condition/base"}]
    later = procedure("op2", SURGICAL_PROCEDURE, performed="2025-10-01")
    later["reasonReference"] = [{"reference": "Condition/ep"}]
    rec = _lift(
        valuesets,
        condition("base", LMS_UTERUS, onset="2023-03-01"),
        _episode("ep", "base", "2025-09-15"),
        surgery,
        later,
    )
    (base,) = rec.conditions
    assert base.code is not None and len(base.code.coding) > 1  # lifted: ICD-O-3 added
    for p in rec.procedures:
        assert rec.refs.same(p.reasonReference[0], base, p)
        assert rec.refs.resolve(f"Procedure/{p.id}") is p


def test_surgery_with_the_primary_as_reason_resects_it(derive: Derive) -> None:
    surgery = procedure("op", SURGICAL_PROCEDURE, performed="2023-04-05")
    surgery["reasonReference"] = [{"reference": "Condition/base"}]
    p = derive(condition("base", LMS_UTERUS, onset="2023-03-01"), surgery)
    assert p["primary_resected"].value is True


def test_part_of_child_on_a_liver_metastasis_is_a_liver_metastasectomy(derive: Derive) -> None:
    main = procedure("op", SURGICAL_PROCEDURE, performed="2025-05-20")
    main["reasonReference"] = [{"reference": "Condition/base"}]
    child = procedure("op-liver", LOCAL_EXCISION, body_site=MET_LIVER)
    child["partOf"] = [{"reference": "Procedure/op"}]
    child["reasonReference"] = [{"reference": "Condition/base"}]
    p = derive(
        condition("base", LMS_RPS, onset="2025-02-03"),
        condition("met", MET_LIVER, onset="2025-03-01", clinical="resolved"),
        main,
        child,
    )
    assert p["prior_liver_resections"].value == 1
    assert p["last_liver_metastasectomy_date"].value == "2025-05-20"  # the parent's date
    assert p["last_local_treatment"].value == "resection"
    assert p["primary_resected"].value is True
    assert p["prior_abdominal_surgeries"].value == 2


def test_regimen_administration_with_outcome_is_a_line_and_its_response(derive: Derive) -> None:
    admin = {
        "resourceType": "MedicationAdministration",
        "id": "ai",
        "status": "completed",
        "medicationCodeableConcept": concept(DOXORUBICIN_IFOSFAMIDE),
        "subject": {"reference": f"Patient/{PID}"},
        "effectivePeriod": {"start": "2025-12-15", "end": "2026-04-10"},
        "extension": [{"url": IG + "outcome", "valueCodeableConcept": concept(PARTIAL_REMISSION)}],
    }
    p = derive(
        condition("base", SYNOVIAL_LIMB, onset="2025-11-03"),
        condition("met", MET_LIVER, onset="2025-12-01"),
        admin,
    )
    assert p["systemic_therapy_received"].value is True
    assert p["systemic_therapy_lines"].value == 1
    assert p["response_to_systemic_therapy"].value == "improved"
    assert p["response_at_least_stable"].value is True
    # Without the outcome the response is not known (never "no response").
    del admin["extension"]
    q = derive(condition("base", SYNOVIAL_LIMB, onset="2025-11-03"), admin)
    assert q["systemic_therapy_received"].value is True
    assert not q["response_to_systemic_therapy"].known
