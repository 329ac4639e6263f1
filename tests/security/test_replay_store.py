"""The jti replay store: once per token across every instance sharing the database, expiring
with the token, a quota per issuer (SQLite file and a real PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.postgres import postgres_url  # noqa: F401  (session fixture)

from sarcoma_cds.security.replay import ReplayQuotaError, ReplayStore, ReplayStoreError

from .conftest import FakeClock

A = "https://ehr-a.example.org"
B = "https://ehr-b.example.org"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/service.sqlite3"
        return
    url: str = request.getfixturevalue("postgres_url")
    yield url
    store = ReplayStore.open(url)  # each test starts from an empty table
    with store._engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM cds_jwt_seen")
    store.close()


def test_a_token_id_is_accepted_once_until_it_expires(database_url: str) -> None:
    clock = FakeClock(1000.0)
    store = ReplayStore.open(database_url, clock=clock)
    assert store.first_use(A, "a", expires_at=1060.0)
    assert not store.first_use(A, "a", expires_at=1060.0)
    assert store.first_use(A, "b", expires_at=1060.0)
    assert store.first_use(B, "a", expires_at=1060.0)  # ids are per issuer
    clock.now = 1060.0
    assert store.live() == 0
    assert store.first_use(A, "a", expires_at=1120.0)  # its old token has expired
    store.close()


def test_two_app_instances_sharing_the_database_accept_a_token_once(database_url: str) -> None:
    """Two processes (workers, pods) each open the store: 16 threads race with one jti."""
    stores = [ReplayStore.open(database_url, clock=FakeClock(0.0)) for _ in range(2)]
    results: list[bool] = []
    barrier = threading.Barrier(16)
    lock = threading.Lock()

    def use(store: ReplayStore) -> None:
        barrier.wait()
        outcome = store.first_use(A, "same-jti", 100.0)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=use, args=(stores[i % 2],)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 15 + [True]
    for store in stores:
        store.close()


def test_one_issuer_filling_its_quota_never_locks_out_another(database_url: str) -> None:
    clock = FakeClock(0.0)
    store = ReplayStore.open(database_url, per_issuer=10, clock=clock)
    for n in range(10):
        assert store.first_use(A, f"a-{n}", 300.0)
    with pytest.raises(ReplayQuotaError, match=r"replay quota of 'https://ehr-a\.example\.org'"):
        store.first_use(A, "a-10", 300.0)
    assert store.live(A) == 10  # the refused id was not kept
    assert store.first_use(B, "b-0", 300.0)  # the other client is unaffected
    clock.now = 300.0  # A's ids expire and free its quota
    assert store.first_use(A, "a-10", 600.0)
    store.close()


def test_an_unreachable_store_fails_closed(tmp_path: Path) -> None:
    with pytest.raises(ReplayStoreError, match="cannot open the replay store"):
        ReplayStore.open("postgresql+psycopg://u:secret@127.0.0.1:1/none")
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(ReplayStoreError) as caught:
        ReplayStore.open(f"sqlite:///{blocked}/db.sqlite3")
    assert "secret" not in str(caught.value)


def test_quota_must_be_positive() -> None:
    with pytest.raises(ValueError, match="per_issuer"):
        ReplayStore.in_memory(per_issuer=0)
