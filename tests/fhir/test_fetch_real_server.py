"""FhirFetcher against a real FHIR R4 server (sekmet-fhir on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from tests.support.fhir_server import (
    FhirServer,
    fhir_server,
    foreign_link_fhir_server,
    silent_server,
)
from tests.support.sarcoma_patient import LAB_VALUES, patient_resources, transaction

from sarcoma_cds.fhir.fetch import FetchError, FetchOutcome, FhirFetcher
from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES
from sarcoma_cds.settings import Settings

__all__ = ["fhir_server", "foreign_link_fhir_server", "silent_server"]  # fixtures used here

pytestmark = pytest.mark.fhirserver

PID = "lms-001"
ALL_KEYS = list(PREFETCH_TEMPLATES)
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


@pytest.fixture(scope="module")
def loaded(fhir_server: FhirServer) -> FhirServer:
    fhir_server.load(transaction(patient_resources(PID)))
    return fhir_server


@pytest.fixture(scope="module")
def loaded_foreign(foreign_link_fhir_server: FhirServer) -> FhirServer:
    foreign_link_fhir_server.load(transaction(patient_resources(PID)))
    return foreign_link_fhir_server


@dataclass
class Recorder:
    """Every request the fetcher's client sends, recorded by an httpx event hook."""

    requests: list[httpx.Request] = field(default_factory=list)

    async def __call__(self, request: httpx.Request) -> None:
        self.requests.append(request)

    def to(self, resource_type: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.split("/")[2] == resource_type]


async def fetch(
    settings: Settings,
    recorder: Recorder,
    *,
    prefetch: Mapping[str, Any] | None = None,
    missing: list[str] | None = None,
    server: str | None,
    token: str | None,
    pid: str = PID,
    transport: httpx.AsyncBaseTransport | None = None,
    fhir_servers: list[str] | None = None,
) -> FetchOutcome:
    client = httpx.AsyncClient(event_hooks={"request": [recorder]}, transport=transport)
    fetcher = FhirFetcher(settings, client)
    try:
        return await fetcher.complete(
            prefetch or {},
            ALL_KEYS if missing is None else missing,
            {"patientId": pid},
            server,
            token,
            fhir_servers=fhir_servers,
        )
    finally:
        await fetcher.aclose()
        assert not client.is_closed, "an injected client belongs to the caller"
        await client.aclose()


def ids(bundle: Mapping[str, Any]) -> set[str]:
    return {entry["resource"]["id"] for entry in bundle["entry"]}


def loaded_ids(resource_type: str) -> set[str]:
    return {r["id"] for r in patient_resources(PID) if r["resourceType"] == resource_type}


def test_fetches_every_key_as_loaded(loaded: FhirServer) -> None:
    recorder = Recorder()
    outcome = run(fetch(Settings(), recorder, server=loaded.base_url, token=loaded.token))

    assert outcome.unavailable == {}
    assert sorted(outcome.fetched) == sorted(ALL_KEYS)
    assert outcome.prefetch["patient"]["resourceType"] == "Patient"
    assert outcome.prefetch["patient"]["id"] == PID
    assert outcome.prefetch["patient"]["birthDate"] == "1968-04-12"
    assert ids(outcome.prefetch["conditions"]) == loaded_ids("Condition")
    assert ids(outcome.prefetch["observations"]) == loaded_ids("Observation")
    assert ids(outcome.prefetch["procedures"]) == loaded_ids("Procedure")
    codes = {
        e["resource"]["code"]["coding"][0]["code"] for e in outcome.prefetch["conditions"]["entry"]
    }
    assert codes == {"C49.4", "C78.7"}
    assert ids(outcome.prefetch["medicationAdministrations"]) == loaded_ids(
        "MedicationAdministration"
    )
    assert ids(outcome.prefetch["diagnosticReports"]) == loaded_ids("DiagnosticReport")
    assert outcome.prefetch["medicationRequests"]["entry"] == []
    hepatectomy = outcome.prefetch["procedures"]["entry"][0]["resource"]
    assert hepatectomy["code"]["coding"][0]["code"] == "107963000"
    assert hepatectomy["reasonReference"] == [{"reference": f"Condition/{PID}-liver-met"}]
    for key in ALL_KEYS[1:]:
        bundle = outcome.prefetch[key]
        assert bundle["type"] == "searchset"
        assert bundle["total"] == len(bundle["entry"])
    # One request per key, all to the FHIR server, each with the token and FHIR JSON.
    assert len(recorder.requests) == len(ALL_KEYS)
    for request in recorder.requests:
        assert str(request.url).startswith(loaded.base_url + "/")
        assert request.headers["authorization"] == f"Bearer {loaded.token}"
        assert request.headers["accept"] == "application/fhir+json"
    searches = [r for r in recorder.requests if "patient" in r.url.params]
    assert len(searches) == len(ALL_KEYS) - 1
    assert all(r.url.params["patient"] == PID for r in searches)
    assert all(r.url.params["_count"] == "200" for r in searches)


