"""Remembering JWT ids (`jti`) until their token expires, so a captured token cannot be replayed.

The ids live in the service's database, not in process memory: an SQLite file shared by the
workers of one host (the default), or the PostgreSQL database every pod shares. A token is thus
accepted once by the whole deployment, not once per worker or per pod. Each issuer has a quota
of live ids, so one client sending many tokens fills its own quota, never another client's.
Only SHA-256 digests of issuer and id are stored (bounded size, nothing a client chose verbatim).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    MetaData,
    String,
    Table,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from sarcoma_cds.database import (
    insert_new,
    open_engine,
    safe_url,
    with_start_up_retries,
)
from sarcoma_cds.security.base import AuthenticationError

logger = logging.getLogger(__name__)

metadata = MetaData()
# A cache, not a record: losing it only reopens the replay window of live tokens (minutes), so
# it is created as it is, outside the feedback store's versioned migrations.
seen_table = Table(
    "cds_jwt_seen",
    metadata,
    Column("token_key", String(64), primary_key=True),  # sha256(iss NUL jti)
    Column("issuer_key", String(64), nullable=False),  # sha256(iss)
    Column("expires_at", BigInteger, nullable=False),  # epoch seconds, rounded up
    Index("ix_cds_jwt_seen_issuer_expiry", "issuer_key", "expires_at"),
)

SWEEP_EVERY_SECONDS = 60.0


class ReplayQuotaError(AuthenticationError):
    """The issuer has too many live token ids; refusing is safer than forgetting one."""


class ReplayStoreError(AuthenticationError):
    """The replay store cannot be reached: the token is refused (fail closed)."""


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


class ReplayStore:
    def __init__(
        self,
        engine: Engine,
        *,
        per_issuer: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if per_issuer < 1:
            raise ValueError("per_issuer must be at least 1")
        self._engine = engine
        self._per_issuer = per_issuer
        self._clock = clock
        # SQLite serialises writers anyway; in one process a lock avoids busy waits (and the
        # in-memory database has one shared connection).
        self._lock: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )
        self._swept_at = -math.inf
        with_start_up_retries(lambda: metadata.create_all(engine, checkfirst=True))

    @classmethod
    def open(
        cls, url: str, *, per_issuer: int = 10_000, clock: Callable[[], float] = time.time
    ) -> ReplayStore:
        try:
            return cls(open_engine(url), per_issuer=per_issuer, clock=clock)
        except (SQLAlchemyError, OSError, ImportError) as exc:
            raise ReplayStoreError(
                f"cannot open the replay store {safe_url(url)}: {type(exc).__name__}"
            ) from None

    @classmethod
    def in_memory(
        cls, *, per_issuer: int = 10_000, clock: Callable[[], float] = time.time
    ) -> ReplayStore:
        """One process's own store (tests, embedding): replays across processes go unseen."""
        return cls.open("sqlite://", per_issuer=per_issuer, clock=clock)

    def first_use(self, issuer: str, jti: str, expires_at: float) -> bool:
        """Record the id until `expires_at` (epoch seconds); False when it is already recorded
        by any worker. Raises ReplayQuotaError when the issuer has `per_issuer` live ids."""
        now = self._clock()
        row = {
            "token_key": _digest(issuer, jti),
            "issuer_key": _digest(issuer),
            "expires_at": math.ceil(expires_at),
        }
        try:
            with self._lock:
                self._sweep(now)
                # The write comes first: it takes SQLite's write lock before any read, so
                # concurrent workers queue on the busy timeout instead of failing.
                with self._engine.begin() as conn:
                    if not insert_new(conn, seen_table, row) and not self._reuse(conn, row, now):
                        return False
                    live = conn.execute(
                        select(func.count())
                        .select_from(seen_table)
                        .where(seen_table.c.issuer_key == row["issuer_key"])
                        .where(seen_table.c.expires_at > now)
                    ).scalar_one()
                    if live > self._per_issuer:
                        raise ReplayQuotaError(
                            f"replay quota of {issuer[:200]!r} full "
                            f"({self._per_issuer} live token ids)"
                        )  # rolls the insert back
        except SQLAlchemyError as exc:
            raise ReplayStoreError(f"replay store unavailable ({type(exc).__name__})") from None
        return True

    def _reuse(self, conn: Connection, row: dict[str, Any], now: float) -> bool:
        """An id seen before whose token has since expired may be used again."""
        result = conn.execute(
            update(seen_table)
            .where(seen_table.c.token_key == row["token_key"])
            .where(seen_table.c.expires_at <= now)
            .values(expires_at=row["expires_at"])
        )
        return bool(result.rowcount)

    def live(self, issuer: str | None = None) -> int:
        """How many unexpired ids are remembered (for one issuer, or all)."""
        query = select(func.count()).select_from(seen_table)
        query = query.where(seen_table.c.expires_at > self._clock())
        if issuer is not None:
            query = query.where(seen_table.c.issuer_key == _digest(issuer))
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def _sweep(self, now: float) -> None:
        if time.monotonic() - self._swept_at < SWEEP_EVERY_SECONDS:
            return
        self._swept_at = time.monotonic()
        with self._engine.begin() as conn:
            conn.execute(delete(seen_table).where(seen_table.c.expires_at <= now))

    def close(self) -> None:
        self._engine.dispose()
