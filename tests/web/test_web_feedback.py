"""POST .../feedback: validation, idempotent storage, persistence, parallel writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from web_fixtures import FEEDBACK_PATH, feedback_item

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.cds_hooks.hygiene import find_violations
from sarcoma_cds.feedback.schema import feedback_table
from sarcoma_cds.feedback.store import FeedbackRecord, FeedbackStore
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app


def stored(settings: Settings) -> list[FeedbackRecord]:
    store = FeedbackStore.open(settings.feedback_db_url)
    try:
        return store.records(SERVICE_ID)
    finally:
        store.close()


def test_feedback_is_stored_with_its_fields(client: TestClient, settings: Settings) -> None:
    override = feedback_item(
        "card-2",
        outcome="overridden",
        acceptedSuggestions=None,
        overrideReason={
            "reason": {"code": "not-applicable", "system": "https://x.org/r", "display": "N/A"},
            "userComment": "discussed at MDT",
        },
    )
    del override["acceptedSuggestions"]

    response = client.post(FEEDBACK_PATH, json={"feedback": [feedback_item(), override]})

    assert response.status_code == 200
    assert response.json() == {"received": 2, "stored": 2}
    assert find_violations(response.json()) == []
    accepted, overridden = stored(settings)
    assert accepted == FeedbackRecord(
        service_id=SERVICE_ID,
        card_uuid="card-1",
        outcome="accepted",
        outcome_timestamp="2025-06-01T10:00:00.000000+00:00",
        accepted_suggestions=("sugg-1",),
    )
    assert overridden.override_reason_code == "not-applicable"
    assert overridden.override_reason_system == "https://x.org/r"
    assert overridden.override_reason_display == "N/A"
    assert overridden.user_comment == "discussed at MDT"
    assert overridden.accepted_suggestions == ()


def test_repeated_feedback_is_stored_once(client: TestClient, settings: Settings) -> None:
    first = client.post(FEEDBACK_PATH, json={"feedback": [feedback_item()]})
    again = client.post(FEEDBACK_PATH, json={"feedback": [feedback_item()]})
    # The same instant written with another offset is the same event.
    same_instant = feedback_item(outcomeTimestamp="2025-06-01T12:00:00+02:00")
    third = client.post(FEEDBACK_PATH, json={"feedback": [same_instant, same_instant]})

    assert first.json() == {"received": 1, "stored": 1}
    assert again.json() == {"received": 1, "stored": 0}
    assert third.json() == {"received": 2, "stored": 0}
    assert len(stored(settings)) == 1


def test_a_later_click_on_the_same_suggestion_is_the_same_event(
    client: TestClient, settings: Settings
) -> None:
    client.post(FEEDBACK_PATH, json={"feedback": [feedback_item()]})
    later = feedback_item(outcomeTimestamp="2025-06-01T10:05:00Z")
    other = feedback_item(
        outcomeTimestamp="2025-06-01T10:06:00Z", acceptedSuggestions=[{"id": "s2"}]
    )

    assert client.post(FEEDBACK_PATH, json={"feedback": [later]}).json()["stored"] == 0
    assert client.post(FEEDBACK_PATH, json={"feedback": [other]}).json()["stored"] == 1
    assert len(stored(settings)) == 2


def test_feedback_survives_an_app_restart(settings: Settings, db_path: Path) -> None:
    with TestClient(create_app(settings)) as first_run:
        first_run.post(FEEDBACK_PATH, json={"feedback": [feedback_item()]})

    assert db_path.is_file()  # the parent folder was created at start-up
    with TestClient(create_app(settings)) as second_run:
        repeat = second_run.post(FEEDBACK_PATH, json={"feedback": [feedback_item()]})
        new = second_run.post(FEEDBACK_PATH, json={"feedback": [feedback_item("card-9")]})

    assert repeat.json()["stored"] == 0
    assert new.json()["stored"] == 1
    assert [r.card_uuid for r in stored(settings)] == ["card-1", "card-9"]


def test_no_hook_instance_or_patient_column_is_stored() -> None:
    columns = {c.name for c in feedback_table.columns}

    assert not {c for c in columns if "patient" in c or "hook" in c or "fhir" in c}


def test_sqlite_store_uses_wal(settings: Settings) -> None:
    store = FeedbackStore.open(settings.feedback_db_url)
    try:
        with store._engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            timeout = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert inspect(store._engine).has_table("cds_feedback")
    finally:
        store.close()
    assert mode == "wal"
    assert timeout == 10_000


def test_parallel_writers_lose_nothing(settings: Settings) -> None:
    """Eight writers, each with its own store (as separate workers would), 25 events each, and
    every event sent twice: exactly 200 rows."""
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(worker: int) -> None:
        try:
            start.wait(timeout=30)  # all open the store at once, as workers do at start-up
            store = FeedbackStore.open(settings.feedback_db_url)
            for n in range(25):
                record = FeedbackRecord(
                    SERVICE_ID, f"card-{worker}-{n}", "accepted", f"2025-06-01T10:00:{n:02d}Z"
                )
                store.add([record], datetime.now(UTC))
                store.add([record], datetime.now(UTC))
            store.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    records = stored(settings)
    assert len(records) == 200
    assert len({r.card_uuid for r in records}) == 200


def test_parallel_http_feedback_is_all_stored(client: TestClient, settings: Settings) -> None:
    def post(n: int) -> None:
        client.post(FEEDBACK_PATH, json={"feedback": [feedback_item(f"card-{n}")]})

    threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(stored(settings)) == 20


def test_in_memory_sqlite_url_works() -> None:
    store = FeedbackStore.open("sqlite://")
    record = FeedbackRecord(SERVICE_ID, "c", "overridden", "2025-01-01T00:00:00Z")
    assert store.add([record, record], datetime.now(UTC)) == 1
    assert store.records() == [record]
    assert store.ping()
    store.close()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "feedback"),
        ({"feedback": []}, "feedback"),
        ({"feedback": [feedback_item(outcome="ignored")]}, "feedback[0].outcome"),
        (
            {"feedback": [{"outcome": "accepted", "outcomeTimestamp": "2025-06-01T10:00:00Z"}]},
            "feedback[0].card",
        ),
        (
            {"feedback": [feedback_item(outcomeTimestamp="2025-06-01T10:00:00")]},
            "feedback[0].outcomeTimestamp",
        ),
        (
            {"feedback": [feedback_item(outcomeTimestamp="yesterday")]},
            "feedback[0].outcomeTimestamp",
        ),
        (
            {"feedback": [feedback_item(acceptedSuggestions=[{}])]},
            "feedback[0].acceptedSuggestions[0].id",
        ),
        ({"feedback": [feedback_item(outcome="overridden")]}, "feedback[0].acceptedSuggestions"),
        (
            {"feedback": [feedback_item(overrideReason={"userComment": "no"})]},
            "feedback[0].overrideReason",
        ),
        (
            {
                "feedback": [
                    feedback_item(
                        overrideReason={"reason": {"system": "s"}},
                        outcome="overridden",
                        acceptedSuggestions=None,
                    )
                ]
            },
            "feedback[0].overrideReason.reason.code",
        ),
    ],
)
def test_malformed_feedback_is_400_naming_the_field(
    client: TestClient, settings: Settings, body: dict[str, Any], path: str
) -> None:
    response = client.post(FEEDBACK_PATH, json=body)

    assert response.status_code == 400
    issues = response.json()["issue"]
    assert path in [issue.get("expression", [None])[0] for issue in issues]
    assert stored(settings) == []
