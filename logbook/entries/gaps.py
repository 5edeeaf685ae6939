"""Gap explanations: a practitioner's own account of a break in their CPD (illness, parental leave,
a career break). HCPC asks registrants to explain such breaks (docs/regulators.md, "Gaps").

Only the owner reads or writes an explanation: anyone else's id answers "not found", exactly like
a missing one. The reason is private text, like a reflection: never logged, never in an export that
does not ask for it; the HCPC profile the owner makes prints it beside the gap it explains.
Explanations are made on the device with a UUID and synced like entries (entity
``gap_explanation``, docs/sync.md); a change names the version it was made against, and a change
against an older version is a ``stale_version`` conflict (the device shows both)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from logbook.accounts.models import User
from logbook.changefeed import record_change
from logbook.config import PushSettings
from logbook.entries.models import GapExplanation
from logbook.entries.schemas import GapExplanationInSchema
from logbook.errors import Conflict, NotFound, ValidationFailed, flatten_messages
from logbook.extensions import db

ENTITY = "gap_explanation"
EDITABLE = ("starts_on", "ends_on", "reason")
REASON_MAX = 2000


def present(row: GapExplanation) -> dict[str, Any]:
    """An explanation as its owner sees it (API and pull: one shape)."""
    return {
        "id": str(row.id),
        "starts_on": row.starts_on.isoformat(),
        "ends_on": row.ends_on.isoformat(),
        "reason": row.reason,
        "version": row.version,
        "is_deleted": row.is_deleted,
        "updated_at": row.updated_at.isoformat(),
    }


def _check(starts_on: dt.date, ends_on: dt.date, reason: str) -> None:
    problems: dict[str, list[str]] = {}
    if ends_on < starts_on:
        problems["ends_on"] = ["is before the start date"]
    if not reason.strip():
        problems["reason"] = ["say in a few words why there was no CPD in these days"]
    if problems:
        raise ValidationFailed("The explanation cannot be saved.", fields=problems)


def _own(owner: User, explanation_id: uuid.UUID, *, lock: bool = False) -> GapExplanation:
    row = db.session.get(GapExplanation, explanation_id, with_for_update=lock or None)
    if row is None or row.owner_id != owner.id:
        raise NotFound("No such gap explanation.")
    return row


def list_explanations(*, owner: User) -> list[GapExplanation]:
    """The owner's explanations (not deleted), earliest first."""
    return list(
        db.session.scalars(
            select(GapExplanation)
            .where(GapExplanation.owner_id == owner.id, GapExplanation.is_deleted.is_(False))
            .order_by(GapExplanation.starts_on, GapExplanation.id)
        )
    )


def get_explanation(*, owner: User, explanation_id: uuid.UUID) -> GapExplanation:
    """One of the owner's explanations (a deleted one too: it is a tombstone)."""
    return _own(owner, explanation_id)


def create_explanation(
    *, owner: User, data: dict[str, Any], now: dt.datetime, explanation_id: uuid.UUID | None = None
) -> GapExplanation:
    """Record an explanation (the device may supply its UUID; the same id twice is a conflict)."""
    new_id = explanation_id or data.get("id") or uuid.uuid4()
    _check(data["starts_on"], data["ends_on"], data["reason"])
    existing = db.session.get(GapExplanation, new_id)
    if existing is not None:
        if existing.owner_id != owner.id:
            raise NotFound("No such gap explanation.")
        raise Conflict(
            "A gap explanation with this id already exists.",
            code="duplicate_id",
            extra={"current": present(existing)},
        )
    row = GapExplanation(
        id=new_id,
        owner_id=owner.id,
        organisation_id=owner.organisation_id,
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        reason=data["reason"].strip(),
        version=1,
        is_deleted=False,
        created_at=now,
        updated_at=now,
    )
    db.session.add(row)
    record_change(entity=ENTITY, record_id=row.id, owner_id=owner.id, is_shared=False)
    db.session.flush()
    return row


def _stale(row: GapExplanation, base_version: int) -> None:
    if row.is_deleted:
        raise Conflict("This gap explanation was deleted.", code="deleted", extra={"current": present(row)})
    if base_version != row.version:
        raise Conflict(
            "This gap explanation was changed on another device since; nothing was saved.",
            code="stale_version",
            extra={"current": present(row), "version": row.version},
        )


