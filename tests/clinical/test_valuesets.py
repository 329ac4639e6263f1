"""Value sets as data: loading, strict validation with clear errors, and membership rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.support.fhir_data import ICD10, ICD10CM, ICD10CM_OID, ICDO3, LOINC, SNOMED

from sarcoma_cds.clinical.profile import required_valuesets
from sarcoma_cds.clinical.valuesets import ValueSetError, ValueSets, load_file
from sarcoma_cds.fhir.projection import Coding


def test_every_value_set_the_core_reads_is_shipped(valuesets: ValueSets) -> None:
    valuesets.require(required_valuesets())  # raises ValueSetError naming what is missing


def test_require_names_the_missing_value_sets(valuesets: ValueSets) -> None:
    with pytest.raises(ValueSetError, match="no-such-set"):
        valuesets.require(["primary-sts", "no-such-set"])


@pytest.mark.parametrize(
    ("vs_id", "system", "code", "member"),
    [
        ("metastasis-liver", ICD10CM, "C78.7", True),
        ("metastasis-liver", ICD10CM, "C787", True),
        ("metastasis-liver", ICD10CM_OID, "C78.7", True),
        ("metastasis-liver", ICD10, "C78.7", True),  # WHO ICD-10 matches the ICD-10-CM family
        ("metastasis-liver", SNOMED, "94381002.0", True),
        ("metastasis-liver", SNOMED, "94381002", True),
        ("metastasis-liver", LOINC, "C78.7", False),  # right code, wrong system
        ("primary-sts", ICD10CM, "C49.4", True),
        ("primary-sts", ICD10CM, "C49.9", True),
        ("primary-sts", ICD10CM, "C48.0", True),
        ("primary-sts", ICD10CM, "C47.1", True),
        ("primary-sts", ICD10CM, "C49.A2", False),  # GIST excluded
        ("primary-sts", ICD10CM, "C50.9", False),
        ("primary-rps", ICD10CM, "C48.0", True),
        ("gist", ICD10CM, "C49.A2", True),
        ("gist", ICD10CM, "C49A0", True),
        ("gist", SNOMED, "420120006", True),
        ("gist", ICDO3, "8936/3", True),
        ("gist", ICDO3, "8936/1", True),  # any behaviour
        ("gist", ICDO3, "M8936/3", True),
        ("sts-morphology", ICDO3, "8890/3", True),
        ("sts-morphology", ICDO3, "88903", True),
        ("sts-morphology", ICDO3, "M8890/3", True),
        ("sts-morphology", ICDO3, "8890/3 3", True),
        ("sts-morphology", ICDO3, "8890/0", False),  # leiomyoma: benign behaviour
        ("sts-morphology", ICDO3, "8936/3", False),  # GIST
        ("sts-morphology", ICDO3, "9140/3", False),  # Kaposi
        ("sts-morphology", ICDO3, "9050/3", False),  # mesothelioma
        ("malignant-primary", ICD10CM, "C55", True),
        ("malignant-primary", ICD10CM, "C54.1", True),
        ("malignant-primary", ICD10CM, "C78.7", False),
        ("histology-leiomyosarcoma", ICDO3, "8891/3", True),
        ("histology-myxoid-liposarcoma", ICDO3, "8852/3", True),
        ("histology-liposarcoma", ICDO3, "8852/3", False),
        ("histology-liposarcoma", ICDO3, "8858/3", True),
        ("metastasis-pericardial", ICD10CM, "I31.31", True),
        ("metastasis-generic", ICD10CM, "C79.9", True),
        ("metastasis-possible-leptomeningeal", ICD10CM, "C79.32", True),
        ("hcc-risk-factor", ICD10CM, "K74.60", True),
        ("hcc-risk-factor", ICD10CM, "B18.2", True),
        ("colorectal-cancer", ICD10CM, "C18.7", True),
        ("colorectal-cancer", ICD10CM, "Z85.038", True),
    ],
)
def test_membership(valuesets: ValueSets, vs_id: str, system: str, code: str, member: bool) -> None:
    assert valuesets[vs_id].contains(system, code) is member


def test_a_concept_matches_on_any_of_its_codings(valuesets: ValueSets) -> None:
    codings = [
        Coding(system="http://local/codes", code="LIV-MET"),
        Coding(system=SNOMED, code="94381002"),
    ]
    assert valuesets["metastasis-liver"].matches_any(codings)
    assert not valuesets["metastasis-liver"].matches_any(codings[:1])


def test_display_is_never_matched(valuesets: ValueSets) -> None:
    by_display = Coding(system=ICD10CM, code=None, display="C78.7")
    assert not valuesets["metastasis-liver"].matches_any([by_display])


def test_value_of_reads_ordinal_answers(valuesets: ValueSets) -> None:
    assert valuesets["ecog-answer"].value_of([Coding(system=LOINC, code="LA9623-5")]) == 1
    assert valuesets["asa-answer"].value_of([Coding(system=SNOMED, code="413497009.0")]) == 3
    assert valuesets["asa-answer"].value_of([Coding(system=SNOMED, code="1")]) is None


# --- strict loading: a site editing YAML gets an error naming the file and the place --------

GOOD = """\
id: {id}
version: "1"
title: "t"
source: "s"
include:
  - system: http://hl7.org/fhir/sid/icd-10-cm
    codes: ["C78.7"]
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_local_file_loads_and_matches(tmp_path: Path) -> None:
    _write(tmp_path, "local-liver", GOOD.format(id="local-liver"))
    sets = ValueSets.load_dir(tmp_path)
    assert sets.ids() == ["local-liver"]
    assert sets["local-liver"].contains(ICD10CM, "C787")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.format(id="other-name"), "differs from the file name"),
        (GOOD.format(id="bad") + "colour: red\n", "colour"),
        (GOOD.format(id="bad").replace("icd-10-cm", "icd-11"), "unknown code system"),
        (
            GOOD.format(id="bad").replace('codes: ["C78.7"]', 'ranges: [["C79", "C78"]]'),
            "empty",
        ),
        (
            GOOD.format(id="bad").replace(
                'codes: ["C78.7"]', 'codes: ["C78.7"]\n    behaviours: ["3"]'
            ),
            "behaviours apply only to ICD-O-3",
        ),
        (GOOD.format(id="bad").replace('    codes: ["C78.7"]\n', ""), "needs codes"),
        ("id: bad\n  - : [\n", "not valid YAML"),
    ],
)
def test_invalid_files_are_rejected_with_a_specific_message(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _write(tmp_path, "bad", text)
    with pytest.raises(ValueSetError, match=message) as err:
        load_file(path)
    assert str(path) in str(err.value)


def test_an_empty_or_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueSetError, match="no value-set files"):
        ValueSets.load_dir(tmp_path)
    with pytest.raises(ValueSetError, match="not found"):
        ValueSets.load_dir(tmp_path / "absent")
