"""Hostile numbers and echoed client text (issue 17, F7 and F14): a lesion count of 1e300,
"NaN", "Infinity" or -4 is an unknown value, never a 5xx or a card that repeats it; an error
body echoes at most a few hundred characters of whatever the client chose."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from tests.conftest import load_example

from sarcoma_cds import SERVICE_ID
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app

SERVICE = f"/cds-services/{SERVICE_ID}"
EXAMPLE = "01-metachronous-lms-liver-only.json"
TODAY_EXAMPLE = "2026-06-01"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder: Path = tmp_path_factory.mktemp("numbers")
    settings = Settings(feedback_db_url=f"sqlite:///{folder}/fb.sqlite3")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def body_text(response: Any) -> str:
    return orjson.dumps(response.json()).decode()


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        ({"valueQuantity": {"value": "__NUMBER__"}}, b"1e300"),
        ({"valueQuantity": {"value": "__NUMBER__"}}, b"-1e300"),
        ({"valueQuantity": {"value": "NaN"}}, None),
        ({"valueQuantity": {"value": "Infinity"}}, None),
        ({"valueInteger": "__NUMBER__"}, b"1e300"),
        ({"valueInteger": -4}, None),
        ({"valueQuantity": {"value": -4}}, None),
        ({"valueInteger": "__NUMBER__"}, b"99999999999999999999999"),
    ],
)
def test_implausible_lesion_counts_are_unknown_never_a_5xx(
    client: TestClient, value: dict[str, Any], raw: bytes | None
) -> None:
    request = copy.deepcopy(load_example(EXAMPLE))
    for entry in request["prefetch"]["observations"]["entry"]:
        resource = entry["resource"]
        if resource["id"] == "lesion-count-liver":
            for key in ("valueInteger", "valueQuantity"):
                resource.pop(key, None)
            resource.update(value)
    body = orjson.dumps(request)
    if raw is not None:
        body = body.replace(b'"__NUMBER__"', raw)
    response = client.post(SERVICE, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text[:500]
    text = body_text(response)
    for shown in ("-4 lesion", "1e+300 lesion", "inf lesion", "nan lesion", "e+22 lesion"):
        assert shown not in text.lower()


def test_error_bodies_echo_at_most_a_few_hundred_characters(client: TestClient) -> None:
    response = client.post(f"/cds-services/{'s' * 20_000}", json={})
    assert response.status_code == 404
    assert len(response.content) < 1_000
    (issue,) = response.json()["issue"]
    assert issue["diagnostics"].startswith("no CDS service 'sssss")

    long_key = "k" * 100_000
    request = copy.deepcopy(load_example(EXAMPLE))
    request["context"] = {long_key: 1}
    response = client.post(SERVICE, json=request)
    assert response.status_code == 400
    assert len(response.content) < 2_000
