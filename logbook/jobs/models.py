"""A background job's row: what it is, whose it is, how far it got, and where its result is stored."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow

JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    """One long export. Every app server (and every worker) reads and writes this row, so any of
    them can answer "how far has it got?": nothing about a job lives in one process's memory."""

    __tablename__ = "job"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(40))
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    # How many times a worker has started it: more than one when a worker died and another took it
    # over (jobs.service.run_job); never more than jobs.service.MAX_ATTEMPTS.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The result's bytes are in the evidence store under their SHA-256 (content-addressed, like evidence).
    result_sha256: Mapped[str | None] = mapped_column(String(64))
    result_name: Mapped[str | None] = mapped_column(String(200))
    result_media_type: Mapped[str | None] = mapped_column(String(100))
    result_size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
