"""Verification codes printed in portfolios, one per sign-off."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow


class VerificationCode(Base):
    """A short random code that lets anyone holding a portfolio check one sign-off on /verify/<code>.

    Stored rather than derived from SECRET_KEY, so that rotating the key never invalidates a printed
    portfolio, and looked up by primary key (no scan over sign-offs)."""

    __tablename__ = "verification_code"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    sign_off_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sign_off.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
