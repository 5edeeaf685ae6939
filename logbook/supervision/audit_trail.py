"""The audit trail as one organisation's admins read it: newest first, a page at a time, filtered.

The trail itself (`logbook/audit/`) is one chain for the whole server and its events carry no
organisation. An organisation's events are the ones its own people did (actor `user:<id>` of one
of its users), and the ones external signers did on its people's sign-off requests and entries
(actor `external:<email>`, subject a sign-off request or sign-off of an entry of the organisation).
Read-only: nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import and_, or_, select

from logbook.accounts.models import User
from logbook.audit.models import AuditEvent
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.supervision.models import SignOff, SignOffRequest

MAX_PAGE = 200


def _scope(organisation_id: uuid.UUID) -> tuple[Any, dict[str, User]]:
    """The SQL condition for this organisation's events, and its people by actor string."""
    people = {
        f"user:{u.id}": u
        for u in db.session.scalars(select(User).where(User.organisation_id == organisation_id))
    }
    org_entries = select(Entry.id).where(Entry.organisation_id == organisation_id)
    external = and_(
        AuditEvent.actor.like("external:%"),
        or_(
            and_(
                AuditEvent.subject_type == "sign_off_request",
                AuditEvent.subject_id.in_(
                    select(SignOffRequest.id).where(SignOffRequest.entry_id.in_(org_entries))
                ),
            ),
            and_(
                AuditEvent.subject_type == "sign_off",
                AuditEvent.subject_id.in_(select(SignOff.id).where(SignOff.entry_id.in_(org_entries))),
            ),
        ),
    )
    return or_(AuditEvent.actor.in_(list(people)), external), people


def organisation_events(
    *,
    organisation_id: uuid.UUID,
    kind: str | None = None,
    actor_id: uuid.UUID | None = None,
    subject_type: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    before: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """One page of the organisation's events, newest first. `kind` matches the event kind or its
    prefix ("sign_off" matches "sign_off.approved"); `before` is the `next_before` of the page
    before. Dates are whole UTC days, both ends included."""
    scope, people = _scope(organisation_id)
    query = select(AuditEvent).where(scope)
    if kind:
        query = query.where(
            or_(AuditEvent.kind == kind, AuditEvent.kind.like(kind.replace("_", "\\_") + ".%", escape="\\"))
        )
    if actor_id is not None:
        query = query.where(AuditEvent.actor == f"user:{actor_id}")
    if subject_type:
        query = query.where(AuditEvent.subject_type == subject_type)
    if date_from is not None:
        query = query.where(AuditEvent.created_at >= dt.datetime.combine(date_from, dt.time(), dt.UTC))
    if date_to is not None:
        end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(AuditEvent.created_at < end)
    if before is not None:
        query = query.where(AuditEvent.seq < before)
    limit = max(1, min(limit, MAX_PAGE))
    rows = list(db.session.scalars(query.order_by(AuditEvent.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    items = []
    for row in rows:
        person = people.get(row.actor)
        items.append(
            {
                "seq": row.seq,
                "kind": row.kind,
                "actor": row.actor,
                "actor_name": person.name if person else row.actor.partition(":")[2] or row.actor,
                "actor_kind": "person" if person else row.actor.partition(":")[0],
                "subject_type": row.subject_type,
                "subject_id": row.subject_id,
                "data": row.data,
                "created_at": row.created_at,
                "hash": row.hash,
            }
        )
    return {"items": items, "next_before": rows[-1].seq if more and rows else None}


def event_kinds(*, organisation_id: uuid.UUID) -> list[str]:
    """The distinct kinds of event in the organisation's trail (for the filter's choices)."""
    scope, _ = _scope(organisation_id)
    return sorted(set(db.session.scalars(select(AuditEvent.kind).where(scope).distinct())))
