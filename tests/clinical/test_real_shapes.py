"""Issue 12: the shapes real EHRs and the mCODE IG send, each read into facts with evidence."""

from __future__ import annotations

from typing import Any

import pytest
from tests.clinical.conftest import Derive
from tests.support.fhir_data import (
    HISTOLOGY_EXT,
    ICD10CM,
    LOINC,
    PID,
    SNOMED,
    cm,
    concept,
    condition,
    liver_met,
    lms_primary,
    observation,
    procedure,
    sct,
    tumour_size,
)

from sarcoma_cds.clinical.facts import State
from sarcoma_cds.clinical.valuesets import ValueSets

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
Json = dict[str, Any]


def med(rtype: str, rid: str, drug: tuple[str, str] | None, status: str, **extra: Any) -> Json:
    res: Json = {
        "resourceType": rtype,
        "id": rid,
        "status": status,
        "subject": {"reference": f"Patient/{PID}"},
    }
    if drug is not None:
        res["medicationCodeableConcept"] = concept(drug)
    if rtype == "MedicationRequest":
        res["intent"] = "order"
    res.update(extra)
    return res


# --- mCODE STU4 conditions ----------------------------------------------------------------------


def test_post_coordinated_primary_with_snomed_morphology(derive: Derive) -> None:
    primary = condition("prim", sct("363346000"), onset="2023-02-01", body_site=sct("68367000"))
    primary["extension"] = [
        {"url": HISTOLOGY_EXT, "valueCodeableConcept": concept(sct("1163022006"))}
    ]
    p = derive(primary, liver_met(onset="2024-03-01"))
    assert p["sts"].is_yes
    assert p["histology"].value == "leiomyosarcoma"
    assert p["timing"].value == "metachronous"


@pytest.mark.parametrize(
    "site",
    ["181268008", "48521005", "69842003", "277961009"],
    ids=["entire", "right-lobe", "left-lobe", "segment-7"],
)
def test_secondary_cancer_condition_generic_code_with_liver_descendant(
    derive: Derive, site: str
) -> None:
    met = condition("met", sct("128462008"), onset="2024-03-01", body_site=sct(site))
    p = derive(lms_primary(), met)
    assert p["liver_metastasis_ever"].is_yes
    assert p["metastatic_sites"].value == ("liver",)


def test_regional_lymph_node_body_site(derive: Derive) -> None:
    node = condition("node", sct("128462008"), onset="2024-03-01", body_site=sct("68171009"))
    p = derive(lms_primary(), liver_met(), node)
    assert p["metastatic_sites"].value == ("liver", "lymph_node")


def test_onset_unreadable_primary_still_counts(derive: Derive) -> None:
    """A broken element makes that element unknown, not the resource (clinical-logic 1.1)."""
    p = derive(lms_primary(onset="not-a-date"), liver_met())
    assert p["sts"].is_yes
    assert p["histology"].value == "leiomyosarcoma"
    assert p["primary_diagnosis_date"].state is State.UNKNOWN
    assert "onsetDateTime 'not-a-date'" in (p["timing"].reason or "")
    assert any("onsetDateTime 'not-a-date'" in g for g in p.data_gaps)


def test_abatement_of_any_type_ends_the_condition(derive: Derive) -> None:
    for abatement in (
        {"abatementDateTime": "2024-09-01"},
        {"abatementString": "autumn 2024"},
        {"abatementBoolean": True},
        {"abatementPeriod": {"start": "2024-08-01", "end": "2024-09-01"}},
    ):
        met = liver_met(clinical=None) | abatement
        p = derive(lms_primary(), met)
        assert p["liver_metastasis_ever"].is_yes
        assert p["liver_metastasis_current"].is_no, abatement


def test_recorded_date_is_marked_in_the_evidence(derive: Derive) -> None:
    p = derive(condition("prim", cm("C49.4"), recorded="2023-01-05"), liver_met())
    [ev] = p["primary_diagnosis_date"].evidence
    assert ev.what is not None
    assert "recording date" in ev.what


# --- observations: TNM, stage, history, disease status, TumorSize focus ------------------------


