"""Who supervises whom: supervision links and the questions every access rule asks of them.

They live here, below entries and supervision, because both read them: entries' access rules
(a supervisor sees what their supervisees share), supervision's sign-off and sessions, sync's pull
and progress. Listing a person's links for the phone is logbook/supervision/service.py."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ColumnElement, Date, ForeignKey, String, Uuid, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from logbook.accounts.models import User
from logbook.errors import ValidationFailed
from logbook.extensions import Base, db
from logbook.timeutil import UTCDateTime, utcnow

# line: the line manager as supervisor; professional: an internal (professional) supervisor;
# clinical: clinical supervision; practice_educator: a student's or ASYE's practice educator.
LINK_KINDS = ("line", "professional", "clinical", "practice_educator")


class SupervisionLink(Base):
    """A supervisor ↔ practitioner relationship of one kind, valid between two dates."""

    __tablename__ = "supervision_link"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    supervisor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    supervisee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default="line")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def active_on(today: dt.date) -> ColumnElement[bool]:
    """The condition a link is in force on that day."""
    return (SupervisionLink.starts_on <= today) & or_(
        SupervisionLink.ends_on.is_(None), SupervisionLink.ends_on >= today
    )


def supervisee_ids(*, supervisor_id: uuid.UUID, today: dt.date) -> set[uuid.UUID]:
    """People this user supervises today (any kind of supervision)."""
    query = select(SupervisionLink.supervisee_id).where(
        SupervisionLink.supervisor_id == supervisor_id, active_on(today)
    )
    return set(db.session.scalars(query))


def supervisor_ids(*, supervisee_id: uuid.UUID, today: dt.date) -> set[uuid.UUID]:
    """People who supervise this user today."""
    query = select(SupervisionLink.supervisor_id).where(
        SupervisionLink.supervisee_id == supervisee_id, active_on(today)
    )
    return set(db.session.scalars(query))


def link_supervisor(
    *,
    supervisor: User,
    supervisee: User,
    kind: str = "line",
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> SupervisionLink:
    """Record that supervisor supervises supervisee (same organisation, supervisor role, not themself)."""
    errors: dict[str, list[str]] = {}
    if supervisor.id == supervisee.id:
        errors["supervisor_id"] = ["a person cannot supervise themself"]
    if supervisor.organisation_id != supervisee.organisation_id:
        errors["supervisor_id"] = ["supervisor must belong to the same organisation"]
    if not supervisor.is_supervisor:
        errors.setdefault("supervisor_id", []).append("this person does not have the supervisor role")
    if kind not in LINK_KINDS:
        errors["kind"] = [f"must be one of {', '.join(LINK_KINDS)}"]
    if ends_on and ends_on < starts_on:
        errors["ends_on"] = ["must not be before starts_on"]
    if errors:
        raise ValidationFailed("The supervision link is not valid.", fields=errors)
    link = SupervisionLink(
        supervisor_id=supervisor.id,
        supervisee_id=supervisee.id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(link)
    db.session.flush()
    return link
