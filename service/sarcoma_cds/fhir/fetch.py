"""Fetch the prefetch data a CDS client did not send, or sent only in part, from its FHIR server.

CDS Hooks 2.0 ("FHIR Resource Access"): a key the client leaves out is fetched from `fhirServer`
with the `fhirAuthorization` bearer token, using the discovery template; a key sent as `null`
(or an empty Bundle) means "no data" and is never fetched. A key sent as an OperationOutcome, or
as a searchset holding an error outcome, counts as not prefetched (the spec's way of saying the
client's query failed). A prefetched searchset with a `next` link has its later pages read from
the same server. When required data cannot be obtained the web layer answers 412 (FetchError);
missing optional data becomes a named gap.

The token goes only to URLs under `fhirServer`, lives only for the call and is never logged; log
lines and error reasons carry neither URLs (they hold the patient id) nor response bodies.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import zlib
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import unquote

import httpx
import orjson

from sarcoma_cds.fhir.budget import (
    ACCEPT_ENCODING,
    BudgetExceededError,
    CallBudget,
    ProcessBytes,
    UnsupportedEncodingError,
    read_body,
)
from sarcoma_cds.fhir.fetch_urls import FailureKind as FailureKind
from sarcoma_cds.fhir.fetch_urls import Unavailable as _Unavailable
from sarcoma_cds.fhir.fetch_urls import fhir_base, next_link, url_under
from sarcoma_cds.fhir.prefetch_templates import (
    PREFETCH_TEMPLATES,
    REQUIRED_KEYS,
    is_search,
    render_template,
    resource_type_of,
)
from sarcoma_cds.fhir.searchset import (
    failed_search_outcome,
    has_next_page,
    is_bundle,
    resource_types_in,
)
from sarcoma_cds.fhir.searchset import has_failed_issue as _has_failed_issue
from sarcoma_cds.fhir.searchset import is_operation_outcome as _is_operation_outcome
from sarcoma_cds.fhir.searchset import issue_codes as _issue_codes
from sarcoma_cds.settings import Settings

log = logging.getLogger(__name__)
# httpx logs every request URL at INFO, and these URLs hold the patient id.
logging.getLogger("httpx").setLevel(logging.WARNING)

_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 b64token


class FetchError(Exception):
    """Required data could not be obtained from the FHIR server (the web layer answers 412)."""

    def __init__(
        self, key: str, resource_type: str, reason: str, kind: FailureKind = "other"
    ) -> None:
        super().__init__(f"cannot obtain {resource_type} ({key}) from the FHIR server: {reason}")
        self.key = key
        self.resource_type = resource_type
        self.reason = reason
        self.kind: FailureKind = kind


@dataclass(frozen=True)
class FetchOutcome:
    # key -> resource or searchset Bundle (all pages merged into one Bundle)
    prefetch: dict[str, Any]
    # optional key -> why it could not be obtained (in full), e.g. "FHIR server answered 503";
    # never a token or patient data. The value in `prefetch`, if any, is what the client sent.
    unavailable: dict[str, str] = field(default_factory=dict)
    # keys whose data came (at least in part) from the FHIR server rather than from the request
    fetched: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    base: httpx.URL  # fhirServer, without a trailing slash
    headers: dict[str, str]
    budget: CallBudget  # what this service call may still fetch


class FhirFetcher:
    """One per application: shares one pooled httpx.AsyncClient across requests."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._owns_client = client is None
        self._client = client if client is not None else _new_client(settings)
        self._process_bytes = ProcessBytes(settings.fetch_process_max_bytes)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def complete(
        self,
        prefetch: Mapping[str, Any],
        keys: Iterable[str],
        context: Mapping[str, str],
        fhir_server: str | None,
        access_token: str | None,
        token_problem: str | None = None,
        fhir_servers: Sequence[str] | None = None,
    ) -> FetchOutcome:
        """Return `prefetch` completed for `keys` (advertised keys): absent or failed ones are
        fetched with their template, paged searchsets have their later pages read.

        `token_problem`: why the request's token cannot be used (then no request is made).
        `fhir_servers`: the base URLs the calling client may send us to; outside development
        nothing else is fetched (None there: the client lists none).
        Raises FetchError when a required key cannot be obtained, InvalidContextError (a
        ValueError: answer 400) when a context value cannot be placed into a template, and
        ValueError for a key this service does not advertise.
        """
        result = dict(prefetch)
        wanted, paged = _keys_to_fetch(prefetch, keys)
        if not wanted and not paged:
            return FetchOutcome(prefetch=result)
        queries = {key: render_template(PREFETCH_TEMPLATES[key], context) for key in wanted}
        budget = CallBudget(
            self._settings.fetch_max_bytes, self._settings.fetch_max_resources, self._process_bytes
        )
        try:
            target = self._target(fhir_server, access_token, budget, token_problem, fhir_servers)
        except _Unavailable as exc:
            outcomes: dict[str, dict[str, Any] | _Unavailable] = dict.fromkeys(wanted + paged, exc)
        else:
            deadline = asyncio.get_running_loop().time() + self._settings.fetch_timeout_seconds
            jobs = [self._fetch_key(key, queries[key], target, deadline) for key in wanted]
            jobs += [self._rest_of(key, prefetch[key], target, deadline) for key in paged]
            try:
                fetched = await asyncio.gather(*jobs)
            finally:
                budget.release()
            outcomes = dict(zip(wanted + paged, fetched, strict=True))
        for key in paged:
            outcome = outcomes[key]
            if isinstance(outcome, _Unavailable):
                outcomes[key] = _Unavailable(
                    "only the first of several pages was sent, and the rest could not be "
                    f"fetched: {outcome.reason}",
                    outcome.kind,
                )
        return _settle(result, outcomes)

    def _target(
        self,
        fhir_server: str | None,
        access_token: str | None,
        budget: CallBudget,
        token_problem: str | None = None,
        fhir_servers: Sequence[str] | None = None,
    ) -> _Target:
        development = self._settings.mode == "development"
        base = fhir_base(fhir_server, fhir_servers, development=development)
        headers = {"Accept": "application/fhir+json", "Accept-Encoding": ACCEPT_ENCODING}
        if token_problem:
            raise _Unavailable(token_problem, "other")
        if access_token:
            if not _BEARER_TOKEN.fullmatch(access_token):
                raise _Unavailable("the access token is not a valid bearer token", "other")
            headers["Authorization"] = f"Bearer {access_token}"
        elif not (self._settings.allow_unauthenticated_fetch and development):
            raise _Unavailable("no access token", "other")
        return _Target(base=base, headers=headers, budget=budget)

    async def _fetch_key(
        self, key: str, query: str, target: _Target, deadline: float
    ) -> dict[str, Any] | _Unavailable:
        if is_search(query):
            return await self._guarded(key, self._search(query, target, deadline), deadline)
        return await self._guarded(key, self._read(query, target, deadline), deadline)

    async def _rest_of(
        self, key: str, first_page: Mapping[str, Any], target: _Target, deadline: float
    ) -> dict[str, Any] | _Unavailable:
        """The prefetched first page and the pages after it, as one searchset."""

        async def pages() -> dict[str, Any]:
            entries = first_page.get("entry")
            return await self._pages(
                next_link(first_page, target.base),
                target,
                deadline,
                resource_type_of(PREFETCH_TEMPLATES[key]),
                list(entries) if isinstance(entries, list) else [],
                pages_read=1,
            )

        return await self._guarded(key, pages(), deadline)

    async def _guarded(
        self, key: str, job: Coroutine[Any, Any, dict[str, Any]], deadline: float
    ) -> dict[str, Any] | _Unavailable:
        """Run one key's requests within the deadline; a failure becomes an _Unavailable."""
        started = time.perf_counter()
        budget = self._settings.fetch_timeout_seconds
        try:
            async with asyncio.timeout_at(deadline):
                data = await job
        except (TimeoutError, httpx.TimeoutException):
            failure = _Unavailable(f"no answer within the {budget:g} s budget", "timeout")
        except httpx.TransportError as exc:
            failure = _Unavailable(f"FHIR server unreachable ({type(exc).__name__})", "http_error")
        except httpx.HTTPError as exc:
            failure = _Unavailable(
                f"HTTP error talking to the FHIR server ({type(exc).__name__})", "http_error"
            )
        except _Unavailable as exc:
            failure = exc
        except BudgetExceededError as exc:
            failure = _Unavailable(exc.reason, "too_large")
        else:
            log.info("fetched %s in %.0f ms", key, (time.perf_counter() - started) * 1000)
            return data
        log.warning("could not fetch %s: %s", key, failure.reason)
        return failure

    async def _read(self, query: str, target: _Target, deadline: float) -> dict[str, Any]:
        resource_type, _, quoted_id = query.partition("/")
        resource = await self._get_json(url_under(target.base, query), target, deadline)
        target.budget.count(1)
        if resource.get("resourceType") != resource_type:
            raise _Unavailable(f"FHIR server returned something other than a {resource_type}")
        if resource.get("id") != unquote(quoted_id):
            raise _Unavailable(f"FHIR server returned a different {resource_type} than asked for")
        return resource

    async def _search(self, query: str, target: _Target, deadline: float) -> dict[str, Any]:
        url = url_under(target.base, f"{query}&_count={self._settings.fetch_page_size}")
        return await self._pages(url, target, deadline, resource_type_of(query), [], 0)

    async def _pages(
        self,
        url: httpx.URL | None,
        target: _Target,
        deadline: float,
        resource_type: str,
        entries: list[Any],
        pages_read: int,
    ) -> dict[str, Any]:
        """Read `url` and the pages it links to, appending to `entries`, within the page cap."""
        while url is not None:
            if pages_read >= self._settings.fetch_max_pages:
                # Partial data could hide the one resource that changes the answer.
                raise _Unavailable(
                    f"more than {self._settings.fetch_max_pages} pages; "
                    "the data would be incomplete"
                )
            bundle = await self._get_json(url, target, deadline)
            found = _searchset_entries(bundle, resource_type)
            target.budget.count(len(found))
            entries.extend(found)
            url = next_link(bundle, target.base)
            pages_read += 1
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(entries),
            "entry": entries,
        }

    async def _get_json(self, url: httpx.URL, target: _Target, deadline: float) -> dict[str, Any]:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise TimeoutError
        request = self._client.build_request("GET", url, headers=target.headers, timeout=remaining)
        response = await self._client.send(request, stream=True, follow_redirects=False)
        try:
            body = await _read_budgeted(response, target.budget)
        finally:
            await response.aclose()
        data = _parse_json(body)
        if response.status_code != 200:
            raise _Unavailable(
                f"FHIR server answered {response.status_code}{_issue_codes(data)}",
                "unauthorized" if response.status_code in (401, 403) else "http_error",
            )
        if data is None:
            raise _Unavailable("FHIR server sent invalid JSON")
        if data.get("resourceType") == "OperationOutcome":
            raise _Unavailable(f"FHIR server answered with an OperationOutcome{_issue_codes(data)}")
        return data


