"""GET /metrics exposes request latency, cards per topic and fallback fetch counts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from tests.conftest import load_example, load_manifest

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app


def test_metrics_count_requests_and_cards(tmp_path: Path) -> None:
    entry = next(e for e in load_manifest() if e["file"].startswith("01-"))
    settings = Settings(feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3")
    app = create_app(settings, today=lambda: date.fromisoformat(entry["today"]))
    with TestClient(app) as client:
        client.post(f"/cds-services/{SERVICE_ID}", json=load_example(entry["file"]))
        client.post(f"/cds-services/{SERVICE_ID}", json={"hook": "patient-view"})
        text = client.get("/metrics").text

    assert 'sarcoma_cds_cards_total{topic="treatment-pathway"} 1.0' in text
    assert 'sarcoma_cds_cards_total{topic="summary"} 1.0' in text
    assert (
        'sarcoma_cds_request_duration_seconds_count{endpoint="/cds-services/{service_id}",'
        'method="POST",status="200"} 1.0'
    ) in text
    assert 'status="400"' in text
    assert "pt-01" not in text  # no patient data in label values


def test_a_failed_fetch_is_counted_by_kind(tmp_path: Path) -> None:
    import httpx

    from sarcoma_cds.fhir.fetch import FhirFetcher

    entry = next(e for e in load_manifest() if e["file"].startswith("01-"))
    settings = Settings(feedback_db_url=f"sqlite:///{tmp_path}/fb.sqlite3")
    denied = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(401)))
    app = create_app(settings, fetcher=FhirFetcher(settings, client=denied))
    request = {k: v for k, v in load_example(entry["file"]).items() if k != "prefetch"}
    request["fhirAuthorization"] = {
        "access_token": "t0k3n",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "sarcoma-cds",
    }
    with TestClient(app) as client:
        assert client.post(f"/cds-services/{SERVICE_ID}", json=request).status_code == 412
        text = client.get("/metrics").text

    assert (
        'sarcoma_cds_fallback_fetch_failures_total{reason="unauthorized",'
        'resource_type="Condition"} 1.0'
    ) in text
