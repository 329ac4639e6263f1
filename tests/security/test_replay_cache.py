from __future__ import annotations

import threading

import pytest

from sarcoma_cds.security.replay import ReplayCache, ReplayCacheFullError

from .conftest import FakeClock


def test_a_token_id_is_accepted_once_until_it_expires() -> None:
    clock = FakeClock(1000.0)
    cache = ReplayCache(clock=clock)
    assert cache.first_use("iss\x00a", expires_at=1060.0)
    assert not cache.first_use("iss\x00a", expires_at=1060.0)
    assert cache.first_use("iss\x00b", expires_at=1060.0)
    clock.now = 1060.0
    assert len(cache) == 0
    assert cache.first_use("iss\x00a", expires_at=1120.0)


def test_a_full_cache_refuses_rather_than_forgets() -> None:
    clock = FakeClock(0.0)
    cache = ReplayCache(max_entries=2, clock=clock)
    assert cache.first_use("a", 10.0)
    assert cache.first_use("b", 20.0)
    with pytest.raises(ReplayCacheFullError):
        cache.first_use("c", 30.0)
    assert not cache.first_use("a", 10.0)
    clock.now = 10.0  # "a" expires and frees a slot
    assert cache.first_use("c", 30.0)


def test_concurrent_uses_of_one_id_admit_exactly_one() -> None:
    cache = ReplayCache(clock=FakeClock(0.0))
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(16)

    def use() -> None:
        barrier.wait()
        outcome = cache.first_use("same-jti", 100.0)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=use) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True]


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_entries"):
        ReplayCache(max_entries=0)
