"""Where the fallback fetch may send a client's token: the request's `fhirServer` checked as a
URL and against the client's listed FHIR servers (issue 17, F2), and next-page links only under
it. Every refusal is decided on the URL, before any DNS lookup or connection, so its reason
carries no network detail."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import unquote

import httpx

log = logging.getLogger("sarcoma_cds.fhir.fetch")

# Why a fetch failed, for metrics: a fixed set, so label values stay bounded.
FailureKind = Literal[
    "timeout", "http_error", "invalid_response", "unauthorized", "too_large", "other"
]


class Unavailable(Exception):
    """One key could not be fetched; `reason` is safe to show (no token, URL or body)."""

    def __init__(self, reason: str, kind: FailureKind = "invalid_response") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind: FailureKind = kind


def fhir_base(
    fhir_server: str | None, listed: Sequence[str] | None, *, development: bool
) -> httpx.URL:
    """The request's fhirServer as a base URL without a trailing slash, if the token may go
    there: https (http in development only), no query, fragment or user, and listed for the
    calling client."""
    if not fhir_server:
        raise Unavailable("no FHIR server address in the request", "other")
    try:
        base = httpx.URL(fhir_server.rstrip("/"))
    except httpx.InvalidURL:
        raise Unavailable("fhirServer is not a valid URL", "other") from None
    if base.scheme not in {"http", "https"} or not base.host:
        raise Unavailable("fhirServer must be an absolute https URL", "other")
    if base.scheme == "http" and not development:
        raise Unavailable("fhirServer must use https outside development mode", "other")
    if base.query or base.fragment or base.userinfo:
        raise Unavailable(
            "fhirServer must be a plain base URL (no query, fragment or user)", "other"
        )
    _check_listed(base, listed, development)
    return base


def _check_listed(base: httpx.URL, listed: Sequence[str] | None, development: bool) -> None:
    """SSRF guard: the client's token goes only to a FHIR server listed for that client (its
    trusted-clients entry), whatever host, loopback or internal, the request names. The reason
    says nothing of the network: no connection is ever made."""
    if listed is None and development:
        log.warning("development mode: fhirServer is not checked against a client's list")
        return
    if not listed:
        raise Unavailable("no FHIR servers are listed for this client; nothing is fetched", "other")
    if str(base) not in {url.rstrip("/") for url in listed}:
        raise Unavailable(
            "fhirServer is not one of the FHIR servers listed for this client", "other"
        )


def url_under(base: httpx.URL, relative: str) -> httpx.URL:
    return httpx.URL(f"{base}/{relative}")


def next_link(bundle: Mapping[str, Any], base: httpx.URL) -> httpx.URL | None:
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            href = link.get("url")
            if not isinstance(href, str) or not href:
                raise Unavailable("FHIR server sent a next-page link without a URL")
            try:
                url = httpx.URL(f"{base}/").join(href)
            except httpx.InvalidURL:
                raise Unavailable("FHIR server sent an invalid next-page link") from None
            if not is_under(url, base):
                # Following it would hand the bearer token to someone else.
                raise Unavailable("next-page link points outside fhirServer; not followed")
            return url
    return None


def is_under(url: httpx.URL, base: httpx.URL) -> bool:
    def origin(u: httpx.URL) -> tuple[str, str, int | None]:
        default_port = {"http": 80, "https": 443}.get(u.scheme)
        return (u.scheme, u.host.lower(), u.port or default_port)

    if origin(url) != origin(base) or url.userinfo:
        return False
    if any(unquote(segment) in {".", ".."} for segment in url.path.split("/")):
        return False
    return url.path.startswith(base.path.rstrip("/") + "/")
