"""Feedback storage (SQLAlchemy Core): an embedded SQLite file by default, any SQLAlchemy URL.

Only what the clinician did with a card is kept: card uuid, outcome, accepted suggestion ids,
override reason and comment, timestamps. No hookInstance, patient id or FHIR data: there is none
in a feedback call, and none is added here. A repeated call stores nothing new (UNIQUE key).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from sarcoma_cds.cds_hooks.feedback import FeedbackItem

SQLITE_BUSY_TIMEOUT_MS = 10_000

metadata = MetaData()

feedback_table = Table(
    "cds_feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(128), nullable=False),
    Column("card_uuid", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("outcome_timestamp", String(40), nullable=False),  # ISO 8601 UTC, one spelling
    Column("accepted_suggestions", Text, nullable=True),  # JSON array of suggestion ids
    Column("override_reason_code", String(256), nullable=True),
    Column("override_reason_system", String(512), nullable=True),
    Column("override_reason_display", Text, nullable=True),
    Column("user_comment", Text, nullable=True),
    Column("received_at", String(40), nullable=False),
    UniqueConstraint(
        "service_id", "card_uuid", "outcome", "outcome_timestamp", name="uq_cds_feedback_event"
    ),
)

_KEY = ["service_id", "card_uuid", "outcome", "outcome_timestamp"]

# Explicit, versioned migrations, applied in order at start-up and recorded in schema_version.
# Append new steps; never edit an applied one.
schema_version_table = Table(
    "cds_schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", String(40), nullable=False),
)
MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "create cds_feedback", lambda conn: feedback_table.create(conn, checkfirst=True)),
)


class FeedbackStoreError(Exception):
    """The store cannot be opened; the message never contains the database password."""


@dataclass(frozen=True)
class FeedbackRecord:
    service_id: str
    card_uuid: str
    outcome: str
    outcome_timestamp: str
    accepted_suggestions: tuple[str, ...] = ()
    override_reason_code: str | None = None
    override_reason_system: str | None = None
    override_reason_display: str | None = None
    user_comment: str | None = None

    @classmethod
    def from_item(cls, service_id: str, item: FeedbackItem) -> FeedbackRecord:
        reason = item.overrideReason.reason if item.overrideReason else None
        return cls(
            service_id=service_id,
            card_uuid=item.card,
            outcome=item.outcome,
            outcome_timestamp=item.outcome_timestamp_utc,
            accepted_suggestions=tuple(s.id for s in item.acceptedSuggestions or ()),
            override_reason_code=reason.code if reason else None,
            override_reason_system=reason.system if reason else None,
            override_reason_display=reason.display if reason else None,
            user_comment=item.overrideReason.userComment if item.overrideReason else None,
        )

    def row(self, received_at: str) -> dict[str, Any]:
        ids = self.accepted_suggestions
        suggestions = orjson.dumps(ids).decode() if ids else None  # JSON array of ids
        return {
            "service_id": self.service_id,
            "card_uuid": self.card_uuid,
            "outcome": self.outcome,
            "outcome_timestamp": self.outcome_timestamp,
            "accepted_suggestions": suggestions,
            "override_reason_code": self.override_reason_code,
            "override_reason_system": self.override_reason_system,
            "override_reason_display": self.override_reason_display,
            "user_comment": self.user_comment,
            "received_at": received_at,
        }


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
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


def schema_version(engine: Engine) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(func.max(schema_version_table.c.version))).scalar()
    return int(found or 0)


def _migrate_once(engine: Engine) -> None:
    with engine.begin() as conn:
        schema_version_table.create(conn, checkfirst=True)
    for version, description, step in MIGRATIONS:
        with engine.begin() as conn:  # one transaction per step, with its version row
            done = conn.execute(
                select(schema_version_table.c.version).where(
                    schema_version_table.c.version == version
                )
            ).first()
            if done:
                continue
            step(conn)
            conn.execute(
                insert(schema_version_table).values(
                    version=version,
                    description=description,
                    applied_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
            )


def _create_table(engine: Engine, attempts: int = 5) -> None:
    """Apply the migrations. Workers start together and race between "is it there?" and
    CREATE; the loser fails and, on retry, finds the work done."""
    for attempt in range(1, attempts + 1):
        try:
            _migrate_once(engine)
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            if attempt == attempts:
                raise
            time.sleep(0.05 * attempt)


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str) -> FeedbackStore:
        """Connect and create the table if missing (start-up)."""
        safe_url = make_url(url).render_as_string(hide_password=True)
        try:
            is_sqlite = make_url(url).get_backend_name() == "sqlite"
            engine = _sqlite_engine(url) if is_sqlite else create_engine(url, pool_pre_ping=True)
            _create_table(engine)
        except (SQLAlchemyError, OSError, ImportError) as exc:
            raise FeedbackStoreError(
                f"cannot open the feedback store {safe_url}: {type(exc).__name__}"
            ) from None
        return cls(engine)

    def add(self, records: Sequence[FeedbackRecord], received_at: datetime) -> int:
        """Store the records in one transaction; return how many were new (repeats are skipped)."""
        stamp = received_at.isoformat(timespec="microseconds")
        rows = [record.row(stamp) for record in records]
        dialect = self._engine.dialect.name
        new = 0
        with self._engine.begin() as conn:
            for row in rows:
                if dialect == "sqlite":
                    stmt: Any = sqlite.insert(feedback_table).on_conflict_do_nothing(
                        index_elements=_KEY
                    )
                elif dialect == "postgresql":
                    # psycopg reports rowcount 0 for this statement: count the returned ids.
                    pg = postgresql.insert(feedback_table).on_conflict_do_nothing(
                        index_elements=_KEY
                    )
                    new += len(conn.execute(pg.returning(feedback_table.c.id), row).all())
                    continue
                else:
                    stmt = None
                if stmt is not None:
                    new += max(conn.execute(stmt, row).rowcount, 0)
                    continue
                try:  # other databases: a savepoint per row keeps the batch going
                    with conn.begin_nested():
                        conn.execute(insert(feedback_table), row)
                    new += 1
                except IntegrityError:
                    pass
        return new

    def records(self, service_id: str | None = None) -> list[FeedbackRecord]:
        query = select(feedback_table).order_by(feedback_table.c.id)
        if service_id is not None:
            query = query.where(feedback_table.c.service_id == service_id)
        with self._engine.connect() as conn:
            return [_record(row._mapping) for row in conn.execute(query)]

    def ping(self) -> bool:
        try:
            with self._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def close(self) -> None:
        self._engine.dispose()


def _record(row: Any) -> FeedbackRecord:
    suggestions: Iterable[str] = (
        orjson.loads(row["accepted_suggestions"]) if row["accepted_suggestions"] else ()
    )
    return FeedbackRecord(
        service_id=row["service_id"],
        card_uuid=row["card_uuid"],
        outcome=row["outcome"],
        outcome_timestamp=row["outcome_timestamp"],
        accepted_suggestions=tuple(suggestions),
        override_reason_code=row["override_reason_code"],
        override_reason_system=row["override_reason_system"],
        override_reason_display=row["override_reason_display"],
        user_comment=row["user_comment"],
    )
