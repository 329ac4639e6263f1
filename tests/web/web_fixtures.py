"""Test helpers for the web layer (a module with a unique name: conftest modules cannot be
imported reliably when several test folders have one)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sarcoma_cds import GUIDELINE_DOI_URL, GUIDELINE_LABEL, SERVICE_ID
from sarcoma_cds.cds_hooks.cards import Card
from sarcoma_cds.pipeline import Evaluation
from sarcoma_cds.settings import Settings

SERVICE_PATH = f"/cds-services/{SERVICE_ID}"
FEEDBACK_PATH = f"{SERVICE_PATH}/feedback"
TODAY = date(2025, 6, 1)

SAMPLE_CARD: dict[str, Any] = {
    "uuid": "0b5c2f4e-8d7a-4f0e-9d35-3c1c7c2b9a10",
    "summary": "Liver metastases, metachronous (DFI 26 months): review resectability at the MDT",
    "indicator": "info",
    "source": {"label": GUIDELINE_LABEL, "url": GUIDELINE_DOI_URL},
    "detail": "Synchronous vs metachronous timing follows recommendations 2.1 and 2.2.",
    "suggestions": [{"label": "Refer to the sarcoma MDT", "uuid": "5f0d6a7e-1c2b-4c3d-8e9f-0a1b"}],
    "selectionBehavior": "at-most-one",
    "extension": {"org.sarcoma-cds": {"topic": "summary", "recommendations": ["2.1", "2.2"]}},
}


@dataclass(frozen=True)
class EngineCall:
    patient_id: str
    prefetch: dict[str, Any]
    today: date
    user_id: str | None
    on_event_loop: bool  # called from the event loop's own thread (not a worker thread)


@dataclass(frozen=True)
class FakeEngine:
    """Answers every call with `cards` and records what it was given."""

    settings: Settings
    cards: list[Card] = field(default_factory=lambda: [Card.model_validate(SAMPLE_CARD)])
    facts: dict[str, Any] = field(default_factory=lambda: {"timing": {"state": "known"}})
    calls: list[EngineCall] = field(default_factory=list)

    def evaluate(
        self,
        patient_id: str,
        prefetch: Mapping[str, Any],
        today: date,
        user_id: str | None = None,
        hook_instance: str | None = None,
        unreadable: Mapping[str, str] | None = None,
        fhir_server: str | None = None,
    ) -> Evaluation:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        self.calls.append(EngineCall(patient_id, dict(prefetch), today, user_id, on_loop))
        return Evaluation(cards=self.cards, facts=self.facts)


def feedback_item(card: str = "card-1", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "card": card,
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": "sugg-1"}],
        "outcomeTimestamp": "2025-06-01T10:00:00Z",
    }
    item.update(overrides)
    return item
