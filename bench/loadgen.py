"""Closed-loop HTTP load on one loopback server: N concurrent clients, bounded in count and time.

Each of the `concurrency` clients sends the next request as soon as its previous answer arrives,
on its own keep-alive connection; the first request of every connection is a discarded warm-up so
that connection set-up never counts. Latency is measured at the client (what an EHR waits for).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

LOOPBACK = "127.0.0.1"


@dataclass
class CellResult:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    wall_seconds: float = 0.0
    cards: int | None = None  # cards in the first answer: proves the real path ran
    # CPU seconds each server worker spent during the cell: shows how the connections spread
    worker_cpu_seconds: tuple[float, ...] = ()

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile; NaN when nothing succeeded."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, round(fraction * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1]


def _count_cards(content: bytes) -> int:
    document: Any = orjson.loads(content)
    if not isinstance(document, dict) or not isinstance(document.get("cards"), list):
        raise ValueError("the answer is not a CDS Hooks response: no 'cards' list")
    return len(document["cards"])


async def drive(
    url: str, body: bytes, concurrency: int, max_requests: int, max_seconds: float
) -> CellResult:
    """Send up to `max_requests` measured requests within `max_seconds` at `concurrency`."""
    if not url.startswith(f"http://{LOOPBACK}:"):
        raise ValueError(f"benchmarks send traffic to {LOOPBACK} only, not to {url}")
    result = CellResult()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=60.0, headers=headers) as client:

        async def warm_up() -> None:
            answer = await client.post(url, content=body)
            answer.raise_for_status()
            if result.cards is None:
                result.cards = _count_cards(answer.content)

        await asyncio.gather(*(warm_up() for _ in range(concurrency)))
        issued = 0
        started = time.perf_counter()
        deadline = started + max_seconds

        async def client_loop() -> None:
            nonlocal issued
            while issued < max_requests and time.perf_counter() < deadline:
                issued += 1
                sent = time.perf_counter()
                answer = await client.post(url, content=body)
                elapsed_ms = (time.perf_counter() - sent) * 1000
                if answer.status_code == 200:
                    result.latencies_ms.append(elapsed_ms)
                else:
                    result.errors += 1

        await asyncio.gather(*(client_loop() for _ in range(concurrency)))
        result.wall_seconds = time.perf_counter() - started
    return result


async def wait_healthy(base_url: str, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            try:
                if (await client.get(f"{base_url}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{base_url} did not become healthy within {timeout:.0f} s")
            await asyncio.sleep(0.1)
