"""SSO models: an organisation's OpenID Connect provider settings, and sign-ins under way."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow


class SsoProvider(Base):
    """One organisation's identity provider. The client secret is never stored: only the name of
    the environment variable that holds it (LOGBOOK_OIDC_SECRET_…), read when a code is exchanged."""

    __tablename__ = "sso_provider"
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret_env: Mapped[str] = mapped_column(String(100))
    # Lower-case domains whose addresses may sign in (and, with jit_enabled, get an account).
    email_domains: Mapped[list[str]] = mapped_column(JSON)
    jit_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    password_login: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OidcLoginState(Base):
    """A sign-in that went to the provider and has not come back: found by the SHA-256 of its
    `state`, deleted when the callback uses it (so a replayed state finds nothing)."""

    __tablename__ = "oidc_login_state"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    nonce: Mapped[str] = mapped_column(String(128))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
