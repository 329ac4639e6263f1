"""Latency of the prefetch fallback: FhirFetcher.complete() against a real FHIR server.

Starts sekmet-fhir on 127.0.0.1 (as the tests do), loads one patient through a transaction, then
times `complete()` for all four prefetch keys over N calls through one shared fetcher, as the
service would run it, and prints p50 / p95.

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
            if outcome.gaps or len(outcome.fetched) != len(PREFETCH_TEMPLATES):
                raise RuntimeError(f"incomplete fetch: {outcome.gaps}")
            if i >= warmup:
                samples.append(elapsed_ms)
    finally:
        await fetcher.aclose()
    return samples


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

    print(
        f"complete() for 4 keys (1 read + 3 searches, 9 resources), loopback sekmet-fhir, "
        f"{len(samples)} calls after {args.warmup} warm-up"
    )
    print(f"p50 {percentile(samples, 0.50):.1f} ms")
    print(f"p95 {percentile(samples, 0.95):.1f} ms")
    print(f"mean {statistics.fmean(samples):.1f} ms, max {max(samples):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
