"""Issue 14, feedback that counts, on the embedded SQLite file and on a real PostgreSQL server:
repeated clicks stored once, an override's display filled from the card's own reasons, the
`sarcoma-cds feedback report` counts, and the version 1 schema migrated without losing rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from tests.conftest import card_topics, load_example, load_manifest
from tests.support.postgres import postgres_url  # noqa: F401  (a fixture, used by name)

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.cli import main
from sarcoma_cds.feedback.report import build_report
from sarcoma_cds.feedback.store import MIGRATIONS, FeedbackStore, schema_version
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

SERVICE_PATH = f"/cds-services/{SERVICE_ID}"
FEEDBACK_PATH = f"{SERVICE_PATH}/feedback"
ENTRY = next(e for e in load_manifest() if e["file"].startswith("01-"))


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


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    settings = Settings(feedback_db_url=store_url, cors_origins=["https://ehr.example.org"])
    app = create_app(settings, today=lambda: date.fromisoformat(ENTRY["today"]))
    with TestClient(app) as test_client:
        yield test_client


def _cards(client: TestClient) -> dict[str, dict[str, Any]]:
    """Example 01's cards, by their topics joined with "+", as the EHR received them."""
    response = client.post(SERVICE_PATH, json=load_example(ENTRY["file"]))
    assert response.status_code == 200
    return {"+".join(card_topics(c)): c for c in response.json()["cards"]}


def _with_topic(cards: dict[str, dict[str, Any]], topic: str) -> tuple[str, dict[str, Any]]:
    return next((t, c) for t, c in cards.items() if topic in t.split("+"))


def _accept(card: dict[str, Any], stamp: str, index: int = 0) -> dict[str, Any]:
    suggestion = card["suggestions"][index]["uuid"]
    return {
        "card": card["uuid"],
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": suggestion}],
        "outcomeTimestamp": stamp,
    }


def _post(client: TestClient, *items: dict[str, Any]) -> int:
    response = client.post(FEEDBACK_PATH, json={"feedback": list(items)})
    assert response.status_code == 200, response.text
    stored: int = response.json()["stored"]
    return stored


def test_every_issued_card_is_recorded(store_url: str) -> None:
    """Issued cards are stored in batches off the request path; shutting the app down writes
    what is still queued, so every card of every answer is in the store."""
    settings = Settings(feedback_db_url=store_url)
    app = create_app(settings, today=lambda: date.fromisoformat(ENTRY["today"]))
    answered: set[str] = set()
    with TestClient(app) as client:
        for entry in load_manifest()[:4]:
            response = client.post(SERVICE_PATH, json=load_example(entry["file"]))
            assert response.status_code == 200
            answered |= {card["uuid"] for card in response.json()["cards"]}
    store = FeedbackStore.open(store_url)
    assert len(answered) > 4 and {c.card_uuid for c in store.issued()} == answered
    store.close()


def test_repeated_clicks_on_one_suggestion_are_stored_once(
    client: TestClient, store_url: str
) -> None:
    _, card = _with_topic(_cards(client), "mdt-referral")
    clicks = [_accept(card, f"2026-06-01T10:00:0{i}Z") for i in range(3)]  # new stamp per click

    assert [_post(client, click) for click in clicks] == [1, 0, 0]
    store = FeedbackStore.open(store_url)
    assert len(store.records()) == 1
    store.close()


def test_another_suggestion_or_an_override_is_another_event(client: TestClient) -> None:
    cards = _cards(client)
    card = next(c for c in cards.values() if len(c.get("suggestions", [])) >= 2)
    assert _post(client, _accept(card, "2026-06-01T10:00:00Z", 0)) == 1
    assert _post(client, _accept(card, "2026-06-01T10:00:05Z", 1)) == 1
    override = {"card": card["uuid"], "outcome": "overridden"}
    assert _post(client, {**override, "outcomeTimestamp": "2026-06-01T10:01:00Z"}) == 1
    assert _post(client, {**override, "outcomeTimestamp": "2026-06-01T10:02:00Z"}) == 0


