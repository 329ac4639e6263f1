"""Issue 21's acceptance test: each European example (IDEA4RC, national registry) gets the same
facts and cards as the same patient coded the US way (ICD-10-CM, SNOMED CT, LOINC, RxNorm,
mCODE), kept beside it as data in `fhir-examples/twins/` under the same file name; and nothing
is known-"no" that the European record contradicts."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from tests.conftest import EXAMPLES, card_topics, load_example, load_manifest

from sarcoma_cds.pipeline import Engine

TWINS = EXAMPLES / "twins"
MANIFEST = {e["file"]: e for e in load_manifest()}
FILES = sorted(p.name for p in TWINS.glob("*.json"))


def test_every_european_example_has_its_twin_and_only_those() -> None:
    european = {e["file"] for e in MANIFEST.values() if e["encoding"] in ("registry", "idea4rc")}
    assert len(european) == 5
    assert set(FILES) == european


def _cards(cards: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a card says, without the resource ids and labels that differ between encodings."""
    out = []
    for c in cards:
        ext = c["extension"]["org.sarcoma-cds"]
        recs = tuple(ext.get("recommendations", ()))
        out.append((tuple(card_topics(c)), c["indicator"], recs, _drug_names(c["summary"])))
    return sorted(out)


def _facts(profile: Any) -> dict[str, tuple[str, Any]]:
    return {
        name: (fact.state.value, _drug_names(list(v) if isinstance(v := fact.value, tuple) else v))
        for name, fact in profile.facts.items()
    }


def _drug_names(value: Any) -> Any:
    """A line's name is the record's own wording: the Athena regimen "Doxorubicin and
    Ifosfamide" is the twin's "doxorubicin + ifosfamide" (one administration per drug)."""
    return value.lower().replace(" and ", " + ") if isinstance(value, str) else value


@pytest.mark.parametrize("name", FILES)
def test_each_twin_is_valid_fhir_about_its_patient(name: str) -> None:
    """The twins are data like the examples: a patient-view request whose every resource is
    valid FHIR R4 (R4B models) and about the context patient."""
    twin = json.loads((TWINS / name).read_text(encoding="utf-8"))
    assert twin["hook"] == "patient-view"
    pid = twin["context"]["patientId"]
    assert pid == load_example(name)["context"]["patientId"]
    resources = _resources(twin)
    assert {r["resourceType"] for r in resources} >= {"Patient", "Condition"}
    for r in resources:
        model = get_fhir_model_class(r["resourceType"]).model_validate(r)
        assert model.get_resource_type() == r["resourceType"]
        if r["resourceType"] == "Patient":
            assert r["id"] == pid
        else:
            assert r["subject"]["reference"] == f"Patient/{pid}"


@pytest.mark.parametrize("name", FILES)
def test_european_record_and_its_us_twin_agree(engine: Engine, name: str) -> None:
    entry = MANIFEST[name]
    today = date.fromisoformat(entry["today"])
    request = load_example(name)
    european = engine.evaluate(request["context"]["patientId"], request["prefetch"], today)
    twin_request = json.loads((TWINS / name).read_text(encoding="utf-8"))
    twin = engine.evaluate(twin_request["context"]["patientId"], twin_request["prefetch"], today)
    assert european.profile is not None and twin.profile is not None
    assert european.profile.data_gaps == twin.profile.data_gaps
    assert _facts(european.profile) == _facts(twin.profile)
    ours, theirs = _cards(european.cards_json()), _cards(twin.cards_json())
    assert [c[:3] for c in ours] == [c[:3] for c in theirs]
    for a, b in zip(ours, theirs, strict=True):
        # A summary is cut at the CDS Hooks length with "…": the regimen's own (longer) name
        # may cut it earlier; up to the cut the words are the same.
        x, y = a[3].removesuffix("…"), b[3].removesuffix("…")
        assert x.startswith(y) or y.startswith(x), (a[3], b[3])


def _resources(request: dict[str, Any]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for value in request["prefetch"].values():
        for e in value.get("entry", ()) if value.get("resourceType") == "Bundle" else [value]:
            r = e.get("resource", e)
            seen[f"{r['resourceType']}/{r.get('id')}"] = r
    return list(seen.values())


@pytest.mark.parametrize("name", FILES)
def test_nothing_known_no_that_the_record_contradicts(engine: Engine, name: str) -> None:
    """What the European record itself says, read from its resources, is never a known "no":
    a sarcoma and a liver metastasis; a surgery whose reason is the primary; a partOf child on
    "Metastasis to liver"; a systemic-therapy administration and its outcome; an episode's
    progression."""
    entry = MANIFEST[name]
    request = load_example(name)
    profile = engine.evaluate(
        request["context"]["patientId"], request["prefetch"], date.fromisoformat(entry["today"])
    ).profile
    assert profile is not None
    assert profile["sts"].value is True
    assert profile["liver_metastasis_ever"].value is True
    resources = _resources(request)
    kinds = {r["resourceType"] for r in resources}
    procedures = [r for r in resources if r["resourceType"] == "Procedure"]
    primaries = {
        f"urn:uuid:{r['id']}"
        for r in resources
        if "Condition-primaryCancer" in str(r.get("meta"))
        and not any("occurredFollowing" in x["url"] for x in r.get("extension", ()))
    }
    if any(
        x["reference"] in primaries and "partOf" not in r
        for r in procedures
        for x in r.get("reasonReference", ())
    ):
        assert profile["primary_resected"].value is True
    if any("partOf" in r and "Metastasis to liver" in str(r.get("bodySite")) for r in procedures):
        assert profile["prior_liver_resections"].value == 1
        assert profile["last_local_treatment"].value == "resection"
    if "MedicationAdministration" in kinds:
        assert profile["systemic_therapy_received"].value is True
        assert profile["systemic_therapy_lines"].value == 1
    text = str(resources)
    if "Partial Remission" in text:
        assert profile["response_to_systemic_therapy"].value == "improved"
    if "'Progression'" in text:
        assert profile["response_to_systemic_therapy"].value == "progressed"
        assert profile["systemic_progression"].value is True