def test_tnm_cm1_makes_metastatic_yes_and_liver_indeterminate(derive: Derive) -> None:
    m1 = observation("m", (SNOMED, "399387003"), valueCodeableConcept=concept(sct("1229903009")))
    p = derive(lms_primary(), m1)
    assert p["metastatic"].is_yes
    assert p["liver_metastasis_ever"].state is State.INDETERMINATE
    assert p["metastatic_sites"].state is State.UNKNOWN


def test_stage_iv_ajcc(derive: Derive) -> None:
    stage = observation(
        "s", (LOINC, "21908-9"), valueCodeableConcept=concept(("http://cancerstaging.org", "4"))
    )
    assert derive(lms_primary(), stage)["metastatic"].is_yes


def test_history_of_cancer_metastatic_to_liver(derive: Derive) -> None:
    history = observation("h", (SNOMED, "1098951000119108"), when="2018-11-16")
    p = derive(lms_primary(), history)
    assert p["liver_metastasis_ever"].is_yes
    assert p["liver_metastasis_current"].state is State.UNKNOWN
    no_history = observation("h", (SNOMED, "1287652008"), valueBoolean=False)
    assert derive(lms_primary(), no_history)["metastatic"].is_no


def test_disease_status_88040_1_and_remission(derive: Derive) -> None:
    chemo = procedure("c", sct("367336001"), period=("2024-04-01", "2024-08-01"))
    status = observation(
        "st",
        (LOINC, "88040-1"),
        when="2024-09-01",
        valueCodeableConcept=concept(sct("551001000124108")),
    )
    p = derive(lms_primary(), liver_met(), chemo, status)
    assert p["response_to_systemic_therapy"].value == "improved"


def test_tumour_size_organ_from_body_structure_focus(derive: Derive) -> None:
    tumour = {
        "resourceType": "BodyStructure",
        "id": "lesion-1",
        "patient": {"reference": f"Patient/{PID}"},
        "location": concept(sct("277961009")),
    }
    size = tumour_size("sz", 8, "mm", body_site=None) | {
        "focus": [{"reference": "BodyStructure/lesion-1"}]
    }
    size.pop("bodySite", None)
    p = derive(lms_primary(), liver_met(onset="2025-01-10"), tumour, size)
    assert p["largest_liver_lesion_mm"].value == 8
    assert p["subcentimetre_lesion"].is_yes


def test_contained_body_structure(derive: Derive) -> None:
    size = tumour_size("sz", 120, "mm") | {
        "contained": [
            {"resourceType": "BodyStructure", "id": "t", "location": concept(sct("10200004"))}
        ],
        "focus": [{"reference": "#t"}],
    }
    size.pop("bodySite")
    p = derive(lms_primary(), liver_met(onset="2025-01-10"), size)
    assert p["large_lesion"].is_yes


# --- procedures --------------------------------------------------------------------------------


def test_generic_excision_with_reason_reference_to_the_liver_metastasis(derive: Derive) -> None:
    excision = procedure("x", sct("65801008"), performed="2024-05-01") | {
        "reasonReference": [{"reference": "Condition/met-liver"}]
    }
    p = derive(lms_primary(), liver_met(), excision)
    assert p["prior_liver_resections"].value == 1
    assert p["last_liver_metastasectomy_date"].value == "2024-05-01"


def test_generic_excision_at_the_primary_site(derive: Derive) -> None:
    primary = lms_primary(body_site=sct("68367000"))
    excision = procedure("x", sct("65801008"), performed="2022-03-01", body_site=sct("68367000"))
    p = derive(primary, liver_met(), excision)
    assert p["primary_resected"].is_yes


def test_primary_resection_code_with_reason_liver_metastasis_is_a_liver_resection(
    derive: Derive,
) -> None:
    excision = procedure("x", sct("56361007"), performed="2024-05-01") | {
        "reasonReference": [{"reference": "Condition/met-liver"}]
    }
    p = derive(lms_primary(), liver_met(), excision)
    assert p["prior_liver_resections"].value == 1
    assert p["primary_resected"].is_no


