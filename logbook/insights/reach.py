"""Insight views of the organisation's learning offer (issue #10): who the events reach, the hours
they deliver, and what attendees thought of them — with the same small-number suppression as every
other view (logbook/suppression.py).

Counted from event attendance, not from entries: attending an event the organisation ran is known
to the organisation (a facilitator could mark the register), whatever the attendee later does with
their private entry. Nothing an attendee wrote is read here, and feedback comments never are.

* reach-profession / reach-team: people in scope by group who attended at least one past event in
  the period, and people who were invited to one (it was meant for their profession or team, or
  they are members of the learning set) but attended none.
* event-hours-profession: CPD hours delivered by events (event hours times attendances) by profession
  and kind of event.
* event-feedback: attendees' ratings (1 to 5) by kind of event.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import lazyload

from logbook.accounts.models import User
from logbook.events.models import EventAttendance, EventFeedback, LearningEvent, learning_set_member
from logbook.extensions import db
from logbook.insights import service
from logbook.suppression import TOTAL, Table

ATTENDED, MISSED = "attended", "invited_not_attended"
RATINGS = ["1", "2", "3", "4", "5"]


def _people(viewer: User, filters: dict[str, Any]) -> dict[uuid.UUID, dict[str, Any]]:
    """People in the viewer's scope with profession, team name and team id."""
    person = service.people_in_scope(viewer=viewer, filters=filters)
    rows = db.session.execute(
        select(person.c.user_id, person.c.profession, person.c.team, User.team_id).join(
            User, User.id == person.c.user_id
        )
    )
    return {r.user_id: {"profession": r.profession, "team": r.team, "team_id": r.team_id} for r in rows}


def _events(viewer: User, filters: dict[str, Any], today: dt.date) -> list[LearningEvent]:
    """The organisation's events that took place in the period (up to today), not cancelled."""
    q = (
        select(LearningEvent)
        .options(lazyload(LearningEvent.facilitators), lazyload(LearningEvent.learning_set))
        .where(LearningEvent.organisation_id == viewer.organisation_id, LearningEvent.is_cancelled.is_(False))
    )
    start = filters.get("date_from")
    end = min(filters.get("date_to") or today, today)
    if start:
        q = q.where(LearningEvent.starts_at >= dt.datetime.combine(start, dt.time(), dt.UTC))
    q = q.where(LearningEvent.starts_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC))
    return list(db.session.scalars(q))


def _attendance(event_ids: list[uuid.UUID], people: dict[uuid.UUID, Any]) -> list[Any]:
    """(event_id, user_id) of every attendance at these events by people in scope."""
    if not event_ids:
        return []
    rows = db.session.execute(
        select(EventAttendance.event_id, EventAttendance.user_id).where(
            EventAttendance.event_id.in_(event_ids)
        )
    )
    return [a for a in rows if a.user_id in people]


def _invited(events: list[LearningEvent], people: dict[uuid.UUID, dict[str, Any]]) -> set[uuid.UUID]:
    """People in scope invited to at least one of the events."""
    set_ids = {e.learning_set_id for e in events if e.learning_set_id}
    members: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    if set_ids:
        for set_id, user_id in db.session.execute(
            select(learning_set_member.c.set_id, learning_set_member.c.user_id).where(
                learning_set_member.c.set_id.in_(set_ids)
            )
        ):
            members[set_id].add(user_id)
    invited: set[uuid.UUID] = set()
    for e in events:
        if e.learning_set_id:
            invited |= members[e.learning_set_id] & people.keys()
        elif not e.target_professions and not e.target_team_ids:
            return set(people)
        else:
            invited |= {
                uid
                for uid, p in people.items()
                if p["profession"] in e.target_professions
                or (p["team_id"] is not None and str(p["team_id"]) in e.target_team_ids)
            }
    return invited


def _add(cells: dict, key: tuple[Any, Any], **measures: Any) -> None:
    cell = cells.setdefault(key, {})
    for name, value in measures.items():
        cell[name] = cell.get(name, 0) + value


def _people_cells(cells: dict, members: dict[tuple[Any, Any], set[uuid.UUID]]) -> None:
    for key, who in members.items():
        cells.setdefault(key, {})["people"] = len(who)


