"""Remembering JWT ids (`jti`) until their token expires, so a captured token cannot be replayed.

In memory and per process: with several workers, each detects replays sent to it only.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable

from sarcoma_cds.security.base import AuthenticationError


class ReplayCacheFullError(AuthenticationError):
    """Too many live token ids to remember; refusing is safer than forgetting one."""


class ReplayCache:
    def __init__(self, max_entries: int = 100_000, clock: Callable[[], float] = time.time) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max = max_entries
        self._clock = clock
        self._expiry: dict[str, float] = {}
        self._by_expiry: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def first_use(self, token_id: str, expires_at: float) -> bool:
        """Record `token_id` until `expires_at` (epoch seconds); False if it is already recorded."""
        with self._lock:
            self._forget_expired(self._clock())
            if token_id in self._expiry:
                return False
            if len(self._expiry) >= self._max:
                raise ReplayCacheFullError(f"replay cache full ({self._max} live token ids)")
            self._expiry[token_id] = expires_at
            heapq.heappush(self._by_expiry, (expires_at, token_id))
            return True

    def __len__(self) -> int:
        with self._lock:
            self._forget_expired(self._clock())
            return len(self._expiry)

    def _forget_expired(self, now: float) -> None:
        while self._by_expiry and self._by_expiry[0][0] <= now:
            _, token_id = heapq.heappop(self._by_expiry)
            del self._expiry[token_id]
