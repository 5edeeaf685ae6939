"""Notification services: notify now (events), run the schedule (reminders), deliver email,
and each person's preferences over the default schedule.

Events (sign-off requested, returned, signed) are recorded in the same transaction as the change
that caused them, and emailed (if the person wants email for that kind) as soon as that transaction
has committed (`email_now`, on the one post-commit queue of logbook/aftercommit.py), so a
rolled-back change never sends an email. Reminders, and any event email that could not be sent at
once, are queued by `deliver_email()` (run by `logbook notifications run` from cron) and sent when
that run commits.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, select, update

from logbook import mail
from logbook.accounts.models import User
from logbook.aftercommit import after_commit
from logbook.errors import NotFound, ValidationFailed
from logbook.extensions import db
from logbook.notifications.models import Notification, NotificationPreference
from logbook.timeutil import utcnow


@dataclass(frozen=True)
class Default:
    """The default schedule for one kind: shown in the app, emailed, and how many days ahead."""

    label: str
    is_in_app: bool
    is_email: bool
    lead_days: int


DEFAULTS: dict[str, Default] = {
    "sign_off_requested": Default("Someone asks you to sign off an entry", True, True, 0),
    "sign_off_returned": Default("An entry of yours was returned", True, True, 0),
    "sign_off_signed": Default("An entry of yours was signed off", True, False, 0),
    "sign_off_withdrawn": Default("A sign-off of yours was withdrawn", True, True, 0),
    "supervision_due": Default("Supervision is due", True, True, 3),
    "action_due": Default("A supervision action is due", True, False, 2),
    "requirement_at_risk": Default("A registration requirement is at risk", True, True, 0),
    "renewal_window": Default("A renewal window or registration date is coming", True, True, 14),
}
KINDS = tuple(DEFAULTS)
# Emailed when the change that caused them commits, not when the cron next runs.
IMMEDIATE = frozenset({"sign_off_requested", "sign_off_returned", "sign_off_signed", "sign_off_withdrawn"})
log = logging.getLogger("logbook")


def preference(user_id: uuid.UUID, kind: str) -> Default:
    """The schedule in force for this person and kind."""
    row = db.session.get(NotificationPreference, (user_id, kind))
    base = DEFAULTS[kind]
    if row is None:
        return base
    return Default(base.label, row.is_in_app, row.is_email, row.lead_days)


def preferences(*, user: User) -> list[dict[str, Any]]:
    """Every kind with this person's choice (or the default)."""
    out = []
    for kind in KINDS:
        pref = preference(user.id, kind)
        out.append(
            {
                "kind": kind,
                "label": pref.label,
                "is_in_app": pref.is_in_app,
                "is_email": pref.is_email,
                "lead_days": pref.lead_days,
                "is_default": db.session.get(NotificationPreference, (user.id, kind)) is None,
            }
        )
    return out


def set_preferences(*, user: User, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Change some kinds' schedules; `reset: true` goes back to the default."""
    for item in items:
        kind = item["kind"]
        if kind not in DEFAULTS:
            raise ValidationFailed(
                "Unknown notification kind.", fields={"kind": [f"must be one of {', '.join(KINDS)}"]}
            )
        row = db.session.get(NotificationPreference, (user.id, kind))
        if item.get("reset"):
            if row is not None:
                db.session.delete(row)
            continue
        base = preference(user.id, kind)
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=kind)
            db.session.add(row)
        row.is_in_app = item.get("is_in_app", base.is_in_app)
        row.is_email = item.get("is_email", base.is_email)
        row.lead_days = item.get("lead_days", base.lead_days)
    db.session.flush()
    return preferences(user=user)


