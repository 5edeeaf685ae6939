"""Audit models: one append-only, hash-chained event per sign-off, return, revocation and link use."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime


class AuditEvent(Base):
    """Something that must stay provable: `hash` is SHA-256 over this event's canonical content and
    the previous event's hash, so changing, removing or reordering any event breaks the chain."""

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    kind: Mapped[str] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(300))  # "user:<uuid>", "external:<email>", "system"
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Unique: two writers that read the same tail cannot both append (one fails and retries).
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
