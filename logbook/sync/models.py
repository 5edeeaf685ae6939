"""Sync models: what each device's mutations produced (the change feed itself is logbook/changefeed.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow


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
