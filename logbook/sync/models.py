"""Sync models: the change feed, and what each device's mutations produced."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow


class Change(Base):
    """One change to a synced record. `txid` is the writing transaction's id on PostgreSQL (0 on
    SQLite, whose single writer commits in seq order); the feed is ordered by (txid, seq) and only
    rows of transactions older than every running one are served — see docs/sync.md."""

    __tablename__ = "sync_change"
    __table_args__ = (Index("ix_sync_change_txid_seq", "txid", "seq"),)
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    # Whether anyone but the owner could see the record before or after this change: only such
    # changes reach supervisors' devices (an upsert, or a removal when sharing ended).
    is_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncClient(Base):
    """A device (browser profile) of a user, and the highest mutation id it has sent."""

    __tablename__ = "sync_client"
    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SyncMutation(Base):
    """The result of one applied mutation, returned again if the device sends it again."""

    __tablename__ = "sync_mutation"
    client_id: Mapped[str] = mapped_column(
        ForeignKey("sync_client.client_id", ondelete="CASCADE"), primary_key=True
    )
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
