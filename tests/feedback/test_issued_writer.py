"""Issued cards recorded off the request path, in batches (issue 18): every queued answer is
stored, one transaction per batch, by a writer thread that stops when idle and outlives a store
that fails."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sarcoma_cds.feedback.issued_writer import IssuedCardsWriter
from sarcoma_cds.feedback.store import FeedbackStore, FeedbackStoreError, IssuedCall

ISSUED_AT = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def _card(uuid: str, topic: str = "summary", rule: str = "summary-1") -> dict[str, Any]:
    return {
        "uuid": uuid,
        "summary": "s",
        "extension": {"org.sarcoma-cds": {"topic": topic, "rule": rule}},
        "suggestions": [{"uuid": f"{uuid}-s", "label": "Refer"}],
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FeedbackStore]:
    opened = FeedbackStore.open(f"sqlite:///{tmp_path}/feedback.sqlite3")
    yield opened
    opened.close()


def _until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_flush_stores_every_queued_answer_in_one_batch(
    store: FeedbackStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches: list[list[IssuedCall]] = []
    issue = store.issue

    def counted(service_id: str, calls: list[IssuedCall]) -> None:
        batches.append(list(calls))
        issue(service_id, calls)

    monkeypatch.setattr(store, "issue", counted)
    writer = IssuedCardsWriter(store, "svc", interval=60)  # only flush() writes here
    writer.submit([_card("a"), _card("b", "mdt-referral", "mdt-1")], ISSUED_AT)
    writer.submit([], ISSUED_AT)  # an answer without cards adds nothing
    writer.submit([_card("c")], datetime(2026, 6, 2, tzinfo=UTC))
    writer.flush()

    assert [len(batch) for batch in batches] == [2]
    issued = {card.card_uuid: card for card in store.issued()}
    assert set(issued) == {"a", "b", "c"}
    assert (issued["b"].topic, issued["b"].rule) == ("mdt-referral", "mdt-1")
    assert issued["a"].suggestions == {"a-s": "Refer"}
    writer.flush()  # nothing queued: no empty transaction
    assert len(batches) == 1


def test_the_writer_thread_stores_without_a_flush_and_stops_when_idle(
    store: FeedbackStore,
) -> None:
    writer = IssuedCardsWriter(store, "svc", interval=0.01, idle=0.05)
    writer.submit([_card("a")], ISSUED_AT)
    assert _until(lambda: [c.card_uuid for c in store.issued()] == ["a"])
    assert _until(lambda: not writer.active)

    writer.submit([_card("b")], ISSUED_AT)  # a new thread for the next answer
    assert _until(lambda: {c.card_uuid for c in store.issued()} == {"a", "b"})


@pytest.mark.parametrize(
    "failure",
    [FeedbackStoreError("cannot record issued cards: OperationalError"), RuntimeError("x")],
)
def test_a_failing_store_loses_the_batch_not_the_writer(
    store: FeedbackStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: Exception,
) -> None:
    def broken(*args: Any) -> None:
        raise failure

    monkeypatch.setattr(store, "issue", broken)
    writer = IssuedCardsWriter(store, "svc", interval=0.01, idle=5.0)
    with caplog.at_level(logging.WARNING, logger="sarcoma_cds.web"):
        writer.submit([_card("lost")], ISSUED_AT)
        assert _until(lambda: "could not record issued cards" in caplog.text)
    record = next(r for r in caplog.records if r.getMessage() == "could not record issued cards")
    assert record.__dict__["error"] == type(failure).__name__  # the class name, no message

    monkeypatch.undo()
    writer.submit([_card("kept")], ISSUED_AT)  # the same thread, still running
    assert _until(lambda: [c.card_uuid for c in store.issued()] == ["kept"])
