"""Notification models: messages shown in the app (and emailed), and each person's choices."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow


class Notification(Base):
    """One message to one person; `dedupe_key` makes scheduled reminders arrive once."""

    __tablename__ = "notification"
    __table_args__ = (UniqueConstraint("user_id", "dedupe_key", name="uq_notification_user_dedupe"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")  # a path in the app
    dedupe_key: Mapped[str] = mapped_column(String(200))
    is_in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    wants_email: Mapped[bool] = mapped_column(Boolean, default=False)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class NotificationPreference(Base):
    """A person's choice for one kind of notification (absent: the default schedule)."""

    __tablename__ = "notification_preference"
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    is_in_app: Mapped[bool] = mapped_column(Boolean, default=True)
    is_email: Mapped[bool] = mapped_column(Boolean, default=False)
    lead_days: Mapped[int] = mapped_column(Integer, default=0)
