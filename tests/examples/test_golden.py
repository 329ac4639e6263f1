"""Golden end-to-end tests: every example evaluated at its own "today" gives the topics,
recommendation ids, key facts and indicators its manifest entry expects (an independent reading
of clinical-logic §2), and a response identical to its reviewed snapshot."""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension
from tests.conftest import card_topics, load_manifest

from sarcoma_cds.rules.logic import label

MANIFEST = load_manifest()
IDS = [e["file"].removesuffix(".json") for e in MANIFEST]


RANK = {"info": 0, "warning": 1, "critical": 2}


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_expected_topics_recommendations_facts(
    entry: dict[str, Any], example_results: dict[str, Any]
) -> None:
    evaluation = example_results[entry["file"]]
    expected = entry["expected"]
    cards = {t: c for c in evaluation.cards_json() for t in card_topics(c)}
    assert sorted(cards) == sorted(expected["topics"])
    for topic, recs in (expected.get("recommendations") or {}).items():
        cited = cards[topic]["extension"]["org.sarcoma-cds"].get("recommendations", [])
        assert set(recs) <= set(cited), f"{topic} cites {cited}"
    for name, want in (expected.get("facts") or {}).items():
        fact = evaluation.profile[name]
        got = fact.value if fact.known and not isinstance(fact.value, bool) else label(fact)
        assert got == want, f"{name}: {fact.note or fact.reason}"
    indicators = expected.get("indicators") or {}
    for card in evaluation.cards_json():  # a card is as urgent as its most urgent topic
        want = max((indicators.get(t, "info") for t in card_topics(card)), key=RANK.__getitem__)
        assert card["indicator"] == want, card_topics(card)
    for topic, phrases in (expected.get("says") or {}).items():
        text = f"{cards[topic]['summary']}\n{cards[topic]['detail']}"
        for phrase in phrases:
            assert phrase in text, f"{topic} lacks {phrase!r}"
    # What the cards say: summary and statements, not the quoted recommendation texts below them.
    for phrase in expected.get("never_says") or []:
        for card in evaluation.cards_json():
            said = f"{card['summary']}\n{card['detail'].split(chr(10) * 2 + '**')[0]}"
            assert phrase not in said, f"{card_topics(card)}: {phrase!r}"


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_response_snapshot(
    entry: dict[str, Any], example_results: dict[str, Any], snapshot: SnapshotAssertion
) -> None:
    """Any change of wording is a reviewed diff: `pytest --snapshot-update` rewrites them."""
    evaluation = example_results[entry["file"]]
    assert {"cards": evaluation.cards_json()} == snapshot(extension_class=JSONSnapshotExtension)
