"""The feedback store passes the same tests on the embedded SQLite file and on a real PostgreSQL
server (started on 127.0.0.1 by tests/support/postgres.py): idempotence, distinct events,
persistence across an app restart, concurrent writers, versioned schema migration."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from tests.support.postgres import postgres_url  # noqa: F401  (a fixture, used by name)
from web_fixtures import FEEDBACK_PATH, TODAY, FakeEngine, feedback_item

from sarcoma_cds.cds_hooks.feedback import FeedbackItem
from sarcoma_cds.feedback.store import (
    MIGRATIONS,
    FeedbackRecord,
    FeedbackStore,
    schema_version,
)
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/feedback.sqlite3"
        return
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as conn:  # each test starts from an empty database
        conn.execute(text("DROP TABLE IF EXISTS cds_feedback, cds_schema_version, cds_card_issued"))
    engine.dispose()
    yield url


def settings_for(url: str) -> Settings:
    return Settings(feedback_db_url=url, cors_origins=["https://ehr.example.org"])


def app_client(url: str) -> TestClient:
    settings = settings_for(url)
    return TestClient(
        create_app(settings, engine=FakeEngine(settings=settings), today=lambda: TODAY)
    )


def record(card: str, stamp: str = "2025-06-01T10:00:00Z") -> FeedbackRecord:
    item = FeedbackItem.model_validate(feedback_item(card, outcomeTimestamp=stamp))
    return FeedbackRecord.from_item("sts-liver-metastases", item)


def test_repeat_is_stored_once_and_new_events_are_kept(store_url: str) -> None:
    with app_client(store_url) as client:
        body = {"feedback": [feedback_item("card-1")]}
        first = client.post(FEEDBACK_PATH, json=body).json()
        again = client.post(FEEDBACK_PATH, json=body).json()
        later = {"feedback": [feedback_item("card-1", outcomeTimestamp="2025-06-01T11:00:00Z")]}
        third = client.post(FEEDBACK_PATH, json=later).json()  # the same click, a new stamp
        other = feedback_item(
            "card-1",
            acceptedSuggestions=[{"id": "sugg-2"}],
            outcomeTimestamp="2025-06-01T12:00:00Z",
        )
        fourth = client.post(FEEDBACK_PATH, json={"feedback": [other]}).json()

    assert (first["stored"], again["stored"], third["stored"], fourth["stored"]) == (1, 0, 0, 1)
    store = FeedbackStore.open(store_url)
    assert [r.card_uuid for r in store.records()] == ["card-1", "card-1"]
    store.close()


def test_feedback_survives_an_app_restart(store_url: str) -> None:
    with app_client(store_url) as client:
        client.post(FEEDBACK_PATH, json={"feedback": [feedback_item("card-restart")]})
    with app_client(store_url) as client:  # a new app, same database
        response = client.post(FEEDBACK_PATH, json={"feedback": [feedback_item("card-restart")]})
        assert response.json()["stored"] == 0
    store = FeedbackStore.open(store_url)
    assert [r.card_uuid for r in store.records()] == ["card-restart"]
    store.close()


def test_concurrent_writers_lose_nothing(store_url: str) -> None:
    store = FeedbackStore.open(store_url)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(20):
                stamp = f"2025-06-01T10:{i:02d}:00Z"
                # every worker also writes one shared event: it must be stored exactly once
                batch = [record(f"w{worker}-c{i}", stamp), record("shared", "2025-06-01T09:00:00Z")]
                store.add(batch, datetime.now(UTC))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    cards = [r.card_uuid for r in store.records()]
    assert len(cards) == 6 * 20 + 1
    assert cards.count("shared") == 1
    store.close()


def test_schema_is_migrated_once_and_versioned(store_url: str) -> None:
    first = FeedbackStore.open(store_url)
    second = FeedbackStore.open(store_url)  # a second worker starting: nothing to do
    engine = create_engine(store_url)
    assert schema_version(engine) == MIGRATIONS[-1][0]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT version FROM cds_schema_version")).all()
    assert [r[0] for r in rows] == [m[0] for m in MIGRATIONS]
    engine.dispose()
    first.close()
    second.close()


def test_readyz_reports_the_store(store_url: str) -> None:
    with app_client(store_url) as client:
        assert client.get("/readyz").status_code == 200
