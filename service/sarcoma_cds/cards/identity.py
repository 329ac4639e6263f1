"""Card and suggestion uuids: the same for a retry of the same call, different for anything else.

A uuid derives from the hook instance, the patient and the card's own content. An EHR that reuses
a hookInstance across patients (or a call whose data changed) therefore never gets two different
cards under one uuid, and feedback cannot be attributed to the wrong card; a retried call gets the
same uuids, so feedback on either matches.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from sarcoma_cds.cds_hooks.cards import Card

_NAMESPACE = uuid.UUID("7c0c8a51-44f5-5b6e-a0b4-1b2f3d9e6a10")


def _without_uuids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_uuids(v) for k, v in value.items() if k != "uuid"}
    if isinstance(value, list):
        return [_without_uuids(v) for v in value]
    return value


def content_digest(card: Card) -> str:
    """A digest of everything the card says (its uuids aside), independent of key order."""
    canonical = orjson.dumps(_without_uuids(card.to_json()), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def assign_uuids(cards: Sequence[Card], hook_instance: str | None, patient_id: str) -> list[Card]:
    """The cards with their uuids set from (hookInstance, patient, content). A suggestion's uuid
    derives from its card's and its own former uuid (which names the rule's suggestion id)."""
    out = []
    for card in cards:
        key = f"{hook_instance or ''}\x00{patient_id}\x00{content_digest(card)}"
        card_id = uuid.uuid5(_NAMESPACE, key)
        update: dict[str, Any] = {"uuid": str(card_id)}
        if card.suggestions:
            update["suggestions"] = [
                s.model_copy(update={"uuid": str(uuid.uuid5(card_id, s.uuid or s.label))})
                for s in card.suggestions
            ]
        out.append(card.model_copy(update=update))
    return out