def test_an_override_sent_with_code_and_system_gets_the_cards_display(
    client: TestClient, store_url: str
) -> None:
    card = next(c for c in _cards(client).values() if "overrideReasons" in c)
    reason = card["overrideReasons"][-1]
    item = {
        "card": card["uuid"],
        "outcome": "overridden",
        "overrideReason": {"reason": {"code": reason["code"], "system": reason["system"]}},
        "outcomeTimestamp": "2026-06-01T10:00:00Z",
    }
    assert _post(client, item) == 1
    store = FeedbackStore.open(store_url)
    [stored] = store.records()
    store.close()
    assert stored.override_reason_code == reason["code"]
    assert stored.override_reason_display == reason["display"]


def test_the_report_counts_each_event_once_per_rule_and_suggestion(
    client: TestClient, store_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cards = _cards(client)
    _cards(client)  # the same call again (a retry): the same card uuids, counted once
    mdt_topic, mdt = _with_topic(cards, "mdt-referral")
    for i in range(3):
        _post(client, _accept(mdt, f"2026-06-01T10:00:0{i}Z"))
    # The same card, overridden later (example 01 has one card with override reasons).
    overridden = next(c for c in cards.values() if "overrideReasons" in c)
    reason = overridden["overrideReasons"][0]
    _post(
        client,
        {
            "card": overridden["uuid"],
            "outcome": "overridden",
            "overrideReason": {
                "reason": {"code": reason["code"], "system": reason["system"]},
                "userComment": "discussed with the patient",
            },
            "outcomeTimestamp": "2026-06-01T11:00:00Z",
        },
    )

    assert main(["feedback", "report", "--db", store_url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rules = {r["topic"]: r for r in report["rules"]}
    assert set(rules) == set(cards)
    assert all(r["shown"] == 1 for r in rules.values())
    assert (rules[mdt_topic]["accepted"], rules[mdt_topic]["acceptRate"]) == (1, "100%")
    topic = "+".join(card_topics(overridden))
    assert (rules[topic]["overridden"], rules[topic]["overrideRate"]) == (1, "100%")
    label = mdt["suggestions"][0]["label"]
    suggestion = next(s for s in report["suggestions"] if s["label"] == label)
    assert (suggestion["shown"], suggestion["accepted"]) == (1, 1)
    assert report["topOverrideReasons"] == [
        {"reason": f"{reason['display']} ({reason['code']})", "count": 1}
    ]
    assert report["events"] == 2
    assert "discussed with the patient" not in json.dumps(report)

    assert main(["feedback", "report", "--db", store_url]) == 0
    text_report = capsys.readouterr().out
    assert f"| {mdt_topic} |" in text_report and "1 (100%)" in text_report
    assert f"- {reason['display']} ({reason['code']}): 1" in text_report


def test_a_version_1_store_is_migrated_and_keeps_every_row(store_url: str) -> None:
    engine = create_engine(store_url)
    with engine.begin() as conn:
        conn.execute(  # the table as version 1 created it
            text(
                "CREATE TABLE cds_feedback (id INTEGER PRIMARY KEY, service_id VARCHAR(128) "
                "NOT NULL, card_uuid VARCHAR(128) NOT NULL, outcome VARCHAR(16) NOT NULL, "
                "outcome_timestamp VARCHAR(40) NOT NULL, accepted_suggestions TEXT, "
                "override_reason_code VARCHAR(256), override_reason_system VARCHAR(512), "
                "override_reason_display TEXT, user_comment TEXT, received_at VARCHAR(40) "
                "NOT NULL, CONSTRAINT uq_cds_feedback_event UNIQUE (service_id, card_uuid, "
                "outcome, outcome_timestamp))"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE cds_schema_version (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_at VARCHAR(40) NOT NULL)"
            )
        )
        conn.execute(text("INSERT INTO cds_schema_version VALUES (1, 'create', 'x')"))
        for i in range(2):  # two clicks stored before repeats were recognised
            conn.execute(
                text(
                    "INSERT INTO cds_feedback VALUES (:id, 's', 'c', 'accepted', :ts, "
                    "'[\"a\"]', NULL, NULL, NULL, NULL, 'r')"
                ),
                {"id": i + 1, "ts": f"2026-01-01T00:00:0{i}"},
            )
    store = FeedbackStore.open(store_url)
    assert schema_version(engine) == MIGRATIONS[-1][0] == 4
    assert len(store.records()) == 2  # nothing lost
    assert build_report(store.issued(), store.records()).events == 1  # but counted once
    store.close()
    engine.dispose()
