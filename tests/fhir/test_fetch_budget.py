"""The fetch's bounded work (issue 17, F1): one byte and resource budget per service call across
all keys and pages, charged while the body streams and while it is inflated, and a cap on the
bytes all calls of a process hold at once."""

from __future__ import annotations

import asyncio
import gzip
import re
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable

import httpx
import orjson
import pytest

from sarcoma_cds.fhir.budget import CallBudget, ProcessBytes, decoder
from sarcoma_cds.fhir.fetch import FetchError, FetchOutcome, FhirFetcher
from sarcoma_cds.fhir.prefetch_templates import PREFETCH_TEMPLATES, REQUIRED_KEYS
from sarcoma_cds.settings import Settings

BASE = "https://ehr.example.org/fhir"
TOKEN = "token-abc"
CONTEXT = {"patientId": "p1", "userId": "Practitioner/x"}
MB = 1024 * 1024


class Chunks(httpx.AsyncByteStream):
    """A body that arrives in network-sized chunks, as from a socket."""

    def __init__(self, body: bytes, size: int = 64 * 1024) -> None:
        self._body, self._size = body, size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self._body), self._size):
            yield self._body[start : start + self._size]


def gzip_bomb(inflated_bytes: int) -> bytes:
    """A searchset whose padding inflates to `inflated_bytes` (about 1,000:1)."""
    head = b'{"resourceType":"Bundle","type":"searchset","entry":[],"x":"'
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [z.compress(head)]
    block = b" " * MB
    for _ in range(inflated_bytes // MB):
        parts.append(z.compress(block))
    parts.append(z.compress(b'"}') + z.flush())
    return b"".join(parts)


def searchset_bytes(resource_type: str, count: int, pad: int = 0) -> bytes:
    entries = [
        {"resource": {"resourceType": resource_type, "id": f"r{i}", "note": "x" * pad}}
        for i in range(count)
    ]
    return orjson.dumps({"resourceType": "Bundle", "type": "searchset", "entry": entries})


def streamed(body: bytes, encoding: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/fhir+json"}
    if encoding:
        headers["Content-Encoding"] = encoding
    return httpx.Response(200, headers=headers, stream=Chunks(body))


async def complete(
    handler: Callable[[httpx.Request], httpx.Response],
    settings: Settings,
    keys: list[str],
    fetcher: FhirFetcher | None = None,
) -> FetchOutcome:
    if fetcher is None:
        client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        fetcher = FhirFetcher(settings, client)
    prefetch = {k: None for k in PREFETCH_TEMPLATES if k not in keys}
    return await fetcher.complete(prefetch, PREFETCH_TEMPLATES, CONTEXT, BASE, TOKEN)


def type_of(request: httpx.Request) -> str:
    return request.url.path.rsplit("/", 1)[-1]


def test_a_gzip_bomb_is_stopped_while_it_inflates() -> None:
    """200 MB inflated from 200 KB on the wire: refused at the 1 MB budget, and the fetch
    never holds more than a few MB (measured with tracemalloc)."""
    bomb = gzip_bomb(200 * MB)
    assert len(bomb) < 400 * 1024
    settings = Settings(fetch_max_bytes=MB)
    tracemalloc.start()
    with pytest.raises(FetchError) as caught:
        asyncio.run(complete(lambda r: streamed(bomb, "gzip"), settings, ["conditions"]))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert caught.value.reason == (
        f"the FHIR server sent more than {MB} bytes for this call; the data would be incomplete"
    )
    assert peak < 8 * MB, f"peak {peak / MB:.1f} MB while refusing a gzip bomb"


def test_an_endless_stream_is_stopped_at_the_budget() -> None:
    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'{"resourceType":"Bundle","type":"searchset","x":"'
            while True:
                yield b"a" * 65536

    settings = Settings(fetch_max_bytes=2 * MB, fetch_timeout_seconds=30)
    response = lambda r: httpx.Response(200, stream=Endless())  # noqa: E731
    with pytest.raises(FetchError, match="more than 2097152 bytes") as caught:
        asyncio.run(complete(response, settings, ["conditions"]))
    assert caught.value.kind == "too_large"


def test_one_budget_spans_every_key_and_page() -> None:
    """Each key alone fits; together they do not: the later keys are refused, and a required
    key refused is the call's 412."""
    page = searchset_bytes("Observation", 100, pad=4000)  # ~400 KB each
    assert 300_000 < len(page) < 600_000
    keys = ["observations", "procedures", "diagnosticReports"]

    def handler(request: httpx.Request) -> httpx.Response:
        return streamed(searchset_bytes(type_of(request), 100, pad=4000))

    outcome = asyncio.run(complete(handler, Settings(fetch_max_bytes=MB), keys))
    assert len(outcome.fetched) == 2
    (refused,) = outcome.unavailable.values()
    assert "more than 1048576 bytes for this call" in refused
    assert not REQUIRED_KEYS & set(keys)  # optional keys: the refused one is a named gap


def test_resources_are_counted_across_pages() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("_offset", "0"))
        body = orjson.loads(searchset_bytes("Condition", 80))
        if offset < 400:
            body["link"] = [{"relation": "next", "url": f"{BASE}/Condition?_offset={offset + 80}"}]
        return streamed(orjson.dumps(body))

    settings = Settings(fetch_max_resources=200)
    with pytest.raises(FetchError, match="more than 200 resources for this call"):
        asyncio.run(complete(handler, settings, ["conditions"]))
    outcome = asyncio.run(complete(handler, Settings(fetch_max_resources=480), ["conditions"]))
    assert outcome.prefetch["conditions"]["total"] == 480


def unreachable(request: httpx.Request) -> httpx.Response:
    raise AssertionError("the fetcher under test has its own transport")


def test_the_process_wide_cap_refuses_a_call_beyond_it_and_is_given_back() -> None:
    """Two calls at once, each within its own budget, together beyond the process cap."""
    settings = Settings(fetch_max_bytes=MB, fetch_process_max_bytes=MB)
    release = asyncio.Event()

    class Slow(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            body = searchset_bytes("Condition", 150, pad=4000)  # ~600 KB
            yield body[: len(body) // 2]
            await release.wait()
            yield body[len(body) // 2 :]

    async def both() -> list[FetchOutcome | BaseException]:
        client = httpx.AsyncClient(
            transport=httpx.MockTransport(lambda r: httpx.Response(200, stream=Slow()))
        )
        fetcher = FhirFetcher(settings, client)
        calls = [
            asyncio.ensure_future(complete(unreachable, settings, ["conditions"], fetcher))
            for _ in range(2)
        ]
        await asyncio.sleep(0.2)
        release.set()
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert fetcher._process_bytes.held == 0
        await client.aclose()
        return results

    results = asyncio.run(both())
    refused = [r for r in results if isinstance(r, FetchError)]
    assert len(refused) == 1
    assert "holding its limit of fetched data for other calls" in refused[0].reason
    assert sum(isinstance(r, FetchOutcome) for r in results) == 1


def test_gzip_with_several_members_and_deflate_are_read() -> None:
    body = searchset_bytes("Condition", 3)
    two_members = gzip.compress(body[:10]) + gzip.compress(body[10:])
    for encoded, encoding in ((two_members, "gzip"), (zlib.compress(body), "deflate")):

        def handler(_: httpx.Request, e: bytes = encoded, c: str = encoding) -> httpx.Response:
            return streamed(e, c)

        outcome = asyncio.run(complete(handler, Settings(), ["conditions"]))
        assert outcome.prefetch["conditions"]["total"] == 3


@pytest.mark.parametrize(
    ("encoding", "reason"),
    [
        ("br", "in an unrequested encoding (br)"),
        ("gzip", "a compressed body that could not be read"),
    ],
)
def test_unreadable_encodings_are_refused(encoding: str, reason: str) -> None:
    with pytest.raises(FetchError, match=re.escape(reason)):
        asyncio.run(
            complete(lambda r: streamed(b"not compressed", encoding), Settings(), ["conditions"])
        )


def test_only_gzip_and_deflate_are_asked_for() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return streamed(searchset_bytes("Condition", 1))

    asyncio.run(complete(handler, Settings(), ["conditions"]))
    assert seen[0].headers["accept-encoding"] == "gzip, deflate"


def test_inflating_never_yields_more_than_one_step() -> None:
    inflater = decoder("gzip")
    assert inflater is not None
    pieces = list(inflater.feed(gzip.compress(b"a" * (3 * MB))))
    assert b"".join(pieces) == b"a" * (3 * MB)
    assert max(len(p) for p in pieces) <= 64 * 1024


def test_a_budget_gives_its_bytes_back_once() -> None:
    process = ProcessBytes(100)
    budget = CallBudget(max_bytes=80, max_resources=10, process=process)
    budget.charge(60)
    assert process.held == 60
    budget.release()
    budget.release()
    assert process.held == 0
