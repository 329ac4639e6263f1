"""Fetch the prefetch data a CDS client did not send from its FHIR server.

CDS Hooks 2.0 ("FHIR Resource Access"): a key the client leaves out is fetched from `fhirServer`
with the `fhirAuthorization` bearer token, using the discovery template; a key sent as `null`
(or an empty Bundle) means "no data" and is never fetched. When required data cannot be obtained
the web layer answers 412 (FetchError); missing optional data becomes a named gap.

The token goes only to URLs under `fhirServer`, lives only for the call and is never logged; log
lines and error reasons carry neither URLs (they hold the patient id) nor response bodies.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any, Literal
from urllib.parse import unquote

import httpx
import orjson

from sarcoma_cds.fhir.prefetch_templates import (
    PREFETCH_TEMPLATES,
    REQUIRED_KEYS,
    is_search,
    render_template,
    resource_type_of,
)
from sarcoma_cds.settings import Settings

log = logging.getLogger(__name__)
# httpx logs every request URL at INFO, and these URLs hold the patient id.
logging.getLogger("httpx").setLevel(logging.WARNING)

# A page bigger than this is refused rather than held in memory (a 200-entry page is ~1 MB).
MAX_PAGE_BYTES = 32 * 1024 * 1024
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750 b64token
_FAILED_SEVERITIES = frozenset({"error", "fatal"})


# Why a fetch failed, for metrics: a fixed set, so label values stay bounded.
FailureKind = Literal["timeout", "http_error", "invalid_response", "unauthorized", "other"]


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
    # human-readable, e.g. "observations: FHIR server answered 503"; never a token or patient data
    gaps: list[str]
    # keys whose data came from the FHIR server rather than from the request
    fetched: list[str] = field(default_factory=list)


class _Unavailable(Exception):
    """One key could not be fetched; `reason` is safe to show (no token, URL or body)."""

    def __init__(self, reason: str, kind: FailureKind = "invalid_response") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind: FailureKind = kind


@dataclass(frozen=True)
class _Target:
    base: httpx.URL  # fhirServer, without a trailing slash
    headers: dict[str, str]


class FhirFetcher:
    """One per application: shares one pooled httpx.AsyncClient across requests."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._owns_client = client is None
        self._client = client if client is not None else _new_client(settings)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def complete(
        self,
        prefetch: Mapping[str, Any],
        missing_keys: Iterable[str],
        context: Mapping[str, str],
        fhir_server: str | None,
        access_token: str | None,
    ) -> FetchOutcome:
        """Return `prefetch` completed with the absent keys among `missing_keys`.

        Raises FetchError when a required key cannot be obtained, InvalidContextError (a
        ValueError: answer 400) when a context value cannot be placed into a template, and
        ValueError for a key this service does not advertise.
        """
        result = dict(prefetch)
        wanted = _keys_to_fetch(prefetch, missing_keys)
        if not wanted:
            return FetchOutcome(prefetch=result, gaps=[])
        queries = {key: render_template(PREFETCH_TEMPLATES[key], context) for key in wanted}
        try:
            target = self._target(fhir_server, access_token)
        except _Unavailable as exc:
            outcomes: dict[str, dict[str, Any] | _Unavailable] = dict.fromkeys(wanted, exc)
        else:
            deadline = asyncio.get_running_loop().time() + self._settings.fetch_timeout_seconds
            fetched = await asyncio.gather(
                *(self._fetch_key(key, queries[key], target, deadline) for key in wanted)
            )
            outcomes = dict(zip(wanted, fetched, strict=True))
        return _settle(result, outcomes)

    def _target(self, fhir_server: str | None, access_token: str | None) -> _Target:
        development = self._settings.mode == "development"
        if not fhir_server:
            raise _Unavailable("the request has no fhirServer to fetch from", "other")
        try:
            base = httpx.URL(fhir_server.rstrip("/"))
        except httpx.InvalidURL:
            raise _Unavailable("fhirServer is not a valid URL", "other") from None
        if base.scheme not in {"http", "https"} or not base.host:
            raise _Unavailable("fhirServer must be an absolute https URL", "other")
        if base.scheme == "http" and not development:
            raise _Unavailable("fhirServer must use https outside development mode", "other")
        if base.query or base.fragment or base.userinfo:
            raise _Unavailable(
                "fhirServer must be a plain base URL (no query, fragment or user)", "other"
            )
        headers = {"Accept": "application/fhir+json"}
        if access_token:
            if not _BEARER_TOKEN.fullmatch(access_token):
                raise _Unavailable(
                    "fhirAuthorization.access_token is not a valid bearer token", "other"
                )
            headers["Authorization"] = f"Bearer {access_token}"
        elif not (self._settings.allow_unauthenticated_fetch and development):
            raise _Unavailable("the request has no fhirAuthorization access token", "other")
        return _Target(base=base, headers=headers)

    async def _fetch_key(
        self, key: str, query: str, target: _Target, deadline: float
    ) -> dict[str, Any] | _Unavailable:
        started = time.perf_counter()
        budget = self._settings.fetch_timeout_seconds
        try:
            async with asyncio.timeout_at(deadline):
                if is_search(query):
                    data = await self._search(query, target, deadline)
                else:
                    data = await self._read(query, target, deadline)
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
        else:
            log.info("fetched %s in %.0f ms", key, (time.perf_counter() - started) * 1000)
            return data
        log.warning("could not fetch %s: %s", key, failure.reason)
        return failure

    async def _read(self, query: str, target: _Target, deadline: float) -> dict[str, Any]:
        resource_type, _, quoted_id = query.partition("/")
        resource = await self._get_json(_url(target.base, query), target, deadline)
        if resource.get("resourceType") != resource_type:
            raise _Unavailable(f"FHIR server returned something other than a {resource_type}")
        if resource.get("id") != unquote(quoted_id):
            raise _Unavailable(f"FHIR server returned a different {resource_type} than asked for")
        return resource

    async def _search(self, query: str, target: _Target, deadline: float) -> dict[str, Any]:
        resource_type = resource_type_of(query)
        url = _url(target.base, f"{query}&_count={self._settings.fetch_page_size}")
        entries: list[dict[str, Any]] = []
        for _ in range(self._settings.fetch_max_pages):
            bundle = await self._get_json(url, target, deadline)
            entries.extend(_searchset_entries(bundle, resource_type))
            next_url = _next_link(bundle, target.base)
            if next_url is None:
                return {
                    "resourceType": "Bundle",
                    "type": "searchset",
                    "total": len(entries),
                    "entry": entries,
                }
            url = next_url
        # Partial data could hide the one resource that changes the answer.
        raise _Unavailable(
            f"more than {self._settings.fetch_max_pages} pages of "
            f"{self._settings.fetch_page_size}; the data would be incomplete"
        )

    async def _get_json(self, url: httpx.URL, target: _Target, deadline: float) -> dict[str, Any]:
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            raise TimeoutError
        request = self._client.build_request("GET", url, headers=target.headers, timeout=remaining)
        response = await self._client.send(request, stream=True, follow_redirects=False)
        try:
            body = await _read_capped(response)
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


