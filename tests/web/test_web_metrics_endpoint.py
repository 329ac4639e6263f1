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