# --- medications -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "received", "ongoing", "planned"),
    [
        (med("MedicationRequest", "r", (RXNORM, "3639"), "completed", authoredOn="2024-04-01"),
         True, False, False),
        (med("MedicationRequest", "r", (RXNORM, "1790099"), "active", authoredOn="2025-05-01"),
         True, True, False),
        (med("MedicationRequest", "r", (ATC, "L01AA06"), "active", authoredOn="2025-07-01"),
         False, False, True),
        (med("MedicationAdministration", "a", (ATC, "L01BC05"), "completed",
             effectiveDateTime="2024-04-01"), True, False, False),
        (med("MedicationAdministration", "a", (ATC, "L01BC05"), "in-progress",
             effectivePeriod={"start": "2025-05-30"}), True, True, False),
        (med("MedicationStatement", "s", (RXNORM, "714438"), "active",
             effectivePeriod={"start": "2025-03-01"}), True, True, False),
        (med("MedicationStatement", "s", (RXNORM, "714438"), "not-taken"), False, False, False),
        (med("MedicationRequest", "r", (RXNORM, "3639"), "entered-in-error"), False, False, False),
    ],
)  # fmt: skip
def test_medication_status_semantics(
    derive: Derive, resource: Json, received: bool, ongoing: bool, planned: bool
) -> None:
    p = derive(lms_primary(), liver_met(), resource)
    assert p["systemic_therapy_received"].is_yes is received
    assert p["on_systemic_therapy"].is_yes is ongoing
    assert p["systemic_therapy_planned"].is_yes is planned
    if not (received or ongoing or planned):
        assert p["systemic_therapy_received"].is_no


def test_medication_reference_to_contained_medication(derive: Derive) -> None:
    request = med("MedicationRequest", "r", None, "completed", authoredOn="2024-04-01") | {
        "contained": [{"resourceType": "Medication", "id": "m", "code": concept((RXNORM, "3639"))}],
        "medicationReference": {"reference": "#m"},
    }
    p = derive(lms_primary(), liver_met(), request)
    assert p["systemic_therapy_received"].is_yes
    assert p["systemic_therapy_received"].evidence[0].ref == "MedicationRequest/r"


def test_imatinib_does_not_count(derive: Derive) -> None:
    imatinib = med("MedicationStatement", "s", (ATC, "L01EA01"), "active")
    p = derive(lms_primary(), liver_met(), imatinib)
    assert not p["systemic_therapy_received"].is_yes


def test_unrecognised_chemotherapy_is_indeterminate_not_no(derive: Derive) -> None:
    uncoded = med("MedicationAdministration", "a", None, "completed") | {
        "medicationCodeableConcept": {"text": "Ifosfamide 3 g/m2 + mesna"},
        "effectiveDateTime": "2024-04-01",
    }
    p = derive(lms_primary(), liver_met(), uncoded)
    fact = p["systemic_therapy_received"]
    assert fact.state is State.INDETERMINATE
    assert "Ifosfamide 3 g/m2" in (fact.reason or "")


def test_no_medication_keys_means_unknown(derive: Derive) -> None:
    p = derive(
        lms_primary(),
        liver_met(),
        omit=("medicationRequests", "medicationAdministrations", "medicationStatements"),
    )
    assert p["systemic_therapy_received"].state is State.UNKNOWN


# --- honest "no" --------------------------------------------------------------------------------


def test_text_only_sarcoma_is_indeterminate_and_quoted(derive: Derive) -> None:
    uncoded = {"resourceType": "Condition", "id": "u", "code": {"text": "Leiomyosarcoma, thigh"}}
    p = derive(uncoded, liver_met())
    assert p["sts"].state is State.INDETERMINATE
    assert "Leiomyosarcoma, thigh" in (p["sts"].reason or "")


def test_text_only_liver_metastasis_is_indeterminate(derive: Derive) -> None:
    uncoded = {"resourceType": "Condition", "id": "u", "code": {"text": "Liver metastases"}}
    p = derive(lms_primary(), uncoded)
    assert p["liver_metastasis_ever"].state is State.INDETERMINATE
    assert p["metastatic"].state is State.INDETERMINATE


