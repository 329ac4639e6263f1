"""Bounded work for the fallback fetch: one byte and resource budget per service call, a cap on
the bytes all calls of the process hold at once, and a decoder that inflates gzip and deflate
bodies step by step, so a compressed body is charged as it grows, never after (a gzip bomb
expands a thousandfold: one 64 KB network chunk would otherwise become 64 MB at once).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

# Output per decompression step: the most a body grows before it is charged.
INFLATE_STEP = 64 * 1024
# What this service asks for; anything else a server sends is refused, not decoded.
ACCEPT_ENCODING = "gzip, deflate"
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class BudgetExceededError(Exception):
    """The call would hold more than its budget; `reason` is safe to show (no URL or data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProcessBytes:
    """The bytes every running fetch of this process holds: a call that would push the total
    past `limit` fails its fetch rather than wait or grow the process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.held + size > self.limit:
                return False
            self.held += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.held -= size


@dataclass
class CallBudget:
    """What one service call may fetch, across all its keys and pages."""

    max_bytes: int
    max_resources: int
    process: ProcessBytes
    bytes: int = 0
    resources: int = 0
    _released: bool = field(default=False, repr=False)

    def charge(self, size: int) -> None:
        if self.bytes + size > self.max_bytes:
            raise BudgetExceededError(
                f"the FHIR server sent more than {self.max_bytes} bytes for this call; "
                "the data would be incomplete"
            )
        if not self.process.take(size):
            raise BudgetExceededError(
                "the service is holding its limit of fetched data for other calls; try again"
            )
        self.bytes += size

    def count(self, resources: int) -> None:
        self.resources += resources
        if self.resources > self.max_resources:
            raise BudgetExceededError(
                f"the FHIR server sent more than {self.max_resources} resources for this call; "
                "the data would be incomplete"
            )

    def release(self) -> None:
        """Give the call's bytes back to the process (once, when the call is done)."""
        if not self._released:
            self._released = True
            self.process.give(self.bytes)


class UnsupportedEncodingError(Exception):
    pass


class _Inflater:
    def __init__(self, wbits: int) -> None:
        self._wbits = wbits
        self._z = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The output of `data`, in pieces of at most INFLATE_STEP bytes."""
        while True:
            out = self._z.decompress(data, INFLATE_STEP)
            if out:
                yield out
            data = self._z.unconsumed_tail
            if self._z.eof:
                rest = self._z.unused_data
                if not rest:
                    return
                self._z = zlib.decompressobj(self._wbits)  # a further gzip member
                data = rest
                continue
            # Output may still be pending inside zlib after a full step.
            if not data and len(out) < INFLATE_STEP:
                return


def decoder(content_encoding: str | None) -> _Inflater | None:
    """None for identity; raises UnsupportedEncodingError for codings we did not ask for."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) > 1 or codings[0] not in _WBITS:
        raise UnsupportedEncodingError(", ".join(codings)[:40])
    return _Inflater(_WBITS[codings[0]])


async def read_body(raw: AsyncIterator[bytes], encoding: str | None, budget: CallBudget) -> bytes:
    """The decoded body, charged to `budget` piece by piece as it is received and inflated.
    Raises BudgetExceededError, UnsupportedEncodingError or zlib.error."""
    inflater = decoder(encoding)
    chunks: list[bytes] = []
    try:
        async for chunk in raw:
            pieces = inflater.feed(chunk) if inflater else (chunk,)
            for piece in pieces:
                budget.charge(len(piece))
                chunks.append(piece)
    except BaseException:
        # The traceback keeps this frame alive until the cycle collector runs (rarely, in a
        # worker): drop what was read now, or a refused body outlives its refusal.
        chunks.clear()
        raise
    return b"".join(chunks)
