"""Entry (the unit of CPD), its evidence links, and evidence files."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, Numeric, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow

VISIBILITIES = ("private", "supervisors", "organisation")
WAYS_OF_KNOWING = ("propositional", "experiential", "practical", "presentational")


class Entry(Base):
    """One piece of CPD: what happened, how long, what was learnt, and what it is evidence for."""

    __tablename__ = "entry"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # made on the device
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    is_participatory: Mapped[bool] = mapped_column(Boolean)
    includes_peer_reflection: Mapped[bool] = mapped_column(Boolean, default=False)
    reflection: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    impact_on_practice: Mapped[str] = mapped_column(Text, default="")
    impact_on_people: Mapped[str] = mapped_column(Text, default="")
    ways_of_knowing: Mapped[list[str]] = mapped_column(JSON, default=list)
    other_professions: Mapped[list[str]] = mapped_column(JSON, default=list)
    standards: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    common_core: Mapped[list[str]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    visibility: Mapped[str] = mapped_column(String(20), default="private")
    status: Mapped[str] = mapped_column(String(20), default="recorded")
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    # Index rows kept in step with `evidence` and `standards` for filtering and insights, which query
    # the tables themselves: nothing reads them through an entry, so they load only when touched (on
    # assignment). Loading them with every entry ("selectin") cost an entry list two more queries.
    evidence_links: Mapped[list[EntryEvidence]] = relationship(
        cascade="all, delete-orphan", lazy="select", back_populates="entry"
    )
    standard_links: Mapped[list[EntryStandard]] = relationship(
        cascade="all, delete-orphan", lazy="select", back_populates="entry"
    )


class EntryRevision(Base):
    """The content of one version of an entry, kept so that offline edits can be merged field by
    field and so that a sign-off stays verifiable against exactly the text that was signed."""

    __tablename__ = "entry_revision"
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    # The device whose mutation made this version (None for the web API): a device's own earlier
    # changes never conflict with its later ones.
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntryStandard(Base):
    """A standard an entry is tagged with (kept in step with Entry.standards for filtering and insights)."""

    __tablename__ = "entry_standard"
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True)
    framework_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), primary_key=True)

    entry: Mapped[Entry] = relationship(back_populates="standard_links")


class EntryEvidence(Base):
    """Which evidence files an entry references (kept in step with Entry.evidence for access checks)."""

    __tablename__ = "entry_evidence"
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True)
    # No foreign key: an entry made offline may name a photo whose upload has not arrived yet.
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)

    entry: Mapped[Entry] = relationship(back_populates="evidence_links")


class Evidence(Base):
    """An uploaded file, stored once by the SHA-256 of the bytes the device sent."""

    __tablename__ = "evidence"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    stored_sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvidenceUpload(Base):
    """Who uploaded a file: identical files from different people are stored once, owned by each."""

    __tablename__ = "evidence_upload"
    sha256: Mapped[str] = mapped_column(ForeignKey("evidence.sha256", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), primary_key=True, index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EntryOrigin(Base):
    """An imported entry's identity in the logbook it was first written in. Its content hashes (and so
    its sign-offs) were computed over that entry id and owner id; they are recomputed over the same
    ids here, so imported sign-offs still verify, and so do later versions of the entry. Written by the
    record import (exports/record.py), read by entries.service.hash_identity."""

    __tablename__ = "entry_origin"
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True)
    hashed_entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    hashed_owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    record_import_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("record_import.id", ondelete="CASCADE"), index=True
    )



class GapExplanation(Base):
    """A practitioner's explanation of a break in their CPD (illness, parental leave, a career break):
    the days it covers and the reason in their own words. Private: only its owner reads it, and it is
    printed only in the HCPC profile the owner makes (never in logs). Made on the device (UUID) and
    synced like entries (entity ``gap_explanation``; docs/sync.md). An explanation covering every day
    of a gap means the gap rule no longer counts that gap as at risk (frameworks/engine.py)."""

    __tablename__ = "gap_explanation"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)  # made on the device
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
