"""Supervision services: listing a person's supervisors and supervisees (the links themselves, making
them and who supervises whom today are logbook/accounts/links.py)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import or_, select

from logbook.accounts.links import SupervisionLink, active_on
from logbook.accounts.models import User
from logbook.extensions import db


def linked_people(*, user: User, today: dt.date) -> dict[str, list[dict[str, object]]]:
    """The caller's current supervisors and supervisees (id, name, kinds of supervision): whom a
    phone may ask for sign-off, or record a session with, while offline."""
    out: dict[str, list[dict[str, object]]] = {"supervisors": [], "supervisees": []}
    query = (
        select(SupervisionLink, User)
        .join(
            User,
            or_(
                (SupervisionLink.supervisee_id == user.id) & (User.id == SupervisionLink.supervisor_id),
                (SupervisionLink.supervisor_id == user.id) & (User.id == SupervisionLink.supervisee_id),
            ),
        )
        .where(active_on(today))
        .order_by(User.name)
    )
    found: dict[tuple[str, uuid.UUID], list[str]] = {}  # each row's list of kinds
    for link, person in db.session.execute(query):
        side = "supervisors" if link.supervisee_id == user.id else "supervisees"
        if side == "supervisors" and not person.is_supervisor:
            continue  # lost the supervisor role: cannot sign any more
        kinds = found.get((side, person.id))
        if kinds is None:
            kinds = found[(side, person.id)] = []
            out[side].append({"id": person.id, "name": person.name, "kinds": kinds})
        if link.kind not in kinds:
            kinds.append(link.kind)
    return out
