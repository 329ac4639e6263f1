"""The feedback store's tables and their versioned migrations (`cds_schema_version`).

Append new steps; never edit an applied one. Every step is safe to run on a database that a
newer `metadata.create_all` already shaped (fresh stores create the current tables in step 1).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection

from sarcoma_cds.database import with_start_up_retries

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
    # "accepted:<sorted suggestion ids>" or "overridden"; NULL on rows stored before version 2.
    Column("event_key", String(2048), nullable=True),
    # The verified client (JWT iss, tenant) that sent the feedback; NULL in development mode
    # and on rows stored before version 4.
    Column("issuer", String(512), nullable=True),
    Column("tenant", String(256), nullable=True),
    UniqueConstraint(
        "service_id", "card_uuid", "outcome", "outcome_timestamp", name="uq_cds_feedback_event"
    ),
)
# NULLs are distinct in a unique index (SQLite and PostgreSQL): rows from before version 2 stay.
once_index = Index(
    "uq_cds_feedback_once",
    feedback_table.c.service_id,
    feedback_table.c.card_uuid,
    feedback_table.c.event_key,
    unique=True,
)

issued_table = Table(
    "cds_card_issued",
    metadata,
    Column("card_uuid", String(128), primary_key=True),
    Column("service_id", String(128), nullable=False),
    Column("topic", String(128), nullable=False),
    Column("rule", String(256), nullable=True),
    Column("suggestions", Text, nullable=True),  # JSON object: suggestion uuid -> label
    Column("override_reasons", Text, nullable=True),  # JSON array of {code, system, display}
    Column("issued_at", String(40), nullable=False),
)

# Explicit, versioned migrations, applied in order at start-up and recorded in schema_version.
# Append new steps; never edit an applied one.
schema_version_table = Table(
    "cds_schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", String(40), nullable=False),
)


def _add_event_key(conn: Connection) -> None:
    if "event_key" not in {c["name"] for c in inspect(conn).get_columns("cds_feedback")}:
        conn.execute(text("ALTER TABLE cds_feedback ADD COLUMN event_key VARCHAR(2048)"))
    once_index.create(conn, checkfirst=True)


def _add_client_columns(conn: Connection) -> None:
    present = {c["name"] for c in inspect(conn).get_columns("cds_feedback")}
    for name, sql_type in (("issuer", "VARCHAR(512)"), ("tenant", "VARCHAR(256)")):
        if name not in present:
            conn.execute(text(f"ALTER TABLE cds_feedback ADD COLUMN {name} {sql_type}"))


MIGRATIONS: tuple[tuple[int, str, Callable[[Connection], None]], ...] = (
    (1, "create cds_feedback", lambda conn: feedback_table.create(conn, checkfirst=True)),
    (2, "cds_feedback.event_key: one row per card, outcome and suggestions", _add_event_key),
    (3, "create cds_card_issued", lambda conn: issued_table.create(conn, checkfirst=True)),
    (4, "cds_feedback.issuer, tenant: the client that sent each row", _add_client_columns),
)


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


def create_tables(engine: Engine) -> None:
    """Apply the migrations (retried: workers start together and race)."""
    with_start_up_retries(lambda: _migrate_once(engine))
