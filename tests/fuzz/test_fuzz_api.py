"""Schemathesis against the app's own OpenAPI description, in-process: whatever the body, path or
header, no 500 and no traceback. The real engine runs (fuzzed prefetch goes through the clinical
core); the FHIR fallback goes to a mock transport, never the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from sarcoma_cds.fhir.fetch import FhirFetcher
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app


def _app(tmp: Path) -> object:
    config = Settings(feedback_db_url=f"sqlite:///{tmp}/fuzz-feedback.sqlite3")
    unreachable = httpx.MockTransport(lambda request: httpx.Response(503))
    fetcher = FhirFetcher(config, client=httpx.AsyncClient(transport=unreachable))
    return create_app(config, fetcher=fetcher)


APP = _app(Path(__import__("tempfile").mkdtemp(prefix="sarcoma-fuzz-")))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: schemathesis.Case[Any]) -> None:
    response = case.call()
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    case.validate_response(response, checks=[not_a_server_error])
