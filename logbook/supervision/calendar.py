"""Supervision sessions as iCalendar: a secret, revocable feed per person, and a single invite."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from logbook.accounts.models import User
from logbook.errors import NotFound
from logbook.extensions import db
from logbook.supervision.models import CalendarFeed, SupervisionSession
from logbook.supervision.sessions import get_session, list_sessions

if TYPE_CHECKING:
    import icalendar

PRODID = "-//CPD Logbook//Supervision sessions//EN"
UID_DOMAIN = "cpd-logbook"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_uid(session: SupervisionSession) -> str:
    """A UID that never changes for a session, so calendars update the event instead of duplicating it."""
    return f"supervision-{session.id}@{UID_DOMAIN}"


def _event(session: SupervisionSession, people: dict[uuid.UUID, User]) -> icalendar.Event:
    import icalendar  # measured start-up cost: imported on use

    supervisor, supervisee = people.get(session.supervisor_id), people.get(session.supervisee_id)
    event = icalendar.Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", session.updated_at.astimezone(dt.UTC))
    event.add("dtstart", session.starts_at.astimezone(dt.UTC))
    event.add("dtend", session.starts_at.astimezone(dt.UTC) + dt.timedelta(minutes=session.duration_minutes))
    names = " and ".join(p.name for p in (supervisor, supervisee) if p)
    event.add("summary", f"Supervision ({session.format}): {names}")
    if session.location:
        event.add("location", session.location)
    # The agenda and record may discuss casework: only a pointer goes into people's calendars.
    event.add("description", "Supervision session. The agenda and record are in CPD Logbook.")
    event.add("sequence", session.version)
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    for person in (supervisor, supervisee):
        if person:
            attendee = icalendar.vCalAddress(f"mailto:{person.email}")
            attendee.params["cn"] = icalendar.vText(person.name)
            event.add("attendee", attendee, encode=False)
    return event


def _calendar(sessions: list[SupervisionSession], *, name: str, method: str | None = None) -> bytes:
    import icalendar  # measured start-up cost: imported on use

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    if method:
        cal.add("method", method)
    ids = {s.supervisor_id for s in sessions} | {s.supervisee_id for s in sessions}
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        cal.add_component(_event(session, people))
    return cal.to_ical()


def create_feed(*, user: User, now: dt.datetime) -> str:
    """A new secret feed token for this person (earlier feeds are revoked); shown once, stored hashed."""
    revoke_feeds(user=user, now=now)
    token = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=user.id, token_sha256=_hash(token), created_at=now))
    db.session.flush()
    return token


def revoke_feeds(*, user: User, now: dt.datetime) -> int:
    """Stop every feed URL of this person; returns how many were live."""
    live = list(
        db.session.scalars(
            select(CalendarFeed).where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        )
    )
    for feed in live:
        feed.revoked_at = now
    db.session.flush()
    return len(live)


def feed_ics(*, token: str, now: dt.datetime) -> bytes:
    """The feed behind a secret URL: the person's sessions from a year ago on; NotFound once revoked."""
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_sha256 == _hash(token)))
    if feed is None or feed.revoked_at is not None:
        raise NotFound("No such calendar.")
    user = db.session.get(User, feed.user_id)
    if user is None or not user.is_active:
        raise NotFound("No such calendar.")
    sessions = list_sessions(viewer=user, since=now - dt.timedelta(days=366))
    return _calendar(sessions, name="Supervision (CPD Logbook)")


def invite_ics(*, viewer: User, session_id: uuid.UUID) -> bytes:
    """A downloadable invite for one session the viewer is a party to."""
    session = get_session(viewer=viewer, session_id=session_id)
    return _calendar([session], name="Supervision (CPD Logbook)", method="PUBLISH")
