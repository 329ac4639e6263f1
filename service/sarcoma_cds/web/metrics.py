"""Prometheus metrics for one app instance, and their text exposition for `GET /metrics`.

Each app gets its own CollectorRegistry so that several apps in one process (tests, or an
embedding host) never share or double-register series. When `PROMETHEUS_MULTIPROC_DIR` is set
(the container image sets it because uvicorn runs several worker processes), values are kept in
files in that folder and `metrics_response` sums every worker's files, so one scrape of a pod
sees the whole pod rather than whichever worker answered.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request

from sarcoma_cds.fhir.fetch import FailureKind

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
CARD_EXTENSION_KEY: Final = "org.sarcoma-cds"

# Latency buckets around what an EHR tolerates for a patient-view hook (well under a second).
LATENCY_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Label values come from requests, so they are clamped to fixed sets: an arbitrary method or
# path must not create a new time series (unbounded cardinality exhausts Prometheus memory).
_KNOWN_METHODS: Final = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"})
UNMATCHED_ENDPOINT: Final = "unmatched"
UNKNOWN_TOPIC: Final = "unknown"

FetchFailureReason = FailureKind  # one definition, in the fetcher that decides it


class Metrics:
    """The service's metrics; the web layer and the fetch fallback call the record_* methods."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.request_latency = Histogram(
            "sarcoma_cds_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status code.",
            ("endpoint", "method", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.cards = Counter(
            "sarcoma_cds_cards",
            "Cards returned to CDS clients, by clinical topic.",
            ("topic",),
            registry=self.registry,
        )
        self.fallback_fetches = Counter(
            "sarcoma_cds_fallback_fetches",
            "FHIR searches made against the EHR because prefetch did not supply the data.",
            ("resource_type",),
            registry=self.registry,
        )
        self.fallback_fetch_failures = Counter(
            "sarcoma_cds_fallback_fetch_failures",
            "FHIR fallback searches that failed, by resource type and reason.",
            ("resource_type", "reason"),
            registry=self.registry,
        )
        self.authentication_failures = Counter(
            "sarcoma_cds_authentication_failures",
            "Requests refused with 401 because the client JWT did not verify.",
            ("endpoint",),
            registry=self.registry,
        )

    def record_request(
        self, endpoint: str | None, method: str, status: int, duration_seconds: float
    ) -> None:
        """`endpoint` is the matched route template (e.g. `/cds-services/{service_id}`), never
        the raw path; None when no route matched (404s)."""
        self.request_latency.labels(
            endpoint=endpoint or UNMATCHED_ENDPOINT,
            method=method.upper() if method.upper() in _KNOWN_METHODS else "OTHER",
            status=str(status),
        ).observe(max(duration_seconds, 0.0))

    def record_cards(self, cards: Iterable[Mapping[str, Any]]) -> None:
        """Count each card under the topic in its `extension["org.sarcoma-cds"]["topic"]`."""
        for card in cards:
            self.cards.labels(topic=card_topic(card)).inc()

    def record_fallback_fetch(self, resource_type: str) -> None:
        self.fallback_fetches.labels(resource_type=resource_type).inc()

    def record_fallback_failure(self, resource_type: str, reason: FetchFailureReason) -> None:
        self.fallback_fetch_failures.labels(resource_type=resource_type, reason=reason).inc()

    def record_authentication_failure(self, endpoint: str | None) -> None:
        self.authentication_failures.labels(endpoint=endpoint or UNMATCHED_ENDPOINT).inc()


def route_template(request: Request) -> str | None:
    """The matched route template (bounded label values), not the raw path."""
    return route_template_of(request.scope)


def route_template_of(scope: Mapping[str, Any]) -> str | None:
    """`route_template` from the ASGI scope, which the router fills in as it matches."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else None


def card_topic(card: Mapping[str, Any]) -> str:
    extension = card.get("extension")
    if isinstance(extension, Mapping):
        ours = extension.get(CARD_EXTENSION_KEY)
        if isinstance(ours, Mapping):
            topic = ours.get("topic")
            if isinstance(topic, str) and topic:
                return topic
    return UNKNOWN_TOPIC


def metrics_response(metrics: Metrics, accept: str | None = None) -> tuple[bytes, str]:
    """The exposition body and its Content-Type, negotiated from the `Accept` header
    (Prometheus text format by default, OpenMetrics when asked for)."""
    encoder, content_type = choose_encoder(accept or "")
    multiproc_dir = os.environ.get(MULTIPROC_ENV)
    if multiproc_dir:
        # The per-worker files hold the values; a fresh registry reads them all at scrape time.
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=multiproc_dir)  # type: ignore[no-untyped-call]
        return encoder(registry), content_type
    return encoder(metrics.registry), content_type
