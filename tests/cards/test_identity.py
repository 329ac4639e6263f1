"""Card and suggestion uuids unique per (hookInstance, patient, content) (issue 22; CDS Hooks 2.0
requirement 80: the uuid is a unique identifier of the card)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from tests.conftest import load_example, load_manifest

from sarcoma_cds.cards.identity import assign_uuids, content_digest
from sarcoma_cds.cds_hooks.cards import Card
from sarcoma_cds.pipeline import Engine

ENTRY = load_manifest()[0]


def _cards(engine: Engine, request: dict[str, Any], hook: str) -> list[dict[str, Any]]:
    return engine.evaluate(
        request["context"]["patientId"],
        request["prefetch"],
        date.fromisoformat(ENTRY["today"]),
        hook_instance=hook,
    ).cards_json()


def _uuids(cards: list[dict[str, Any]]) -> list[str]:
    return [c["uuid"] for c in cards] + [s["uuid"] for c in cards for s in c.get("suggestions", [])]


def test_a_retry_of_the_same_call_gets_the_same_uuids(engine: Engine) -> None:
    request = load_example(ENTRY["file"])
    assert _uuids(_cards(engine, request, "h-1")) == _uuids(_cards(engine, request, "h-1"))


def test_a_reused_hook_instance_for_another_patient_gets_other_uuids(engine: Engine) -> None:
    request = load_example(ENTRY["file"])
    other = copy.deepcopy(request)
    old, new = request["context"]["patientId"], "another-patient"
    other["context"]["patientId"] = new
    for value in other["prefetch"].values():
        for entry in (value or {}).get("entry", []):
            subject = entry["resource"].get("subject")
            if subject:
                subject["reference"] = f"Patient/{new}"
    other["prefetch"]["patient"]["id"] = new
    first, second = _cards(engine, request, "h-1"), _cards(engine, other, "h-1")

    assert [c["summary"] for c in first] == [c["summary"] for c in second]
    assert set(_uuids(first)).isdisjoint(_uuids(second))
    assert old != new


def test_other_content_under_the_same_hook_instance_gets_other_uuids() -> None:
    card = Card.model_validate(
        {"summary": "A", "indicator": "info", "source": {"label": "x"}, "uuid": "u"}
    )
    changed = card.model_copy(update={"summary": "B"})
    [a] = assign_uuids([card], "h", "p")
    [b] = assign_uuids([changed], "h", "p")
    assert a.uuid != b.uuid
    assert content_digest(card) == content_digest(card.model_copy(update={"uuid": "other"}))


def test_suggestion_uuids_are_unique_across_cards_and_calls(engine: Engine) -> None:
    seen: list[str] = []
    for entry in load_manifest():
        request = load_example(entry["file"])
        evaluation = engine.evaluate(
            request["context"]["patientId"],
            request["prefetch"],
            date.fromisoformat(entry["today"]),
            hook_instance="shared-hook-instance",
        )
        seen += _uuids(evaluation.cards_json())
    assert len(seen) == len(set(seen))
