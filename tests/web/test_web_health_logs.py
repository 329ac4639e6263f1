"""Liveness, readiness and the structured access log."""

from __future__ import annotations

import io
import logging
import shutil
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from web_fixtures import SERVICE_PATH

from sarcoma_cds.cds_hooks.hygiene import find_violations
from sarcoma_cds.web.logs import JsonFormatter, configure_logging


def test_healthz_and_readyz(client: TestClient) -> None:
    alive = client.get("/healthz")
    ready = client.get("/readyz")

    assert (alive.status_code, alive.json()) == (200, {"status": "alive"})
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert find_violations(alive.json()) == find_violations(ready.json()) == []


def test_readyz_is_503_when_the_feedback_store_is_gone(client: TestClient, db_path: Path) -> None:
    client.app.state.services.feedback_store.close()  # type: ignore[attr-defined]
    shutil.rmtree(db_path.parent)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["issue"][0]["diagnostics"] == "feedback store unreachable"
    assert client.get("/healthz").status_code == 200


def test_access_log_is_structured_and_free_of_tokens_and_patient_data(
    client: TestClient, patient_view: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sarcoma_cds")

    response = client.post(SERVICE_PATH, json=patient_view)

    [record] = [r for r in caplog.records if r.name == "sarcoma_cds.web.access"]
    line = orjson.loads(JsonFormatter().format(record))
    assert line["message"] == "request"
    assert line["request_id"] == response.headers["x-request-id"]
    assert line["hook_instance"] == patient_view["hookInstance"]
    assert line["path"] == SERVICE_PATH
    assert line["method"] == "POST"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    everything = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "pat-1234" not in everything
    assert "secret-token-123" not in everything
    assert "Practitioner/example" not in everything


def test_unsafe_hook_instance_is_not_logged(
    client: TestClient, patient_view: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sarcoma_cds")
    patient_view["hookInstance"] = "line\nbreak injected"

    client.post(SERVICE_PATH, json=patient_view)

    [record] = [r for r in caplog.records if r.name == "sarcoma_cds.web.access"]
    assert "hook_instance" not in orjson.loads(JsonFormatter().format(record))


@pytest.mark.usefixtures("restore_logging")
def test_logs_follow_stderr_when_it_is_swapped_and_the_old_one_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The served app's handler writes to the current stderr: a stream swapped out and closed
    by its owner (pytest's capture, between tests) must not turn every later line into
    "--- Logging error --- ValueError: I/O operation on closed file"."""
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("info")
    log = logging.getLogger("sarcoma_cds.web.access")
    log.info("request", extra={"status": 200})
    first.close()
    monkeypatch.setattr(sys, "stderr", second)
    log.info("request", extra={"status": 201})
    [line] = second.getvalue().splitlines()
    assert orjson.loads(line)["status"] == 201
    assert "Logging error" not in second.getvalue()
