"""Accounts models: Organisation → Team → User, JobRole, Registration, AuthSession, PasswordReset,
LoginThrottle."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, Integer, String, Table, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow

SERVICE_AREAS = (
    "education",
    "early_years",
    "early_help",
    "send",
    "social_care",
    "health",
    "business_support",
    "other",
)
APP_ROLES = ("practitioner", "supervisor", "team_manager", "org_admin")
REGULATORS = ("HCPC", "SWE", "NMC", "TEACHERS", "GMC", "NONE", "OTHER")


class Organisation(Base):
    """An employer using the logbook (e.g. one local authority's children's service)."""

    __tablename__ = "organisation"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    # External signers (docs/supervision.md): None/empty → any domain; else only these domains.
    external_signer_domains: Mapped[list[str] | None] = mapped_column(JSON)
    # True → an org admin approves each new external signer before any email is sent.
    external_signer_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Team(Base):
    """A team within an organisation, in one service area."""

    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_team_org_name"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    service_area: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class JobRole(Base):
    """A job role from the organisation's list, with its profession and usual regulator."""

    __tablename__ = "job_role"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_job_role_org_name"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    service_area: Mapped[str] = mapped_column(String(40))
    profession: Mapped[str] = mapped_column(String(120))
    usual_regulator: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


team_manager = Table(
    "team_manager",
    Base.metadata,
    Column("user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
)


class User(Base):
    """A person with an account: practitioner, supervisor, team manager and/or org admin."""

    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("team.id"), index=True)
    job_role_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("job_role.id"), index=True)
    is_practitioner: Mapped[bool] = mapped_column(Boolean, default=True)
    is_supervisor: Mapped[bool] = mapped_column(Boolean, default=False)
    is_team_manager: Mapped[bool] = mapped_column(Boolean, default=False)
    is_org_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    team: Mapped[Team | None] = relationship(lazy="joined")
    job_role: Mapped[JobRole | None] = relationship(lazy="joined")
    # Loaded when first used, not with every user: each API request loads its caller, and most
    # requests need neither list (two queries a request saved).
    managed_teams: Mapped[list[Team]] = relationship(secondary=team_manager)
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def roles(self) -> list[str]:
        """The app roles this user holds, in a fixed order."""
        flags = (self.is_practitioner, self.is_supervisor, self.is_team_manager, self.is_org_admin)
        return [role for role, on in zip(APP_ROLES, flags, strict=True) if on]


class Registration(Base):
    """A professional registration: regulator, profession, number and the cycle it follows."""

    __tablename__ = "registration"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    regulator: Mapped[str] = mapped_column(String(40))
    profession: Mapped[str] = mapped_column(String(120))
    registration_number: Mapped[str | None] = mapped_column(String(40))
    framework_id: Mapped[str | None] = mapped_column(String(80))
    registered_since: Mapped[dt.date | None] = mapped_column(Date)
    renewal_date: Mapped[dt.date | None] = mapped_column(Date)
    is_dual_registration: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="registrations")


class AuthSession(Base):
    """A server-side login session; the cookie carries a random token, the table its SHA-256."""

    __tablename__ = "auth_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class PasswordReset(Base):
    """A password-reset link: single use, expiring; the email carries the token, the table its SHA-256."""

    __tablename__ = "password_reset"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class LoginThrottle(Base):
    """Failed logins for one email address (whether or not it has an account, so that a lockout
    reveals nothing), keyed by the SHA-256 of the normalised address; the row goes on success."""

    __tablename__ = "login_throttle"
    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