def _keys_to_fetch(prefetch: Mapping[str, Any], missing_keys: Iterable[str]) -> list[str]:
    wanted: list[str] = []
    for key in missing_keys:
        if key not in PREFETCH_TEMPLATES:
            raise ValueError(f"prefetch key {key!r} is not one this service advertises")
        # Present (even null or an empty Bundle) means the client answered; an
        # OperationOutcome in its place is how a client reports it could not prefetch.
        absent = key not in prefetch or _is_operation_outcome(prefetch[key])
        if absent and key not in wanted:
            wanted.append(key)
    return wanted


def _settle(
    result: dict[str, Any], outcomes: Mapping[str, dict[str, Any] | _Unavailable]
) -> FetchOutcome:
    for key in sorted(outcomes):
        outcome = outcomes[key]
        if isinstance(outcome, _Unavailable) and key in REQUIRED_KEYS:
            raise FetchError(
                key, resource_type_of(PREFETCH_TEMPLATES[key]), outcome.reason, outcome.kind
            )
    gaps: list[str] = []
    fetched: list[str] = []
    for key, outcome in outcomes.items():
        if isinstance(outcome, _Unavailable):
            result.pop(key, None)
            gaps.append(f"{key}: {outcome.reason}")
        else:
            result[key] = outcome
            fetched.append(key)
    return FetchOutcome(prefetch=result, gaps=gaps, fetched=fetched)


def _url(base: httpx.URL, relative: str) -> httpx.URL:
    return httpx.URL(f"{base}/{relative}")


def _next_link(bundle: Mapping[str, Any], base: httpx.URL) -> httpx.URL | None:
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            href = link.get("url")
            if not isinstance(href, str) or not href:
                raise _Unavailable("FHIR server sent a next-page link without a URL")
            try:
                url = httpx.URL(f"{base}/").join(href)
            except httpx.InvalidURL:
                raise _Unavailable("FHIR server sent an invalid next-page link") from None
            if not _is_under(url, base):
                # Following it would hand the bearer token to someone else.
                raise _Unavailable("next-page link points outside fhirServer; not followed")
            return url
    return None


def _is_under(url: httpx.URL, base: httpx.URL) -> bool:
    def origin(u: httpx.URL) -> tuple[str, str, int | None]:
        default_port = {"http": 80, "https": 443}.get(u.scheme)
        return (u.scheme, u.host.lower(), u.port or default_port)

    if origin(url) != origin(base) or url.userinfo:
        return False
    if any(unquote(segment) in {".", ".."} for segment in url.path.split("/")):
        return False
    return url.path.startswith(base.path.rstrip("/") + "/")


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


async def _read_capped(response: httpx.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_PAGE_BYTES:
            raise _Unavailable(f"FHIR server sent more than {MAX_PAGE_BYTES} bytes in one page")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(body: bytes) -> dict[str, Any] | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _is_operation_outcome(value: Any) -> bool:
    return isinstance(value, dict) and value.get("resourceType") == "OperationOutcome"


def _has_failed_issue(outcome: Mapping[str, Any]) -> bool:
    issues = outcome.get("issue")
    return isinstance(issues, list) and any(
        isinstance(issue, dict) and issue.get("severity") in _FAILED_SEVERITIES for issue in issues
    )


def _issue_codes(data: Mapping[str, Any] | None) -> str:
    """` (OperationOutcome: login)`: issue codes are a fixed vocabulary, unlike diagnostics
    text, which may echo the request."""
    if not _is_operation_outcome(data) or data is None:
        return ""
    issues = data.get("issue")
    codes = sorted(
        {
            issue["code"]
            for issue in (issues if isinstance(issues, list) else [])
            if isinstance(issue, dict)
            and isinstance(issue.get("code"), str)
            and re.fullmatch(r"[a-z-]{1,40}", issue["code"])
        }
    )
    return f" (OperationOutcome: {', '.join(codes)})" if codes else ""
