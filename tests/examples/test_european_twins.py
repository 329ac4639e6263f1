"""Issue 21's acceptance test: each European example (IDEA4RC, national registry) gets the same
facts and cards as the same patient coded the US way (ICD-10-CM, SNOMED CT, LOINC, RxNorm,
mCODE), which `fhir-examples/_european.py` builds beside it; and nothing is known-"no" that the
European record contradicts."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import pytest
from tests.conftest import EXAMPLES, card_topics, load_example, load_manifest

from sarcoma_cds.pipeline import Engine

sys.path.insert(0, str(EXAMPLES))
from _european import BUILDERS  # type: ignore[import-not-found]

MANIFEST = {e["file"].removesuffix(".json").split("-", 1)[1]: e for e in load_manifest()}
SLUGS = [slug for slug, _ in BUILDERS]


def _cards(cards: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a card says, without the resource ids and labels that differ between encodings."""
    out = []
    for c in cards:
        ext = c["extension"]["org.sarcoma-cds"]
        recs = tuple(ext.get("recommendations", ()))
        out.append((tuple(card_topics(c)), c["indicator"], recs, c["summary"]))
    return sorted(out)


def _facts(profile: Any) -> dict[str, tuple[str, Any]]:
    return {
        name: (fact.state.value, list(v) if isinstance(v := fact.value, tuple) else v)
        for name, fact in profile.facts.items()
    }


@pytest.mark.parametrize("slug", SLUGS)
def test_european_record_and_its_us_twin_agree(engine: Engine, slug: str) -> None:
    entry = MANIFEST[slug]
    today = date.fromisoformat(entry["today"])
    request = load_example(entry["file"])
    european = engine.evaluate(request["context"]["patientId"], request["prefetch"], today)
    _, build_twin, _ = dict(BUILDERS)[slug]()
    twin_request = build_twin().request(seed=0)
    twin = engine.evaluate(twin_request["context"]["patientId"], twin_request["prefetch"], today)
    assert european.profile is not None and twin.profile is not None
    assert european.profile.data_gaps == twin.profile.data_gaps
    assert _facts(european.profile) == _facts(twin.profile)
    assert _cards(european.cards_json()) == _cards(twin.cards_json())


@pytest.mark.parametrize("slug", SLUGS)
def test_nothing_known_no_that_the_record_contradicts(engine: Engine, slug: str) -> None:
    """Every European example records a sarcoma and a liver metastasis: neither may be "no",
    and a recorded systemic therapy is never "none"."""
    entry = MANIFEST[slug]
    request = load_example(entry["file"])
    profile = engine.evaluate(
        request["context"]["patientId"], request["prefetch"], date.fromisoformat(entry["today"])
    ).profile
    assert profile is not None
    assert profile["sts"].value is True
    assert profile["liver_metastasis_ever"].value is True
    text = str(request)
    if "MedicationAdministration" in text:
        assert profile["systemic_therapy_received"].value is True