def test_unrecognised_cancer_code_is_indeterminate(derive: Derive) -> None:
    p = derive(condition("u", cm("D48.1")), liver_met())
    assert p["sts"].state is State.INDETERMINATE
    assert "D48.1" in (p["sts"].reason or "") or "D481" in (p["sts"].reason or "")


def test_unrelated_text_does_not_unsettle_a_no(derive: Derive) -> None:
    uncoded = {"resourceType": "Condition", "id": "u", "code": {"text": "Hypertension"}}
    p = derive(uncoded, liver_met())
    assert p["sts"].is_no


# --- timing when metastatic disease is known only from staging or history ----------------------


def test_timing_reason_names_the_staging_when_only_tnm_says_metastatic(derive: Derive) -> None:
    """A cM1 says the disease is metastatic, not when it spread: the timing facts stay unknown
    and say why, instead of the false "no metastasis recorded"."""
    m1 = observation(
        "m",
        (SNOMED, "399387003"),
        when="2025-04-10",
        valueCodeableConcept=concept(sct("1229903009")),
    )
    p = derive(lms_primary(), m1)
    for name in ("first_metastasis_date", "dfi_months", "timing", "long_dfi"):
        fact = p[name]
        assert fact.state is State.UNKNOWN, name
        assert fact.reason is not None
        assert "no metastasis recorded" not in fact.reason, name
        assert "known only from staging or history" in fact.reason
        assert "2025-04-10" in fact.reason
    assert [e.ref for e in p["first_metastasis_date"].evidence] == ["Observation/m"]


def test_first_liver_metastasis_date_reason_names_the_liver_history(derive: Derive) -> None:
    history = observation("h", (SNOMED, "1098951000119108"), when="2018-11-16")
    p = derive(lms_primary(), history)
    reason = p["first_liver_metastasis_date"].reason or ""
    assert "liver metastatic disease is known only from staging or history" in reason
    assert "no liver metastasis" not in reason
    assert [e.ref for e in p["first_liver_metastasis_date"].evidence] == ["Observation/h"]


def test_no_metastasis_at_all_still_says_so(derive: Derive) -> None:
    p = derive(lms_primary())
    assert p["first_metastasis_date"].reason == "no metastasis recorded"
    assert p["first_liver_metastasis_date"].reason == "no liver metastasis"


# --- derivedFrom and the related primary ---------------------------------------------------------

MCODE_RELATED = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-related-primary-cancer-condition"
)


def _ct_report(rid: str = "ct-1", when: str = "2025-04-20") -> Json:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "code": concept((LOINC, "79103-8")),
        "subject": {"reference": f"Patient/{PID}"},
        "effectiveDateTime": when,
    }


def test_undated_measurement_takes_the_date_of_the_imaging_report_it_is_derived_from(
    derive: Derive,
) -> None:
    size = tumour_size("sz", 24, "mm", when=None) | {  # type: ignore[arg-type]
        "derivedFrom": [{"reference": "DiagnosticReport/ct-1"}]
    }
    size.pop("effectiveDateTime", None)
    p = derive(lms_primary(), liver_met(onset="2025-04-01"), _ct_report(), size)
    assert p["largest_liver_lesion_mm"].value == 24
    ev = p["largest_liver_lesion_mm"].evidence[0]
    assert ev.ref == "Observation/sz"
    assert ev.date == "2025-04-20"
    assert ev.what is not None
    assert "dated by DiagnosticReport/ct-1 (derivedFrom)" in ev.what


def test_own_date_wins_over_the_report_and_an_unresolved_report_gives_none(
    derive: Derive,
) -> None:
    own = tumour_size("own", 24, "mm", when="2025-04-02") | {
        "derivedFrom": [{"reference": "DiagnosticReport/ct-1"}]
    }
    p = derive(lms_primary(), liver_met(onset="2025-04-01"), _ct_report(), own)
    ev = p["largest_liver_lesion_mm"].evidence[0]
    assert ev.date == "2025-04-02"
    assert "derivedFrom" not in (ev.what or "")
    lost = tumour_size("lost", 24, "mm", when=None) | {  # type: ignore[arg-type]
        "derivedFrom": [{"reference": "DiagnosticReport/elsewhere"}]
    }
    lost.pop("effectiveDateTime", None)
    p = derive(lms_primary(), liver_met(onset="2025-04-01"), _ct_report(), lost)
    assert p["largest_liver_lesion_mm"].evidence[0].date is None


