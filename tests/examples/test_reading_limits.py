"""Every example patient's cards read in seconds (issue 14): at most four cards, at most 800
characters of detail each and 2,400 per patient, no internal resource ids or template plurals,
the derived facts once (on the summary card), the most urgent card first."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.conftest import card_topics, load_manifest

from sarcoma_cds.cards.layout import limit_problems

MANIFEST = load_manifest()
IDS = [e["file"].removesuffix(".json") for e in MANIFEST]
RANK = {"info": 0, "warning": 1, "critical": 2}
RESOURCE_ID = re.compile(
    r"\b(?:Condition|Observation|Procedure|Patient|Medication\w*|DiagnosticReport|BodyStructure"
    r"|Encounter)/[A-Za-z0-9\-.]+"
)


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_cards_keep_the_reading_limits(entry: dict[str, Any], example_results: Any) -> None:
    """At most 4 cards, 800 characters of detail each, 2,400 per patient: a rule that grows a
    card past them fails here."""
    assert limit_problems(example_results[entry["file"]].cards_json()) == []


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_no_resource_ids_or_template_plurals(entry: dict[str, Any], example_results: Any) -> None:
    for card in example_results[entry["file"]].cards_json():
        text = f"{card['summary']}\n{card['detail']}"
        assert not RESOURCE_ID.search(text), RESOURCE_ID.search(text)
        assert "(s)" not in text, card["summary"]


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_facts_once_on_the_summary_card(entry: dict[str, Any], example_results: Any) -> None:
    cards = example_results[entry["file"]].cards_json()
    for card in cards:
        # The data-quality card is the only card of its patients: it carries their facts.
        if not {"summary", "data-quality"} & set(card_topics(card)):
            assert "**Facts**" not in card.get("detail", ""), card_topics(card)
        assert "**Derived facts**" not in card["detail"]
        assert "**Recommendations**" not in card["detail"]  # full text: tumour-board view
    summary = [c for c in cards if "summary" in card_topics(c)]
    if summary:
        facts_line = next(ln for ln in summary[0]["detail"].splitlines() if "**Facts**" in ln)
        labels = re.findall(r"(?:\*\*Facts\*\*: | · )([^:·]+):", facts_line)
        assert len(labels) == len(set(labels)), labels


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_the_most_urgent_card_comes_first(entry: dict[str, Any], example_results: Any) -> None:
    ranks = [RANK[c["indicator"]] for c in example_results[entry["file"]].cards_json()]
    assert ranks == sorted(ranks, reverse=True)


def test_a_warning_card_leads_the_summary(example_results: Any) -> None:
    """The overdue follow-up is the first thing the clinician sees, before the summary."""
    entry = next(e for e in MANIFEST if e["file"].startswith("32-"))
    cards = example_results[entry["file"]].cards_json()
    assert [card_topics(c) for c in cards] == [["follow-up"], ["summary"]]
    assert [c["indicator"] for c in cards] == ["warning", "info"]


@pytest.mark.parametrize("entry", MANIFEST, ids=IDS)
def test_no_title_is_cut_inside_a_citation(entry: dict[str, Any], example_results: Any) -> None:
    """REVIEW4 m7: a title may be shortened, never cut inside "(x.y)": its parentheses close,
    and an ellipsis, if any, stands outside them."""
    for card in example_results[entry["file"]].cards_json():
        title = card["summary"]
        assert len(title) < 140, title
        assert title.count("(") == title.count(")"), title
        assert not re.search(r"\([^()]*…", title), title
        assert not re.search(r"\(\d+(?:\.\d*)?$", title), title
