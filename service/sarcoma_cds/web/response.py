"""The service answer `{"cards": [...]}`, checked against the CDS Hooks rules before it leaves.

Card building belongs to the clinical core; this is the last line of defence. Null or empty
values are pruned (the JSON rule), and a card without its required fields is withheld: an EHR
may reject the whole response for it, and a broken card is worse than none.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi.responses import Response

from sarcoma_cds.web.json_hygiene import find_violations, prune

logger = logging.getLogger("sarcoma_cds.web")

REQUIRED_CARD_FIELDS = ("uuid", "summary", "indicator", "source")
INDICATORS = frozenset({"info", "warning", "critical"})


def _card_problem(card: Any) -> str | None:
    if not isinstance(card, dict):
        return "not an object"
    missing = [name for name in REQUIRED_CARD_FIELDS if name not in card]
    if missing:
        return "missing " + ", ".join(missing)
    if card["indicator"] not in INDICATORS:
        return "unknown indicator"
    if not isinstance(card["source"], dict) or "label" not in card["source"]:
        return "source without label"
    if card.get("suggestions") and "selectionBehavior" not in card:
        return "suggestions without selectionBehavior"
    return None


def checked_cards(cards: Sequence[Any]) -> list[dict[str, Any]]:
    document = {"cards": list(cards)}
    violations = find_violations(document)
    if violations:
        logger.error("pruned %d null/empty values from cards: %s", len(violations), violations[:10])
        document = prune(document)
    kept: list[dict[str, Any]] = []
    for index, card in enumerate(document["cards"]):
        problem = _card_problem(card)
        if problem:
            logger.error("withheld card %d: %s", index, problem)
        else:
            kept.append(card)
    return kept


def cards_response(cards: Sequence[Any]) -> Response:
    body = orjson.dumps({"cards": checked_cards(cards)})
    return Response(body, media_type="application/json")