def test_pages_are_followed_and_merged(loaded: FhirServer) -> None:
    recorder = Recorder()
    settings = Settings(fetch_page_size=2)
    outcome = run(
        fetch(
            settings,
            recorder,
            missing=["observations"],
            server=loaded.base_url,
            token=loaded.token,
        )
    )

    bundle = outcome.prefetch["observations"]
    assert len(bundle["entry"]) == len(LAB_VALUES) + 1 == 5
    assert ids(bundle) == loaded_ids("Observation")
    offsets = [r.url.params.get("_offset", "0") for r in recorder.to("Observation")]
    assert offsets == ["0", "2", "4"]  # three pages of at most two
    assert all(r.headers["authorization"] == f"Bearer {loaded.token}" for r in recorder.requests)


def test_page_cap_makes_the_key_a_gap_rather_than_truncating(loaded: FhirServer) -> None:
    recorder = Recorder()
    settings = Settings(fetch_page_size=2, fetch_max_pages=2)
    outcome = run(
        fetch(
            settings,
            recorder,
            prefetch={"conditions": None},
            missing=["observations"],
            server=loaded.base_url,
            token=loaded.token,
        )
    )

    assert "observations" not in outcome.prefetch
    assert outcome.unavailable == {
        "observations": "more than 2 pages; the data would be incomplete"
    }
    assert len(recorder.to("Observation")) == 2


def test_null_key_and_empty_bundle_are_never_fetched(loaded: FhirServer) -> None:
    recorder = Recorder()
    empty = {"resourceType": "Bundle", "type": "searchset", "total": 0, "entry": []}
    prefetch: dict[str, Any] = {
        "patient": {"resourceType": "Patient", "id": PID},
        "conditions": {"resourceType": "Bundle", "type": "searchset", "entry": []},
        "observations": None,
        "procedures": empty,
        "medicationRequests": None,
        "medicationAdministrations": empty,
        "medicationStatements": None,
        "diagnosticReports": None,
    }
    outcome = run(
        fetch(Settings(), recorder, prefetch=prefetch, server=loaded.base_url, token=loaded.token)
    )

    assert recorder.requests == []
    assert outcome.prefetch == prefetch
    assert outcome.unavailable == {}
    assert outcome.fetched == []


def test_only_the_absent_key_is_fetched(loaded: FhirServer) -> None:
    recorder = Recorder()
    prefetch = {key: None for key in ALL_KEYS if key != "conditions"}
    outcome = run(
        fetch(Settings(), recorder, prefetch=prefetch, server=loaded.base_url, token=loaded.token)
    )

    assert [r.url.path.rsplit("/", 1)[-1] for r in recorder.requests] == ["Condition"]
    assert outcome.fetched == ["conditions"]
    assert outcome.prefetch["observations"] is None
    assert ids(outcome.prefetch["conditions"]) == loaded_ids("Condition")


def test_operation_outcome_in_place_of_prefetch_is_fetched_again(loaded: FhirServer) -> None:
    recorder = Recorder()
    failed = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout"}],
    }
    outcome = run(
        fetch(
            Settings(),
            recorder,
            prefetch={"conditions": failed},
            missing=["conditions"],
            server=loaded.base_url,
            token=loaded.token,
        )
    )

    assert len(recorder.requests) == 1
    assert ids(outcome.prefetch["conditions"]) == loaded_ids("Condition")


