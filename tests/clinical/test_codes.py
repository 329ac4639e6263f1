"""Code-system aliases and code normalisation (input-profile: code system URIs), with properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sarcoma_cds.clinical.codes import (
    ICD10,
    ICD10CM,
    ICD10PCS,
    ICDO3,
    LOINC,
    SNOMED,
    canonical_system,
    display_icd10,
    icdo3_parts,
    normalise_code,
)


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("urn:oid:2.16.840.1.113883.6.90", ICD10CM),
        ("http://hl7.org/fhir/sid/icd-10-cm/", ICD10CM),
        (" http://hl7.org/fhir/sid/icd-10-cm ", ICD10CM),
        ("urn:oid:2.16.840.1.113883.6.3", ICD10),
        ("urn:oid:2.16.840.1.113883.6.96", SNOMED),
        ("urn:oid:2.16.840.1.113883.6.43.1", ICDO3),
        ("urn:oid:2.16.840.1.113883.6.1", LOINC),
        ("urn:oid:2.16.840.1.113883.6.4", ICD10PCS),
        ("http://example.org/other", "http://example.org/other"),
        ("", None),
        (None, None),
    ],
)
def test_canonical_system_resolves_oids_and_trailing_slashes(
    sent: str | None, canonical: str | None
) -> None:
    assert canonical_system(sent) == canonical


@pytest.mark.parametrize(
    ("system", "sent", "canonical"),
    [
        (ICD10CM, "C78.7", "C787"),
        (ICD10CM, "C787", "C787"),
        (ICD10CM, "c78.7 ", "C787"),
        (ICD10CM, "C49.A2", "C49A2"),
        (ICD10, "C78.7", "C787"),
        (SNOMED, "94381002.0", "94381002"),
        (SNOMED, "94381002.000", "94381002"),
        (SNOMED, "94381002", "94381002"),
        (ICDO3, "8890/3", "8890/3"),
        (ICDO3, "88903", "8890/3"),
        (ICDO3, "M8890/3", "8890/3"),
        (ICDO3, "m-8890/3", "8890/3"),
        (ICDO3, "8890/3 3", "8890/3"),
        (ICDO3, "8936", "8936"),
        (LOINC, "la9623-5", "LA9623-5"),
    ],
)
def test_normalise_code_gives_one_spelling_per_concept(
    system: str, sent: str, canonical: str
) -> None:
    assert normalise_code(system, sent) == canonical


def test_icdo3_parts_split_morphology_and_behaviour() -> None:
    assert icdo3_parts("8890/3") == ("8890", "3")
    assert icdo3_parts("8936") == ("8936", None)


def test_display_icd10_puts_the_dot_back_for_explanations() -> None:
    assert display_icd10("C787") == "C78.7"
    assert display_icd10("C55") == "C55"
    assert display_icd10("C78.7") == "C78.7"


# --- properties -------------------------------------------------------------------------------

icd_letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
icd_tail = st.text(alphabet="0123456789AXYZ", min_size=0, max_size=4)


@settings(max_examples=300, deadline=None)
@given(icd_letters, st.integers(0, 99), icd_tail, st.booleans(), st.booleans())
def test_icd10_codes_with_or_without_dot_and_in_any_case_normalise_alike(
    letter: str, category: int, tail: str, lower: bool, who: bool
) -> None:
    canonical = f"{letter}{category:02d}{tail}"
    dotted = f"{letter}{category:02d}.{tail}" if tail else canonical
    sent = dotted.lower() if lower else dotted
    system = ICD10 if who else ICD10CM
    assert normalise_code(system, sent) == canonical
    assert normalise_code(canonical_system("urn:oid:2.16.840.1.113883.6.90") or "", sent) == (
        canonical
    )


@settings(max_examples=300, deadline=None)
@given(
    st.integers(8000, 9999),
    st.sampled_from("0123 6 9".replace(" ", "")),
    st.sampled_from(["{m}/{b}", "{m}{b}", "M{m}/{b}", "m{m}/{b}", "M-{m}/{b}", "{m}/{b} {g}"]),
    st.integers(1, 9),
)
def test_icdo3_spellings_normalise_to_morphology_slash_behaviour(
    morph: int, behaviour: str, template: str, grade: int
) -> None:
    sent = template.format(m=morph, b=behaviour, g=grade)
    assert normalise_code(ICDO3, sent) == f"{morph}/{behaviour}"


@settings(max_examples=200, deadline=None)
@given(st.integers(100000, 10**18), st.integers(0, 4))
def test_snomed_ids_sent_as_floats_normalise_to_the_integer(sctid: int, zeros: int) -> None:
    sent = f"{sctid}.{'0' * max(zeros, 1)}" if zeros else str(sctid)
    assert normalise_code(SNOMED, sent) == str(sctid)