def _new_client(settings: Settings) -> httpx.AsyncClient:
    # No cookie jar: a session cookie from one EHR's server must never ride along on another
    # patient's or tenant's request through the shared client.
    no_cookies = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.fetch_timeout_seconds),
        follow_redirects=False,
        cookies=no_cookies,
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
    )


def _keys_to_fetch(prefetch: Mapping[str, Any], keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """(keys to fetch with their template, keys whose later pages are to be read)."""
    wanted: list[str] = []
    paged: list[str] = []
    # A key whose resource type already came under another key (one Bundle with everything) is
    # not fetched again: resources are read by type, whatever key holds them (issue 12). Which
    # types came is looked up only when a key is absent: a complete prefetch skips that scan of
    # every resource (issue 18).
    present: frozenset[str] | None = None
    for key in keys:
        if key not in PREFETCH_TEMPLATES:
            raise ValueError(f"prefetch key {key!r} is not one this service advertises")
        if key in wanted or key in paged:
            continue
        if key not in prefetch:
            present = resource_types_in(prefetch) if present is None else present
            if resource_type_of(PREFETCH_TEMPLATES[key]) in present:
                continue
        # Present (even null or an empty Bundle) means the client answered; an
        # OperationOutcome in its place, or inside the searchset as an error, is how a client
        # reports that its query failed.
        value = prefetch.get(key)
        if (
            key not in prefetch
            or _is_operation_outcome(value)
            or (is_bundle(value) and failed_search_outcome(value) is not None)
        ):
            wanted.append(key)
        elif is_bundle(value) and has_next_page(value):
            paged.append(key)  # later pages of a search the client began
    return wanted, paged


def _settle(
    result: dict[str, Any], outcomes: Mapping[str, dict[str, Any] | _Unavailable]
) -> FetchOutcome:
    for key in sorted(outcomes):
        outcome = outcomes[key]
        if isinstance(outcome, _Unavailable) and key in REQUIRED_KEYS:
            raise FetchError(
                key, resource_type_of(PREFETCH_TEMPLATES[key]), outcome.reason, outcome.kind
            )
    unavailable: dict[str, str] = {}
    fetched: list[str] = []
    for key, outcome in outcomes.items():
        if isinstance(outcome, _Unavailable):
            unavailable[key] = outcome.reason
        else:
            result[key] = outcome
            fetched.append(key)
    return FetchOutcome(prefetch=result, unavailable=unavailable, fetched=fetched)


def _searchset_entries(bundle: Mapping[str, Any], resource_type: str) -> list[dict[str, Any]]:
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "searchset":
        raise _Unavailable("FHIR server did not answer the search with a searchset Bundle")
    raw = bundle.get("entry", [])
    if not isinstance(raw, list):
        raise _Unavailable("FHIR server sent a Bundle whose entry is not a list")
    entries: list[dict[str, Any]] = []
    for entry in raw:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise _Unavailable("FHIR server sent a Bundle entry without a resource")
        if _is_operation_outcome(resource):
            if _has_failed_issue(resource):
                raise _Unavailable(f"FHIR server reported a search error{_issue_codes(resource)}")
            continue  # warnings about the search itself are not patient data
        if resource.get("resourceType") == resource_type:
            entries.append(entry)
    return entries


async def _read_budgeted(response: httpx.Response, budget: CallBudget) -> bytes:
    """The body, decoded here rather than by httpx so that every inflated piece is charged to
    the call's budget before the next is made."""
    if response.is_stream_consumed:  # built in memory by a test transport: decoded already
        budget.charge(len(response.content))
        return response.content
    try:
        return await read_body(
            response.aiter_raw(), response.headers.get("content-encoding"), budget
        )
    except UnsupportedEncodingError as exc:
        raise _Unavailable(f"FHIR server sent a body in an unrequested encoding ({exc})") from None
    except zlib.error:
        raise _Unavailable("FHIR server sent a compressed body that could not be read") from None


def _parse_json(body: bytes) -> dict[str, Any] | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
