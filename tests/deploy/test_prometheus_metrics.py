"""The /metrics content: series, labels, isolation between apps, and multi-worker aggregation."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

import sarcoma_cds.web.metrics as metrics_module
from sarcoma_cds.web.metrics import Metrics, card_topic, metrics_response


@pytest.fixture(autouse=True)
def _single_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)


def _samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, _ = metrics_response(metrics)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def _card(topic: str) -> dict[str, object]:
    return {"summary": "s", "extension": {"org.sarcoma-cds": {"topic": topic}}}


def test_request_latency_is_a_histogram_per_endpoint_method_and_status() -> None:
    metrics = Metrics()
    metrics.record_request("/cds-services/{service_id}", "post", 200, 0.03)
    metrics.record_request("/cds-services/{service_id}", "POST", 200, 0.2)
    samples = _samples(metrics)
    labels = frozenset(
        {("endpoint", "/cds-services/{service_id}"), ("method", "POST"), ("status", "200")}
    )
    assert samples[("sarcoma_cds_request_duration_seconds_count", labels)] == 2
    assert samples[("sarcoma_cds_request_duration_seconds_sum", labels)] == pytest.approx(0.23)
    assert samples[("sarcoma_cds_request_duration_seconds_bucket", labels | {("le", "0.05")})] == 1


def test_request_labels_are_clamped_so_clients_cannot_create_series() -> None:
    metrics = Metrics()
    metrics.record_request(None, "BREW", 404, 0.001)
    samples = _samples(metrics)
    labels = frozenset({("endpoint", "unmatched"), ("method", "OTHER"), ("status", "404")})
    assert samples[("sarcoma_cds_request_duration_seconds_count", labels)] == 1


def test_cards_are_counted_per_topic_and_unlabelled_cards_as_unknown() -> None:
    metrics = Metrics()
    metrics.record_cards([_card("resection"), _card("resection"), _card("systemic"), {}])
    samples = _samples(metrics)
    assert samples[("sarcoma_cds_cards_total", frozenset({("topic", "resection")}))] == 2
    assert samples[("sarcoma_cds_cards_total", frozenset({("topic", "systemic")}))] == 1
    assert samples[("sarcoma_cds_cards_total", frozenset({("topic", "unknown")}))] == 1


def test_card_topic_ignores_malformed_extensions() -> None:
    assert card_topic({"extension": {"org.sarcoma-cds": {"topic": ""}}}) == "unknown"
    assert card_topic({"extension": {"org.sarcoma-cds": "resection"}}) == "unknown"
    assert card_topic({"extension": ["x"]}) == "unknown"


def test_fallback_fetches_failures_and_authentication_failures() -> None:
    metrics = Metrics()
    metrics.record_fallback_fetch("Observation")
    metrics.record_fallback_fetch("Observation")
    metrics.record_fallback_failure("Observation", "timeout")
    metrics.record_authentication_failure("/cds-services")
    metrics.record_authentication_failure(None)
    samples = _samples(metrics)
    observation = frozenset({("resource_type", "Observation")})
    assert samples[("sarcoma_cds_fallback_fetches_total", observation)] == 2
    failure = observation | {("reason", "timeout")}
    assert samples[("sarcoma_cds_fallback_fetch_failures_total", failure)] == 1
    auth = "sarcoma_cds_authentication_failures_total"
    assert samples[(auth, frozenset({("endpoint", "/cds-services")}))] == 1
    assert samples[(auth, frozenset({("endpoint", "unmatched")}))] == 1


def test_each_app_has_its_own_registry() -> None:
    first, second = Metrics(), Metrics()
    first.record_cards([_card("resection")])
    assert ("sarcoma_cds_cards_total", frozenset({("topic", "resection")})) in _samples(first)
    assert ("sarcoma_cds_cards_total", frozenset({("topic", "resection")})) not in _samples(second)


def test_content_type_is_prometheus_text_by_default_and_openmetrics_on_request() -> None:
    metrics = Metrics()
    metrics.record_cards([_card("resection")])
    body, content_type = metrics_response(metrics)
    assert content_type.startswith("text/plain; version=0.0.4")
    assert b'sarcoma_cds_cards_total{topic="resection"} 1.0' in body
    body, content_type = metrics_response(metrics, "application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith(b"# EOF")


def test_multiprocess_mode_sums_every_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service_dir = Path(metrics_module.__file__).resolve().parents[2]
    worker = (
        "from sarcoma_cds.web.metrics import Metrics\n"
        "m = Metrics()\n"
        "m.record_cards([{'extension': {'org.sarcoma-cds': {'topic': 'resection'}}}])\n"
        "m.record_request('/healthz', 'GET', 200, 0.01)\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(service_dir)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", worker], env=env, check=True)
    assert len(list(tmp_path.glob("*.db"))) >= 2  # one set of files per worker process

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = _samples(Metrics())
    assert samples[("sarcoma_cds_cards_total", frozenset({("topic", "resection")}))] == 2
    labels = frozenset({("endpoint", "/healthz"), ("method", "GET"), ("status", "200")})
    assert samples[("sarcoma_cds_request_duration_seconds_count", labels)] == 2
