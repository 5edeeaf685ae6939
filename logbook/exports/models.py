"""Records brought in from another logbook: the import itself, and where each imported entry came from."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow


class RecordImport(Base):
    """One practitioner's record imported from another organisation's logbook (docs/record-format.md)."""

    __tablename__ = "record_import"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    source_organisation: Mapped[str] = mapped_column(String(200))
    source_exported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    format_version: Mapped[int] = mapped_column(Integer)
    # The format the file was in: a CPD Logbook record (exports/record.py), a Leap2A package
    # (exports/leap2a.py) or a spreadsheet (exports/spreadsheet.py); the last two bring entries only.
    source_format: Mapped[str] = mapped_column(
        String(40), default="cpd-logbook-record", server_default="cpd-logbook-record"
    )
    record_sha256: Mapped[str] = mapped_column(String(64))
    # Supervision sessions the person was party to there: kept as exported (the other party is not a
    # user here), and exported again with the rest of the record.
    supervision_sessions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


PROPOSAL_STATES = ("pending", "confirmed", "rejected")


class RegistrationProposal(Base):
    """A registration an imported record claims for the person. Never a registration by itself: an org
    admin of the person's organisation confirms it (validated like any registration, which creates the
    registration) or rejects it. The values are kept as the file gave them (cut to the column sizes)."""

    __tablename__ = "registration_proposal"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    record_import_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("record_import.id", ondelete="SET NULL"), index=True
    )
    # As proposed: plain strings, validated only when an admin confirms.
    proposed: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    registration_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL")
    )
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
