"""Audit services: append an event to the hash chain, and verify the whole chain."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text

from logbook.audit.models import AuditEvent
from logbook.extensions import db

GENESIS = "0" * 64
# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK = 7_270_417_001


def event_hash(
    *,
    prev_hash: str,
    kind: str,
    actor: str,
    subject_type: str,
    subject_id: uuid.UUID | str,
    data: dict[str, Any],
    created_at: dt.datetime,
) -> str:
    """SHA-256 over the previous hash and this event's content, as canonical JSON."""
    body = {
        "prev_hash": prev_hash,
        "kind": kind,
        "actor": actor,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "data": data,
        "created_at": created_at.astimezone(dt.UTC).isoformat(),
    }
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _lock_chain() -> None:
    """Serialise appenders: on SQLite the write transaction already holds the database lock."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})


def append_event(
    *,
    kind: str,
    actor: str,
    subject_type: str,
    subject_id: uuid.UUID,
    data: dict[str, Any],
    now: dt.datetime,
) -> AuditEvent:
    """Append one event to the chain (flushes; the caller's transaction commits it)."""
    _lock_chain()
    tail = db.session.scalar(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1))
    prev = tail or GENESIS
    # Round-trip through JSON so the hash covers exactly what the database will give back.
    data = json.loads(json.dumps(data, sort_keys=True, default=str))
    now = now.astimezone(dt.UTC)
    fields: dict[str, Any] = {
        "prev_hash": prev,
        "kind": kind,
        "actor": actor,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "data": data,
        "created_at": now,
    }
    event = AuditEvent(**fields, hash=event_hash(**fields))
    db.session.add(event)
    db.session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking the chain: how many events, the head hash, the first broken link."""

    checked: int
    head: str
    broken_seq: int | None = None
    reason: str = ""

    @property
    def is_ok(self) -> bool:
        """Whether every event is intact and linked to the one before."""
        return self.broken_seq is None


def _events(batch: int = 1000) -> Iterator[Any]:
    """Every event as a plain row, in order, a batch at a time (no ORM identity map to grow)."""
    last = -1
    while True:
        rows = db.session.execute(
            select(*AuditEvent.__table__.columns)
            .where(AuditEvent.seq > last)
            .order_by(AuditEvent.seq)
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain() -> ChainReport:
    """Recompute every event's hash in order; name the first event that was changed or unlinked."""
    prev = GENESIS
    count = 0
    for event in _events():
        count += 1
        if event.prev_hash != prev:
            return ChainReport(
                count,
                prev,
                event.seq,
                "does not link to the event before it (an event was removed or inserted)",
            )
        expected = event_hash(
            prev_hash=event.prev_hash,
            kind=event.kind,
            actor=event.actor,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            data=event.data,
            created_at=event.created_at,
        )
        if expected != event.hash:
            return ChainReport(
                count, prev, event.seq, "its content no longer matches its hash (it was changed)"
            )
        prev = event.hash
    return ChainReport(count, prev)


def events_for(*, subject_type: str, subject_id: uuid.UUID) -> list[AuditEvent]:
    """Every event about one subject, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
            .order_by(AuditEvent.seq)
        )
    )
