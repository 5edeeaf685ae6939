"""Supervisor assignments: an org admin says who supervises whom, in which role, from when to when,
and on what agreement (how often, how long); ending one keeps it (history) and closes its access.

A supervision link (logbook/accounts/links.py) is the assignment itself; its agreement
(`SupervisionAgreement`) holds the frequency and session length. Every assignment and every ending
is an event in the audit trail (logbook/audit/). Nothing is ever deleted: ending sets `ends_on`, the
last day the link is in force. Ending "now" sets it to yesterday, so from this moment the former
supervisor's pull no longer includes the supervisee (the sync cursor's fingerprint of whose records
a device pulls changes, the device is told to start again, and drops what the full pull no longer
sends: docs/sync.md, "Scope and resets").

Roles, as the admin screens name them (docs/onboarding.md):
internal supervisor = `professional`, practice educator = `practice_educator`, line manager as
supervisor = `line`, clinical supervisor = `clinical`. A person may have several supervisors, in the
same role or in different ones; what is refused is the same supervisor twice in the same role over
overlapping dates.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from logbook.accounts.links import LINK_KINDS, SupervisionLink, link_supervisor
from logbook.accounts.models import User
from logbook.audit.service import append_event
from logbook.errors import Conflict, Forbidden, NotFound, ValidationFailed
from logbook.extensions import db
from logbook.supervision.models import SupervisionAgreement

ROLE_LABELS = {
    "professional": "Internal supervisor",
    "practice_educator": "Practice educator",
    "line": "Line manager as supervisor",
    "clinical": "Clinical supervisor",
}
if set(ROLE_LABELS) != set(LINK_KINDS):
    raise RuntimeError("every kind of supervision link needs a label")


def _require_admin(actor: User) -> None:
    if not actor.is_org_admin:
        raise Forbidden("Only an organisation administrator assigns supervisors.")


def person_in_org(*, organisation_id: uuid.UUID, user_id: uuid.UUID, field: str) -> User:
    """A person of this organisation, or NotFound naming the field (another organisation's people
    are indistinguishable from nobody)."""
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != organisation_id:
        raise NotFound("No such person in your organisation.", fields={field: ["no such person"]})
    return user


def status_of(link: SupervisionLink, today: dt.date) -> str:
    """`current`, `future` or `ended` (a link withdrawn before it began is `ended` too)."""
    if link.ends_on is not None and link.ends_on < today:
        return "ended"
    if link.starts_on > today:
        return "ended" if link.ends_on is not None and link.ends_on < link.starts_on else "future"
    return "current"


def overlapping(
    *,
    supervisor_id: uuid.UUID,
    supervisee_id: uuid.UUID,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date | None,
) -> SupervisionLink | None:
    """An existing link of the same supervisor, supervisee and role whose dates meet these."""
    query = select(SupervisionLink).where(
        SupervisionLink.supervisor_id == supervisor_id,
        SupervisionLink.supervisee_id == supervisee_id,
        SupervisionLink.kind == kind,
    )
    for link in db.session.scalars(query):
        if link.ends_on is not None and link.ends_on < link.starts_on:
            continue  # withdrawn before it began: never in force
        other_end = link.ends_on or dt.date.max
        if link.starts_on <= (ends_on or dt.date.max) and starts_on <= other_end:
            return link
    return None


@dataclass(frozen=True)
class Assignment:
    """What an assignment asks for (validated types; the rules are checked by `assign`)."""

    supervisor_id: uuid.UUID
    supervisee_id: uuid.UUID
    kind: str
    starts_on: dt.date
    ends_on: dt.date | None = None
    frequency_days: int | None = None
    session_minutes: int | None = None


def assign_as(*, actor: User, wanted: Assignment, today: dt.date, now: dt.datetime) -> SupervisionLink:
    """An org admin assigns a supervisor within their organisation."""
    _require_admin(actor)
    return assign(
        organisation_id=actor.organisation_id, by=f"user:{actor.id}", wanted=wanted, today=today, now=now
    )


def assign(
    *, organisation_id: uuid.UUID, by: str, wanted: Assignment, today: dt.date, now: dt.datetime
) -> SupervisionLink:
    """Assign a supervisor to a person, both of this organisation (`by`: the audit trail's actor).
    Gives the supervisor the supervisor role if they lack it; records the agreement when a frequency
    or length is given."""
    org = organisation_id
    supervisor = person_in_org(organisation_id=org, user_id=wanted.supervisor_id, field="supervisor_id")
    supervisee = person_in_org(organisation_id=org, user_id=wanted.supervisee_id, field="supervisee_id")
    if supervisor.id == supervisee.id:
        raise ValidationFailed(
            "A person cannot supervise themself.", fields={"supervisor_id": ["is the supervisee"]}
        )
    if not supervisor.is_active:
        raise ValidationFailed(
            "The supervisor's account is deactivated.", fields={"supervisor_id": ["is deactivated"]}
        )
    if wanted.kind not in LINK_KINDS:
        raise ValidationFailed("Unknown role.", fields={"kind": [f"must be one of {', '.join(LINK_KINDS)}"]})
    clash = overlapping(
        supervisor_id=supervisor.id,
        supervisee_id=supervisee.id,
        kind=wanted.kind,
        starts_on=wanted.starts_on,
        ends_on=wanted.ends_on,
    )
    if clash is not None:
        raise Conflict(
            f"{supervisor.name} is already {supervisee.name}'s {ROLE_LABELS[wanted.kind].lower()} "
            f"from {clash.starts_on:%d %b %Y}"
            + (f" to {clash.ends_on:%d %b %Y}" if clash.ends_on else "")
            + ": end that assignment first, or choose dates that do not overlap.",
            code="assignment_overlaps",
            fields={"starts_on": ["overlaps an assignment of the same supervisor in the same role"]},
        )
    granted = not supervisor.is_supervisor
    supervisor.is_supervisor = True
    link = link_supervisor(
        supervisor=supervisor,
        supervisee=supervisee,
        kind=wanted.kind,
        starts_on=wanted.starts_on,
        ends_on=wanted.ends_on,
    )
    if wanted.frequency_days is not None or wanted.session_minutes is not None:
        db.session.add(
            SupervisionAgreement(
                link_id=link.id,
                frequency_days=wanted.frequency_days,
                session_minutes=wanted.session_minutes or 90,
                recorded_where="",
                notes="",
                agreed_on=today,
            )
        )
    append_event(
        kind="supervision_link.assigned",
        actor=by,
        subject_type="supervision_link",
        subject_id=link.id,
        data={
            "supervisor_id": str(supervisor.id),
            "supervisee_id": str(supervisee.id),
            "kind": wanted.kind,
            "starts_on": wanted.starts_on.isoformat(),
            "ends_on": wanted.ends_on.isoformat() if wanted.ends_on else None,
            "frequency_days": wanted.frequency_days,
            "session_minutes": wanted.session_minutes,
            "granted_supervisor_role": granted,
        },
        now=now,
    )  # flushes
    return link


def end_as(
    *, actor: User, link_id: uuid.UUID, ends_on: dt.date | None, today: dt.date, now: dt.datetime
) -> SupervisionLink:
    """An org admin ends an assignment of their organisation."""
    _require_admin(actor)
    link = get_link(organisation_id=actor.organisation_id, link_id=link_id)
    return end(link=link, by=f"user:{actor.id}", ends_on=ends_on, today=today, now=now)


def end(
    *, link: SupervisionLink, by: str, ends_on: dt.date | None, today: dt.date, now: dt.datetime
) -> SupervisionLink:
    """End an assignment: `ends_on` is its last day in force (default yesterday: access ends now).
    A link is never deleted; ending one already ended is refused (409), as is an end before its
    start day less one (ending the day before it starts withdraws a future assignment)."""
    last_day = ends_on if ends_on is not None else today - dt.timedelta(days=1)
    if link.ends_on is not None and link.ends_on < today:
        raise Conflict("This assignment has already ended.", code="assignment_ended")
    if last_day < link.starts_on - dt.timedelta(days=1):
        raise ValidationFailed(
            "An assignment cannot end before it starts.",
            fields={"ends_on": [f"must be on or after {link.starts_on - dt.timedelta(days=1):%Y-%m-%d}"]},
        )
    previous = link.ends_on
    link.ends_on = last_day
    append_event(
        kind="supervision_link.ended",
        actor=by,
        subject_type="supervision_link",
        subject_id=link.id,
        data={
            "supervisor_id": str(link.supervisor_id),
            "supervisee_id": str(link.supervisee_id),
            "kind": link.kind,
            "ends_on": last_day.isoformat(),
            "previous_ends_on": previous.isoformat() if previous else None,
        },
        now=now,
    )  # flushes
    return link


def get_link(*, organisation_id: uuid.UUID, link_id: uuid.UUID) -> SupervisionLink:
    """A supervision link between people of this organisation, or NotFound."""
    link = db.session.get(SupervisionLink, link_id)
    if link is None:
        raise NotFound("No such assignment.")
    supervisee = db.session.get(User, link.supervisee_id)
    if supervisee is None or supervisee.organisation_id != organisation_id:
        raise NotFound("No such assignment.")
    return link


def describe(
    link: SupervisionLink,
    *,
    today: dt.date,
    names: dict[uuid.UUID, str],
    agreement: SupervisionAgreement | None,
) -> dict[str, Any]:
    """One assignment as the API and the screens show it."""
    return {
        "id": link.id,
        "supervisor_id": link.supervisor_id,
        "supervisor_name": names.get(link.supervisor_id, ""),
        "supervisee_id": link.supervisee_id,
        "supervisee_name": names.get(link.supervisee_id, ""),
        "kind": link.kind,
        "kind_label": ROLE_LABELS.get(link.kind, link.kind),
        "starts_on": link.starts_on,
        "ends_on": link.ends_on,
        "status": status_of(link, today),
        "frequency_days": agreement.frequency_days if agreement else None,
        "session_minutes": agreement.session_minutes if agreement else None,
        "created_at": link.created_at,
    }


def describe_one(link: SupervisionLink, *, today: dt.date) -> dict[str, Any]:
    """One assignment, reading its people's names and its agreement."""
    names = {
        row.id: row.name
        for row in db.session.execute(
            select(User.id, User.name).where(User.id.in_([link.supervisor_id, link.supervisee_id]))
        )
    }
    agreement = db.session.get(SupervisionAgreement, link.id)
    return describe(link, today=today, names=names, agreement=agreement)


def list_assignments(
    *,
    organisation_id: uuid.UUID,
    today: dt.date,
    person_id: uuid.UUID | None = None,
    status: str = "all",
) -> list[dict[str, Any]]:
    """The organisation's assignments (optionally those of one person, on either side), current
    first, then future, then ended; by supervisee's name within each."""
    supervisee = aliased(User)
    supervisor = aliased(User)
    query = (
        select(SupervisionLink, supervisee.name, supervisor.name, SupervisionAgreement)
        .join(supervisee, supervisee.id == SupervisionLink.supervisee_id)
        .join(supervisor, supervisor.id == SupervisionLink.supervisor_id)
        .outerjoin(SupervisionAgreement, SupervisionAgreement.link_id == SupervisionLink.id)
        .where(supervisee.organisation_id == organisation_id)
    )
    if person_id is not None:
        query = query.where(
            (SupervisionLink.supervisee_id == person_id) | (SupervisionLink.supervisor_id == person_id)
        )
    out = []
    order = {"current": 0, "future": 1, "ended": 2}
    for link, supervisee_name, supervisor_name, agreement in db.session.execute(query):
        names = {link.supervisee_id: supervisee_name, link.supervisor_id: supervisor_name}
        item = describe(link, today=today, names=names, agreement=agreement)
        if status in ("all", item["status"]):
            out.append(item)
    out.sort(key=lambda i: (order[i["status"]], i["supervisee_name"].lower(), i["starts_on"]))
    return out
