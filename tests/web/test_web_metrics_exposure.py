"""/metrics in production (issue 17, F11): absent (404) to anyone without the scraper's token,
served to Prometheus presenting SARCOMA_CDS_METRICS_TOKEN; open in development."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sarcoma_cds.security.trusted_clients import TrustedClient
from sarcoma_cds.settings import Settings, UnsafeSettingsError
from sarcoma_cds.web.app import create_app

TOKEN = "m" * 40


class NoClients:
    def verify(self, authorization: str | None, audience: str) -> dict[str, str]:
        raise AssertionError("/metrics never authenticates a CDS client")

    def client(self, iss: str) -> TrustedClient | None:
        return None


def production(tmp_path: Path, **extra: object) -> Settings:
    clients = tmp_path / "clients.yaml"
    clients.write_text(
        "- iss: https://ehr.example.org\n  jku_allowlist: [https://ehr.example.org/k]\n"
    )
    return Settings(
        mode="production",
        public_url="https://cds.example.org",
        trusted_clients=clients,
        cors_origins=["https://ehr.example.org"],
        feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3",
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def scraped(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(production(tmp_path, metrics_token=TOKEN), authenticator=NoClients())
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN])
def test_production_metrics_look_absent_without_the_token(
    scraped: TestClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = scraped.get("/metrics", headers=headers)
    assert response.status_code == 404
    assert "sarcoma_cds" not in response.text


def test_production_metrics_answer_the_scraper(scraped: TestClient) -> None:
    response = scraped.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "sarcoma_cds_request_duration_seconds" in response.text


def test_production_without_a_token_serves_no_metrics(tmp_path: Path) -> None:
    with TestClient(create_app(production(tmp_path), authenticator=NoClients())) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/healthz").status_code == 200


def test_a_short_metrics_token_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSettingsError, match="SARCOMA_CDS_METRICS_TOKEN"):
        production(tmp_path, metrics_token="short").check_safe()


def test_development_metrics_stay_open(tmp_path: Path) -> None:
    settings = Settings(feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3")
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 200
