"""The change feed: every change to a synced record appends one row, in the same transaction.

It sits below every domain that writes it (entries, supervision, exports) and below sync, which
serves it to devices (docs/sync.md, docs/architecture.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Table, Uuid, insert, text
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base, db
from logbook.timeutil import UTCDateTime, utcnow


class Change(Base):
    """One change to a synced record. `txid` is the writing transaction's id on PostgreSQL (0 on
    SQLite, whose single writer commits in seq order); the feed is ordered by (txid, seq) and only
    rows of transactions older than every running one are served — see docs/sync.md."""

    __tablename__ = "sync_change"
    # A page of one owner's feed is a range of (owner_id, txid, seq): read in order, never sorted.
    __table_args__ = (
        Index("ix_sync_change_txid_seq", "txid", "seq"),
        Index("ix_sync_change_owner_txid_seq", "owner_id", "txid", "seq"),
    )
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    txid: Mapped[int] = mapped_column(BigInteger, default=0)
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    # Whether anyone but the owner could see the record before or after this change: only such
    # changes reach supervisors' devices (an upsert, or a removal when sharing ended).
    is_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def current_txid() -> int:
    """This transaction's id on PostgreSQL (assigning one if needed); 0 on SQLite."""
    if db.session.get_bind().dialect.name != "postgresql":
        return 0
    # Constant for the whole transaction (savepoints included): ask once per transaction.
    root = db.session().get_transaction()
    cached = db.session.info.get("logbook.txid")
    if root is not None and cached is not None and cached[0] is root:
        return cached[1]
    txid = int(db.session.execute(text("SELECT pg_current_xact_id()::text::bigint")).scalar_one())
    db.session.info["logbook.txid"] = (db.session().get_transaction(), txid)
    return txid


def record_change(*, entity: str, record_id: uuid.UUID, owner_id: uuid.UUID, is_shared: bool) -> None:
    """Append a change for a record so that every device that may see it pulls it; is_shared says
    whether anyone but the owner could see the record before or after the change."""
    db.session.add(
        Change(
            txid=current_txid(), entity=entity, record_id=record_id, owner_id=owner_id, is_shared=is_shared
        )
    )


def record_changes(changes: list[dict[str, Any]]) -> None:
    """Append many changes at once, in list order (their seq follows it), with one INSERT of many
    rows: each a dict of record_change's arguments. Written at once, not added to the session."""
    if changes:
        txid = current_txid()
        # __table__ is declared as a FromClause; a mapped class's is a Table.
        table = cast(Table, Change.__table__)
        db.session.execute(insert(table), [{"txid": txid, **change} for change in changes])