def test_liver_metastasis_linked_to_another_primary_makes_the_origin_uncertain(
    derive: Derive,
) -> None:
    breast = condition("bc", cm("C50.919"), onset="2019-05-01", clinical="resolved")
    met = liver_met(onset="2023-04-01") | {
        "extension": [{"url": MCODE_RELATED, "valueReference": {"reference": "Condition/bc"}}]
    }
    p = derive(lms_primary(), met, breast)
    origin = p["origin_uncertain"]
    assert origin.is_yes
    assert origin.note is not None
    assert origin.note.startswith("linked to another primary")
    assert any("Condition/bc" in (e.what or "") for e in origin.evidence)
    # Without the link the same record raises no doubt: the link is what is read.
    plain = derive(lms_primary(), liver_met(onset="2023-04-01"), breast)
    assert plain["origin_uncertain"].is_no


def test_liver_metastasis_linked_to_the_sarcoma_raises_no_doubt(derive: Derive) -> None:
    for url in (MCODE_RELATED, "http://hl7.org/fhir/StructureDefinition/condition-related"):
        met = liver_met(onset="2023-04-01") | {
            "extension": [{"url": url, "valueReference": {"reference": "Condition/prim"}}]
        }
        p = derive(lms_primary(), met)
        assert p["origin_uncertain"].is_no, url
    unresolved = liver_met(onset="2023-04-01") | {
        "extension": [{"url": MCODE_RELATED, "valueReference": {"reference": "Condition/gone"}}]
    }
    assert derive(lms_primary(), unresolved)["origin_uncertain"].is_no


# --- value sets by hierarchy (issue 12) ----------------------------------------------------------

# Couinaud segments I-VIII (DICOM CID 7170), entire liver, right and left lobe.
LIVER_DESCENDANTS = [
    "10200004", "181268008", "48521005", "69842003", "71133005", "277956007", "277957003",
    "277958008", "277959000", "277960005", "277961009", "277962002",
]  # fmt: skip


@pytest.mark.parametrize("site", LIVER_DESCENDANTS)
def test_every_liver_descendant_places_a_generic_metastasis_in_the_liver(
    derive: Derive, site: str
) -> None:
    met = condition("met", sct("128462008"), onset="2024-03-01", body_site=sct(site))
    p = derive(lms_primary(), met)
    assert p["liver_metastasis_ever"].is_yes
    assert p["metastatic_sites"].value == ("liver",)


@pytest.mark.parametrize(
    "site", ["68171009", "16051009", "283001", "279763008", "84219008", "65349008"],
    ids=["axillary", "apical-axillary", "central-axillary", "inguinofemoral", "iliac",
         "external-iliac"],
)  # fmt: skip
def test_regional_lymph_node_descendants(derive: Derive, site: str) -> None:
    node = condition("node", sct("128462008"), onset="2024-03-01", body_site=sct(site))
    assert derive(lms_primary(), liver_met(), node)["metastatic_sites"].value == (
        "liver",
        "lymph_node",
    )


