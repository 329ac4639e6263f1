"""Every card of every example obeys the card contract (issue 2/4) and the CDS Hooks 2.0 rules."""

from __future__ import annotations

import re
import uuid
from typing import Any

from fhir.resources.R4B.servicerequest import ServiceRequest
from tests.conftest import card_topics, load_example, load_manifest

from sarcoma_cds import GUIDELINE_DOI_URL

NON_CONSENSUS = {"3.2", "5.5", "10.2"}


def all_cards(example_results: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(f, c) for f, ev in example_results.items() for c in ev.cards_json()]


def empty_values(value: Any, path: str = "$") -> list[str]:
    """Paths of null / empty string / empty array / empty object anywhere (CDS Hooks JSON rule)."""
    if value is None or value == "" or value == [] or value == {}:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in empty_values(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in empty_values(v, f"{path}[{i}]")]
    return []


def test_required_fields_and_json_hygiene(example_results: dict[str, Any]) -> None:
    cards = all_cards(example_results)
    assert len(cards) > 60
    for name, card in cards:
        assert empty_values(card) == [], name
        uuid.UUID(card["uuid"])
        assert 0 < len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["url"] == GUIDELINE_DOI_URL
        assert "Consensus" in card["source"]["label"]
        ext = card["extension"]["org.sarcoma-cds"]
        assert re.fullmatch(r"[a-z-]+", ext["topic"])
        for rec in ext.get("recommendations", []):
            assert re.fullmatch(r"\d{1,2}\.\d", rec)


def test_one_card_per_topic_and_unique_uuids(example_results: dict[str, Any]) -> None:
    for name, ev in example_results.items():
        topics = [c["extension"]["org.sarcoma-cds"]["topic"] for c in ev.cards_json()]
        assert len(topics) == len(set(topics)), name
        assert len(ev.cards_json()) <= 4
        ids = [c["uuid"] for c in ev.cards_json()]
        ids += [s["uuid"] for c in ev.cards_json() for s in c.get("suggestions", [])]
        assert len(ids) == len(set(ids)), name


def test_summary_card_carries_the_facts(example_results: dict[str, Any]) -> None:
    for name, ev in example_results.items():
        for card in ev.cards_json():
            ext = card["extension"]["org.sarcoma-cds"]
            if ext["topic"] == "summary":
                facts = ext["facts"]
                assert facts["liver_metastasis_ever"] == "yes", name
                assert facts["timing"] in (
                    "synchronous",
                    "metachronous",
                    "indeterminate",
                    "unknown",
                )
                assert facts["oligometastatic"] in (
                    "yes",
                    "no",
                    "indeterminate",
                    "unknown",
                    "not_applicable",  # no current metastasis
                )
            elif ext["topic"] == "data-quality":
                facts = ext["facts"]
                assert "indeterminate" in (facts["sts"], facts["liver_metastasis_ever"]), name
            else:
                assert "facts" not in ext


def test_detail_is_markdown_citing_each_recommendation_compactly(
    example_results: dict[str, Any],
) -> None:
    """Every recommendation a card rests on is cited in its text as "5.3 · V-B · 100%", and the
    three that did not reach consensus say so wherever they are cited."""
    cite = re.compile(r"(\d{1,2}\.\d) · (I|II|III|IV|V)-[A-E] · \d{1,3}%( · no consensus)?")
    for name, card in all_cards(example_results):
        detail = card.get("detail", "")
        assert not re.search(r"<[a-zA-Z/][^>]*>", detail), f"raw HTML in {name}"
        board = "\n".join(card["extension"]["org.sarcoma-cds"].get("board", []))
        cited = {m[1]: m for m in cite.finditer(f"{detail}\n{board}")}
        for m in cite.finditer(detail):
            assert bool(m[3]) is (m[1] in NON_CONSENSUS), m[0]
        for rec in card["extension"]["org.sarcoma-cds"].get("recommendations", []):
            assert rec in cited, f"{name}: {rec} not cited in {card['summary']!r}"


def test_suggestions_are_valid_service_requests(example_results: dict[str, Any]) -> None:
    manifest = {e["file"]: e for e in load_manifest()}
    seen = 0
    for name, ev in example_results.items():
        patient = load_example(manifest[name]["file"])["context"]["patientId"]
        for card in ev.cards_json():
            if "suggestions" not in card:
                continue
            assert card["selectionBehavior"] == "any"
            for sug in card["suggestions"]:
                for action in sug["actions"]:
                    assert action["type"] == "create"
                    resource = ServiceRequest.model_validate(action["resource"])
                    assert resource.status == "draft" and resource.intent == "proposal"
                    assert resource.subject.reference == f"Patient/{patient}"
                    seen += 1
    assert seen >= 20


def test_biopsy_suggestion_says_how(example_results: dict[str, Any]) -> None:
    biopsies = [
        a["resource"]
        for _, c in all_cards(example_results)
        for s in c.get("suggestions", [])
        for a in s["actions"]
        if a["resource"]["code"]["coding"][0]["code"] == "86259008"
    ]
    assert biopsies
    for sr in biopsies:
        note = sr["note"][0]["text"]
        assert "4 cores" in note and "14-16 G" in note and "not FNA" in note


def test_override_reasons_have_display(example_results: dict[str, Any]) -> None:
    topics_with_reasons = set()
    for _, card in all_cards(example_results):
        for reason in card.get("overrideReasons", []):
            assert reason["display"] and reason["code"] and reason["system"]
            topics_with_reasons.update(card_topics(card))
    assert {"treatment-pathway", "biopsy"} <= topics_with_reasons


def test_uuids_are_stable_for_a_hook_instance(engine: Any) -> None:
    entry = load_manifest()[0]
    request = load_example(entry["file"])
    from datetime import date

    args = (
        request["context"]["patientId"],
        request["prefetch"],
        date.fromisoformat(entry["today"]),
    )
    first = engine.evaluate(*args, hook_instance="abc").cards_json()
    again = engine.evaluate(*args, hook_instance="abc").cards_json()
    other = engine.evaluate(*args, hook_instance="xyz").cards_json()
    assert [c["uuid"] for c in first] == [c["uuid"] for c in again]
    assert {c["uuid"] for c in first}.isdisjoint(c["uuid"] for c in other)
