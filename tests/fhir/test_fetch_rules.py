"""FhirFetcher rules that need a misbehaving server (scripted with httpx.MockTransport) and
prefetch template rendering."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from sarcoma_cds.fhir.fetch import FetchError, FetchOutcome, FhirFetcher
from sarcoma_cds.fhir.prefetch_templates import (
    PREFETCH_TEMPLATES,
    REQUIRED_KEYS,
    InvalidContextError,
    render_template,
    resource_type_of,
)
from sarcoma_cds.settings import Settings

BASE = "https://ehr.example.org/fhir/r4"
TOKEN = "eyJhbGciOi.J9-payload_~+/sig=="
Handler = Callable[[httpx.Request], httpx.Response]


def fhir_json(body: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body, headers={"Content-Type": "application/fhir+json"})


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }


def run_fetch(
    handler: Handler,
    missing: list[str],
    *,
    settings: Settings | None = None,
    context: dict[str, str] | None = None,
    token: str | None = TOKEN,
    prefetch: dict[str, Any] | None = None,
) -> tuple[FetchOutcome, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async def go() -> FetchOutcome:
        async with httpx.AsyncClient(transport=httpx.MockTransport(recording)) as client:
            fetcher = FhirFetcher(settings or Settings(mode="production"), client)
            return await fetcher.complete(
                prefetch or {},
                missing,
                context or {"patientId": "p1"},
                BASE,
                token,
                fhir_servers=(BASE,),
            )

    return asyncio.run(go()), seen


def fetch_error(handler: Handler, **kwargs: Any) -> tuple[FetchError, list[httpx.Request]]:
    """Run a fetch of `conditions` that must fail; the error and the requests sent."""
    seen: list[httpx.Request] = []

    def recording(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    with pytest.raises(FetchError) as caught:
        run_fetch(recording, ["conditions"], **kwargs)
    return caught.value, seen


def test_templates_match_the_documented_prefetch() -> None:
    assert dict(PREFETCH_TEMPLATES) == {
        "patient": "Patient/{{context.patientId}}",
        "conditions": "Condition?patient={{context.patientId}}",
        "observations": "Observation?patient={{context.patientId}}",
        "procedures": "Procedure?patient={{context.patientId}}",
        "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
        "medicationAdministrations": "MedicationAdministration?patient={{context.patientId}}",
        "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
        "diagnosticReports": "DiagnosticReport?patient={{context.patientId}}",
    }
    assert set(REQUIRED_KEYS) == {"conditions"}
    assert [resource_type_of(t) for t in PREFETCH_TEMPLATES.values()] == [
        "Patient",
        "Condition",
        "Observation",
        "Procedure",
        "MedicationRequest",
        "MedicationAdministration",
        "MedicationStatement",
        "DiagnosticReport",
    ]


def test_render_url_encodes_the_context_value() -> None:
    template = PREFETCH_TEMPLATES["conditions"]
    assert render_template(template, {"patientId": "eFs2zvgmbGfgHlhgv.Q-3"}) == (
        "Condition?patient=eFs2zvgmbGfgHlhgv.Q-3"
    )
    assert render_template(template, {"patientId": "a b+c%"}) == "Condition?patient=a%20b%2Bc%25"
    assert render_template("Patient/{{ context.patientId }}", {"patientId": "x"}) == "Patient/x"


@pytest.mark.parametrize("value", ["a/b", "a?b", "a&b", "a#b", ".", "..", "a\nb", ""])
def test_render_rejects_values_that_would_reshape_the_query(value: str) -> None:
    with pytest.raises(InvalidContextError, match=r"context\.patientId"):
        render_template(PREFETCH_TEMPLATES["patient"], {"patientId": value})


def test_render_rejects_a_missing_context_field() -> None:
    with pytest.raises(InvalidContextError, match=r"context\.patientId is required"):
        render_template(PREFETCH_TEMPLATES["patient"], {"encounterId": "e1"})


def test_invalid_context_is_raised_before_any_request() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fhir_json(searchset())

    with pytest.raises(InvalidContextError):
        run_fetch(handler, ["conditions"], context={"patientId": "../Patient"})
    assert seen == []


def test_unknown_key_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="'medications' is not one this service advertises"):
        run_fetch(lambda r: fhir_json(searchset()), ["medications"])


def test_url_and_headers_sent_to_an_https_base_with_a_path() -> None:
    outcome, seen = run_fetch(lambda r: fhir_json(searchset()), ["conditions"])
    assert [str(r.url) for r in seen] == [f"{BASE}/Condition?patient=p1&_count=200"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert seen[0].headers["accept"] == "application/fhir+json"
    assert outcome.prefetch["conditions"] == {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": 0,
        "entry": [],
    }


def test_invalid_json_fails_the_required_key() -> None:
    error, _ = fetch_error(lambda r: httpx.Response(200, text="<html>login</html>"))
    assert (error.resource_type, error.reason) == ("Condition", "FHIR server sent invalid JSON")


def test_operation_outcome_with_200_fails_the_required_key() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "too-costly", "diagnostics": "Patient p1 ..."}],
    }
    error, _ = fetch_error(lambda r: fhir_json(outcome))
    assert (
        error.reason
        == "FHIR server answered with an OperationOutcome (OperationOutcome: too-costly)"
    )
    assert "p1" not in str(error)  # diagnostics text is never repeated


def test_error_outcome_inside_the_searchset_fails_the_key() -> None:
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "fatal", "code": "exception"}],
    }
    error, _ = fetch_error(lambda r: fhir_json(searchset(outcome)))
    assert error.reason == "FHIR server reported a search error (OperationOutcome: exception)"


def test_warning_outcome_inside_the_searchset_is_dropped() -> None:
    warning = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "warning", "code": "informational"}],
    }
    condition = {"resourceType": "Condition", "id": "c1"}
    outcome, _ = run_fetch(lambda r: fhir_json(searchset(warning, condition)), ["conditions"])
    assert [e["resource"] for e in outcome.prefetch["conditions"]["entry"]] == [condition]


def test_redirect_is_not_followed() -> None:
    redirect = httpx.Response(302, headers={"Location": "https://elsewhere.example.com/fhir"})
    error, seen = fetch_error(lambda r: redirect)
    assert error.reason == "FHIR server answered 302"
    assert len(seen) == 1


def test_next_link_with_dot_segments_out_of_the_base_is_not_followed() -> None:
    first = searchset(
        {"resourceType": "Condition", "id": "c1"},
        next_url="https://ehr.example.org/fhir/r4/%2e%2e/other/Condition?page=2",
    )
    error, seen = fetch_error(lambda r: fhir_json(first))
    assert error.reason == "next-page link points outside fhirServer; not followed"
    assert len(seen) == 1


def test_relative_next_link_on_the_same_base_is_followed() -> None:
    pages = {
        "1": searchset({"resourceType": "Condition", "id": "c1"}, next_url="Condition?page=2"),
        "2": searchset({"resourceType": "Condition", "id": "c2"}),
    }
    outcome, seen = run_fetch(
        lambda r: fhir_json(pages[r.url.params.get("page", "1")]), ["conditions"]
    )
    assert [e["resource"]["id"] for e in outcome.prefetch["conditions"]["entry"]] == ["c1", "c2"]
    assert str(seen[1].url) == f"{BASE}/Condition?page=2"
    assert seen[1].headers["authorization"] == f"Bearer {TOKEN}"


def test_read_returning_another_patient_is_a_gap() -> None:
    outcome, _ = run_fetch(
        lambda r: fhir_json({"resourceType": "Patient", "id": "someone-else"}), ["patient"]
    )
    assert outcome.unavailable == {
        "patient": "FHIR server returned a different Patient than asked for"
    }
    assert "patient" not in outcome.prefetch


def test_read_returning_another_resource_type_is_a_gap() -> None:
    outcome, _ = run_fetch(
        lambda r: fhir_json({"resourceType": "Observation", "id": "p1"}), ["patient"]
    )
    assert outcome.unavailable == {"patient": "FHIR server returned something other than a Patient"}


def test_search_answered_with_a_non_bundle_is_refused() -> None:
    error, _ = fetch_error(lambda r: fhir_json({"resourceType": "Condition", "id": "c1"}))
    assert error.reason == "FHIR server did not answer the search with a searchset Bundle"


@pytest.mark.parametrize("token", ["abc\r\nX-Evil: 1", "abc def", "tok;en"])
def test_malformed_token_is_refused_without_a_request(token: str) -> None:
    error, seen = fetch_error(lambda r: fhir_json(searchset()), token=token)
    assert error.reason == "the access token is not a valid bearer token"
    assert token not in str(error)
    assert seen == []


@pytest.mark.parametrize(
    ("server", "reason"),
    [
        (None, "no FHIR server address in the request"),
        ("ftp://ehr.example.org/fhir", "fhirServer must be an absolute https URL"),
        ("https://ehr.example.org/fhir?x=1", "fhirServer must be a plain base URL"),
        ("https://user:pw@ehr.example.org/fhir", "fhirServer must be a plain base URL"),
    ],
)
def test_unusable_fhir_server_is_refused_without_a_request(server: str | None, reason: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return fhir_json(searchset())

    async def go() -> FetchOutcome:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            fetcher = FhirFetcher(Settings(mode="production"), client)
            return await fetcher.complete({}, ["conditions"], {"patientId": "p1"}, server, TOKEN)

    with pytest.raises(FetchError) as caught:
        asyncio.run(go())
    assert caught.value.reason.startswith(reason)
    assert seen == []


def test_optional_keys_without_fhir_server_become_gaps() -> None:
    async def go() -> FetchOutcome:
        fetcher = FhirFetcher(Settings())
        try:
            prefetch = {"conditions": searchset()}
            return await fetcher.complete(
                prefetch, ["conditions", "procedures"], {"patientId": "p1"}, None, None
            )
        finally:
            await fetcher.aclose()

    outcome = asyncio.run(go())
    assert outcome.unavailable == {"procedures": "no FHIR server address in the request"}
    assert outcome.prefetch == {"conditions": searchset()}


def test_oversized_page_is_refused() -> None:
    settings = Settings(mode="production", fetch_max_bytes=64 * 1024)
    big = searchset(*({"resourceType": "Condition", "id": f"c{i}"} for i in range(3000)))
    error, _ = fetch_error(lambda r: fhir_json(big), settings=settings)
    assert error.reason == (
        "the FHIR server sent more than 65536 bytes for this call; the data would be incomplete"
    )
    assert error.kind == "too_large"


# --- a prefetched searchset with a next link (CDS Hooks 2.0 req. 34) -------------------------


def _paged_prefetch(next_url: str) -> dict[str, Any]:
    return {"conditions": searchset({"resourceType": "Condition", "id": "c1"}, next_url=next_url)}


@pytest.mark.cds_hooks(34, 61)
def test_later_pages_of_a_prefetched_searchset_are_read_with_the_token() -> None:
    pages = {
        "2": searchset({"resourceType": "Condition", "id": "c2"}, next_url="Condition?page=3"),
        "3": searchset({"resourceType": "Condition", "id": "c3"}),
    }
    outcome, seen = run_fetch(
        lambda r: fhir_json(pages[r.url.params["page"]]),
        ["conditions"],
        prefetch=_paged_prefetch(f"{BASE}/Condition?page=2"),
    )
    bundle = outcome.prefetch["conditions"]
    assert [e["resource"]["id"] for e in bundle["entry"]] == ["c1", "c2", "c3"]
    assert "link" not in bundle
    assert outcome.fetched == ["conditions"]
    assert [r.url.params["page"] for r in seen] == ["2", "3"]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in seen)


def test_the_prefetched_page_counts_towards_the_page_cap() -> None:
    page = searchset({"resourceType": "Condition", "id": "c2"}, next_url="Condition?page=3")
    error, seen = fetch_error(
        lambda r: fhir_json(page),
        settings=Settings(mode="production", fetch_max_pages=2),
        prefetch=_paged_prefetch(f"{BASE}/Condition?page=2"),
    )
    assert error.reason == (
        "only the first of several pages was sent, and the rest could not be fetched: "
        "more than 2 pages; the data would be incomplete"
    )
    assert len(seen) == 1


def test_a_prefetched_next_link_off_the_fhir_server_is_never_followed() -> None:
    error, seen = fetch_error(
        lambda r: fhir_json(searchset()),
        prefetch=_paged_prefetch("https://attacker.example.com/fhir/Condition?page=2"),
    )
    assert "next-page link points outside fhirServer; not followed" in error.reason
    assert seen == []


def test_paged_optional_key_that_cannot_be_completed_keeps_the_first_page_as_sent() -> None:
    observations = searchset(
        {"resourceType": "Observation", "id": "o1"}, next_url=f"{BASE}/Observation?page=2"
    )
    outcome, seen = run_fetch(
        lambda r: fhir_json(searchset()),
        ["observations"],
        token=None,
        prefetch={"observations": observations},
    )
    assert seen == []
    assert outcome.prefetch["observations"] == observations
    assert outcome.unavailable == {
        "observations": "only the first of several pages was sent, and the rest could not be "
        "fetched: no access token"
    }


def test_token_problem_named_by_the_caller_stops_every_request() -> None:
    async def go() -> FetchOutcome:
        async with httpx.AsyncClient(transport=httpx.MockTransport(fail_on_request)) as client:
            fetcher = FhirFetcher(Settings(mode="production"), client)
            return await fetcher.complete(
                {"conditions": None},
                ["conditions", "observations"],
                {"patientId": "p1"},
                BASE,
                TOKEN,
                token_problem="token type 'MAC' is not Bearer",
                fhir_servers=(BASE,),
            )

    def fail_on_request(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    outcome = asyncio.run(go())
    assert outcome.unavailable == {"observations": "token type 'MAC' is not Bearer"}
