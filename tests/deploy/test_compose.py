"""deploy/compose.yaml and the example trusted-clients file it mounts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

from sarcoma_cds.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
SERVICE: dict[str, Any] = COMPOSE["services"]["sarcoma-cds"]
POSTGRES: dict[str, Any] = COMPOSE["services"]["postgres"]
TRUSTED_CLIENT_KEYS = {
    "iss",
    "jwks",
    "jwks_uri",
    "jwks_file",
    "jku_allowlist",
    "tenant",
    "fhir_servers",
}
KEY_SOURCES = {"jwks", "jwks_uri", "jwks_file"}


def _with_defaults(value: str) -> str:
    """What `docker compose` substitutes for `${VAR:-default}` when VAR is unset."""
    assert "${" not in re.sub(r"\$\{\w+:-[^}]*\}", "", value), f"variable without default: {value}"
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)


def _service_environment() -> dict[str, str]:
    """Without the pass-through variables (no value: taken from the shell only when set)."""
    return {
        key: _with_defaults(str(value))
        for key, value in SERVICE["environment"].items()
        if value is not None
    }


def test_the_metrics_token_comes_from_the_operator_never_from_the_file() -> None:
    """Issue 17, F11: production /metrics needs SARCOMA_CDS_METRICS_TOKEN; compose passes it
    through (unset: metrics answer 404) and no default token is written in git."""
    assert "SARCOMA_CDS_METRICS_TOKEN" in SERVICE["environment"]
    assert SERVICE["environment"]["SARCOMA_CDS_METRICS_TOKEN"] is None


def test_postgres_16_with_a_named_volume_and_a_healthcheck() -> None:
    assert POSTGRES["image"] == "postgres:16"
    [volume] = POSTGRES["volumes"]
    name, _, target = volume.partition(":")
    assert target == "/var/lib/postgresql/data"
    assert name in COMPOSE["volumes"]
    assert "pg_isready" in " ".join(POSTGRES["healthcheck"]["test"])
    assert "ports" not in POSTGRES, "the database must not be published on the host"


def test_service_waits_for_a_healthy_database_and_restarts_with_it() -> None:
    assert SERVICE["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert SERVICE["depends_on"]["postgres"]["restart"] is True


def test_a_failed_start_is_restarted_and_fails_within_seconds() -> None:
    """The server exits 1 on any start-up failure (tests/web/test_web_startup.py); the policy
    must act on that exit, and the database connection must not hang the start."""
    assert SERVICE["restart"] in ("unless-stopped", "always", "on-failure")
    url = make_url(_service_environment()["SARCOMA_CDS_FEEDBACK_DB_URL"])
    assert 0 < int(str(url.query["connect_timeout"])) <= 15


def test_feedback_database_url_points_at_the_postgres_service() -> None:
    url = make_url(_service_environment()["SARCOMA_CDS_FEEDBACK_DB_URL"])
    postgres_env = {key: _with_defaults(value) for key, value in POSTGRES["environment"].items()}
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port) == ("postgres", 5432)
    assert url.username == postgres_env["POSTGRES_USER"]
    assert url.password == postgres_env["POSTGRES_PASSWORD"]
    assert url.database == postgres_env["POSTGRES_DB"]


def test_trusted_clients_are_mounted_read_only_from_the_example() -> None:
    environment = _service_environment()
    [mount] = [
        m for m in SERVICE["volumes"] if m["target"] == environment["SARCOMA_CDS_TRUSTED_CLIENTS"]
    ]
    assert mount["type"] == "bind"
    assert mount["read_only"] is True
    assert (DEPLOY / mount["source"]).resolve() == DEPLOY / "trusted-clients.example.yaml"


def test_service_is_built_from_the_dockerfile_and_published_on_loopback_only() -> None:
    build = SERVICE["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    for port in SERVICE["ports"]:
        assert port.startswith("127.0.0.1:")


def test_container_is_read_only_without_capabilities() -> None:
    assert SERVICE["read_only"] is True
    assert SERVICE["tmpfs"] == ["/tmp"]
    assert SERVICE["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in SERVICE["security_opt"]


def test_default_settings_pass_the_production_safety_check(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = _service_environment()
    # The path inside the container; the same file is here in the repository.
    environment["SARCOMA_CDS_TRUSTED_CLIENTS"] = str(DEPLOY / "trusted-clients.example.yaml")
    known = {f"SARCOMA_CDS_{name.upper()}" for name in Settings.model_fields}
    assert set(environment) <= known
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    settings.check_safe()
    assert settings.mode == "production"
    assert settings.public_url is not None
    assert settings.public_url.startswith("https://")


def _load_clients(text: str) -> list[dict[str, Any]]:
    clients = yaml.safe_load(text)
    assert isinstance(clients, list)
    assert clients
    return clients


def _assert_well_formed(clients: list[dict[str, Any]]) -> None:
    for client in clients:
        assert set(client) <= TRUSTED_CLIENT_KEYS, client
        assert urlsplit(client["iss"]).scheme == "https"
        assert len(set(client) & KEY_SOURCES) == 1, "exactly one of jwks, jwks_uri, jwks_file"
        if "jwks_uri" in client:
            assert urlsplit(client["jwks_uri"]).scheme == "https"
        for url in client.get("jku_allowlist", []):
            assert urlsplit(url).scheme == "https"


def test_example_trusted_clients_are_well_formed() -> None:
    clients = _load_clients((DEPLOY / "trusted-clients.example.yaml").read_text())
    _assert_well_formed(clients)
    sandbox = [c for c in clients if c["iss"] == "https://sandbox.cds-hooks.org"]
    assert sandbox[0]["jku_allowlist"] == ["https://sandbox.cds-hooks.org/.well-known/jwks.json"]


def test_kubernetes_secret_trusted_clients_are_well_formed() -> None:
    secret = next(yaml.safe_load_all((DEPLOY / "kubernetes" / "secret.yaml").read_text()))
    _assert_well_formed(_load_clients(secret["stringData"]["trusted-clients.yaml"]))
