"""The IDEA4RC generator on a small FSH sample written for this test (CI has no copy of the IG):
aliases, comments, inclusions, histology-of-site names, per-site supplements, ECOG values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sarcoma_cds.clinical.valuesets import ValueSets
from sarcoma_cds.terminology.fsh import parse_value_sets, read_aliases, strip_comments
from sarcoma_cds.terminology.idea4rc_generate import (
    GenerationError,
    generate,
    main,
    split_name,
)

ATHENA = "http://fhir.ohdsi.org/CodeSystem/concepts"
ATC = "http://www.whocc.no/atc"

ALIASES = """
Alias: $athena = http://fhir.ohdsi.org/CodeSystem/concepts // http://athena.ohdsi.org
Alias: $atc = http://www.whocc.no/atc
Alias: $cs-idea4rc-vocab-eu-i4rc = http://hl7.eu/fhir/ig/idea4rc/CodeSystem/cs-idea4rc-vocab-eu-i4rc
"""

SOFT = "connective, Subcutaneous and other soft tissues of"
DIAGNOSES = f"""
ValueSet: CancerDiagnosisVS
Id: cancer-diagnosis-athena-vs
Title: "Cancer Diagnosis: Athena"
* codes from valueset SarcomeListVS

ValueSet: SarcomeListVS
Id: sarcome-list-athena-vs
Title: "Sarcome List: Athena"
* ^experimental = false
* $athena#111 "Leiomyosarcoma, NOS, of retroperitoneum"
* $athena#222 "Synovial sarcoma, NOS, of {SOFT} lower limb and hip"
// * $athena#333 "Myxoid liposarcoma of liver"
/* a retired block
* $athena#444 "Myxoid liposarcoma of ovary"
*/
* $athena#555 "Giant cell tumor of soft parts, NOS, of {SOFT} thorax"
"""

OTHERS = """
ValueSet: MetastasisDisorderVS
Id: metastasis-disorder-athena-vs
* $athena#36770544  "Metastasis to liver"
* $athena#36770283  "Metastasis to lung"
* $athena#36769301  "Metastasis to bone"
* $athena#36768862  "Metastasis to brain"
* $athena#35225724  "Metastasis to soft tissues"
* $athena#36769269  "Regional spread to lymph node"
* $athena#36769243  "Distant spread to lymph node"
* $athena#35226258  "Metastasis to pleura"
* $athena#35226253  "Metastasis to peritoneum"
* $athena#36769180  "Metastasis"

ValueSet: VsSiteOfMetastasisI4rc
Id: site-of-metastasis-i4rc
* $athena#4241958 "Structure of lymph node"
* $athena#4213162 "Lung structure"
* $athena#4000496 "Bone part"
* $athena#4009105 "Liver structure"
* $athena#4150673 "Pleural structure"
* $athena#4035784 "Structure of serous membrane of peritoneum"
* $athena#4133034 "Brain structure"
* $athena#4129922 "unknown"

ValueSet: VsEcogI4rc
Id: ecog-i4rc
* $athena#4175026 "ECOG performance status - grade 0"
* $athena#4173614 "ECOG performance status - grade 1"
* $athena#4172043 "ECOG performance status - grade 2"
* $athena#4174241 "ECOG performance status - grade 3"
* $athena#4174251 "ECOG performance status - grade 4"
* $athena#4173456 "ECOG performance status - grade 5"

ValueSet: VsTreatmentResponseI4rc
Id: treatment-response-eu-i4rc
* $athena#32946 "Complete Remission"
* $athena#32947 "Partial Remission"
* $athena#32948 "Stable Disease"
* $athena#32949 "Progression"
* $athena#4294169 "Not applicable"

ValueSet: CancerEventTypeVS
Id: cancer-event-type-vs
//* $athena#4113134 "First episode"
* $athena#32946 "Complete Remission"
* $athena#32947 "Partial Remission"
* $athena#32949 "Progression"
* $athena#32948 "Stable disease"
* $cs-idea4rc-vocab-eu-i4rc#2000100002 "Recurrence"

ValueSet: VsSurgicalProcedureCategoryI4rc
Id: vs-surgicalProcedureCategory-eu-i4rc
* $athena#4301351 "Surgical procedure"
* $athena#4315400 "Local excision"
* $athena#4217482 "Amputation"

ValueSet: RegimenVS
Id: regimen-eu-i4rc
* $athena#35806965 "Doxorubicin and Ifosfamide"
* $athena#35806821 "ADT (other androgen deprivation therapy)"