def notify(
    *,
    user_id: uuid.UUID,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str | None = None,
    now: dt.datetime,
    base_url: str = "",
) -> Notification | None:
    """Record a notification (once per dedupe key) as the person's schedule says; None when they
    turned this kind off entirely or already have it. An event kind (IMMEDIATE) the person wants by
    email is emailed once the transaction commits, its link under base_url (LOGBOOK_PUBLIC_URL)."""
    pref = preference(user_id, kind)
    if not (pref.is_in_app or pref.is_email):
        return None
    key = dedupe_key or f"{kind}:{uuid.uuid4()}"
    existing = db.session.scalar(
        select(Notification).where(Notification.user_id == user_id, Notification.dedupe_key == key)
    )
    if existing is not None:
        return None
    row = Notification(
        user_id=user_id,
        kind=kind,
        title=title[:200],
        body=body,
        link=link,
        dedupe_key=key,
        is_in_app=pref.is_in_app,
        wants_email=pref.is_email,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    if row.wants_email and kind in IMMEDIATE:
        after_commit(partial(email_now, [row.id], base_url))
    return row


def _email_body(row: Any, base_url: str) -> str:
    link = f"\n\n{base_url}{row.link}" if row.link else ""
    return f"{row.body}{link}\n\nChange which emails you get under Settings → Notifications in CPD Logbook.\n"


def email_now(ids: list[uuid.UUID], base_url: str) -> None:
    """Email these just-committed event notifications (queued by `notify` on the post-commit queue,
    logbook/aftercommit.py). Each is claimed first (emailed_at set where still empty, in its own
    transaction), so the cron never sends it again; one that fails to send is released for the cron
    to retry."""
    now = utcnow()
    # __table__ is declared as a FromClause; a mapped class's is a Table.
    table = cast(Table, Notification.__table__)
    with db.engine.begin() as conn:
        claimed = conn.execute(
            update(table)
            .where(table.c.id.in_(ids), table.c.emailed_at.is_(None))
            .values(emailed_at=now)
            .returning(table.c.id, table.c.user_id, table.c.title, table.c.body, table.c.link)
        ).all()
        people = {
            u.id: u
            for u in conn.execute(
                select(User.__table__.c.id, User.__table__.c.email, User.__table__.c.is_active).where(
                    User.__table__.c.id.in_({r.user_id for r in claimed})
                )
            )
        }
    failed = []
    for row in claimed:
        person = people.get(row.user_id)
        if person is None or not person.is_active:
            continue
        try:
            body = _email_body(row, base_url.rstrip("/"))
            mail.send(mail.Mail(to=person.email, subject=row.title, body=body))
        except Exception:  # a mail server being down must not fail the request that committed
            log.exception("notification email failed; the next `notifications run` retries it")
            failed.append(row.id)
    if failed:
        with db.engine.begin() as conn:
            conn.execute(update(table).where(table.c.id.in_(failed)).values(emailed_at=None))


def list_notifications(*, user: User, unread_only: bool = False, limit: int = 100) -> list[Notification]:
    """The person's in-app notifications, newest first."""
    query = select(Notification).where(Notification.user_id == user.id, Notification.is_in_app.is_(True))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query.order_by(Notification.created_at.desc()).limit(limit)))


def mark_read(*, user: User, notification_id: uuid.UUID, now: dt.datetime) -> Notification:
    """Mark one notification read."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound("No such notification.")
    row.read_at = row.read_at or now
    db.session.flush()
    return row


def deliver_email(*, now: dt.datetime, base_url: str = "") -> int:
    """Queue every notification that asks for email and has not been emailed, to be sent once the
    caller commits (`email_now`, which claims each row so two crons never send one twice); returns
    how many. A notification of a person no longer active is marked done without an email."""
    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.wants_email.is_(True), Notification.emailed_at.is_(None))
            .order_by(Notification.created_at)
        )
    )
    ids = []
    for row in rows:
        user = db.session.get(User, row.user_id)
        if user is None or not user.is_active:
            row.emailed_at = now
            continue
        ids.append(row.id)
    db.session.flush()
    if ids:
        after_commit(partial(email_now, ids, base_url))
    return len(ids)