def reach(
    *, viewer: User, filters: dict[str, Any], by: str, threshold: int, today: dt.date
) -> dict[str, Any]:
    """People by profession (or team) who attended an event, or were invited and attended none."""
    people = _people(viewer, filters)
    events = _events(viewer, filters, today)
    attendance = _attendance([e.id for e in events], people)
    attended: dict[uuid.UUID, int] = defaultdict(int)
    for a in attendance:
        attended[a.user_id] += 1
    invited = _invited(events, people)
    cells: dict[tuple[Any, Any], dict[str, Any]] = {}
    who: dict[tuple[Any, Any], set[uuid.UUID]] = defaultdict(set)
    for uid, p in people.items():
        column = ATTENDED if uid in attended else MISSED if uid in invited else None
        if column is None:
            continue
        group = p[by]
        for key in ((group, column), (group, TOTAL), (TOTAL, column), (TOTAL, TOTAL)):
            who[key].add(uid)
            _add(cells, key, attendances=attended.get(uid, 0))
    _people_cells(cells, who)
    rows = sorted({p[by] for p in people.values()})
    table = Table(rows=rows, columns=[ATTENDED, MISSED], measures=["people", "attendances"], cells=cells)
    return service.view_result(f"reach-{by}", table, threshold, filters, as_of=today.isoformat())


def hours_delivered(
    *, viewer: User, filters: dict[str, Any], threshold: int, today: dt.date
) -> dict[str, Any]:
    """CPD hours delivered by events, by the attendees' profession and the kind of event."""
    people = _people(viewer, filters)
    events = {e.id: e for e in _events(viewer, filters, today)}
    cells: dict[tuple[Any, Any], dict[str, Any]] = {}
    who: dict[tuple[Any, Any], set[uuid.UUID]] = defaultdict(set)
    for a in _attendance(list(events), people):
        event, profession = events[a.event_id], people[a.user_id]["profession"]
        for key in ((profession, event.kind), (profession, TOTAL), (TOTAL, event.kind), (TOTAL, TOTAL)):
            who[key].add(a.user_id)
            _add(cells, key, hours=Decimal(event.hours), attendances=1)
    _people_cells(cells, who)
    for cell in cells.values():
        cell["hours"] = service.json_number(cell.get("hours", Decimal(0)))
    rows = sorted({p["profession"] for p in people.values()})
    columns = sorted({e.kind for e in events.values()})
    table = Table(rows=rows, columns=columns, measures=["hours", "attendances", "people"], cells=cells)
    return service.view_result("event-hours-profession", table, threshold, filters, as_of=today.isoformat())


def feedback(*, viewer: User, filters: dict[str, Any], threshold: int, today: dt.date) -> dict[str, Any]:
    """Attendees' ratings by kind of event; the mean rating only where enough people answered."""
    people = _people(viewer, filters)
    events = {e.id: e for e in _events(viewer, filters, today)}
    rows_fb = (
        db.session.scalars(select(EventFeedback).where(EventFeedback.event_id.in_(list(events)))).all()
        if events
        else []
    )
    cells: dict[tuple[Any, Any], dict[str, Any]] = {}
    who: dict[tuple[Any, Any], set[uuid.UUID]] = defaultdict(set)
    sums: dict[Any, list[int]] = defaultdict(list)
    for fb in rows_fb:
        if fb.user_id not in people:
            continue
        kind, rating = events[fb.event_id].kind, str(fb.rating)
        for key in ((kind, rating), (kind, TOTAL), (TOTAL, rating), (TOTAL, TOTAL)):
            who[key].add(fb.user_id)
            _add(cells, key, responses=1)
        sums[kind].append(fb.rating)
        sums[TOTAL].append(fb.rating)
    _people_cells(cells, who)
    kinds = sorted({e.kind for e in events.values()})
    table = Table(rows=kinds, columns=RATINGS, measures=["responses", "people"], cells=cells)

    def mean(group: Any) -> float | None:
        ratings = sums.get(group, [])
        return (
            round(sum(ratings) / len(ratings), 2) if len(who.get((group, TOTAL), ())) >= threshold else None
        )

    return service.view_result(
        "event-feedback",
        table,
        threshold,
        filters,
        as_of=today.isoformat(),
        statistics=[{"row": k, "mean_rating": mean(k)} for k in kinds],
        overall_statistics={"mean_rating": mean(TOTAL)},
    )


VIEWS = {
    "reach-profession": lambda **kw: reach(by="profession", **kw),
    "reach-team": lambda **kw: reach(by="team", **kw),
    "event-hours-profession": hours_delivered,
    "event-feedback": feedback,
}
TITLES = {
    "reach-profession": (
        "Learning offer: reach by profession",
        "Who attended events, who was invited and did not.",
    ),
    "reach-team": ("Learning offer: reach by team", "Who attended events, who was invited and did not."),
    "event-hours-profession": (
        "Learning offer: hours delivered",
        "CPD hours from events by profession and kind.",
    ),
    "event-feedback": ("Learning offer: feedback", "Attendees' ratings (1 to 5) by kind of event."),
}


def register(views: dict[str, Any]) -> None:
    """Add these views to the insights registry (and their titles and need of today, where kept)."""
    views.update(VIEWS)
    service.NEEDS_TODAY.update(VIEWS)
    titles = getattr(service, "VIEW_TITLES", None)
    if isinstance(titles, dict):
        titles.update(TITLES)


register(service.VIEWS)
