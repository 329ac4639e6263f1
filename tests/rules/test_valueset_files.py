"""Value-set data files: schema, hygiene and coverage of every code in input-profile.md.

Membership is checked here with a small reference reading of the documented semantics
(normalised exact code, prefix, inclusive range, ICD-O-3 behaviour), independent of the
service's matcher, so that a data error is caught even before the matcher exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

VALUESET_DIR = Path(__file__).resolve().parents[2] / "cql-free-rules" / "valuesets"

CM = "http://hl7.org/fhir/sid/icd-10-cm"
WHO = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"
LNC = "http://loinc.org"
ICDO = "http://terminology.hl7.org/CodeSystem/icd-o-3"
PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
CPT = "http://www.ama-assn.org/go/cpt"
RADLEX = "http://www.radlex.org"
LOCAL = "http://example.org/fhir/sarcoma-cds/CodeSystem/sts-liver"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
AJCC = "http://cancerstaging.org"
ALLOWED_SYSTEMS = {CM, WHO, SCT, LNC, ICDO, PCS, CPT, RADLEX, LOCAL, RXNORM, ATC, AJCC}

TOP_KEYS = {"id", "version", "title", "source", "include", "exclude", "values", "concepts"}
REQUIRED_TOP_KEYS = {"id", "version", "title", "source", "include"}
ENTRY_KEYS = {"system", "codes", "prefixes", "ranges", "behaviours", "source"}

EXPECTED_IDS = {
    # Conditions
    "primary-sts", "primary-rps", "intra-abdominal-primary", "malignant-primary",
    "metastatic-sarcoma", "sts-history", "gist", "sts-morphology",
    "histology-leiomyosarcoma", "histology-myxoid-liposarcoma", "histology-liposarcoma",
    "histology-asps", "histology-clear-cell-sarcoma", "histology-angiosarcoma",
    "histology-synovial-sarcoma", "histology-epithelioid-sarcoma",
    "histology-rhabdomyosarcoma", "histology-ups",
    "metastasis-liver", "metastasis-lung", "metastasis-bone", "metastasis-lymph-node",
    "metastasis-brain", "metastasis-adrenal", "metastasis-soft-tissue", "metastasis-other",
    "metastasis-peritoneal", "metastasis-retroperitoneum-or-peritoneum",
    "metastasis-retroperitoneal", "metastasis-pleural", "metastasis-pericardial",
    "metastasis-leptomeningeal", "metastasis-possible-leptomeningeal", "metastasis-generic",
    "secondary-any",
    "bodysite-liver", "bodysite-lung", "bodysite-bone", "bodysite-lymph-node",
    "bodysite-peritoneum", "bodysite-pericardium", "bodysite-retroperitoneum",
    "bodysite-brain", "bodysite-pleura", "bodysite-adrenal",
    "hcc-risk-factor", "colorectal-cancer", "systemic-therapy-condition",
    "not-surgical-candidate",
    # Observations
    "tumor-size", "tumor-longest-dimension", "lesion-count", "bilobar", "central-location",
    "vascular-involvement", "future-liver-remnant", "ecog", "ecog-answer", "karnofsky",
    "asa", "asa-answer", "disease-status", "response-improved", "response-partial",
    "response-complete", "response-stable",
    "response-progressed", "response-undetermined", "histology-observation",
    # Procedures
    "liver-resection", "liver-resection-major", "liver-ablation", "liver-embolisation",
    "liver-sbrt", "radiotherapy-course", "systemic-therapy", "primary-resection",
    "liver-biopsy", "portal-vein-embolisation", "imaging-ct-abdomen", "imaging-ct-chest",
    "imaging-liver-mri", "imaging-mri", "imaging-pet-ct", "imaging-brain-mri",
    "imaging-spine-mri",
    # Real-world shapes (issue 12): medications, mCODE staging, honesty sets
    "systemic-agent", "antineoplastic-any", "neoplasm-any", "tnm-distant-metastasis",
    "tnm-m1", "tnm-stage-group", "stage-iv", "history-metastatic-cancer",
    "history-metastatic-liver", "excision-generic",
}  # fmt: skip

BODY_SITES_NOT_IN_PROFILE = {
    "bodysite-retroperitoneum", "bodysite-brain", "bodysite-pleura", "bodysite-adrenal",
}  # fmt: skip


def _files() -> list[Path]:
    """The curated files; the generated IDEA4RC files are checked below."""
    return sorted(p for p in VALUESET_DIR.glob("*.yaml") if not p.stem.startswith("idea4rc-"))


def _generated() -> list[Path]:
    return sorted(VALUESET_DIR.glob("idea4rc-*.yaml"))


def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict), path.name
    return data


def _all() -> dict[str, dict[str, Any]]:
    return {path.stem: _load(path) for path in _files()}


def _entries(valueset: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(part, e) for part in ("include", "exclude") for e in valueset.get(part, [])]


# --- reference reading of the documented matching semantics --------------------------------


def _normalise(system: str, code: str) -> str:
    if system in (CM, WHO):
        return code.replace(".", "").upper()
    if system == SCT:
        return code.removesuffix(".0")
    return code


def _split_morphology(code: str) -> tuple[str, str | None]:
    morph, _, behaviour = code.partition("/")
    return morph, behaviour or None


def _entry_matches(entry: dict[str, Any], system: str, code: str) -> bool:
    entry_system = entry["system"]
    # An ICD-10-CM entry also matches the same code sent as WHO ICD-10.
    if entry_system != system and not (entry_system == CM and system == WHO):
        return False
    if system == ICDO:
        morph, behaviour = _split_morphology(code)
        allowed = entry.get("behaviours")
        if allowed is not None and behaviour not in allowed:
            return False
        for listed in entry.get("codes", []):
            listed_morph, listed_behaviour = _split_morphology(listed)
            if listed_morph == morph and listed_behaviour in (None, behaviour):
                return True
        return any(low <= morph <= high for low, high in entry.get("ranges", []))
    norm = _normalise(system, code)
    if any(_normalise(entry_system, c) == norm for c in entry.get("codes", [])):
        return True
    if any(norm.startswith(_normalise(entry_system, p)) for p in entry.get("prefixes", [])):
        return True
    return any(
        _normalise(entry_system, low) <= norm <= _normalise(entry_system, high)
        for low, high in entry.get("ranges", [])
    )


def _contains(valueset: dict[str, Any], system: str, code: str) -> bool:
    included = any(_entry_matches(e, system, code) for e in valueset["include"])
    excluded = any(_entry_matches(e, system, code) for e in valueset.get("exclude", []))
    return included and not excluded


# --- file hygiene ---------------------------------------------------------------------------


def test_exactly_the_expected_files_exist() -> None:
    assert {path.stem for path in _files()} == EXPECTED_IDS


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_file_follows_the_schema(path: Path) -> None:
    data = _load(path)
    assert data["id"] == path.stem
    assert set(data) <= TOP_KEYS
    assert set(data) >= REQUIRED_TOP_KEYS
    assert re.fullmatch(r"20\d\d\.(0[1-9]|1[0-2])\.\d+", data["version"])  # year.month.revision
    assert isinstance(data["title"], str)
    assert data["title"].strip()
    assert isinstance(data["source"], str)
    assert len(data["source"]) > 20
    assert isinstance(data["include"], list)
    assert data["include"]
    for part, entry in _entries(data):
        assert set(entry) <= ENTRY_KEYS, (part, entry)
        if "source" in entry:
            assert isinstance(entry["source"], str)
            assert len(entry["source"]) > 20
        assert entry["system"] in ALLOWED_SYSTEMS, entry["system"]
        assert set(entry) & {"codes", "prefixes", "ranges"}, entry
        for kind in ("codes", "prefixes", "behaviours"):
            values = entry.get(kind, [])
            assert isinstance(values, list)
            assert all(isinstance(v, str) and v.strip() == v and v for v in values), entry
        if "behaviours" in entry:
            assert entry["system"] == ICDO
            assert set(entry["behaviours"]) <= {"0", "1", "2", "3", "6", "9"}
    # A concept's name (the agent of an RxNorm product code) names only a code the file lists.
    listed = {c for _, entry in _entries(data) for c in entry.get("codes", [])}
    for code, concept in data.get("concepts", {}).items():
        assert code in listed, code
        assert set(concept) == {"display"} and concept["display"].strip(), (code, concept)


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_ranges_are_ordered_pairs(path: Path) -> None:
    for _, entry in _entries(_load(path)):
        for pair in entry.get("ranges", []):
            assert isinstance(pair, list)
            assert len(pair) == 2, pair
            low, high = (_normalise(entry["system"], c) for c in pair)
            assert low <= high, pair
            if entry["system"] == ICDO:
                assert len(low) == len(high) == 4, pair
                assert low.isdigit(), pair
                assert high.isdigit(), pair


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_no_duplicate_codes_within_a_file(path: Path) -> None:
    for part in ("include", "exclude"):
        seen: set[tuple[str, str, str]] = set()
        for entry in _load(path).get(part, []):
            for kind in ("codes", "prefixes"):
                for code in entry.get(kind, []):
                    key = (entry["system"], kind, _normalise(entry["system"], code))
                    assert key not in seen, (part, key)
                    seen.add(key)
            for low, high in entry.get("ranges", []):
                key = (entry["system"], "range", f"{low}..{high}")
                assert key not in seen, (part, key)
                seen.add(key)


@pytest.mark.parametrize("path", _files(), ids=lambda p: p.stem)
def test_values_map_listed_codes_to_numbers(path: Path) -> None:
    data = _load(path)
    values = data.get("values")
    if values is None:
        return
    listed = {c for e in data["include"] for c in e.get("codes", [])}
    assert set(values) == listed
    assert all(isinstance(v, int) and not isinstance(v, bool) for v in values.values())


def test_ordinal_answers_are_in_order() -> None:
    sets = _all()
    assert sets["ecog-answer"]["values"] == {
        "LA9622-7": 0, "LA9623-5": 1, "LA9624-3": 2,
        "LA9625-0": 3, "LA9626-8": 4, "LA9627-6": 5,
    }  # fmt: skip
    assert sets["asa-answer"]["values"] == {
        "413495001": 1, "413496000": 2, "413497009": 3, "413498004": 4, "413499007": 5,
    }  # fmt: skip


def _code_keys(valueset: dict[str, Any]) -> set[tuple[str, str, str]]:
    keys: set[tuple[str, str, str]] = set()
    for entry in valueset["include"]:
        for kind in ("codes", "prefixes"):
            keys |= {(entry["system"], kind, c) for c in entry.get(kind, [])}
        keys |= {(entry["system"], "range", f"{lo}..{hi}") for lo, hi in entry.get("ranges", [])}
    return keys


def test_secondary_any_is_the_union_of_the_metastasis_sets() -> None:
    sets = _all()
    union: set[tuple[str, str, str]] = set()
    for set_id, data in sets.items():
        if set_id.startswith("metastasis-"):
            assert "exclude" not in data, set_id
            union |= _code_keys(data)
    assert _code_keys(sets["secondary-any"]) == union
    assert "exclude" not in sets["secondary-any"]


def test_sources_flag_unverified_additions() -> None:
    sets = _all()
    for set_id in BODY_SITES_NOT_IN_PROFILE:
        assert "added, unverified" in sets[set_id]["source"].lower(), set_id
    assert "our reading" in sets["intra-abdominal-primary"]["source"].lower()
    assert "added" in sets["metastasis-other"]["source"].lower()
    for set_id, data in sets.items():
        systems = {e["system"] for _, e in _entries(data)}
        if SCT in systems:
            assert "not verified against a licensed release" in data["source"], set_id


# --- every code of input-profile.md lands in the right value set ---------------------------

PROFILE_CODES: list[tuple[str, str, str]] = [
    # Primary STS
    ("C49.0", CM, "primary-sts"), ("C49.9", CM, "primary-sts"), ("C49.12", CM, "primary-sts"),
    ("C490", CM, "primary-sts"), ("C49.4", WHO, "primary-sts"),
    ("C48.0", CM, "primary-sts"), ("C48.0", CM, "primary-rps"), ("C48.1", CM, "primary-sts"),
    ("C48.2", CM, "primary-sts"), ("C48.8", CM, "primary-sts"), ("C47.4", CM, "primary-sts"),
    ("C47.0", CM, "primary-sts"), ("424413001", SCT, "primary-sts"),
    ("372010005", SCT, "primary-sts"), ("443719001", SCT, "primary-sts"),
    ("302851001", SCT, "primary-sts"), ("302847003", SCT, "primary-sts"),
    ("187999008", SCT, "primary-sts"), ("94057003", SCT, "primary-sts"),
    ("423812005", SCT, "primary-sts"), ("424413001.0", SCT, "primary-sts"),
    ("C54.1", CM, "malignant-primary"), ("C55", CM, "malignant-primary"),
    ("C76.8", CM, "malignant-primary"), ("363346000", SCT, "malignant-primary"),
    ("C54.1", CM, "intra-abdominal-primary"), ("C48.0", CM, "intra-abdominal-primary"),
    ("C49.4", CM, "intra-abdominal-primary"), ("C18.7", CM, "intra-abdominal-primary"),
    ("443144000", SCT, "metastatic-sarcoma"), ("Z85.831", CM, "sts-history"),
    # STS morphology and GIST
    ("8890/3", ICDO, "sts-morphology"), ("8800/3", ICDO, "sts-morphology"),
    ("8921/3", ICDO, "sts-morphology"), ("8963/3", ICDO, "sts-morphology"),
    ("8991/3", ICDO, "sts-morphology"), ("9044/3", ICDO, "sts-morphology"),
    ("9138/3", ICDO, "sts-morphology"), ("9175/3", ICDO, "sts-morphology"),
    ("9252/3", ICDO, "sts-morphology"), ("9260/3", ICDO, "sts-morphology"),
    ("9365/3", ICDO, "sts-morphology"), ("9540/3", ICDO, "sts-morphology"),
    ("9560/3", ICDO, "sts-morphology"), ("9571/3", ICDO, "sts-morphology"),
    ("9581/6", ICDO, "sts-morphology"),
    ("C49.A0", CM, "gist"), ("C49.A9", CM, "gist"), ("420120006", SCT, "gist"),
    ("8936/3", ICDO, "gist"), ("8936/1", ICDO, "gist"),
    # Histology categories
    ("8890/3", ICDO, "histology-leiomyosarcoma"), ("8896/3", ICDO, "histology-leiomyosarcoma"),
    ("443719001", SCT, "histology-leiomyosarcoma"),
    ("8852/3", ICDO, "histology-myxoid-liposarcoma"),
    ("8850/3", ICDO, "histology-liposarcoma"), ("8858/3", ICDO, "histology-liposarcoma"),
    ("9581/3", ICDO, "histology-asps"), ("9044/3", ICDO, "histology-clear-cell-sarcoma"),
    ("9120/3", ICDO, "histology-angiosarcoma"), ("254794007", SCT, "histology-angiosarcoma"),
    ("9041/3", ICDO, "histology-synovial-sarcoma"),
    ("302851001", SCT, "histology-synovial-sarcoma"),
    ("8804/3", ICDO, "histology-epithelioid-sarcoma"),
    ("8910/3", ICDO, "histology-rhabdomyosarcoma"),
    ("302847003", SCT, "histology-rhabdomyosarcoma"), ("8830/3", ICDO, "histology-ups"),
    # Metastases by site
    ("C78.7", CM, "metastasis-liver"), ("C787", CM, "metastasis-liver"),
    ("94381002", SCT, "metastasis-liver"),
    ("C78.00", CM, "metastasis-lung"), ("C78.01", CM, "metastasis-lung"),
    ("C78.02", CM, "metastasis-lung"), ("C78.0", WHO, "metastasis-lung"),
    ("94391008", SCT, "metastasis-lung"),
    ("C79.51", CM, "metastasis-bone"), ("C79.52", CM, "metastasis-bone"),
    ("94222008", SCT, "metastasis-bone"), ("94602001", SCT, "metastasis-bone"),
    ("C77.0", CM, "metastasis-lymph-node"), ("C77.9", CM, "metastasis-lymph-node"),
    ("C77.2", CM, "metastasis-lymph-node"), ("94392001", SCT, "metastasis-lymph-node"),
    ("94397007", SCT, "metastasis-lymph-node"), ("94351005", SCT, "metastasis-lymph-node"),
    ("94347008", SCT, "metastasis-lymph-node"), ("94350006", SCT, "metastasis-lymph-node"),
    ("C79.31", CM, "metastasis-brain"), ("94225005", SCT, "metastasis-brain"),
    ("94243009", SCT, "metastasis-brain"),
    ("C79.70", CM, "metastasis-adrenal"), ("C79.72", CM, "metastasis-adrenal"),
    ("94161006", SCT, "metastasis-adrenal"), ("94264008", SCT, "metastasis-soft-tissue"),
    ("C79.89", CM, "metastasis-other"), ("C79.01", CM, "metastasis-other"),
    ("C79.2", CM, "metastasis-other"), ("C79.81", CM, "metastasis-other"),
    ("94627008", SCT, "metastasis-peritoneal"), ("R18.0", CM, "metastasis-peritoneal"),
    ("236005001", SCT, "metastasis-peritoneal"),
    ("C78.6", CM, "metastasis-retroperitoneum-or-peritoneum"),
    ("94628003", SCT, "metastasis-retroperitoneal"),
    ("C78.2", CM, "metastasis-pleural"), ("94493005", SCT, "metastasis-pleural"),
    ("J91.0", CM, "metastasis-pleural"), ("860792009", SCT, "metastasis-pleural"),
    ("I31.31", CM, "metastasis-pericardial"), ("230156002", SCT, "metastasis-leptomeningeal"),
    ("C79.32", CM, "metastasis-possible-leptomeningeal"),
    ("C79.49", CM, "metastasis-possible-leptomeningeal"),
    ("C79.9", CM, "metastasis-generic"), ("C80.0", CM, "metastasis-generic"),
    ("C79.9", WHO, "metastasis-generic"), ("C80.0", WHO, "metastasis-generic"),
    ("128462008", SCT, "metastasis-generic"), ("405843009", SCT, "metastasis-generic"),
    ("C78.7", CM, "secondary-any"), ("C78.6", CM, "secondary-any"),
    ("C77.5", CM, "secondary-any"), ("230156002", SCT, "secondary-any"),
    # Body sites
    ("10200004", SCT, "bodysite-liver"), ("39607008", SCT, "bodysite-lung"),
    ("119186007", SCT, "bodysite-bone"), ("59441001", SCT, "bodysite-lymph-node"),
    ("118762006", SCT, "bodysite-peritoneum"), ("76848001", SCT, "bodysite-pericardium"),
    # HCC risk factors, colorectal cancer, systemic therapy, surgical candidacy
    ("K74.60", CM, "hcc-risk-factor"), ("K74.69", CM, "hcc-risk-factor"),
    ("K70.30", CM, "hcc-risk-factor"), ("K70.31", CM, "hcc-risk-factor"),
    ("K74.3", CM, "hcc-risk-factor"), ("K74.4", CM, "hcc-risk-factor"),
    ("K74.5", CM, "hcc-risk-factor"), ("B18.0", CM, "hcc-risk-factor"),
    ("B18.1", CM, "hcc-risk-factor"), ("B18.2", CM, "hcc-risk-factor"),
    ("19943007", SCT, "hcc-risk-factor"), ("420054005", SCT, "hcc-risk-factor"),
    ("266468003", SCT, "hcc-risk-factor"), ("419728003", SCT, "hcc-risk-factor"),
    ("89580002", SCT, "hcc-risk-factor"), ("1761006", SCT, "hcc-risk-factor"),
    ("61977001", SCT, "hcc-risk-factor"), ("186639003", SCT, "hcc-risk-factor"),
    ("66071002", SCT, "hcc-risk-factor"), ("235871004", SCT, "hcc-risk-factor"),
    ("128302006", SCT, "hcc-risk-factor"), ("50711007", SCT, "hcc-risk-factor"),
    ("235872006", SCT, "hcc-risk-factor"),
    ("C18.0", CM, "colorectal-cancer"), ("C18.9", CM, "colorectal-cancer"),
    ("C19", CM, "colorectal-cancer"), ("C20", CM, "colorectal-cancer"),
    ("Z85.038", CM, "colorectal-cancer"), ("Z85.048", CM, "colorectal-cancer"),
    ("Z85.030", CM, "colorectal-cancer"), ("Z85.040", CM, "colorectal-cancer"),
    ("429699009", SCT, "colorectal-cancer"), ("363406005", SCT, "colorectal-cancer"),
    ("363510005", SCT, "colorectal-cancer"), ("363414004", SCT, "colorectal-cancer"),
    ("254582000", SCT, "colorectal-cancer"), ("93761005", SCT, "colorectal-cancer"),
    ("109838007", SCT, "colorectal-cancer"), ("269533000", SCT, "colorectal-cancer"),
    ("Z51.11", CM, "systemic-therapy-condition"), ("Z92.21", CM, "systemic-therapy-condition"),
    ("not-surgical-candidate", LOCAL, "not-surgical-candidate"),
    # Observations
    ("21889-1", LNC, "tumor-size"), ("33728-7", LNC, "tumor-longest-dimension"),
    ("lesion-count", LOCAL, "lesion-count"), ("bilobar", LOCAL, "bilobar"),
    ("central-location", LOCAL, "central-location"),
    ("vascular-involvement", LOCAL, "vascular-involvement"),
    ("future-liver-remnant", LOCAL, "future-liver-remnant"),
    ("89247-1", LNC, "ecog"), ("LA9622-7", LNC, "ecog-answer"), ("LA9627-6", LNC, "ecog-answer"),
    ("89243-0", LNC, "karnofsky"), ("302132005", SCT, "asa"),
    ("413495001", SCT, "asa-answer"), ("413499007", SCT, "asa-answer"),
    ("97509-4", LNC, "disease-status"), ("268910001", SCT, "response-improved"),
    ("RID11511", RADLEX, "response-improved"), ("RID11513", RADLEX, "response-improved"),
    ("359746009", SCT, "response-stable"), ("RID11514", RADLEX, "response-stable"),
    ("271299001", SCT, "response-progressed"), ("RID11515", RADLEX, "response-progressed"),
    ("709137006", SCT, "response-undetermined"), ("31206-6", LNC, "histology-observation"),
    # Procedures
    ("107963000", SCT, "liver-resection"), ("0FB00ZZ", PCS, "liver-resection"),
    ("0FB03ZZ", PCS, "liver-resection"), ("0FB04ZZ", PCS, "liver-resection"),
    ("0FB10ZZ", PCS, "liver-resection"), ("0FB20ZZ", PCS, "liver-resection"),
    ("0FT10ZZ", PCS, "liver-resection"), ("0FT24ZZ", PCS, "liver-resection"),
    ("47120", CPT, "liver-resection"), ("47130", CPT, "liver-resection"),
    ("0FT10ZZ", PCS, "liver-resection-major"), ("0FT20ZZ", PCS, "liver-resection-major"),
    ("0FT14ZZ", PCS, "liver-resection-major"), ("0FT24ZZ", PCS, "liver-resection-major"),
    ("47122", CPT, "liver-resection-major"), ("47125", CPT, "liver-resection-major"),
    ("47130", CPT, "liver-resection-major"),
    ("0F500ZZ", PCS, "liver-ablation"), ("0F503ZZ", PCS, "liver-ablation"),
    ("0F504ZZ", PCS, "liver-ablation"), ("0F503Z3", PCS, "liver-ablation"),
    ("0F503ZF", PCS, "liver-ablation"), ("47370", CPT, "liver-ablation"),
    ("47371", CPT, "liver-ablation"), ("47380", CPT, "liver-ablation"),
    ("47381", CPT, "liver-ablation"), ("47382", CPT, "liver-ablation"),
    ("47383", CPT, "liver-ablation"),
    ("04L33DZ", PCS, "liver-embolisation"), ("37243", CPT, "liver-embolisation"),
    ("79445", CPT, "liver-embolisation"), ("77373", CPT, "liver-sbrt"),
    ("1217123003", SCT, "radiotherapy-course"), ("367336001", SCT, "systemic-therapy"),
    ("370611004", SCT, "primary-resection"), ("56361007", SCT, "primary-resection"),
    ("86259008", SCT, "liver-biopsy"), ("0FB03ZX", PCS, "liver-biopsy"),
    ("06L83DZ", PCS, "portal-vein-embolisation"), ("06L83ZZ", PCS, "portal-vein-embolisation"),
    ("79103-8", LNC, "imaging-ct-abdomen"), ("74160", CPT, "imaging-ct-abdomen"),
    ("74177", CPT, "imaging-ct-abdomen"), ("24627-2", LNC, "imaging-ct-chest"),
    ("71260", CPT, "imaging-ct-chest"), ("74183", CPT, "imaging-liver-mri"),
    ("113091000", SCT, "imaging-mri"), ("443271005", SCT, "imaging-pet-ct"),
    ("44139-4", LNC, "imaging-pet-ct"), ("78815", CPT, "imaging-pet-ct"),
    ("78816", CPT, "imaging-pet-ct"), ("24590-2", LNC, "imaging-brain-mri"),
    ("70553", CPT, "imaging-brain-mri"), ("18756-7", LNC, "imaging-spine-mri"),
    ("72156", CPT, "imaging-spine-mri"), ("72157", CPT, "imaging-spine-mri"),
    ("72158", CPT, "imaging-spine-mri"),
]  # fmt: skip

# (code, system, value set that must NOT contain it): the tricky boundaries.
PROFILE_NON_MEMBERS: list[tuple[str, str, str]] = [
    ("C49.A0", CM, "primary-sts"), ("C49.A9", CM, "primary-sts"), ("C49A0", CM, "primary-sts"),
    ("8936/3", ICDO, "sts-morphology"), ("8936/1", ICDO, "sts-morphology"),
    ("9140/3", ICDO, "sts-morphology"), ("9050/3", ICDO, "sts-morphology"),
    ("9055/3", ICDO, "sts-morphology"), ("8890/0", ICDO, "sts-morphology"),
    ("8890/1", ICDO, "sts-morphology"), ("8890/0", ICDO, "histology-leiomyosarcoma"),
    ("8852/3", ICDO, "histology-liposarcoma"), ("C78.7", CM, "primary-sts"),
    ("C77.0", CM, "malignant-primary"), ("C78.7", CM, "malignant-primary"),
    ("C79.9", CM, "malignant-primary"), ("C80.0", CM, "malignant-primary"),
    ("C48.1", CM, "primary-rps"), ("C49.0", CM, "primary-rps"),
    ("0FB10ZZ", PCS, "liver-resection-major"), ("47120", CPT, "liver-resection-major"),
    ("C79.31", CM, "metastasis-possible-leptomeningeal"),
    ("C79.32", CM, "metastasis-brain"),
]  # fmt: skip


def test_enough_profile_pairs() -> None:
    assert len(PROFILE_CODES) >= 60


@pytest.mark.parametrize(("code", "system", "set_id"), PROFILE_CODES)
def test_profile_code_is_in_its_value_set(code: str, system: str, set_id: str) -> None:
    assert _contains(_load(VALUESET_DIR / f"{set_id}.yaml"), system, code)


@pytest.mark.parametrize(("code", "system", "set_id"), PROFILE_NON_MEMBERS)
def test_boundary_code_is_kept_out(code: str, system: str, set_id: str) -> None:
    assert not _contains(_load(VALUESET_DIR / f"{set_id}.yaml"), system, code)


# Sets that only notice codes (a cancer code outside every deciding set), never decide a fact.
HONESTY_SETS = {"secondary-any", "neoplasm-any", "antineoplastic-any"}


def test_c78_6_is_only_in_the_ambiguous_set() -> None:
    holders = {
        set_id
        for set_id, data in _all().items()
        if set_id not in HONESTY_SETS and _contains(data, CM, "C78.6")
    }
    assert holders == {"metastasis-retroperitoneum-or-peritoneum"}


def test_gist_codes_are_in_gist_only() -> None:
    for code, system in (("C49.A0", CM), ("420120006", SCT), ("8936/3", ICDO)):
        holders = {sid for sid, data in _all().items() if _contains(data, system, code)}
        # C49.A0 is a malignant primary code too; that set only counts with an STS morphology.
        assert holders - {"malignant-primary", "intra-abdominal-primary"} - HONESTY_SETS == {
            "gist"
        }, code


def test_each_site_code_maps_to_one_site() -> None:
    site_sets = {
        sid: data
        for sid, data in _all().items()
        if sid.startswith("metastasis-") or sid.startswith("bodysite-")
    }
    for code, system, set_id in PROFILE_CODES:
        if not (set_id.startswith("metastasis-") or set_id.startswith("bodysite-")):
            continue
        holders = {sid for sid, data in site_sets.items() if _contains(data, system, code)}
        assert holders == {set_id}, (code, holders)


# --- generated IDEA4RC files ----------------------------------------------------------------

ATHENA = "http://fhir.ohdsi.org/CodeSystem/concepts"
ATC = "http://www.whocc.no/atc"
IDEA4RC_LOCAL = "http://hl7.eu/fhir/ig/idea4rc/CodeSystem/cs-idea4rc-vocab-eu-i4rc"


def test_generated_files_exist() -> None:
    ids = {p.stem for p in _generated()}
    assert {"idea4rc-sarcoma-diagnosis", "idea4rc-metastasis-liver", "idea4rc-ecog-answer",
            "idea4rc-systemic-agent", "idea4rc-excision-generic",
            "idea4rc-response-progressed"} <= ids  # fmt: skip


@pytest.mark.parametrize("path", _generated(), ids=lambda p: p.stem)
def test_generated_file_names_its_source_and_every_concept(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("# Generated by")
    data = _load(path)
    assert data["id"] == path.stem
    assert data["version"] == "idea4rc-0.1.0"
    assert "IDEA4RC FHIR IG hl7.eu.fhir.idea4rc 0.1.0" in data["source"]
    if "supplements" in data:
        assert data["supplements"] in EXPECTED_IDS
    codes = [c for e in data["include"] for c in e["codes"]]
    assert {e["system"] for e in data["include"]} <= {ATHENA, ATC, IDEA4RC_LOCAL}
    assert len(codes) == len(set(codes))
    assert set(data["concepts"]) == set(codes)
    assert all(c["display"].strip() for c in data["concepts"].values())
