"""Writing the change feed: every change to a synced record appends one row, in the same transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from logbook.extensions import db
from logbook.sync.models import Change


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
