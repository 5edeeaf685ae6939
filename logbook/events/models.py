"""Learning events, who may run them, who attended (one row, one entry per person), learning sets
and feedback."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow

# Entry kinds an event can be (each has details the app can pre-fill for every attendee).
EVENT_KINDS = (
    "bite_size_workshop",
    "team_study_day",
    "study_day",
    "course",
    "conference",
    "reflective_learning_set",
    "other",
)
ATTENDANCE_METHODS = ("qr", "qr_offline", "register", "learning_set")


class EventFacilitator(Base):
    """Permission, granted by an org admin, to publish events and learning sets for the organisation."""

    __tablename__ = "event_facilitator"
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    granted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


learning_event_facilitator = Table(
    "learning_event_facilitator",
    Base.metadata,
    Column("event_id", ForeignKey("learning_event.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True),
)

learning_set_member = Table(
    "learning_set_member",
    Base.metadata,
    Column("set_id", ForeignKey("learning_set.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class LearningSet(Base):
    """A reflective learning set: a group with members that meets repeatedly."""

    __tablename__ = "learning_set"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # Whether members' meeting entries record peer reflection (Social Work England counts it when
    # the record says so).
    counts_as_peer_reflection: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[Any]] = relationship(
        "User", secondary=learning_set_member, lazy="selectin", order_by="User.name"
    )


class LearningEvent(Base):
    """One event in the organisation's learning offer (or one meeting of a learning set)."""

    __tablename__ = "learning_event"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    learning_set_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("learning_set.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    hours: Mapped[Decimal] = mapped_column(Numeric(7, 2))  # CPD hours each attendee's entry gets
    is_participatory: Mapped[bool] = mapped_column(Boolean, default=True)
    target_professions: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: everyone
    target_team_ids: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: every team
    standards: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    common_core: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int | None] = mapped_column(Integer)
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # evidence refs
    # Part of the check-in code's key: replacing it invalidates every code shown so far.
    check_in_secret: Mapped[str] = mapped_column(String(64))
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    facilitators: Mapped[list[Any]] = relationship(
        "User", secondary=learning_event_facilitator, lazy="selectin", order_by="User.name"
    )
    learning_set: Mapped[LearningSet | None] = relationship(lazy="selectin")

    @property
    def ends_at(self) -> dt.datetime:
        """When the event ends."""
        return self.starts_at + dt.timedelta(minutes=self.duration_minutes)


class EventAttendance(Base):
    """A person attended an event: at most one row per person and event, naming the one entry made
    for them. A replayed or repeated check-in finds this row and answers with the same entry."""

    __tablename__ = "event_attendance"
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learning_event.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), unique=True)
    method: Mapped[str] = mapped_column(String(20))
    scanned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the device's scan time (QR)
    marked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventFeedback(Base):
    """An attendee's short feedback on an event (shown to facilitators only in aggregate)."""

    __tablename__ = "event_feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)
    event_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("learning_event.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    rating: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
