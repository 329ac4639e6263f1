"""A captured token is accepted once by the whole deployment (issue 17, F3/F6/F16): across the
worker processes of one host (`sarcoma-cds serve --workers 2`, SQLite file) and across two app
instances sharing one database (two pods on PostgreSQL)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from jwt.algorithms import ECAlgorithm
from tests.support.postgres import postgres_url  # noqa: F401  (a fixture, used by name)
from tests.support.service_process import running_service

from sarcoma_cds.security.jwt_verifier import JwtAuthenticator
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

PUBLIC = "https://cds.example.org"
ISS = "https://ehr.example.org"
KEY = ec.generate_private_key(ec.SECP384R1())
DISCOVERY = f"{PUBLIC}/cds-services"


def token(**claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISS, "aud": DISCOVERY, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    payload.update(claims)
    return jwt.encode(payload, KEY, algorithm="ES384", headers={"typ": "JWT", "kid": "k1"})


def trusted_clients(folder: Path) -> Path:
    jwk = {**ECAlgorithm.to_jwk(KEY.public_key(), as_dict=True), "kid": "k1", "use": "sig"}
    path = folder / "trusted-clients.json"
    path.write_text(json.dumps([{"iss": ISS, "jwks": {"keys": [jwk]}}]))
    return path


def production_settings(folder: Path, database_url: str) -> Settings:
    return Settings(
        mode="production",
        public_url=PUBLIC,
        trusted_clients=trusted_clients(folder),
        cors_origins=["https://ehr.example.org"],
        feedback_db_url=database_url,
    )


def test_a_replayed_token_is_accepted_once_across_two_uvicorn_workers(tmp_path: Path) -> None:
    """Twenty concurrent replays on fresh connections reach both workers: one is accepted."""
    env = {
        "SARCOMA_CDS_MODE": "production",
        "SARCOMA_CDS_PUBLIC_URL": PUBLIC,
        "SARCOMA_CDS_TRUSTED_CLIENTS": str(trusted_clients(tmp_path)),
        "SARCOMA_CDS_CORS_ORIGINS": '["https://ehr.example.org"]',
        "SARCOMA_CDS_FEEDBACK_DB_URL": f"sqlite:///{tmp_path}/service.sqlite3",
    }
    with running_service(env, tmp_path, workers=2) as service:
        assert sum("startup complete" in line for line in service.log) == 2  # two workers

        def call(bearer: str) -> int:
            with httpx.Client(base_url=service.url, timeout=30) as fresh:  # a new connection
                headers = {"Authorization": f"Bearer {bearer}"}
                return fresh.get("/cds-services", headers=headers).status_code

        fresh_tokens = [token() for _ in range(20)]
        with ThreadPoolExecutor(max_workers=20) as pool:
            assert list(pool.map(call, fresh_tokens)) == [200] * 20
            captured = token()
            statuses = list(pool.map(call, [captured] * 20))
    assert sorted(statuses) == [200] + [401] * 19


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/service.sqlite3"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def two_pods(tmp_path: Path, shared_database: str) -> Iterator[list[TestClient]]:
    settings = production_settings(tmp_path, shared_database)
    clients = []
    for _ in range(2):
        app = create_app(settings, authenticator=JwtAuthenticator.from_settings(settings))
        clients.append(TestClient(app, base_url=PUBLIC))
    for client in clients:
        client.__enter__()
    yield clients
    for client in clients:
        client.__exit__(None, None, None)


def test_two_app_instances_sharing_one_database_accept_a_token_once(
    two_pods: list[TestClient],
) -> None:
    captured = {"Authorization": f"Bearer {token()}"}
    first, second = two_pods
    assert first.get("/cds-services", headers=captured).status_code == 200
    assert second.get("/cds-services", headers=captured).status_code == 401
    assert first.get("/cds-services", headers=captured).status_code == 401
    fresh = {"Authorization": f"Bearer {token()}"}
    assert second.get("/cds-services", headers=fresh).status_code == 200


def test_an_hour_long_token_is_refused(two_pods: list[TestClient]) -> None:
    now = int(time.time())
    long_lived = {"Authorization": f"Bearer {token(iat=now, exp=now + 3600)}"}
    assert two_pods[0].get("/cds-services", headers=long_lived).status_code == 401
