"""Every refusal is an OperationOutcome with the right status, naming the field if any."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_fixtures import FEEDBACK_PATH, SERVICE_PATH, FakeEngine

from sarcoma_cds.cds_hooks.hygiene import find_violations
from sarcoma_cds.settings import Settings
from sarcoma_cds.web.app import create_app


def outcome(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert find_violations(body) == []
    issues: list[dict[str, Any]] = body["issue"]
    return issues


def test_missing_field_is_400_naming_it(client: TestClient, patient_view: dict[str, Any]) -> None:
    del patient_view["hookInstance"]

    response = client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 400
    [issue] = outcome(response)
    assert issue["code"] == "required"
    assert issue["expression"] == ["hookInstance"]


def test_wrong_type_is_400_naming_the_nested_field(
    client: TestClient, patient_view: dict[str, Any]
) -> None:
    patient_view["context"]["encounterId"] = {"id": "enc-1"}

    response = client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 400
    [issue] = outcome(response)
    assert issue["expression"] == ["context.encounterId"]


def test_errors_never_echo_the_input(client: TestClient, patient_view: dict[str, Any]) -> None:
    patient_view["context"]["userId"] = {"token": "secret-token-123"}
    patient_view["context"]["patientId"] = ["pat-1234"]

    response = client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 400
    assert {i["expression"][0] for i in outcome(response)} == {
        "context.userId",
        "context.patientId",
    }
    assert "secret-token-123" not in response.text
    assert "pat-1234" not in response.text


def test_other_hook_is_400(client: TestClient, patient_view: dict[str, Any]) -> None:
    patient_view["hook"] = "order-select"

    response = client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 400
    [issue] = outcome(response)
    assert issue["code"] == "not-supported"
    assert issue["expression"] == ["hook"]


def test_patient_id_is_required(client: TestClient, patient_view: dict[str, Any]) -> None:
    del patient_view["context"]["patientId"]

    response = client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 400
    assert outcome(response)[0]["expression"] == ["context.patientId"]


def test_fhir_authorization_needs_fhir_server(
    client: TestClient, patient_view: dict[str, Any]
) -> None:
    del patient_view["fhirServer"]

    response = client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 400
    assert outcome(response)[0]["expression"] == ["fhirServer"]


@pytest.mark.parametrize(
    ("value", "path"),
    [(["not", "a", "resource"], "prefetch.conditions"), ({"id": "x"}, "prefetch.conditions")],
)
def test_prefetch_value_must_be_a_resource_or_null(
    client: TestClient, patient_view: dict[str, Any], value: Any, path: str
) -> None:
    patient_view["prefetch"]["conditions"] = value

    response = client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 400
    assert outcome(response)[0]["expression"] == [path]


def test_body_that_is_not_an_object_is_400(client: TestClient) -> None:
    response = client.post(SERVICE_PATH, json=["patient-view"])

    assert response.status_code == 400
    assert outcome(response)[0]["code"] == "invalid"


def test_unknown_service_is_404(client: TestClient, patient_view: dict[str, Any]) -> None:
    for path in ("/cds-services/other-service", "/cds-services/other-service/feedback"):
        response = client.post(path, json=patient_view)
        assert response.status_code == 404
        assert outcome(response)[0]["code"] == "not-found"


def test_unknown_path_and_wrong_method_are_outcomes(client: TestClient) -> None:
    assert client.get("/nothing-here").status_code == 404
    wrong_method = client.get(SERVICE_PATH)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert outcome(wrong_method)[0]["code"] == "not-supported"


def test_malformed_json_is_400(client: TestClient) -> None:
    response = client.post(
        SERVICE_PATH,
        content=b'{"hook": "patient-view",',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    [issue] = outcome(response)
    assert issue["code"] == "structure"
    assert "not valid JSON" in issue["diagnostics"]


def test_empty_body_is_400(client: TestClient) -> None:
    response = client.post(SERVICE_PATH, content=b"", headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert outcome(response)[0]["code"] == "required"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}

    for path in (SERVICE_PATH, FEEDBACK_PATH):
        response = client.post(path, content=b"{}", headers=headers)
        assert response.status_code == 415
        assert outcome(response)[0]["code"] == "not-supported"


def test_json_with_charset_and_fhir_json_are_accepted(
    client: TestClient, patient_view: dict[str, Any]
) -> None:
    import orjson

    for content_type in ("application/json; charset=utf-8", "application/fhir+json"):
        response = client.post(
            SERVICE_PATH, content=orjson.dumps(patient_view), headers={"Content-Type": content_type}
        )
        assert response.status_code == 200


@pytest.fixture
def small_limit_client(settings: Settings) -> Iterator[TestClient]:
    limited = settings.model_copy(update={"max_body_bytes": 2048})
    with TestClient(create_app(limited)) as test_client:
        yield test_client


def test_declared_body_over_the_limit_is_413(
    small_limit_client: TestClient, patient_view: dict[str, Any]
) -> None:
    patient_view["extension"] = {"padding": "x" * 4000}

    for path in (SERVICE_PATH, FEEDBACK_PATH):
        response = small_limit_client.post(path, json=patient_view)
        assert response.status_code == 413
        assert outcome(response)[0]["code"] == "too-long"


def test_streamed_body_over_the_limit_is_413(small_limit_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
        yield b'{"hook": "patient-view", "padding": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    response = small_limit_client.post(
        SERVICE_PATH, content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413


def test_default_body_limit_is_five_megabytes(settings: Settings) -> None:
    assert Settings().max_body_bytes == 5 * 1024 * 1024


class ExplodingEngine(FakeEngine):
    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom for patient pat-1234")


def test_unexpected_exception_is_a_generic_500_without_traceback(
    settings: Settings, patient_view: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, engine=ExplodingEngine(settings=settings))
    caplog.set_level(logging.INFO, logger="sarcoma_cds")
    with TestClient(app, raise_server_exceptions=False) as test_client:
        response = test_client.post(SERVICE_PATH, json=patient_view)

    assert response.status_code == 500
    [issue] = outcome(response)
    assert issue["code"] == "exception"
    assert "boom" not in response.text
    assert "Traceback" not in response.text
    [error] = [r for r in caplog.records if r.getMessage() == "unhandled exception"]
    assert error.__dict__["error"] == "RuntimeError"
    assert error.__dict__["request_id"] == response.headers["x-request-id"]
    assert error.exc_info is None
    assert "pat-1234" not in caplog.text
