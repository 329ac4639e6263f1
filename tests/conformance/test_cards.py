"""CDS Hooks 2.0 "Card Attributes", "Source", "Suggestion", "Action", "Link", "Coding": checked on
every card of every example patient, as the EHR receives them over HTTP."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from markdown_it import MarkdownIt

INDICATORS = ("info", "warning", "critical")  # in order of increasing urgency


def _absolute(url: Any) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return parts is not None and parts.scheme in {"http", "https"} and bool(parts.netloc)


def _suggestions(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for card in cards for s in card.get("suggestions", [])]


@pytest.mark.cds_hooks(80, 81, 82, 118, 119)
def test_card_and_suggestion_uuids_are_unique_strings(all_cards: list[dict[str, Any]]) -> None:
    ids = [card["uuid"] for card in all_cards] + [s["uuid"] for s in _suggestions(all_cards)]
    assert all(isinstance(i, str) for i in ids)
    assert all(uuid.UUID(i) for i in ids)
    assert len(ids) == len(set(ids)), "unique across all example patients"


@pytest.mark.cds_hooks(83)
def test_summary_is_a_string_under_140_characters(all_cards: list[dict[str, Any]]) -> None:
    for card in all_cards:
        assert isinstance(card["summary"], str)
        assert 0 < len(card["summary"]) < 140, card["summary"]


@pytest.mark.cds_hooks(84, 85)
def test_detail_is_github_flavoured_markdown_without_raw_html(
    all_cards: list[dict[str, Any]],
) -> None:
    gfm = MarkdownIt("commonmark", {"html": False}).enable("table").enable("strikethrough")
    for card in all_cards:
        detail = card.get("detail")
        if detail is None:
            continue
        assert isinstance(detail, str)
        tokens = gfm.parse(detail)
        assert not [t for t in tokens if t.type in {"html_block", "html_inline"}]
        assert gfm.render(detail).strip(), "renders to something"


@pytest.mark.cds_hooks(87, 88, 89)
def test_indicator_is_required_and_one_of_info_warning_critical(
    all_cards: list[dict[str, Any]],
) -> None:
    used = {card["indicator"] for card in all_cards}
    assert used <= set(INDICATORS)
    assert "info" in used


@pytest.mark.cds_hooks(90, 105, 106, 107, 108, 109, 115, 116, 220)
def test_source_has_a_label_an_absolute_url_and_a_coding_topic(
    all_cards: list[dict[str, Any]],
) -> None:
    for card in all_cards:
        source = card["source"]
        assert isinstance(source["label"], str) and source["label"]
        if "url" in source:
            assert _absolute(source["url"])
        topic = source.get("topic")
        if topic is not None:
            assert isinstance(topic["code"], str) and isinstance(topic["system"], str)
            assert isinstance(topic.get("display", ""), str)
    # The source url is the guideline itself, the same on every card: never a drill-down.
    assert len({card["source"].get("url") for card in all_cards}) == 1


@pytest.mark.cds_hooks(92, 93, 94, 95, 96, 117, 120, 121, 122, 123)
def test_suggestions_have_labels_and_the_card_a_selection_behaviour(
    all_cards: list[dict[str, Any]],
) -> None:
    with_suggestions = [card for card in all_cards if "suggestions" in card]
    assert with_suggestions and len(with_suggestions) < len(all_cards)  # optional, and used
    for card in with_suggestions:
        assert isinstance(card["suggestions"], list) and card["suggestions"]
        assert card["selectionBehavior"] in {"at-most-one", "any"}
        recommended = [s for s in card["suggestions"] if s.get("isRecommended")]
        if len(recommended) > 1:
            assert card["selectionBehavior"] == "any"
        for suggestion in card["suggestions"]:
            assert isinstance(suggestion["label"], str) and suggestion["label"]
            if "isRecommended" in suggestion:
                assert isinstance(suggestion["isRecommended"], bool)
    for card in all_cards:
        if "suggestions" not in card:
            assert "selectionBehavior" not in card


@pytest.mark.cds_hooks(124, 125, 127, 128, 129, 130, 131)
def test_actions_create_new_fhir_resources_described_for_the_user(
    all_cards: list[dict[str, Any]],
) -> None:
    actions = [a for s in _suggestions(all_cards) for a in s.get("actions", [])]
    assert actions
    for suggestion in _suggestions(all_cards):
        assert isinstance(suggestion.get("actions", []), list)
    for action in actions:
        assert action["type"] in {"create", "update", "delete"}
        assert isinstance(action["description"], str) and action["description"]
        resource = action["resource"]
        assert isinstance(resource, dict) and isinstance(resource["resourceType"], str)
        if action["type"] == "create":
            assert "id" not in resource, "a new resource: the EHR assigns the id"


@pytest.mark.cds_hooks(98, 99, 100, 136, 216, 217, 218, 219)
def test_override_reasons_are_codings_each_with_a_display(
    all_cards: list[dict[str, Any]],
) -> None:
    with_reasons = [card for card in all_cards if "overrideReasons" in card]
    assert with_reasons
    for card in with_reasons:
        assert isinstance(card["overrideReasons"], list)
        for reason in card["overrideReasons"]:
            assert isinstance(reason["code"], str) and reason["code"]
            assert isinstance(reason["system"], str) and reason["system"]
            assert isinstance(reason["display"], str) and reason["display"]


@pytest.mark.cds_hooks(103, 104, 110, 138, 139, 140, 141, 142, 145, 146)
def test_the_summary_card_links_to_the_smart_view(all_cards: list[dict[str, Any]]) -> None:
    """The drill-down view is the tumour-board SMART app (issue 15): one `smart` link on the
    summary card, an absolute launch URL, no appContext."""
    linked = [card for card in all_cards if "links" in card]
    assert linked
    for card in linked:
        assert card["extension"]["org.sarcoma-cds"]["topic"] == "summary"
        [link] = card["links"]
        assert isinstance(link["label"], str) and link["label"]
        assert link["url"].startswith(("http://", "https://"))
        assert link["url"].endswith("/app/launch")
        assert link["type"] == "smart"
        assert "appContext" not in link


def test_links_icons_and_non_create_actions_are_not_sent_yet(
    all_cards: list[dict[str, Any]],
) -> None:
    """Guards the "not applicable" rows of docs/conformance.md (appContext 144, 147; icon
    111-113; update/delete actions 132-135): when a card starts sending them, this fails and the
    rows must become "met" with a test."""
    assert not [
        link for card in all_cards for link in card.get("links", []) if "appContext" in link
    ]
    assert not [card for card in all_cards if "icon" in card["source"]]
    types = {a["type"] for s in _suggestions(all_cards) for a in s.get("actions", [])}
    assert types == {"create"}
