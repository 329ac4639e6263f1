"""The typed CDS Hooks card: a card breaking the contract cannot be built, and the wire form
obeys the JSON rule (no null, no empty value) while keeping `"cards": []`."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from sarcoma_cds import GUIDELINE_LABEL
from sarcoma_cds.cds_hooks.cards import Card, CdsResponse

CARD: dict[str, Any] = {
    "uuid": "0b5c2f4e-8d7a-4f0e-9d35-3c1c7c2b9a10",
    "summary": "Liver metastases: review resectability at the MDT",
    "detail": "Timing follows recommendations 2.1 and 2.2.",
    "indicator": "info",
    "source": {
        "label": GUIDELINE_LABEL,
        "topic": {"system": "http://example.org/topic", "code": "summary", "display": "Summary"},
    },
    "extension": {"org.sarcoma-cds": {"topic": "summary"}},
    "suggestions": [
        {
            "label": "Refer to the sarcoma MDT",
            "uuid": "5f0d6a7e",
            "isRecommended": True,
            "actions": [
                {
                    "type": "create",
                    "description": "Refer",
                    "resource": {"resourceType": "ServiceRequest", "status": "draft"},
                }
            ],
        }
    ],
    "selectionBehavior": "any",
    "overrideReasons": [{"code": "declined", "system": "http://example.org/override"}],
    "links": [{"label": "Guideline", "url": "https://doi.org/10.3390/x", "type": "absolute"}],
}


def test_a_full_card_round_trips_unchanged() -> None:
    assert Card.model_validate(CARD).to_json() == CARD


def test_wire_form_keeps_the_builder_key_order() -> None:
    assert list(Card.model_validate(CARD).to_json()) == list(CARD)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"summary": None}, "summary"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 141}, "summary"),
        ({"indicator": "hint"}, "indicator"),
        ({"source": {"url": "https://example.org"}}, "source.label"),
        ({"selectionBehavior": None}, "selectionBehavior"),
        ({"suggestions": [{"label": "x", "actions": [{"type": "order"}]}]}, "suggestions.0"),
        ({"overrideReasons": [{"code": "x"}]}, "overrideReasons.0.system"),
        ({"links": [{"label": "x", "url": "y", "type": "web"}]}, "links.0.type"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_card_breaking_the_contract_cannot_be_built(change: dict[str, Any], field: str) -> None:
    broken = {k: v for k, v in {**CARD, **change}.items() if v is not None}
    if change == {"selectionBehavior": None}:
        field = ""  # a whole-card rule: suggestions need a selection behaviour
    with pytest.raises(ValidationError) as raised:
        Card.model_validate(broken)
    located = [".".join(str(p) for p in e["loc"]) for e in raised.value.errors()]
    assert any(loc.startswith(field) for loc in located), located


def test_null_and_empty_values_never_reach_the_wire() -> None:
    sloppy = Card.model_validate(
        {**CARD, "detail": "", "links": [], "overrideReasons": None, "extension": {}}
    )

    wire = sloppy.to_json()

    assert "detail" not in wire and "links" not in wire and "extension" not in wire
    assert "overrideReasons" not in wire


def test_response_bytes_keep_an_empty_card_list() -> None:
    assert orjson.loads(CdsResponse(cards=[]).to_bytes()) == {"cards": []}
    one = CdsResponse(cards=[Card.model_validate(CARD)])
    assert orjson.loads(one.to_bytes()) == {"cards": [CARD]}
