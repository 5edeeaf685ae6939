"""Supervision services: making links between supervisors and the people they supervise, and listing
them (the links themselves, and who supervises whom today, are logbook/accounts/links.py)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import or_, select

from logbook.accounts.links import LINK_KINDS, SupervisionLink, active_on
from logbook.accounts.models import User
from logbook.errors import ValidationFailed
from logbook.extensions import db


def link_supervisor(
    *,
    supervisor: User,
    supervisee: User,
    kind: str = "line",
    starts_on: dt.date,
    ends_on: dt.date | None = None,
) -> SupervisionLink:
    """Record that supervisor supervises supervisee (same organisation, supervisor role, not themself)."""
    errors: dict[str, list[str]] = {}
    if supervisor.id == supervisee.id:
        errors["supervisor_id"] = ["a person cannot supervise themself"]
    if supervisor.organisation_id != supervisee.organisation_id:
        errors["supervisor_id"] = ["supervisor must belong to the same organisation"]
    if not supervisor.is_supervisor:
        errors.setdefault("supervisor_id", []).append("this person does not have the supervisor role")
    if kind not in LINK_KINDS:
        errors["kind"] = [f"must be one of {', '.join(LINK_KINDS)}"]
    if ends_on and ends_on < starts_on:
        errors["ends_on"] = ["must not be before starts_on"]
    if errors:
        raise ValidationFailed("The supervision link is not valid.", fields=errors)
    link = SupervisionLink(
        supervisor_id=supervisor.id,
        supervisee_id=supervisee.id,
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(link)
    db.session.flush()
    return link


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
    found: dict[tuple[str, uuid.UUID], dict[str, object]] = {}
    for link, person in db.session.execute(query):
        side = "supervisors" if link.supervisee_id == user.id else "supervisees"
        if side == "supervisors" and not person.is_supervisor:
            continue  # lost the supervisor role: cannot sign any more
        row = found.get((side, person.id))
        if row is None:
            row = found[(side, person.id)] = {"id": person.id, "name": person.name, "kinds": []}
            out[side].append(row)
        if link.kind not in row["kinds"]:  # type: ignore[operator]
            row["kinds"].append(link.kind)  # type: ignore[union-attr]
    return out
