"""The demo organisation's learning offer: a year of events and attendance (idempotent).

About two events a month from the Workforce Development team and the principal practitioners: bite-size
workshops and study days for particular professions or teams, service-wide conferences, and a monthly
social work learning set. Attendance is decided by a seeded random draw (most invited people come, a few
others join), half by QR and half by the register; many attendees leave feedback. Four events are still
to come, so the Events screen has something to show. Every attendee gets their entry through the same
service as a real check-in, so the insights views show real reach.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import uuid
from typing import Any

from sqlalchemy import select

from logbook.accounts.models import Team, User
from logbook.demo import workdays
from logbook.events import service
from logbook.events.models import EventFacilitator, EventFeedback, LearningEvent, LearningSet
from logbook.extensions import db

NAMESPACE = uuid.UUID("7d0c8a52-3b1e-4f5e-9a40-6f1f0e2b9c11")
SOCIAL_WORK = "social worker"

# (title, kind, minutes, audience, common core areas, facilitator); audience: professions, "team:<name>" or ()
CATALOGUE: list[tuple[str, str, int, tuple[str, ...], list[str], str]] = [
    (
        "Contextual safeguarding: mapping peer groups",
        "bite_size_workshop",
        90,
        (SOCIAL_WORK,),
        ["4"],
        "Priya Shah",
    ),
    ("Talking with children about worries", "bite_size_workshop", 75, (), ["1", "2"], "Helen Carter"),
    (
        "Early language and communication",
        "team_study_day",
        360,
        ("team:0-19 Health and Therapies",),
        ["1", "2"],
        "Helen Carter",
    ),
    (
        "Autism-friendly classrooms",
        "bite_size_workshop",
        90,
        ("teacher", "educational psychologist"),
        ["2", "5"],
        "Sarah Whitfield",
    ),
    ("Multi-agency information sharing", "study_day", 360, (), ["6"], "Helen Carter"),
    (
        "Trauma-informed practice",
        "bite_size_workshop",
        90,
        (SOCIAL_WORK, "nurse", "school nurse", "health visitor"),
        ["1", "3"],
        "Priya Shah",
    ),
    (
        "Transitions into school for children with SEND",
        "team_study_day",
        300,
        ("team:Virtual School and Advisory Teachers",),
        ["5"],
        "Sarah Whitfield",
    ),
    ("Northshire children's services conference", "conference", 420, (), ["1", "3", "6"], "Helen Carter"),
    ("Court skills for social workers", "course", 360, (SOCIAL_WORK,), ["4", "6"], "Priya Shah"),
    (
        "Dynamic assessment in practice",
        "bite_size_workshop",
        60,
        ("educational psychologist",),
        ["3"],
        "Sarah Whitfield",
    ),
    ("Neglect: recognising cumulative harm", "bite_size_workshop", 90, (), ["3", "4"], "Priya Shah"),
    (
        "Working with fathers",
        "bite_size_workshop",
        75,
        (SOCIAL_WORK, "early help practitioner", "nurse"),
        ["1", "3"],
        "Helen Carter",
    ),
]
UPCOMING = [
    ("Restorative supervision skills", "bite_size_workshop", 90, (), ["1"], "Helen Carter", 6),
    (
        "Sensory processing in the early years",
        "team_study_day",
        300,
        ("team:Early Years and Childcare", "team:0-19 Health and Therapies"),
        ["2"],
        "Sarah Whitfield",
        13,
    ),
    ("Child exploitation update", "bite_size_workshop", 75, (SOCIAL_WORK,), ["4"], "Priya Shah", 20),
    ("Speech, language and reading", "bite_size_workshop", 60, (), ["2", "5"], "Sarah Whitfield", 34),
]
LEARNING_SET = ("Social work reflective learning set", "Fiona Campbell")
COMMENTS = [
    "",
    "",
    "Practical and relevant.",
    "Good examples from practice.",
    "More time for discussion.",
    "Useful for my caseload.",
    "",
    "Would like a follow-up session.",
]


def _id(*parts: Any) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, 0), dt.UTC)


def _targets(audience: tuple[str, ...], teams: dict[str, Any]) -> tuple[list[str], list[str]]:
    professions = [a for a in audience if not a.startswith("team:")]
    team_ids = [str(teams[a[5:]]) for a in audience if a.startswith("team:") and a[5:] in teams]
    return professions, team_ids


def _event(
    org_id: Any,
    event_id: uuid.UUID,
    *,
    title: str,
    kind: str,
    minutes: int,
    starts_at: dt.datetime,
    professions: list[str],
    team_ids: list[str],
    core: list[str],
    facilitator: User | None,
    learning_set: LearningSet | None = None,
) -> LearningEvent:
    event = db.session.get(LearningEvent, event_id)
    if event is not None:
        return event
    event = LearningEvent(
        id=event_id,
        organisation_id=org_id,
        learning_set_id=learning_set.id if learning_set else None,
        title=title,
        kind=kind,
        description="",
        location="Civic Centre, Training Room 1" if kind != "conference" else "Northshire Conference Centre",
        starts_at=starts_at,
        duration_minutes=minutes,
        hours=service.hours_for(minutes),
        is_participatory=True,
        target_professions=professions,
        target_team_ids=team_ids,
        standards=[],
        common_core=core,
        capacity=None if learning_set else 30,
        materials=[],
        check_in_secret=secrets.token_hex(32),
        created_by=facilitator.id if facilitator else None,
        created_at=starts_at - dt.timedelta(days=21),
        updated_at=starts_at - dt.timedelta(days=21),
    )
    event.facilitators = [facilitator] if facilitator else []
    db.session.add(event)
    db.session.flush()
    return event


def _attend(event: LearningEvent, people: list[User], rng: random.Random, facilitator: User | None) -> int:
    made = 0
    for n, person in enumerate(people):
        # Every draw is made for every person, whatever happens: a second run repeats the first exactly.
        draw, minutes, gives, rating, comment = (
            rng.random(),
            rng.randint(0, 10),
            rng.random(),
            rng.choice([3, 4, 4, 4, 5, 5, 5, 2]),
            rng.choice(COMMENTS),
        )
        if any(f.id == person.id for f in event.facilitators):
            continue
        if draw >= (0.72 if service.is_invited(person, event) else 0.04):
            continue
        by_qr = n % 2 == 0
        at = event.starts_at + dt.timedelta(minutes=minutes)
        attended = service.attend(
            event=event,
            attendee=person,
            method="qr" if by_qr else ("learning_set" if event.learning_set_id else "register"),
            now=at,
            scanned_at=at if by_qr else None,
            marked_by=None if by_qr else facilitator,
        )
        made += int(attended.created)
        if gives < 0.6 and db.session.get(EventFeedback, (event.id, person.id)) is None:
            db.session.add(
                EventFeedback(
                    event_id=event.id,
                    user_id=person.id,
                    rating=rating,
                    comment=comment,
                    created_at=at + dt.timedelta(hours=3),
                    updated_at=at + dt.timedelta(hours=3),
                )
            )
    db.session.flush()
    return made


def build_demo_events(*, organisation_id: Any, people: list[User], today: dt.date) -> int:
    """A year of the demo organisation's learning offer; returns how many attendance entries were made."""
    by_name = {p.name: p for p in people}
    for name in ("Priya Shah", "Sarah Whitfield", "Fiona Campbell"):
        person = by_name.get(name)
        if person is not None and db.session.get(EventFacilitator, person.id) is None:
            db.session.add(EventFacilitator(user_id=person.id, organisation_id=organisation_id))
    db.session.flush()
    teams = {
        t.name: t.id for t in db.session.scalars(select(Team).where(Team.organisation_id == organisation_id))
    }
    practitioners = sorted((p for p in people if p.is_practitioner and p.is_active), key=lambda p: p.email)
    made = 0
    # Past events: every 15 days from a year ago, the catalogue in turn.
    for n in range(24):
        day = workdays.on_or_before(today - dt.timedelta(days=360 - n * 15))
        title, kind, minutes, audience, core, fac_name = CATALOGUE[n % len(CATALOGUE)]
        professions, team_ids = _targets(audience, teams)
        facilitator = by_name.get(fac_name)
        event = _event(
            organisation_id,
            _id(organisation_id, "event", n),
            title=title,
            kind=kind,
            minutes=minutes,
            starts_at=_at(day, 10 if minutes > 120 else 13),
            professions=professions,
            team_ids=team_ids,
            core=core,
            facilitator=facilitator,
        )
        made += _attend(event, practitioners, random.Random(f"{event.id}"), facilitator)  # noqa: S311 - demo  # nosec B311
    # The social work learning set meets monthly.
    set_name, fac_name = LEARNING_SET
    learning_set = db.session.get(LearningSet, _id(organisation_id, "set"))
    members = [p for p in practitioners if p.job_role and p.job_role.profession == SOCIAL_WORK]
    if learning_set is None:
        learning_set = LearningSet(
            id=_id(organisation_id, "set"),
            organisation_id=organisation_id,
            name=set_name,
            description="Monthly case-based reflection using a structured model; counts as peer reflection.",
            counts_as_peer_reflection=True,
            created_by=by_name[fac_name].id if fac_name in by_name else None,
        )
        learning_set.members = members
        db.session.add(learning_set)
        db.session.flush()
    facilitator = by_name.get(fac_name)
    for n in range(12):
        day = workdays.on_or_before(today - dt.timedelta(days=350 - n * 30))
        event = _event(
            organisation_id,
            _id(organisation_id, "set-meeting", n),
            title=f"{set_name}: meeting",
            kind="reflective_learning_set",
            minutes=120,
            starts_at=_at(day, 14),
            professions=[],
            team_ids=[],
            core=["1", "3"],
            facilitator=facilitator,
            learning_set=learning_set,
        )
        made += _attend(event, learning_set.members, random.Random(f"{event.id}"), facilitator)  # noqa: S311 - demo  # nosec B311
    # What is coming up.
    for n, (title, kind, minutes, audience, core, fac_name, ahead) in enumerate(UPCOMING):
        professions, team_ids = _targets(audience, teams)
        _event(
            organisation_id,
            _id(organisation_id, "upcoming", n),
            title=title,
            kind=kind,
            minutes=minutes,
            starts_at=_at(workdays.on_or_after(today + dt.timedelta(days=ahead)), 13),
            professions=professions,
            team_ids=team_ids,
            core=core,
            facilitator=by_name.get(fac_name),
        )
    return made
