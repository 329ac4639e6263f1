"""Every answered request is timed under its route template, method and status (web/observe.py),
including answers the routes never see (an unknown path, a refused body)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from web_fixtures import SERVICE_PATH


def _count(text: str, endpoint: str, method: str, status: int) -> float:
    prefix = (
        f'sarcoma_cds_request_duration_seconds_count{{endpoint="{endpoint}",'
        f'method="{method}",status="{status}"}} '
    )
    line = next((x for x in text.splitlines() if x.startswith(prefix)), None)
    return float(line.removeprefix(prefix)) if line else 0.0


def test_answers_are_timed_by_route_method_and_status(fake_client: TestClient) -> None:
    fake_client.get("/cds-services")
    fake_client.get("/cds-services")
    fake_client.post(
        SERVICE_PATH, content=b"{not json", headers={"content-type": "application/json"}
    )
    fake_client.get("/no/such/path")
    text = fake_client.get("/metrics").text

    assert _count(text, "/cds-services", "GET", 200) == 2
    assert _count(text, "/cds-services/{service_id}", "POST", 400) == 1
    assert _count(text, "unmatched", "GET", 404) == 1
    # The exposition itself is answered before its own observation is recorded.
    assert _count(text, "/metrics", "GET", 200) == 0