def update_explanation(
    *, owner: User, explanation_id: uuid.UUID, base_version: int, changes: dict[str, Any], now: dt.datetime
) -> GapExplanation:
    """Change the dates or the reason, against the version the change was made on."""
    row = _own(owner, explanation_id, lock=True)
    _stale(row, base_version)
    wanted = {k: v for k, v in changes.items() if k in EDITABLE}
    if "reason" in wanted:
        wanted["reason"] = wanted["reason"].strip()
    merged = {k: wanted.get(k, getattr(row, k)) for k in EDITABLE}
    _check(merged["starts_on"], merged["ends_on"], merged["reason"])
    if all(getattr(row, k) == v for k, v in merged.items()):
        return row  # nothing changed: the version stays
    for key, value in merged.items():
        setattr(row, key, value)
    row.version += 1
    row.updated_at = now
    record_change(entity=ENTITY, record_id=row.id, owner_id=owner.id, is_shared=False)
    db.session.flush()
    return row


def delete_explanation(
    *, owner: User, explanation_id: uuid.UUID, base_version: int, now: dt.datetime
) -> GapExplanation:
    """Delete an explanation (a tombstone that syncs); deleting a deleted one changes nothing."""
    row = _own(owner, explanation_id, lock=True)
    if row.is_deleted:
        return row
    _stale(row, base_version)
    row.is_deleted = True
    row.version += 1
    row.updated_at = now
    record_change(entity=ENTITY, record_id=row.id, owner_id=owner.id, is_shared=False)
    db.session.flush()
    return row


def explained_ranges(owner_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[tuple[dt.date, dt.date, str]]]:
    """Each owner's explained days, as the engine's gap rule reads them: (first day, last day, id)."""
    ids = list(owner_ids)
    out: dict[uuid.UUID, list[tuple[dt.date, dt.date, str]]] = {i: [] for i in ids}
    if not ids:
        return out
    rows = db.session.execute(
        select(
            GapExplanation.owner_id, GapExplanation.starts_on, GapExplanation.ends_on, GapExplanation.id
        ).where(GapExplanation.owner_id.in_(ids), GapExplanation.is_deleted.is_(False))
    )
    for owner_id, starts_on, ends_on, row_id in rows:
        out[owner_id].append((starts_on, ends_on, str(row_id)))
    return out


def pull_explanations(user: User, ids: list[uuid.UUID], today: dt.date) -> list[dict[str, Any]]:
    """Pull items for explanations in this user's feed (only their own ever are)."""
    rows = {r.id: r for r in db.session.scalars(select(GapExplanation).where(GapExplanation.id.in_(ids)))}
    items = []
    for record_id in ids:
        row = rows.get(record_id)
        if row is None or row.owner_id != user.id:
            items.append({"entity": ENTITY, "id": str(record_id), "op": "remove", "version": 0})
            continue
        items.append(
            {
                "entity": ENTITY,
                "id": str(record_id),
                "op": "upsert",
                "version": row.version,
                "record": present(row),
            }
        )
    return items


# --- sync ------------------------------------------------------------------------------------

_IN = GapExplanationInSchema()
_CHANGES = GapExplanationInSchema(partial=True)


def _load(schema: GapExplanationInSchema, fields: Any) -> dict[str, Any]:
    try:
        return schema.load(fields if isinstance(fields, dict) else {})
    except ValidationError as err:
        raise ValidationFailed("Some fields are not valid.", fields=flatten_messages(err.messages)) from err


def apply_gap_explanation(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    """A gap explanation written, changed or deleted on a phone (sync entity ``gap_explanation``):
    create with the device's id; update with only the changed fields; delete; each against
    base_version. The result carries the explanation's new version."""
    op, fields = mutation["op"], mutation.get("fields") or {}
    if op == "create":
        data = _load(_IN, {**fields, "id": str(mutation["id"])})
        row = create_explanation(owner=user, data=data, now=now, explanation_id=mutation["id"])
    elif op == "update":
        changes = _load(
            _CHANGES, {k: v for k, v in fields.items() if k != "id"} if isinstance(fields, dict) else {}
        )
        row = update_explanation(
            owner=user,
            explanation_id=mutation["id"],
            base_version=mutation["base_version"],
            changes=changes,
            now=now,
        )
    else:
        row = delete_explanation(
            owner=user, explanation_id=mutation["id"], base_version=mutation["base_version"], now=now
        )
    return {"status": "applied", "version": row.version}
