"""Latency of the prefetch fallback against a real FHIR server on loopback.

Starts sekmet-fhir on 127.0.0.1 (as the tests do), loads one patient through a transaction, then
times (1) `FhirFetcher.complete()` for all four prefetch keys through one shared fetcher, and
(2) whole patient-view calls to the service app (in-process ASGI) without prefetch — the app
fetches over loopback — against the same calls with prefetch, and prints p50 / p95 of each.

    PYTHONPATH=service python bench/fetch_latency.py [--calls 100] [--warmup 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "service")]


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


async def measure(base_url: str, token: str, calls: int, warmup: int) -> list[float]:
    from sarcoma_cds.fhir.fetch import FhirFetcher
    from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES
    from sarcoma_cds.settings import Settings

    fetcher = FhirFetcher(Settings())
    samples: list[float] = []
    try:
        for i in range(warmup + calls):
            started = time.perf_counter()
            outcome = await fetcher.complete(
                {}, list(PREFETCH_TEMPLATES), {"patientId": "lms-001"}, base_url, token
            )
            elapsed_ms = (time.perf_counter() - started) * 1000
            if outcome.unavailable or len(outcome.fetched) != len(PREFETCH_TEMPLATES):
                raise RuntimeError(f"incomplete fetch: {outcome.unavailable}")
            if i >= warmup:
                samples.append(elapsed_ms)
    finally:
        await fetcher.aclose()
    return samples


async def service_calls(
    base_url: str, token: str, calls: int, warmup: int
) -> tuple[list[float], list[float]]:
    """Whole service calls: (with prefetch, without prefetch) latencies in ms."""
    import httpx
    from tests.support.sarcoma_patient import patient_resources

    from sarcoma_cds import SERVICE_ID
    from sarcoma_cds.settings import Settings
    from sarcoma_cds.web.app import create_app

    resources = patient_resources("lms-001")
    by_type: dict[str, list[dict[str, object]]] = {}
    for r in resources:
        by_type.setdefault(str(r["resourceType"]), []).append(r)

    def searchset(kind: str) -> dict[str, object]:
        entries = [{"resource": r} for r in by_type.get(kind, [])]
        return {"resourceType": "Bundle", "type": "searchset", "entry": entries}

    base = {"hook": "patient-view", "context": {"userId": "Practitioner/1", "patientId": "lms-001"}}
    with_prefetch = {
        **base,
        "prefetch": {
            "patient": by_type["Patient"][0],
            "conditions": searchset("Condition"),
            "observations": searchset("Observation"),
            "procedures": searchset("Procedure"),
        },
    }
    without = {
        **base,
        "fhirServer": base_url,
        "fhirAuthorization": {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "sarcoma-cds",
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(feedback_db_url=f"sqlite:///{tmp}/fb.sqlite3")
        app = create_app(settings)
        transport = httpx.ASGITransport(app=app)
        results: tuple[list[float], list[float]] = ([], [])
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://service") as client,
        ):
            for body, samples in ((with_prefetch, results[0]), (without, results[1])):
                for i in range(warmup + calls):
                    started = time.perf_counter()
                    response = await client.post(
                        f"/cds-services/{SERVICE_ID}", json={**body, "hookInstance": f"h{i}"}
                    )
                    elapsed_ms = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise RuntimeError(f"service answered {response.status_code}")
                    if i >= warmup:
                        samples.append(elapsed_ms)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    from tests.support.fhir_server import run_sekmet
    from tests.support.sarcoma_patient import patient_resources, transaction

    with tempfile.TemporaryDirectory() as workdir, run_sekmet(Path(workdir)) as server:
        server.load(transaction(patient_resources("lms-001")))
        samples = asyncio.run(measure(server.base_url, server.token, args.calls, args.warmup))
        prefetched, fetched = asyncio.run(
            service_calls(server.base_url, server.token, args.calls, args.warmup)
        )

    print(
        f"complete() for 4 keys (1 read + 3 searches, 9 resources), loopback sekmet-fhir, "
        f"{len(samples)} calls after {args.warmup} warm-up"
    )
    print(f"p50 {percentile(samples, 0.50):.1f} ms")
    print(f"p95 {percentile(samples, 0.95):.1f} ms")
    print(f"mean {statistics.fmean(samples):.1f} ms, max {max(samples):.1f} ms")
    for label, values in (("with prefetch", prefetched), ("without prefetch (fetched)", fetched)):
        print(
            f"service call {label}: p50 {percentile(values, 0.50):.1f} ms, "
            f"p95 {percentile(values, 0.95):.1f} ms ({len(values)} calls)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
