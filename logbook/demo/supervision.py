"""The demo's supervision, consistent with its entries: who supervises whom (never both ways), the
session record behind each supervision entry (made with the supervision sessions service, both
people confirming it), and sign-off requests and decisions made through the sign-off service, so
the demo has entries awaiting sign-off, returned with a comment and signed off."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from logbook.accounts import links
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import User
from logbook.config import KeyRing
from logbook.demo import workdays
from logbook.entries import service as entries
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.supervision import sessions, signoff
from logbook.supervision.signcore import SigningUnavailable

NAMESPACE = uuid.UUID("0b7e6a52-2f0c-4d4e-8a59-3c1f6f0a9d21")

# Team managers are supervised outside their own team (by their head of service): the demo's one
# such pair. Other team managers' supervision is external to the organisation, so has no record here.
MANAGER_SUPERVISORS = {"Gareth Evans": "Fiona Campbell"}

RETURN_COMMENT = (
    "Thank you. Please add what you will do differently and how it changes things for the children "
    "you work with, then send it again."
)
APPROVE_COMMENT = "A thoughtful record that shows the learning in your practice."


def choose_supervisors(people: list[User]) -> dict[uuid.UUID, User]:
    """Each practitioner's supervisor: a team manager supervises the team's other supervisors; a
    supervisor who is not a manager supervises the rest of the team; a team manager is supervised
    outside the team (MANAGER_SUPERVISORS) or outside the organisation. Nobody supervises their own
    supervisor."""
    by_name = {p.name: p for p in people}
    chosen: dict[uuid.UUID, User] = {}
    for person in people:
        if not person.is_practitioner:
            continue
        if person.is_team_manager:
            boss = by_name.get(MANAGER_SUPERVISORS.get(person.name, ""))
            if boss is not None:
                chosen[person.id] = boss
            continue
        team = [p for p in people if p.team_id == person.team_id and p.is_supervisor and p.id != person.id]
        if person.is_supervisor:
            team = [p for p in team if p.is_team_manager]
        else:
            team.sort(key=lambda p: p.is_team_manager)  # a senior colleague before the manager
        if team:
            chosen[person.id] = team[0]
    for supervisee_id, supervisor in chosen.items():
        if chosen.get(supervisor.id) is not None and chosen[supervisor.id].id == supervisee_id:
            raise RuntimeError(f"the demo's supervision would be both ways round: {supervisor.name}")
    return chosen


def link_supervisors(people: list[User], today: dt.date) -> dict[uuid.UUID, User]:
    """Link each practitioner to their chosen supervisor (once), and end any link among the demo's
    people that contradicts the choice (an earlier demo linked some pairs both ways)."""
    chosen = choose_supervisors(people)
    ids = [p.id for p in people]
    active = list(
        db.session.scalars(
            select(SupervisionLink).where(
                SupervisionLink.supervisee_id.in_(ids),
                SupervisionLink.supervisor_id.in_(ids),
                links.active_on(today),
            )
        )
    )
    linked = set()
    for link in active:
        wanted = chosen.get(link.supervisee_id)
        if wanted is not None and wanted.id == link.supervisor_id:
            linked.add(link.supervisee_id)
        else:
            link.ends_on = max(link.starts_on, today - dt.timedelta(days=1))
    for person in people:
        supervisor = chosen.get(person.id)
        if supervisor is not None and person.id not in linked:
            links.link_supervisor(
                supervisor=supervisor, supervisee=person, starts_on=today - dt.timedelta(days=400)
            )
    db.session.flush()
    return chosen


def session_id_for(entry_id: uuid.UUID) -> uuid.UUID:
    """The id of the session record behind a demo supervision entry."""
    return uuid.uuid5(NAMESPACE, f"session:{entry_id}")


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def record_session(*, entry: Entry, owner: User, supervisor: User, today: dt.date) -> None:
    """The supervision session behind a supervision entry: both people, the agenda, the actions
    agreed (done ones closed), confirmed by both unless the entry is still a draft."""
    details: dict[str, Any] = entry.details or {}
    day = entry.start_date
    written = _at(day, 16)
    session = sessions.create_session(
        actor=owner,
        supervisor_id=supervisor.id,
        supervisee_id=owner.id,
        data={
            "starts_at": _at(day, 10),
            "duration_minutes": int(details.get("duration_minutes") or 90),
            "format": details.get("format") or "individual",
            "location": "Northshire House",
            "agenda": details.get("agenda", ""),
            "summary": f"{entry.title}. Caseload, wellbeing and learning discussed; actions agreed.",
        },
        now=written,
        session_id=session_id_for(entry.id),
    )
    # The entry is its session (docs/supervision.md): linked, it counts once in the supervision status.
    session.entry_id = entry.id
    for action in details.get("actions") or []:
        due = workdays.on_or_before(day + dt.timedelta(days=28))
        made = sessions.add_action(
            actor=owner,
            session_id=session.id,
            description=action["text"],
            owner_id=owner.id,
            due_on=due,
            now=written,
        )
        if action.get("is_done") and due < today:
            sessions.close_action(actor=owner, action_id=made.id, now=_at(due, 12))
    if entry.status != "draft":
        sessions.confirm_session(actor=owner, session_id=session.id, version=session.version, now=written)
        sessions.confirm_session(
            actor=supervisor,
            session_id=session.id,
            version=session.version,
            now=_at(workdays.on_or_after(day + dt.timedelta(days=1)), 9),
        )


def sign_off(
    *, entry: Entry, owner: User, supervisor: User, outcome: str, today: dt.date, ring: KeyRing
) -> str:
    """Ask the supervisor to sign the entry off the next working day; for "signed_off" or "returned"
    they decide two working days later (if that is before today). Returns the status it ends in."""
    asked = workdays.on_or_after(entry.start_date + dt.timedelta(days=1))
    decided = workdays.on_or_after(asked + dt.timedelta(days=2))
    signoff.request_sign_off(
        owner=owner,
        entry_id=entry.id,
        entry_version=entry.version,
        supervisor_id=supervisor.id,
        message="Could you sign this off, please?",
        now=_at(asked, 9, 15),
    )
    if outcome == "submitted" or decided >= today:
        return "submitted"
    try:
        signoff.decide(
            signer=supervisor,
            entry_id=entry.id,
            entry_version=entry.version,
            content_sha256=entries.content_hash(entry),
            decision="approved" if outcome == "signed_off" else "returned",
            comment=APPROVE_COMMENT if outcome == "signed_off" else RETURN_COMMENT,
            now=_at(decided, 11, 30),
            base_url="",
            ring=ring,
        )
    except SigningUnavailable:
        return "submitted"  # production without a signing key yet: the request waits
    return outcome
