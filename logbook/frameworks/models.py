"""Stored framework versions: shipped ones (global) and an organisation's own."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Date, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow

GLOBAL = "global"  # owner_key of frameworks shipped with the app


class FrameworkVersion(Base):
    """One immutable version of a framework: its YAML source and what was parsed from it."""

    __tablename__ = "framework_version"
    __table_args__ = (UniqueConstraint("owner_key", "framework_id", "version", name="uq_framework_version"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # "global" or the owning organisation's id: a plain key keeps the unique constraint working with
    # PostgreSQL, where NULLs never collide.
    owner_key: Mapped[str] = mapped_column(String(40), index=True)
    framework_id: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    regulator: Mapped[str | None] = mapped_column(String(40))
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    standard_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_name: Mapped[str] = mapped_column(String(255))
    source_text: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
