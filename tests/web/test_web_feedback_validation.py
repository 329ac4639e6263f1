"""One feedback validation on every store (issue 17, F8/F9/F10): what SQLite would store and
PostgreSQL answered 500 for (over-long ids, NUL), instants with no UTC year, and too many
entries are a 400 naming the field on both; nothing of a refused body is stored. Rows carry
the verified client's issuer and tenant (F12)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm
from sqlalchemy import create_engine, text
from tests.support.postgres import postgres_url  # noqa: F401  (a fixture, used by name)
from web_fixtures import FEEDBACK_PATH, feedback_item

from sarcoma_cds.feedback.store import FeedbackStore
from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

PUBLIC = "https://cds.example.org"
ISS = "https://ehr.example.org"
KEY = ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/feedback.sqlite3"
        return
    url: str = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as conn:  # each test starts from an empty database
        conn.execute(
            text(
                "DROP TABLE IF EXISTS cds_feedback, cds_schema_version, cds_card_issued, "
                "cds_jwt_seen"
            )
        )
    engine.dispose()
    yield url


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    settings = Settings(feedback_db_url=store_url, feedback_max_entries=5)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def stored(url: str) -> int:
    store = FeedbackStore.open(url)
    try:
        return len(store.records())
    finally:
        store.close()


def overridden(**reason: Any) -> dict[str, Any]:
    item = feedback_item("card-2", outcome="overridden", overrideReason=reason)
    del item["acceptedSuggestions"]
    return item


@pytest.mark.parametrize(
    ("item", "field", "message"),
    [
        (feedback_item("c" * 129), "feedback[1].card", "at most 128 characters"),
        (overridden(reason={"code": "x" * 257}), "reason.code", "at most 256 characters"),
        (overridden(reason={"code": "x", "system": "s" * 513}), "system", "at most 512"),
        (overridden(userComment="no\x00null"), "userComment", "NUL characters"),
        (feedback_item("card\x00"), "feedback[1].card", "NUL characters"),
        (
            feedback_item("card-1", outcomeTimestamp="9999-12-31T23:59:59-14:00"),
            "outcomeTimestamp",
            "between the years 2000 and 2099",
        ),
        (
            feedback_item("card-1", outcomeTimestamp="0001-01-01T00:00:00+14:00"),
            "outcomeTimestamp",
            "between the years 2000 and 2099",
        ),
    ],
)
def test_the_same_400_on_every_store(
    client: TestClient, store_url: str, item: dict[str, Any], field: str, message: str
) -> None:
    response = client.post(FEEDBACK_PATH, json={"feedback": [feedback_item("ok-1"), item]})
    assert response.status_code == 400, response.text[:300]
    (issue,) = response.json()["issue"]
    assert field in issue["diagnostics"] and message in issue["diagnostics"]
    assert stored(store_url) == 0  # the valid entry beside it is not stored either


def test_values_at_the_limits_are_stored_on_every_store(client: TestClient, store_url: str) -> None:
    items = [
        feedback_item("c" * 128),
        overridden(reason={"code": "x" * 256, "system": "s" * 512}, userComment="ü" * 4096),
    ]
    response = client.post(FEEDBACK_PATH, json={"feedback": items})
    assert response.status_code == 200, response.text[:300]
    assert stored(store_url) == 2


def test_entries_per_call_are_capped(client: TestClient, store_url: str) -> None:
    body = {"feedback": [feedback_item(f"card-{n}") for n in range(6)]}
    response = client.post(FEEDBACK_PATH, json=body)
    assert response.status_code == 400
    assert response.json()["issue"][0]["diagnostics"] == (
        "feedback: at most 5 entries per call (got 6)"
    )
    assert stored(store_url) == 0


def test_rows_carry_the_clients_issuer_and_tenant(tmp_path: Path, store_url: str) -> None:
    jwk = {**ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "k1", "use": "sig"}
    clients = tmp_path / "trusted-clients.json"
    clients.write_text(json.dumps([{"iss": ISS, "jwks": {"keys": [jwk]}, "tenant": "hosp-a"}]))
    settings = Settings(
        mode="production",
        public_url=PUBLIC,
        trusted_clients=clients,
        cors_origins=["https://ehr.example.org"],
        feedback_db_url=store_url,
    )
    now = int(time.time())
    claims = {"iss": ISS, "aud": PUBLIC + FEEDBACK_PATH, "iat": now, "exp": now + 300}
    token = jwt.encode(
        {**claims, "jti": str(uuid.uuid4()), "tenant": "hosp-a"},
        KEY,
        algorithm="ES384",
        headers={"kid": "k1"},
    )
    app = create_app(settings, authenticator=JwtAuthenticator.from_settings(settings))
    with TestClient(app, base_url=PUBLIC) as client:
        response = client.post(
            FEEDBACK_PATH,
            json={"feedback": [feedback_item("card-1")]},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200
    store = FeedbackStore.open(store_url)
    (row,) = store.records()
    store.close()
    assert (row.issuer, row.tenant) == (ISS, "hosp-a")
