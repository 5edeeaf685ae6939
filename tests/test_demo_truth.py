"""The demo tells the truth (issue #20): its properties, checked on the data it builds, for more than
one day of the year (a build in early December, and one in early January across Christmas)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import select

from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import User
from logbook.config import KeyRing
from logbook.demo import build_demo, workdays
from logbook.entries.models import Entry
from logbook.events.models import LearningEvent
from logbook.extensions import db
from logbook.supervision.models import SignOff, SupervisionSession
from logbook.supervision.sessions import is_confirmed

STATUSES = {"draft", "recorded", "submitted", "returned", "signed_off"}


@pytest.fixture(params=[dt.date(2026, 12, 4), dt.date(2027, 1, 6)], ids=["december", "january"])
def demo(app, request):
    with app.app_context():
        build_demo(today=request.param, ring=KeyRing.of(app))
        db.session.commit()
        yield request.param


def _links(today):
    return db.session.scalars(
        select(SupervisionLink).where(
            SupervisionLink.starts_on <= today,
            (SupervisionLink.ends_on.is_(None)) | (SupervisionLink.ends_on >= today),
        )
    ).all()


def test_nobody_supervises_their_own_supervisor(demo):
    pairs = {(link.supervisor_id, link.supervisee_id) for link in _links(demo)}
    assert pairs
    assert not [p for p in pairs if (p[1], p[0]) in pairs]
    # and no longer loop either: nobody is above themself in the supervision chain
    up = defaultdict(set)
    for supervisor, supervisee in pairs:
        up[supervisee].add(supervisor)
    for person in up:
        seen, todo = set(), list(up[person])
        while todo:
            boss = todo.pop()
            assert boss != person, "a supervision loop"
            if boss not in seen:
                seen.add(boss)
                todo.extend(up.get(boss, ()))


def test_a_session_record_stands_behind_every_supervision_entry_with_a_supervisor_here(demo):
    users = {u.id: u for u in db.session.scalars(select(User))}
    by_name = {u.name: u for u in users.values()}
    sessions = db.session.scalars(select(SupervisionSession)).all()
    held = {(s.supervisee_id, s.supervisor_id, s.starts_at.date()): s for s in sessions}
    entries = db.session.scalars(select(Entry).where(Entry.kind == "supervision")).all()
    backed = 0
    for entry in entries:
        supervisor = by_name.get(entry.details.get("supervisor_name"))
        if supervisor is None:
            continue  # supervised outside the organisation: no record here, and none claimed
        session = held.get((entry.owner_id, supervisor.id, entry.start_date))
        assert session is not None, entry.title
        assert session.duration_minutes == entry.details["duration_minutes"]
        assert is_confirmed(session) == (entry.status != "draft")
        # the entry is its session (supervision is one thing): held once in the supervision status
        assert session.entry_id == entry.id, entry.title
        backed += 1
    assert backed >= len(entries) / 2
    # every in-app supervisor named by an entry supervises that person (the link is real)
    pairs = {(link.supervisor_id, link.supervisee_id) for link in _links(demo)}
    for entry in entries:
        supervisor = by_name.get(entry.details.get("supervisor_name"))
        if supervisor is not None:
            assert (supervisor.id, entry.owner_id) in pairs


def test_every_month_has_every_status_and_sign_offs_are_real(demo):
    entries = db.session.scalars(select(Entry).where(Entry.is_deleted.is_(False))).all()
    by_month = defaultdict(set)
    for e in entries:
        by_month[(e.start_date.year, e.start_date.month)].add(e.status)
    first = min(by_month)
    this_month = (demo.year, demo.month)
    full = [m for m in sorted(by_month) if first < m < this_month]
    assert len(full) >= 10
    for month in full:
        assert by_month[month] == STATUSES, month
    # drafts are a few in each month, never the whole of it (insights' trends count the rest)
    for month in full:
        shared = [
            e
            for e in entries
            if (e.start_date.year, e.start_date.month) == month and e.visibility == "organisation"
        ]
        assert [e for e in shared if e.status != "draft"], month
    # signed-off and returned entries carry a real decision
    decisions = {(s.entry_id, s.decision) for s in db.session.scalars(select(SignOff))}
    for e in entries:
        if e.status == "signed_off":
            assert (e.id, "approved") in decisions
        if e.status == "returned":
            assert (e.id, "returned") in decisions


def test_nothing_happens_on_a_weekend_or_a_bank_holiday(demo):
    days = [e.start_date for e in db.session.scalars(select(Entry))]
    days += [e.end_date for e in db.session.scalars(select(Entry).where(Entry.end_date.is_not(None)))]
    days += [s.starts_at.date() for s in db.session.scalars(select(SupervisionSession))]
    days += [ev.starts_at.date() for ev in db.session.scalars(select(LearningEvent))]
    assert len(days) > 500
    assert [d for d in days if d.weekday() >= 5] == []
    assert [d for d in days if workdays.is_bank_holiday(d)] == []


def test_the_bank_holidays_are_england_and_waless():
    assert workdays.is_bank_holiday(dt.date(2026, 12, 25))
    assert workdays.is_bank_holiday(dt.date(2026, 12, 28))  # Boxing Day falls on a Saturday: Monday instead
    assert workdays.is_bank_holiday(dt.date(2026, 8, 31))  # the late summer bank holiday (not Scotland's)
    assert not workdays.is_bank_holiday(dt.date(2026, 11, 30))  # St Andrew's Day is Scotland's only
    assert workdays.on_or_before(dt.date(2026, 12, 28)) == dt.date(2026, 12, 24)
    assert workdays.on_or_after(dt.date(2026, 12, 25)) == dt.date(2026, 12, 29)
