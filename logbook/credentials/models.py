"""Credentials issued: one row per thing a person was given a credential for, holding its place
(index) in the organisation's revocation list (a W3C Bitstring Status List)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow

SUBJECT_KINDS = ("sign_off", "attendance", "cycle")


class IssuedCredential(Base):
    """A credential issued to `owner` for a sign-off of one of their entries, for attending an
    event (checked in), or for a registration cycle they completed. Re-issuing the same subject
    keeps the same row, id and status index."""

    __tablename__ = "issued_credential"
    __table_args__ = (
        UniqueConstraint("organisation_id", "status_index", name="uq_issued_credential_index"),
        UniqueConstraint("subject_kind", "subject_id", name="uq_issued_credential_subject"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    # The entry it is about; None for a registration cycle (many entries: see its evidence).
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("entry.id"), index=True)
    subject_kind: Mapped[str] = mapped_column(String(20))  # "sign_off" | "attendance" | "cycle"
    # the sign-off's id, the attendance's entry id, or a cycle's id (credentials.service.cycle_subject_id)
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status_index: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(String(200))
