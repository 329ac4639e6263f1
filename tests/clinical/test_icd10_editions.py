"""National ICD-10 editions read as the ICD-10 family (issue 21): system URIs and OIDs, national
markers, WHO codes that ICD-10-CM splits, and what is deliberately not read."""

from __future__ import annotations

import pytest

from sarcoma_cds.clinical.codes import (
    CIE10ES,
    ICD10,
    ICD10CA,
    ICD10GM,
    ICD10NL,
    canonical_system,
    normalise_code,
)
from sarcoma_cds.clinical.valuesets import ValueSets


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("http://fhir.de/CodeSystem/bfarm/icd-10-gm", ICD10GM),
        ("http://fhir.de/CodeSystem/dimdi/icd-10-gm", ICD10GM),
        ("http://hl7.org/fhir/sid/icd-10-nl", ICD10NL),
        ("urn:oid:2.16.840.1.113883.6.3.2", ICD10NL),
        ("http://terminology.hl7.org/CodeSystem/ICD10dut", ICD10NL),
        ("http://hl7.org/fhir/sid/icd-10-ca", ICD10CA),
        ("urn:oid:2.16.840.1.113883.6.94", ICD10CA),
        ("http://terminology.hl7.org/CodeSystem/icd10", ICD10),
        ("http://hl7.org/fhir/sid/icd-10-es", CIE10ES),
    ],
)
def test_edition_uris_and_oids(sent: str, canonical: str) -> None:
    assert canonical_system(sent) == canonical


@pytest.mark.parametrize(
    ("code", "normalised"),
    [
        ("C78.7", "C787"),
        ("C78.7*", "C787"),
        ("C49.2+", "C492"),
        ("C77.2!", "C772"),
        ("c49.4", "C494"),
    ],
)
def test_national_markers_are_not_part_of_the_code(code: str, normalised: str) -> None:
    assert normalise_code(ICD10GM, code) == normalised


@pytest.mark.parametrize(
    ("system", "code", "vs_id"),
    [
        (ICD10GM, "C49.2", "primary-sts"),
        (ICD10NL, "C49.4", "primary-sts"),
        (ICD10NL, "C49.4", "intra-abdominal-primary"),
        (ICD10CA, "C48.0", "primary-rps"),
        (ICD10NL, "C78.7", "metastasis-liver"),
        (ICD10GM, "C78.0", "metastasis-lung"),  # WHO C78.0 = CM C78.00-C78.02
        (ICD10CA, "C79.5", "metastasis-bone"),
        (ICD10GM, "C79.3", "metastasis-possible-leptomeningeal"),  # brain and meninges
        (ICD10NL, "K74.6", "hcc-risk-factor"),  # CM K74.60 / K74.69
        (ICD10GM, "K70.3", "hcc-risk-factor"),
        (CIE10ES, "C78.01", "metastasis-lung"),  # CIE-10-ES is ICD-10-CM in Spanish
        (CIE10ES, "C49.A2", "gist"),
    ],
)
def test_editions_share_the_value_sets(
    valuesets: ValueSets, system: str, code: str, vs_id: str
) -> None:
    assert valuesets[vs_id].contains(system, code)


def test_gist_is_still_excluded_and_national_subdivisions_are_not_guessed(
    valuesets: ValueSets,
) -> None:
    assert not valuesets["primary-sts"].contains(CIE10ES, "C49.A2")
    # A national fifth character (ICD-10-GM C79.83, pericardium) is not read as WHO C79.8.
    # (neoplasm-any only notices cancer codes to keep a "no" honest; it decides nothing.)
    deciding = [i for i in valuesets.ids() if i not in {"neoplasm-any", "antineoplastic-any"}]
    assert not any(valuesets[i].contains(ICD10GM, "C79.83") for i in deciding)
    # WHO Z85.0 (history of any digestive cancer) is not colorectal-specific.
    assert not valuesets["colorectal-cancer"].contains(ICD10NL, "Z85.0")