# ICD-10-CM categories and every child of them in the FY2026 tabular (simple-icd-10-cm 1.5.0):
# a child reaches its value set through the range or prefix of its parent.
ICD10CM_CHILDREN = {
    "metastasis-lymph-node": ["C77", "C77.0", "C77.1", "C77.2", "C77.3", "C77.4", "C77.5",
                              "C77.8", "C77.9"],
    "metastasis-lung": ["C78.0", "C78.00", "C78.01", "C78.02"],
    "metastasis-bone": ["C79.5", "C79.51", "C79.52"],
    "metastasis-adrenal": ["C79.7", "C79.70", "C79.71", "C79.72"],
    "primary-sts": ["C49.0", "C49.1", "C49.10", "C49.11", "C49.12", "C49.2", "C49.20", "C49.21",
                    "C49.22", "C49.3", "C49.4", "C49.5", "C49.6", "C49.8", "C49.9", "C47.0",
                    "C47.1", "C47.10", "C47.11", "C47.12", "C47.2", "C47.20", "C47.21",
                    "C47.22", "C47.3", "C47.4", "C47.5", "C47.6", "C47.8", "C47.9"],
    "gist": ["C49.A", "C49.A0", "C49.A1", "C49.A2", "C49.A3", "C49.A4", "C49.A5", "C49.A9"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("vs_id", "code"), [(v, c) for v, codes in ICD10CM_CHILDREN.items() for c in codes]
)
def test_icd10cm_children_are_members_through_their_parent(
    valuesets: ValueSets, vs_id: str, code: str
) -> None:
    assert valuesets[vs_id].contains(ICD10CM, code)


def test_gist_children_stay_out_of_primary_sts(valuesets: ValueSets) -> None:
    for code in ICD10CM_CHILDREN["gist"]:
        assert not valuesets["primary-sts"].contains(ICD10CM, code), code


@pytest.mark.parametrize("code", ["C78", "C79"])
def test_secondary_category_alone_is_a_metastasis_of_unknown_site(
    derive: Derive, code: str
) -> None:
    p = derive(lms_primary(), condition("met", cm(code), onset="2024-03-01"))
    assert p["metastatic"].is_yes
    assert p["metastatic_sites"].state is State.INDETERMINATE
    # A metastasis of unknown site may be in the liver: never a silent "no".
    liver = p["liver_metastasis_ever"]
    assert liver.state is State.INDETERMINATE
    assert "without its site" in (liver.reason or "")


@pytest.mark.parametrize(
    ("rxcui", "name"),
    [("72962", "docetaxel"), ("5657", "ifosfamide"), ("1791593", "ifosfamide 1000 MG"),
     ("1791588", "ifosfamide 3000 MG"), ("309311", "cisplatin 1 MG/ML")],
)  # fmt: skip
def test_rxnorm_agents_count_as_systemic_therapy(derive: Derive, rxcui: str, name: str) -> None:
    given = med(
        "MedicationAdministration",
        "a",
        (RXNORM, rxcui),
        "completed",
        effectiveDateTime="2024-04-01",
    )
    fact = derive(lms_primary(), liver_met(), given)["systemic_therapy_received"]
    assert fact.is_yes, name
    assert fact.evidence[0].ref == "MedicationAdministration/a"


@pytest.mark.parametrize(
    ("morphology", "histology"),
    [("51549004", "leiomyosarcoma"), ("49430005", "liposarcoma"), ("39000009", "angiosarcoma"),
     ("88195001", "asps"), ("34360000", "ups"), ("53654007", "other_sts"),
     ("2424003", "other_sts"), ("1187396000", "other_sts")],
)  # fmt: skip
def test_snomed_sarcoma_morphologies_in_the_histology_extension(
    derive: Derive, morphology: str, histology: str
) -> None:
    primary = condition("prim", sct("363346000"), onset="2023-02-01", body_site=sct("68367000"))
    primary["extension"] = [
        {"url": HISTOLOGY_EXT, "valueCodeableConcept": concept(sct(morphology))}
    ]
    p = derive(primary, liver_met(onset="2024-03-01"))
    assert p["sts"].is_yes
    assert p["histology"].value == histology


def test_sarcoma_of_soft_tissue_disorder_code_is_a_primary_sts(derive: Derive) -> None:
    p = derive(condition("prim", sct("424952003"), onset="2023-02-01"), liver_met())
    assert p["sts"].is_yes
    assert p["timing"].value == "metachronous"


@pytest.mark.parametrize(
    "bone", ["1163405004", "1163016002"], ids=["osteosarcoma", "chondrosarcoma"]
)
def test_bone_sarcoma_morphologies_are_not_soft_tissue_sarcoma(
    valuesets: ValueSets, bone: str
) -> None:
    assert not valuesets["sts-morphology"].contains(SNOMED, bone)


@pytest.mark.parametrize(
    "display", ["Yondelis 1 MG Injection", "Halaven 0.5 MG/ML", "vinorelbine 10 MG/ML Injection"]
)
def test_agent_coded_outside_the_set_but_named_is_a_doubt_not_a_no(
    derive: Derive, display: str
) -> None:
    given = med("MedicationAdministration", "a", None, "completed", effectiveDateTime="2024-04-01")
    given["medicationCodeableConcept"] = {
        "coding": [{"system": RXNORM, "code": "999999001", "display": display}]
    }
    fact = derive(lms_primary(), liver_met(), given)["systemic_therapy_received"]
    assert fact.state is State.INDETERMINATE
    assert display in (fact.reason or "")


def test_methotrexate_is_not_sarcoma_systemic_therapy(derive: Derive) -> None:
    """Weekly low-dose methotrexate (rheumatoid arthritis) shares its RxNorm ingredient with the
    cytotoxic use; it is not an STS agent and must not read as systemic therapy received."""
    ra = med(
        "MedicationStatement",
        "s",
        (RXNORM, "6851"),
        "active",
        effectivePeriod={"start": "2020-01-01"},
    )
    assert derive(lms_primary(), liver_met(), ra)["systemic_therapy_received"].is_no
    cytotoxic = med("MedicationStatement", "s", (ATC, "L01BA01"), "completed")
    fact = derive(lms_primary(), liver_met(), cytotoxic)["systemic_therapy_received"]
    assert fact.state is State.INDETERMINATE


@pytest.mark.parametrize(
    "code",
    [
        # A SNOMED secondary-neoplasm code outside every value set (regional lymph-node
        # metastases are such codes here: none could be sourced), with its display.
        concept((SNOMED, "1234567001", "Secondary malignant neoplasm of axillary lymph node")),
        # Uncoded, as a problem list writes it.
        {"text": "Mets to L axillary nodes"},
    ],
)
def test_an_unread_further_metastasis_keeps_the_sites_open(derive: Derive, code: Json) -> None:
    """clinical-logic 1.1: a diagnosis that reads like another metastasis but that no value set
    reads never leaves "liver only" and "oligometastatic" standing by silence."""
    other = condition("other", onset="2024-03-01")
    other["code"] = code
    p = derive(lms_primary(), liver_met(), other)
    for name in ("metastatic_sites", "site_count", "liver_only"):
        assert p[name].state is State.INDETERMINATE, name
        assert "a further metastasis cannot be ruled out" in (p[name].reason or ""), name
    assert not p["oligometastatic"].is_yes
    # Something that reads like no metastasis changes nothing.
    other["code"] = {"text": "Essential hypertension"}
    p = derive(lms_primary(), liver_met(), other)
    assert p["metastatic_sites"].value == ("liver",)
    assert p["liver_only"].is_yes


def test_an_unread_possible_metastasis_before_the_first_coded_one_keeps_timing_open(
    derive: Derive,
) -> None:
    """An unread diagnosis that reads like a metastasis, dated at the primary, may be the first
    metastasis: synchronous or metachronous stays open, never "metachronous" by silence."""
    other = condition("other", onset="2022-01-15")
    other["code"] = {"text": "Mets to L axillary nodes"}
    p = derive(lms_primary(onset="2022-01-15"), liver_met(onset="2024-03-01"), other)
    for name in ("timing", "dfi_months", "long_dfi", "dfi_at_synchronous_limit"):
        assert p[name].state is State.INDETERMINATE, name
        assert "may be an earlier metastasis" in (p[name].reason or ""), name
    assert "code it with its site" in (p["metastatic_sites"].reason or "")
    assert (p["timing"].reason or "").endswith("record it as refuted if it is not a metastasis")
    # Dated after the first coded metastasis, it cannot change the timing.
    other["onsetDateTime"] = "2025-01-10"
    p = derive(lms_primary(onset="2022-01-15"), liver_met(onset="2024-03-01"), other)
    assert p["timing"].value == "metachronous"
    assert p["metastatic_sites"].state is State.INDETERMINATE
