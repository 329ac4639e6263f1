"""Opening the service's SQL database (SQLAlchemy): an SQLite file by default, any URL.

The feedback store and the JWT replay store share it, so that every worker of a host (SQLite
file) or every pod (PostgreSQL) sees the same rows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool

SQLITE_BUSY_TIMEOUT_MS = 10_000


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def open_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL and a busy timeout, in-memory SQLite one
    shared connection."""
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True)
    database = make_url(url).database or ""
    if database in ("", ":memory:"):
        # One shared connection, or every connection would see its own empty database.
        return create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _: Any) -> None:
        # WAL lets readers run beside the writer; busy_timeout makes writers queue, not fail.
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


def with_start_up_retries(step: Callable[[], None], attempts: int = 5) -> None:
    """Run a schema step. Workers start together and race between "is it there?" and CREATE;
    the loser fails and, on retry, finds the work done."""
    for attempt in range(1, attempts + 1):
        try:
            step()
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == attempts:
                raise
            time.sleep(0.05 * attempt)


def insert_new(conn: Connection, table: Table, row: Mapping[str, Any]) -> int:
    """Insert `row` unless it repeats a unique key; 1 when it was new."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        # psycopg reports rowcount 0 for this statement: count the returned rows.
        pg = postgresql.insert(table).on_conflict_do_nothing()
        key = next(iter(table.primary_key.columns))
        return len(conn.execute(pg.returning(key), row).all())
    if dialect == "sqlite":
        return max(conn.execute(sqlite.insert(table).on_conflict_do_nothing(), row).rowcount, 0)
    try:  # other databases: a savepoint per row keeps the batch going
        with conn.begin_nested():
            conn.execute(insert(table), row)
    except IntegrityError:
        return 0
    return 1


def insert_new_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """`insert_new` for many rows in one executemany: about half the cost per row of
    executing one statement per row (issue 18)."""
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        conn.execute(sqlite.insert(table).on_conflict_do_nothing(), rows)
    else:
        for row in rows:
            insert_new(conn, table, row)
