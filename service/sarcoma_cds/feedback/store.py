"""Feedback storage (SQLAlchemy Core): an embedded SQLite file by default, any SQLAlchemy URL.

Only what the clinician did with a card is kept: card uuid, outcome, accepted suggestion ids,
override reason and comment, timestamps. No hookInstance, patient id or FHIR data: there is none
in a feedback call, and none is added here. One event per card, outcome and accepted
suggestions (or one override per card): a repeated click, which the CDS Hooks sandbox sends with
a new `outcomeTimestamp`, stores nothing new (UNIQUE key on `event_key`).

Beside it, `cds_card_issued` remembers which rule issued each card uuid and its suggestions and
override reasons (no patient data), so that feedback can be counted per rule and an override's
missing `display` filled in from the card's own reasons.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from sarcoma_cds.cds_hooks.feedback import FeedbackItem
from sarcoma_cds.database import insert_new, insert_new_many, open_engine, safe_url
from sarcoma_cds.feedback.schema import (
    MIGRATIONS,
    create_tables,
    feedback_table,
    issued_table,
    schema_version,
)

__all__ = [
    "MIGRATIONS",
    "FeedbackRecord",
    "FeedbackStore",
    "FeedbackStoreError",
    "IssuedCall",
    "IssuedCard",
    "schema_version",
]

# The key under which the service's cards carry their rule and topic (cards.builder).
EXTENSION_KEY = "org.sarcoma-cds"


# One answer's cards and when they were issued.
IssuedCall = tuple[Sequence[Mapping[str, Any]], datetime]


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
    # The verified client that sent it (JWT iss and tenant); None in development mode.
    issuer: str | None = None
    tenant: str | None = None

    @classmethod
    def from_item(
        cls,
        service_id: str,
        item: FeedbackItem,
        issuer: str | None = None,
        tenant: str | None = None,
    ) -> FeedbackRecord:
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
            issuer=issuer[:512] if issuer else None,
            tenant=tenant[:256] if tenant else None,
        )

    @property
    def event_key(self) -> str:
        """What makes two feedback items the same event, whatever their timestamps."""
        if self.outcome != "accepted":
            return self.outcome
        key = "accepted:" + ",".join(sorted(set(self.accepted_suggestions)))
        return (
            key
            if len(key) <= 256
            else "accepted:sha256:" + hashlib.sha256(key.encode()).hexdigest()
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
            "event_key": self.event_key,
            "issuer": self.issuer,
            "tenant": self.tenant,
        }


class FeedbackStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str) -> FeedbackStore:
        """Connect and create the table if missing (start-up)."""
        try:
            engine = open_engine(url)
            create_tables(engine)
        except (SQLAlchemyError, OSError, ImportError) as exc:
            raise FeedbackStoreError(
                f"cannot open the feedback store {safe_url(url)}: {type(exc).__name__}"
            ) from None
        return cls(engine)

    def add(self, records: Sequence[FeedbackRecord], received_at: datetime) -> int:
        """Store the records in one transaction; return how many were new (repeats are skipped).
        An override reason sent without `display` gets the display of the card's own reason."""
        stamp = received_at.isoformat(timespec="microseconds")
        new = 0
        with self._engine.begin() as conn:
            for record in records:
                if record.override_reason_code and not record.override_reason_display:
                    record = _with_display(conn, record)
                new += insert_new(conn, feedback_table, record.row(stamp))
        return new

    def issue(self, service_id: str, calls: Iterable[IssuedCall]) -> None:
        """Remember which rule issued each card (by uuid), with its suggestions and override
        reasons, for the cards of one or more answers in one transaction; a card already known
        is left as it is."""
        rows: list[dict[str, Any]] = []
        for cards, issued_at in calls:
            stamp = issued_at.isoformat(timespec="seconds")
            rows += [row for card in cards if (row := _issued_row(service_id, card, stamp))]
        if not rows:
            return
        try:
            with self._engine.begin() as conn:
                insert_new_many(conn, issued_table, rows)
        except SQLAlchemyError as exc:
            raise FeedbackStoreError(f"cannot record issued cards: {type(exc).__name__}") from None

    def issued(self) -> list[IssuedCard]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(issued_table).order_by(issued_table.c.issued_at))
            return [_issued(row._mapping) for row in rows]

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


@dataclass(frozen=True)
class IssuedCard:
    card_uuid: str
    service_id: str
    topic: str
    rule: str | None
    suggestions: Mapping[str, str]  # suggestion uuid -> label
    override_reasons: tuple[Mapping[str, str], ...]


def _with_display(conn: Connection, record: FeedbackRecord) -> FeedbackRecord:
    found = conn.execute(
        select(issued_table.c.override_reasons).where(issued_table.c.card_uuid == record.card_uuid)
    ).scalar()
    for reason in orjson.loads(found) if found else ():
        same_system = record.override_reason_system in (None, reason.get("system"))
        if reason.get("code") == record.override_reason_code and same_system:
            return replace(
                record,
                override_reason_system=reason.get("system"),
                override_reason_display=reason.get("display"),
            )
    return record


def _issued_row(service_id: str, card: Mapping[str, Any], stamp: str) -> dict[str, Any] | None:
    ext = card.get("extension")
    ours = ext.get(EXTENSION_KEY) if isinstance(ext, Mapping) else None
    if not isinstance(card.get("uuid"), str) or not isinstance(ours, Mapping):
        return None
    offered, given = card.get("suggestions"), card.get("overrideReasons")
    suggestions = {
        s["uuid"]: str(s.get("label", ""))
        for s in (offered if isinstance(offered, list) else ())
        if isinstance(s, Mapping) and isinstance(s.get("uuid"), str)
    }
    reasons = [r for r in (given if isinstance(given, list) else ()) if isinstance(r, Mapping)]
    # A card gathering the sections of several rules is counted under all of them, joined.
    sections = [x for x in ours.get("sections", ()) if isinstance(x, Mapping)] or [ours]
    topics = "+".join(str(x.get("topic", "unknown")) for x in sections)
    rules = "+".join(str(x["rule"]) for x in sections if isinstance(x.get("rule"), str))
    return {
        "card_uuid": card["uuid"],
        "service_id": service_id,
        "topic": topics[:128],
        "rule": rules[:256] or None,
        "suggestions": orjson.dumps(suggestions).decode() if suggestions else None,
        "override_reasons": orjson.dumps(reasons).decode() if reasons else None,
        "issued_at": stamp,
    }


def _issued(row: Any) -> IssuedCard:
    return IssuedCard(
        card_uuid=row["card_uuid"],
        service_id=row["service_id"],
        topic=row["topic"],
        rule=row["rule"],
        suggestions=orjson.loads(row["suggestions"]) if row["suggestions"] else {},
        override_reasons=tuple(orjson.loads(row["override_reasons"] or "[]")),
    )


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
        issuer=row["issuer"],
        tenant=row["tenant"],
    )
