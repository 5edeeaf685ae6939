"""Supervision models: sign-off requests and decisions, external signers, agreements, sessions,
actions and calendar feeds (who supervises whom is logbook/accounts/links.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow

if TYPE_CHECKING:
    from logbook.accounts.models import User

SIGNER_ROLES = ("supervisor", "reflective_discussion_partner", "confirmer")
DECISIONS = ("approved", "returned")
REQUEST_STATES = ("open", "approved", "returned", "cancelled", "superseded")


class SignOffRequest(Base):
    """A practitioner's request that one person (a supervisor, or an external signer by email)
    approve or return one version of an entry."""

    __tablename__ = "sign_off_request"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    entry_version: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    requested_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # Exactly one of: an internal supervisor, or an external signer (name, email, body).
    supervisor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    external_name: Mapped[str | None] = mapped_column(String(200))
    external_email: Mapped[str | None] = mapped_column(String(254))
    registration_body: Mapped[str | None] = mapped_column(String(20))
    signer_role: Mapped[str] = mapped_column(String(40), default="supervisor")
    message: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    # External signers an org admin must approve first (logbook/supervision/external_signers.py):
    # None when no approval is needed or it was given; "pending" until then (no link, no email yet).
    external_approval: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # The practitioner's name for the supervisor's queue (a queue of ids says nothing to a person).
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")


class SignOff(Base):
    """An immutable decision on one version of an entry: who, which version, the SHA-256 of the
    content they saw, approved or returned, and why. Never updated; a new version needs a new one."""

    __tablename__ = "sign_off"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # No cascade: signed evidence outlives nothing by accident (entries are tombstoned, not deleted).
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entry.id"), index=True)
    entry_version: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sign_off_request.id", ondelete="SET NULL"), index=True
    )
    signer_role: Mapped[str] = mapped_column(String(40), default="supervisor")
    signer_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    signer_name: Mapped[str] = mapped_column(String(200))
    external_email: Mapped[str | None] = mapped_column(String(254))
    external_role: Mapped[str | None] = mapped_column(String(200))
    registration_body: Mapped[str | None] = mapped_column(String(20))
    registration_number: Mapped[str | None] = mapped_column(String(40))
    is_imported: Mapped[bool] = mapped_column(Boolean, default=False)
    # An imported sign-off never certifies itself (logbook/supervision/imported.py): None for a sign-off
    # made here; "unverified" when imported (never valid, never counted); "verified" only when the
    # statement was checked against a trusted organisation's public key (which organisation, which kid).
    import_verification: Mapped[str | None] = mapped_column(String(20))
    import_organisation: Mapped[str | None] = mapped_column(String(200))
    import_kid: Mapped[str | None] = mapped_column(String(200))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The signed statement (compact JWS, logbook/signing/statements.py); None before signatures.
    statement: Mapped[str | None] = mapped_column(Text)


class SignOffWithdrawal(Base):
    """The withdrawal of an approved entry sign-off: by its signer or an org admin, with a reason,
    itself a signed statement (signcore.seal_withdrawal). One per sign-off; the sign-off row is never
    changed, and from then on signcore.verify() reports it ``withdrawn`` (it no longer counts)."""

    __tablename__ = "sign_off_withdrawal"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # Unique: withdrawing twice meets the constraint even when two requests race.
    sign_off_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sign_off.id"), unique=True)
    withdrawn_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    withdrawn_by_name: Mapped[str] = mapped_column(String(200))
    withdrawn_as: Mapped[str] = mapped_column(String(20))  # "signer" | "org_admin"
    reason: Mapped[str] = mapped_column(Text)
    withdrawn_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The signed withdrawal statement (compact JWS, logbook/signing/statements.py).
    statement: Mapped[str] = mapped_column(Text)


class ExternalSignOffLink(Base):
    """A single-use, expiring link for an external signer; only the SHA-256 of its token is stored."""

    __tablename__ = "external_sign_off_link"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sign_off_request.id", ondelete="CASCADE"), index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


EXTERNAL_SIGNER_STATES = ("pending", "approved", "refused")


class ExternalSigner(Base):
    """An external signer's address as an org admin decided it (when the organisation requires approval
    of new external signers): pending, approved or refused. The address is stored normalised."""

    __tablename__ = "external_signer"
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    first_requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


SESSION_FORMATS = ("individual", "group", "peer")


class SupervisionAgreement(Base):
    """What a supervisor and supervisee agreed: how often, how long, and what is recorded where."""

    __tablename__ = "supervision_agreement"
    link_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("supervision_link.id", ondelete="CASCADE"), primary_key=True
    )
    frequency_days: Mapped[int | None] = mapped_column(Integer)  # None: follow the organisation's policy
    session_minutes: Mapped[int] = mapped_column(Integer, default=90)
    recorded_where: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    agreed_on: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupervisionSession(Base):
    """One supervision session between a supervisor and a supervisee; both confirm the shared record."""

    __tablename__ = "supervision_session"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    supervisor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    supervisee_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(20), default="individual")
    location: Mapped[str] = mapped_column(String(200), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    is_cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The supervision entry this session was logged as (sessions.session_for_entry); None when the
    # session was recorded on its own. One entry, one session.
    entry_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("entry.id", ondelete="SET NULL"), unique=True, default=None
    )
    supervisor_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    supervisee_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SupervisionAction(Base):
    """An action agreed in a session, with an owner and a due date; it carries forward until closed."""

    __tablename__ = "supervision_action"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("supervision_session.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_in_session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("supervision_session.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SessionSignOffRequest(Base):
    """One party's request that the other sign off one version of a supervision session record."""

    __tablename__ = "session_sign_off_request"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("supervision_session.id", ondelete="CASCADE"), index=True
    )
    session_version: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    requested_by_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    signer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    message: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")
    signer: Mapped[User] = relationship(foreign_keys=[signer_id], lazy="joined")


class SessionSignOff(Base):
    """An immutable decision on one version of a session record. The signed record itself is kept
    (`content`), because a session row holds only its latest version: an old sign-off stays
    verifiable after the record is edited."""

    __tablename__ = "session_sign_off"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # No cascade: signed evidence is not removed by accident.
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("supervision_session.id"), index=True)
    session_version: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("session_sign_off_request.id", ondelete="SET NULL"), index=True
    )
    signer_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    signer_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The signed statement (compact JWS, logbook/signing/statements.py); None before signatures.
    statement: Mapped[str | None] = mapped_column(Text)


class CalendarFeed(Base):
    """A person's secret calendar feed URL; only the SHA-256 of its token is stored; revocable."""

    __tablename__ = "calendar_feed"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
