"""The reminders schedule (`logbook notifications run`, from cron): supervision due, actions due,
requirements at risk and renewal dates, each turned into a notification once (a dedupe key each).

It sits above supervision and progress, which it reads, and notifications, which it writes: the
notifications package itself stays below supervision, which sends notifications."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from logbook import progress
from logbook.accounts.models import User
from logbook.config import KeyRing
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks.service import compiled_frameworks
from logbook.notifications.service import notify, preference
from logbook.supervision import sessions as supervision_sessions
from logbook.supervision import signcore


def run_schedule(
    *, today: dt.date, now: dt.datetime, default_supervision_days: int | None, ring: KeyRing
) -> int:
    """Create the reminders due today for everyone (idempotent: each reminder has a dedupe key)."""
    made = 0
    users = list(db.session.scalars(select(User).where(User.is_active.is_(True))))
    for user in users:
        # Supervision due: for the supervisee, and for their supervisor.
        for due in supervision_sessions.supervision_due(
            viewer=user, scope="me", today=today, default_days=default_supervision_days
        ):
            if due.due_on is None:
                continue
            for person_id, who in ((due.supervisee_id, "Your"), (due.supervisor_id, "A supervisee's")):
                lead = preference(person_id, "supervision_due").lead_days
                if today >= due.due_on - dt.timedelta(days=lead):
                    state = "overdue" if due.is_overdue else f"due by {due.due_on:%d %B %Y}"
                    made += bool(
                        notify(
                            user_id=person_id,
                            kind="supervision_due",
                            title=f"{who} supervision is {state}",
                            body=f"Last session: {due.last_session_on or 'none recorded'}.",
                            link="/app/supervision",
                            dedupe_key=f"supervision_due:{due.supervisee_id}:{due.supervisor_id}:{due.due_on}:"
                            f"{'overdue' if due.is_overdue else 'due'}",
                            now=now,
                        )
                    )
        lead = preference(user.id, "action_due").lead_days
        for action in supervision_sessions.open_actions(user=user):
            if action.due_on and today >= action.due_on - dt.timedelta(days=lead):
                made += bool(
                    notify(
                        user_id=user.id,
                        kind="action_due",
                        title=f"Supervision action due {action.due_on:%d %B %Y}",
                        body=action.description,
                        link="/app/supervision",
                        dedupe_key=f"action_due:{action.id}:{action.due_on}",
                        now=now,
                    )
                )
        made += _requirement_reminders(user, today, now, ring)
        if user.is_org_admin:
            overdue = [
                d
                for d in supervision_sessions.supervision_due(
                    viewer=user, scope="organisation", today=today, default_days=default_supervision_days
                )
                if d.is_overdue
            ]
            if overdue:
                made += bool(
                    notify(
                        user_id=user.id,
                        kind="supervision_due",
                        title=f"Supervision is overdue for {len(overdue)} "
                        f"{'person' if len(overdue) == 1 else 'people'} in your organisation",
                        link="/app/supervision",
                        dedupe_key=f"org_supervision_overdue:{today}",
                        now=now,
                    )
                )
    return made


def _requirement_reminders(user: User, today: dt.date, now: dt.datetime, ring: KeyRing) -> int:
    """Requirements at risk and renewal dates coming up, from the requirement engine."""
    if not user.registrations:
        return 0
    compiled = compiled_frameworks(organisation_id=user.organisation_id)
    rows = progress.entry_facts(
        progress.core_rows(
            select(*progress.ENTRY_COLUMNS).where(
                Entry.owner_id == user.id, Entry.is_deleted.is_(False), Entry.status != "draft"
            )
        ),
        signcore.signatures(ring=ring),
    )
    standing = progress.person_progress(user, rows, compiled, today)
    made = 0
    window_lead = preference(user.id, "renewal_window").lead_days
    for reg in standing.get("registrations", []):
        current = next((c for c in reg.get("cycles", []) if c.get("which") == "current"), None)
        if current is None:
            continue
        name = current["framework"]["name"]
        if current["status"] in ("at_risk", "not_met"):
            made += bool(
                notify(
                    user_id=user.id,
                    kind="requirement_at_risk",
                    title=f"{name}: requirements at risk",
                    body=f"Your cycle ends on {current['ends_on']}; see what is still needed.",
                    link="/app/progress",
                    dedupe_key=f"at_risk:{reg['registration_id']}:{current['ends_on']}:{current['status']}",
                    now=now,
                )
            )
        for reminder in current.get("reminders", []):
            day = dt.date.fromisoformat(reminder["date"])
            if day - dt.timedelta(days=window_lead) <= today <= day:
                made += bool(
                    notify(
                        user_id=user.id,
                        kind="renewal_window",
                        title=f"{name}: {reminder['title']} on {day:%d %B %Y}",
                        link="/app/progress",
                        dedupe_key=f"reminder:{reg['registration_id']}:{reminder['id']}:{day}",
                        now=now,
                    )
                )
    return made