ValueSet: VsI4rcAtcCodes
Id: drugsAtc-eu-i4rc
* $atc#L01DB01	"Doxorubicin"
* $atc#L01XE01	"Imatinib"
* $atc#L04AX03	"Methotrexate"
"""


def _ig(tmp_path: Path, diagnoses: str = DIAGNOSES) -> Path:
    root = tmp_path / "idea4rc"
    fsh = root / "input" / "fsh" / "terminologies"
    fsh.mkdir(parents=True)
    (root / "sushi-config.yaml").write_text("id: hl7.eu.fhir.idea4rc\nversion: 0.1.0\n")
    (root / "input" / "fsh" / "alias.fsh").write_text(ALIASES)
    (fsh / "diagnoses.fsh").write_text(diagnoses)
    (fsh / "others.fsh").write_text(OTHERS)
    return root


def test_comments_are_stripped_but_urls_kept() -> None:
    text = 'Alias: $a = http://x.org/y // a comment\n/* * $a#1 "gone" */\n* $a#2 "kept"'
    assert strip_comments(text) == 'Alias: $a = http://x.org/y \n\n* $a#2 "kept"'
    body = 'ValueSet: V\n/* * $a#1 "gone" */\n* $a#2 "kept" // two'
    vs = parse_value_sets({"f.fsh": body}, read_aliases({"a": text}))
    assert [(c.system, c.code, c.display) for c in vs["V"].concepts] == [
        ("http://x.org/y", "2", "kept")
    ]


def test_names_split_into_histology_and_site() -> None:
    assert split_name("Leiomyosarcoma, NOS, of retroperitoneum") == (
        "Leiomyosarcoma, NOS",
        "retroperitoneum",
    )
    assert split_name("Giant cell tumor of soft parts, NOS, of liver") == (
        "Giant cell tumor of soft parts, NOS",
        "liver",
    )
    assert split_name("Squamous cell carcinoma of maxillary sinus") is None


def test_generated_files_load_and_carry_the_facts(tmp_path: Path) -> None:
    out = tmp_path / "valuesets"
    out.mkdir()
    for curated in (Path(__file__).parents[2] / "cql-free-rules" / "valuesets").glob("*.yaml"):
        if not curated.stem.startswith("idea4rc-"):
            (out / curated.name).write_text(curated.read_text(encoding="utf-8"))
    (out / "idea4rc-stale.yaml").write_text("left by an older IG")
    assert main([str(_ig(tmp_path)), "--out", str(out)]) == 0
    assert not (out / "idea4rc-stale.yaml").exists()

    diagnoses = yaml.safe_load((out / "idea4rc-sarcoma-diagnosis.yaml").read_text())
    assert diagnoses["version"] == "idea4rc-0.1.0"
    assert (
        "IDEA4RC FHIR IG hl7.eu.fhir.idea4rc 0.1.0, ValueSet SarcomeListVS" in (diagnoses["source"])
    )
    assert diagnoses["concepts"] == {
        "111": {"display": "Leiomyosarcoma, NOS, of retroperitoneum",
                "morphology": "8890/3", "topography": "C48.0"},
        "222": {"display": "Synovial sarcoma, NOS, of connective, Subcutaneous and other soft "
                "tissues of lower limb and hip", "morphology": "9040/3", "topography": "C49.2"},
        "555": {"display": "Giant cell tumor of soft parts, NOS, of connective, Subcutaneous "
                "and other soft tissues of thorax", "morphology": "9251/1", "topography": "C49.3"},
    }  # fmt: skip

    vs = ValueSets.load_dir(out)
    assert vs["metastasis-liver"].contains(ATHENA, "36770544")
    assert vs["metastasis-generic"].contains(ATHENA, "36769180")
    assert vs["metastasis-lymph-node"].contains(ATHENA, "36769269")
    assert vs["bodysite-liver"].contains(ATHENA, "4009105")
    assert vs["bodysite-liver"].contains(ATHENA, "36770544")  # surgery on a liver metastasis
    assert not any(vs[i].contains(ATHENA, "4129922") for i in vs.ids())  # "unknown" site
    assert vs["response-improved"].contains(ATHENA, "32947")
    assert vs["response-progressed"].contains(ATHENA, "32949")
    assert vs["response-progressed"].contains(
        "http://hl7.eu/fhir/ig/idea4rc/CodeSystem/cs-idea4rc-vocab-eu-i4rc", "2000100002"
    )
    assert vs["ecog-answer"].values["4174241"] == 3
    assert vs["systemic-agent"].contains(ATHENA, "35806965")  # doxorubicin + ifosfamide
    assert not vs["systemic-agent"].contains(ATHENA, "35806821")  # androgen deprivation
    assert vs["systemic-agent"].contains(ATC, "L01DB01")
    assert not vs["systemic-agent"].contains(ATC, "L01XE01")  # imatinib: GIST only
    assert not vs["systemic-agent"].contains(ATC, "L04AX03")  # methotrexate, not L01
    # Surgery types that name no organ count like SNOMED's generic excision; amputation not.
    assert vs["excision-generic"].contains(ATHENA, "4301351")
    assert vs["excision-generic"].contains(ATHENA, "4315400")
    assert not vs["excision-generic"].contains(ATHENA, "4217482")
    concept = vs.concept(ATHENA, "111")
    assert concept is not None
    assert (concept.morphology, concept.topography) == ("8890/3", "C48.0")
    assert vs.concept(ATHENA, "444") is None  # commented out in the IG


def test_an_unknown_histology_term_is_named(tmp_path: Path) -> None:
    ig = _ig(tmp_path, DIAGNOSES + '* $athena#666 "Chordoma, NOS, of sacrum"\n')
    with pytest.raises(GenerationError, match="Chordoma"):
        generate(ig)


def test_a_concept_missing_by_name_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ig = _ig(tmp_path)
    others = (ig / "input/fsh/terminologies/others.fsh").read_text()
    (ig / "input/fsh/terminologies/others.fsh").write_text(
        others.replace('"Metastasis to liver"', '"Liver metastasis"')
    )
    assert main([str(ig), "--out", str(tmp_path)]) == 2
    assert "Metastasis to liver" in capsys.readouterr().err


def test_a_missing_ig_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nowhere"), "--out", str(tmp_path)]) == 2
    assert "sushi-config.yaml" in capsys.readouterr().err