def test_wrong_token_fails_conditions_naming_401(
    loaded: FhirServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "not-the-token-" + loaded.token[:6]
    with pytest.raises(FetchError) as caught:
        run(fetch(Settings(), Recorder(), server=loaded.base_url, token=wrong))

    error = caught.value
    assert error.resource_type == "Condition"
    assert error.key == "conditions"
    assert error.reason == "FHIR server answered 401 (OperationOutcome: login)"
    assert wrong not in str(error)
    assert wrong not in caplog.text
    assert PID not in caplog.text


def test_unknown_patient_leaves_a_gap_for_the_optional_patient_key(loaded: FhirServer) -> None:
    recorder = Recorder()
    outcome = run(
        fetch(
            Settings(),
            recorder,
            missing=["patient", "conditions"],
            server=loaded.base_url,
            token=loaded.token,
            pid="no-such-patient",
        )
    )

    assert outcome.unavailable == {
        "patient": "FHIR server answered 404 (OperationOutcome: not-found)"
    }
    assert "patient" not in outcome.prefetch
    assert outcome.prefetch["conditions"]["entry"] == []  # a real "no data" answer


class FailingFor(httpx.AsyncBaseTransport):
    """Answers `status` for one resource type; passes everything else to the real server."""

    def __init__(self, resource_type: str, status: int) -> None:
        self._resource_type = resource_type
        self._status = status
        self._real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(f"/{self._resource_type}"):
            return httpx.Response(self._status, text="Service Unavailable")
        return await self._real.handle_async_request(request)

    async def aclose(self) -> None:
        await self._real.aclose()


def test_failing_optional_key_is_a_gap_and_the_rest_is_returned(loaded: FhirServer) -> None:
    outcome = run(
        fetch(
            Settings(),
            Recorder(),
            server=loaded.base_url,
            token=loaded.token,
            transport=FailingFor("Observation", 503),
        )
    )

    assert outcome.unavailable == {"observations": "FHIR server answered 503"}
    assert "observations" not in outcome.prefetch
    assert sorted(outcome.fetched) == sorted(k for k in ALL_KEYS if k != "observations")
    assert ids(outcome.prefetch["conditions"]) == loaded_ids("Condition")


def test_failing_required_key_raises_even_when_the_rest_succeeds(loaded: FhirServer) -> None:
    with pytest.raises(FetchError) as caught:
        run(
            fetch(
                Settings(),
                Recorder(),
                server=loaded.base_url,
                token=loaded.token,
                transport=FailingFor("Condition", 500),
            )
        )
    assert (caught.value.resource_type, caught.value.reason) == (
        "Condition",
        "FHIR server answered 500",
    )


def test_silent_server_fails_within_the_budget(silent_server: str) -> None:
    budget = 1.0
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        run(
            fetch(
                Settings(fetch_timeout_seconds=budget),
                Recorder(),
                server=silent_server,
                token="abc",
            )
        )
    elapsed = time.monotonic() - started

    assert elapsed < budget + 0.5
    assert elapsed >= budget * 0.9  # it did wait for the server, not fail early
    assert caught.value.resource_type == "Condition"
    assert caught.value.reason == "no answer within the 1 s budget"


def test_next_link_to_another_host_is_not_followed(loaded_foreign: FhirServer) -> None:
    recorder = Recorder()
    outcome = run(
        fetch(
            Settings(fetch_page_size=2),
            recorder,
            missing=["conditions", "observations"],
            server=loaded_foreign.base_url,
            token=loaded_foreign.token,
        )
    )

    # Two conditions fit on one page (no next link); observations need a second page whose
    # link names http://localhost:<port>, not the fhirServer http://127.0.0.1:<port>.
    assert ids(outcome.prefetch["conditions"]) == loaded_ids("Condition")
    assert outcome.unavailable == {
        "observations": "next-page link points outside fhirServer; not followed"
    }
    assert len(recorder.to("Observation")) == 1
    assert {r.url.host for r in recorder.requests} == {"127.0.0.1"}


def test_next_link_to_another_host_fails_the_required_key(loaded_foreign: FhirServer) -> None:
    recorder = Recorder()
    with pytest.raises(FetchError) as caught:
        run(
            fetch(
                Settings(fetch_page_size=1),
                recorder,
                missing=["conditions"],
                server=loaded_foreign.base_url,
                token=loaded_foreign.token,
            )
        )
    assert caught.value.reason == "next-page link points outside fhirServer; not followed"
    assert len(recorder.requests) == 1


def test_http_fhir_server_is_refused_in_production(loaded: FhirServer) -> None:
    recorder = Recorder()
    with pytest.raises(FetchError) as caught:
        run(
            fetch(
                Settings(mode="production"),
                recorder,
                server=loaded.base_url,
                token=loaded.token,
            )
        )
    assert caught.value.reason == "fhirServer must use https outside development mode"
    assert recorder.requests == []


def test_missing_token_is_refused_without_a_request(loaded: FhirServer) -> None:
    recorder = Recorder()
    with pytest.raises(FetchError) as caught:
        run(fetch(Settings(), recorder, server=loaded.base_url, token=None))
    assert caught.value.reason == "no access token"
    assert recorder.requests == []


def test_unauthenticated_fetch_in_development_sends_no_authorization(
    loaded: FhirServer,
) -> None:
    recorder = Recorder()
    settings = Settings(allow_unauthenticated_fetch=True)
    with pytest.raises(FetchError) as caught:
        run(fetch(settings, recorder, missing=["conditions"], server=loaded.base_url, token=None))
    # This server insists on a token, so the attempt is made and answered 401.
    assert caught.value.reason == "FHIR server answered 401 (OperationOutcome: login)"
    assert len(recorder.requests) == 1
    assert "authorization" not in recorder.requests[0].headers


def test_unauthenticated_fetch_setting_is_ignored_in_production(loaded: FhirServer) -> None:
    recorder = Recorder()
    settings = Settings(mode="production", allow_unauthenticated_fetch=True)
    https_server = loaded.base_url.replace("http://", "https://")
    with pytest.raises(FetchError) as caught:
        # The server is the client's listed one: only the missing token stops the fetch.
        run(fetch(settings, recorder, server=https_server, token=None, fhir_servers=[https_server]))
    assert caught.value.reason == "no access token"
    assert recorder.requests == []


def test_logs_hold_neither_token_nor_patient_id(
    loaded: FhirServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    run(
        fetch(
            Settings(),
            Recorder(),
            server=loaded.base_url,
            token=loaded.token,
            transport=FailingFor("Procedure", 503),
        )
    )
    assert "fetched conditions" in caplog.text
    assert "could not fetch procedures" in caplog.text
    assert loaded.token not in caplog.text
    assert PID not in caplog.text
