"""Learning-offer services: who may publish, events, relevance, check-in, registers, learning sets,
feedback and the iCalendar invite.

Every attendance makes exactly one entry for the attendee (event_attendance has one row per person
and event, naming that entry): a repeated scan, a replayed sync mutation or a register marking of
someone who already scanned answers with the same entry and counts nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from logbook.accounts.models import Team, User
from logbook.entries import service as entries
from logbook.entries.models import Entry, EvidenceUpload
from logbook.errors import Forbidden, NotFound, ValidationFailed
from logbook.events import checkin
from logbook.events.models import (
    EventAttendance,
    EventFacilitator,
    EventFeedback,
    LearningEvent,
    LearningSet,
)
from logbook.events.models import learning_event_facilitator as lef
from logbook.events.models import learning_set_member as lsm
from logbook.extensions import db
from logbook.frameworks import service as frameworks
from logbook.suppression import TOTAL, Table

LOCAL = ZoneInfo("Europe/London")  # the service's calendar day (entries carry dates, not instants)
UID_DOMAIN = "cpd-logbook"
PRODID = "-//CPD Logbook//Learning offer//EN"


# --- permission --------------------------------------------------------------------------------


def may_publish(user: User) -> bool:
    """Org admins, and people an org admin allowed, publish events and learning sets."""
    if user.is_org_admin:
        return True
    grant = db.session.get(EventFacilitator, user.id)
    return grant is not None and grant.organisation_id == user.organisation_id


def _require_publisher(user: User) -> None:
    if not may_publish(user):
        raise Forbidden("Only org admins and facilitators they allow can publish learning events.")


def _org_user(viewer: User, user_id: uuid.UUID) -> User | None:
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != viewer.organisation_id or not user.is_active:
        return None
    return user


def grant_facilitator(*, admin: User, user_id: uuid.UUID, now: dt.datetime) -> EventFacilitator:
    """Allow a colleague to publish events (org admins only; idempotent)."""
    if not admin.is_org_admin:
        raise Forbidden("Only org admins can allow facilitators.")
    user = _org_user(admin, user_id)
    if user is None:
        raise ValidationFailed(
            "No such person.", fields={"user_id": ["is not a person in your organisation"]}
        )
    grant = db.session.get(EventFacilitator, user.id)
    if grant is None:
        grant = EventFacilitator(
            user_id=user.id, organisation_id=user.organisation_id, granted_by=admin.id, granted_at=now
        )
        db.session.add(grant)
        db.session.flush()
    return grant


def revoke_facilitator(*, admin: User, user_id: uuid.UUID) -> None:
    """Withdraw the permission (events already published stay)."""
    if not admin.is_org_admin:
        raise Forbidden("Only org admins can withdraw facilitators.")
    grant = db.session.get(EventFacilitator, user_id)
    if grant is None or grant.organisation_id != admin.organisation_id:
        raise NotFound("No such facilitator.")
    db.session.delete(grant)
    db.session.flush()


def list_facilitators(*, admin: User) -> list[User]:
    """People allowed to publish events in the admin's organisation."""
    if not admin.is_org_admin:
        raise Forbidden("Only org admins can list facilitators.")
    return list(
        db.session.scalars(
            select(User)
            .join(EventFacilitator, EventFacilitator.user_id == User.id)
            .where(EventFacilitator.organisation_id == admin.organisation_id)
            .order_by(User.name)
        )
    )


# --- events ------------------------------------------------------------------------------------


def hours_for(duration_minutes: int) -> Decimal:
    """CPD hours for a duration: to the nearest quarter hour, at least a quarter."""
    quarters = (Decimal(duration_minutes) / Decimal(15)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(Decimal("0.25"), quarters / 4).quantize(Decimal("0.01"))


def _people(viewer: User, ids: list[uuid.UUID], field: str) -> tuple[list[User], dict[str, list[str]]]:
    found, problems = [], {}
    for i, ident in enumerate(ids):
        user = _org_user(viewer, ident)
        if user is None:
            problems[f"{field}.{i}"] = ["is not a person in your organisation"]
        else:
            found.append(user)
    return list({u.id: u for u in found}.values()), problems


def _material_problems(actor: User, materials: list[dict[str, Any]]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    hashes = [m["sha256"] for m in materials]
    mine = (
        set(
            db.session.scalars(
                select(EvidenceUpload.sha256).where(
                    EvidenceUpload.sha256.in_(hashes), EvidenceUpload.user_id == actor.id
                )
            )
        )
        if hashes
        else set()
    )
    for i, sha in enumerate(hashes):
        if sha not in mine:
            problems[f"materials.{i}.sha256"] = ["upload the file first: it is not one of your uploads"]
    if len(set(hashes)) != len(hashes):
        problems["materials"] = ["the same file is listed twice"]
    return problems


def _team_problems(actor: User, team_ids: list[uuid.UUID]) -> dict[str, list[str]]:
    problems = {}
    for i, ident in enumerate(team_ids):
        team = db.session.get(Team, ident)
        if team is None or team.organisation_id != actor.organisation_id:
            problems[f"target_team_ids.{i}"] = ["is not a team in your organisation"]
    return problems


def create_event(
    *, actor: User, data: dict[str, Any], now: dt.datetime, learning_set: LearningSet | None = None
) -> LearningEvent:
    """Publish an event (org admins and allowed facilitators); the creator facilitates unless others
    are named."""
    _require_publisher(actor)
    problems: dict[str, list[str]] = {}
    problems.update(
        frameworks.tag_problems(organisation_id=actor.organisation_id, tags=data.get("standards", []))
    )
    problems.update(_material_problems(actor, data.get("materials", [])))
    problems.update(_team_problems(actor, data.get("target_team_ids", [])))
    facilitators, fac_problems = _people(actor, data.get("facilitator_ids") or [actor.id], "facilitator_ids")
    problems.update(fac_problems)
    if problems:
        raise ValidationFailed("Some fields are not valid.", fields=problems)
    event = LearningEvent(
        id=uuid.uuid4(),
        organisation_id=actor.organisation_id,
        learning_set_id=learning_set.id if learning_set else None,
        title=data["title"],
        kind=data["kind"],
        description=data.get("description", ""),
        location=data.get("location", ""),
        starts_at=data["starts_at"],
        duration_minutes=data["duration_minutes"],
        hours=hours_for(data["duration_minutes"]),
        is_participatory=data.get("is_participatory", True),
        target_professions=sorted(set(data.get("target_professions", []))),
        target_team_ids=sorted({str(t) for t in data.get("target_team_ids", [])}),
        standards=data.get("standards", []),
        common_core=sorted(set(data.get("common_core", []))),
        capacity=data.get("capacity"),
        materials=data.get("materials", []),
        check_in_secret=secrets.token_hex(32),
        created_by=actor.id,
        created_at=now,
        updated_at=now,
    )
    event.facilitators = facilitators
    db.session.add(event)
    db.session.flush()
    return event


def _profession(user: User) -> str | None:
    return user.job_role.profession if user.job_role else None


def _members(event: LearningEvent) -> set[uuid.UUID]:
    return {m.id for m in event.learning_set.members} if event.learning_set else set()


def is_invited(user: User, event: LearningEvent) -> bool:
    """Whether the event is meant for this person: a learning set's meetings are for its members; an
    event with no target professions or teams is for everyone; otherwise for people of a target
    profession OR in a target team."""
    if event.organisation_id != user.organisation_id:
        return False
    if event.learning_set_id:
        return user.id in _members(event)
    if not event.target_professions and not event.target_team_ids:
        return True
    return (_profession(user) in event.target_professions) or (
        user.team_id is not None and str(user.team_id) in event.target_team_ids
    )


def is_facilitator(user: User, event: LearningEvent) -> bool:
    """The event's facilitators, and the organisation's admins."""
    if event.organisation_id != user.organisation_id:
        return False
    return user.is_org_admin or any(f.id == user.id for f in event.facilitators)


def get_event(*, viewer: User, event_id: uuid.UUID) -> LearningEvent:
    """An event of the viewer's organisation; a learning set's meeting only for its members and
    facilitators. Anything else is NotFound (another organisation's events are never named)."""
    event = db.session.get(LearningEvent, event_id)
    if event is None or event.organisation_id != viewer.organisation_id:
        raise NotFound("No such event.")
    if event.learning_set_id and not (is_facilitator(viewer, event) or viewer.id in _members(event)):
        raise NotFound("No such event.")
    return event


def facilitated_event(*, viewer: User, event_id: uuid.UUID) -> LearningEvent:
    """An event the viewer facilitates (or, as org admin, could); 403 for an attendee."""
    event = get_event(viewer=viewer, event_id=event_id)
    if not is_facilitator(viewer, event):
        raise Forbidden("Only the event's facilitators can do this.")
    return event


def my_attendance(*, user: User, event_ids: list[uuid.UUID]) -> dict[uuid.UUID, EventAttendance]:
    """The user's attendance rows for these events."""
    if not event_ids:
        return {}
    rows = db.session.scalars(
        select(EventAttendance).where(
            EventAttendance.user_id == user.id, EventAttendance.event_id.in_(event_ids)
        )
    )
    return {a.event_id: a for a in rows}


def attendee_counts(event_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Attendees per event."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(EventAttendance.event_id, func.count())
        .where(EventAttendance.event_id.in_(event_ids))
        .group_by(EventAttendance.event_id)
    )
    return {r[0]: r[1] for r in rows}


def list_events(*, viewer: User, scope: str, now: dt.datetime, limit: int = 100) -> list[LearningEvent]:
    """upcoming: not-yet-finished events meant for the viewer (or that they facilitate), soonest first;
    facilitating: events the viewer facilitates (org admins: all), newest first;
    attended: events the viewer attended, newest first."""
    base = select(LearningEvent).where(LearningEvent.organisation_id == viewer.organisation_id)
    if scope == "attended":
        rows = db.session.scalars(
            base.join(EventAttendance, EventAttendance.event_id == LearningEvent.id)
            .where(EventAttendance.user_id == viewer.id)
            .order_by(LearningEvent.starts_at.desc())
            .limit(limit)
        )
        return list(rows)
    if scope == "facilitating":
        if not viewer.is_org_admin:
            base = base.where(LearningEvent.id.in_(select(lef.c.event_id).where(lef.c.user_id == viewer.id)))
        return list(db.session.scalars(base.order_by(LearningEvent.starts_at.desc()).limit(limit)))
    # Ended events drop off; events run up to a day, so a day's lookback finds every one still on.
    rows = db.session.scalars(
        base.where(
            LearningEvent.is_cancelled.is_(False), LearningEvent.starts_at >= now - dt.timedelta(days=1)
        ).order_by(LearningEvent.starts_at, LearningEvent.id)
    )
    out = [
        e
        for e in rows
        if e.ends_at >= now and (is_invited(viewer, e) or any(f.id == viewer.id for f in e.facilitators))
    ]
    return out[:limit]


# --- attendance --------------------------------------------------------------------------------


def _entry_data(event: LearningEvent, attendee: User) -> dict[str, Any]:
    """The attendee's entry, pre-filled from the event: they add their own reflection."""
    names = ", ".join(f.name for f in event.facilitators)[:200]
    if event.kind == "reflective_learning_set":
        set_name = event.learning_set.name if event.learning_set else event.title
        details: dict[str, Any] = {"set_name": set_name[:200], "facilitator": names}
    elif event.kind == "other":
        details = {}
    else:
        details = {"provider": attendee.organisation.name[:200], "location": event.location[:200]}
    data: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": event.kind,
        "title": event.title,
        "description": event.description,
        "start_date": event.starts_at.astimezone(LOCAL).date(),
        "end_date": None,
        "hours": event.hours,
        "is_participatory": event.is_participatory,
        "standards": list(event.standards),
        "common_core": list(event.common_core),
        "evidence": [
            {"sha256": m["sha256"], "name": m.get("name", ""), "caption": "Event materials"}
            for m in event.materials
        ],
        "details": details,
        "visibility": "private",
        "status": "recorded",
    }
    if event.learning_set is not None:
        data["includes_peer_reflection"] = event.learning_set.counts_as_peer_reflection
    return data


def _share_materials(event: LearningEvent, attendee: User, now: dt.datetime) -> None:
    """The attendee may use and download the event's materials: they become one of their files."""
    for m in event.materials:
        if db.session.get(EvidenceUpload, (m["sha256"], attendee.id)) is None:
            db.session.add(
                EvidenceUpload(
                    sha256=m["sha256"],
                    user_id=attendee.id,
                    filename=(m.get("name") or "")[:255],
                    created_at=now,
                )
            )
    db.session.flush()


@dataclass(frozen=True)
class Attended:
    """The outcome of a check-in or register mark: the one attendance row, and whether it is new."""

    attendance: EventAttendance
    created: bool


def attend(
    *,
    event: LearningEvent,
    attendee: User,
    method: str,
    now: dt.datetime,
    scanned_at: dt.datetime | None = None,
    marked_by: User | None = None,
) -> Attended:
    """Record that the attendee was there and make their pre-filled entry, once. A second call for the
    same person and event (another scan, a replay, a register mark) returns the first record."""
    existing = db.session.get(EventAttendance, (event.id, attendee.id))
    if existing is not None:
        return Attended(existing, False)
    try:
        with db.session.begin_nested():
            _share_materials(event, attendee, now)
            entry = entries.create_entry(owner=attendee, data=_entry_data(event, attendee), now=now)
            row = EventAttendance(
                event_id=event.id,
                user_id=attendee.id,
                entry_id=entry.id,
                method=method,
                scanned_at=scanned_at,
                marked_by=marked_by.id if marked_by else None,
                created_at=now,
            )
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        # The same person checked in through another request a moment ago: theirs is the one entry.
        existing = db.session.get(EventAttendance, (event.id, attendee.id))
        if existing is None:
            raise
        return Attended(existing, False)
    return Attended(row, True)


def _check_in_period(event: LearningEvent, at: dt.datetime) -> bool:
    return event.starts_at - checkin.OPENS_BEFORE <= at <= event.ends_at + checkin.CLOSES_AFTER


def current_code(
    *, viewer: User, event_id: uuid.UUID, now: dt.datetime, secret_key: str
) -> tuple[LearningEvent, checkin.Code]:
    """The code the facilitator's screen shows now (only in the event's check-in period), signed with
    the app's secret_key."""
    event = facilitated_event(viewer=viewer, event_id=event_id)
    if event.is_cancelled:
        raise ValidationFailed(
            "This event was cancelled.", code="cancelled", fields={"event_id": ["was cancelled"]}
        )
    if not _check_in_period(event, now):
        raise ValidationFailed(
            "Check-in opens an hour before the event starts and closes two hours after it ends.",
            code="check_in_closed",
            fields={"event_id": ["is not open for check-in now"]},
        )
    code = checkin.issue(
        secret_key=secret_key,
        event_secret=event.check_in_secret,
        event_id=event.id,
        now=now,
    )
    return event, code


def check_in(
    *,
    attendee: User,
    code: str,
    now: dt.datetime,
    secret_key: str,
    scanned_at: dt.datetime | None = None,
) -> tuple[LearningEvent, Attended]:
    """Check in with a scanned code, or the short code typed from the facilitator's screen. Online,
    the scan time is now. Offline (scanned_at given), the device's scan time must be no later than
    now + CLOCK_SKEW and no earlier than now - OFFLINE_MAX_DELAY; the code must be valid at that time
    and the time inside the event's check-in period."""
    short = None if checkin.CODE.match((code or "").strip().lower()) else checkin.normalise_short(code)
    event: LearningEvent | None
    if short is not None:
        at, method = _scan_time(now, scanned_at)
        event = _event_for_short_code(attendee=attendee, short=short, at=at, secret=secret_key)
    else:
        parsed = checkin.parse(code)
        event = db.session.get(LearningEvent, parsed.event_id)
        if event is None or event.organisation_id != attendee.organisation_id:
            raise NotFound("No such event: this code is not for an event of your organisation.")
        at, method = _scan_time(now, scanned_at)
        checkin.verify(
            parsed=parsed,
            secret_key=secret_key,
            event_secret=event.check_in_secret,
            scanned_at=at,
        )
    if event.is_cancelled or not _check_in_period(event, at):
        raise ValidationFailed(
            "This event is not open for check-in at that time.",
            code="check_in_closed",
            fields={"code": ["is not for an event open for check-in at the scan time"]},
        )
    if event.learning_set_id and attendee.id not in _members(event):
        raise Forbidden("Only members of this learning set can check in to its meetings.")
    return event, attend(event=event, attendee=attendee, method=method, now=now, scanned_at=at)


def _scan_time(now: dt.datetime, scanned_at: dt.datetime | None) -> tuple[dt.datetime, str]:
    """(when the scan counts as made, how): now online; the phone's claim offline, within bounds."""
    if scanned_at is None:
        return now, "qr"
    if scanned_at > now + checkin.CLOCK_SKEW:
        raise ValidationFailed(
            "The phone's clock is ahead of the server's; check-in refused.",
            code="clock_ahead",
            fields={"scanned_at": ["is in the future"]},
        )
    if scanned_at < now - checkin.OFFLINE_MAX_DELAY:
        raise ValidationFailed(
            "This check-in was sent too long after the scan to be trusted; ask the facilitator to "
            "mark you on the register.",
            code="too_late",
            fields={"scanned_at": ["is more than 72 hours before the check-in arrived"]},
        )
    return scanned_at, "qr_offline"


# The longest event (the schemas' limit on duration_minutes): bounds the search for a typed code.
_LONGEST_EVENT = dt.timedelta(hours=24)


def _event_for_short_code(*, attendee: User, short: str, at: dt.datetime, secret: str) -> LearningEvent:
    """The attendee's organisation's event whose short code for the scan time (or the window before)
    is `short`. A code of an older window is "expired"; anything else is "not valid"; another
    organisation's codes are never looked at."""
    lookback = checkin.ROTATE_SECONDS * (checkin.GRACE_WINDOWS + checkin.SHORT_EXPIRED_LOOKBACK)
    earliest = at - dt.timedelta(seconds=lookback)
    candidates = db.session.scalars(
        select(LearningEvent).where(
            LearningEvent.organisation_id == attendee.organisation_id,
            LearningEvent.is_cancelled.is_(False),
            LearningEvent.starts_at <= at + checkin.OPENS_BEFORE,
            LearningEvent.starts_at >= earliest - checkin.CLOSES_AFTER - _LONGEST_EVENT,
        )
    ).all()

    def matches(event: LearningEvent, windows) -> bool:
        return any(
            hmac.compare_digest(
                checkin.short_code(
                    secret_key=secret, event_secret=event.check_in_secret, event_id=event.id, window=w
                ),
                short,
            )
            for w in windows
        )

    current = checkin.short_windows(at)
    for event in candidates:
        if _check_in_period(event, at) and matches(event, current):
            return event
    older = range(current[-1] - 1, current[-1] - 1 - checkin.SHORT_EXPIRED_LOOKBACK, -1)
    if any(matches(event, older) for event in candidates):
        raise ValidationFailed(
            "This check-in code has expired: type the code the facilitator is showing now.",
            code="code_expired",
            fields={"code": ["has expired"]},
        )
    raise ValidationFailed(
        "This check-in code is not valid: check it against the facilitator's screen.",
        code="invalid_code",
        fields={"code": ["is not a check-in code of an event open now"]},
    )


def mark_register(
    *, facilitator: User, event_id: uuid.UUID, user_ids: list[uuid.UUID], now: dt.datetime
) -> tuple[LearningEvent, list[tuple[User, Attended]]]:
    """The facilitator marks people present: all named people are checked first (nothing half-done),
    then each gets their one entry."""
    event = facilitated_event(viewer=facilitator, event_id=event_id)
    if event.is_cancelled:
        raise ValidationFailed(
            "This event was cancelled.", code="cancelled", fields={"event_id": ["was cancelled"]}
        )
    people, problems = _people(facilitator, user_ids, "user_ids")
    if event.learning_set_id:
        members = _members(event)
        for i, ident in enumerate(user_ids):
            if f"user_ids.{i}" not in problems and ident not in members:
                problems[f"user_ids.{i}"] = ["is not a member of this learning set"]
    if problems:
        raise ValidationFailed("Some people cannot be marked present.", fields=problems)
    return event, [
        (p, attend(event=event, attendee=p, method="register", now=now, marked_by=facilitator))
        for p in people
    ]


def register(*, facilitator: User, event_id: uuid.UUID) -> tuple[LearningEvent, list[dict[str, Any]]]:
    """The register: everyone the event is meant for, plus anyone else who attended, with how."""
    event = facilitated_event(viewer=facilitator, event_id=event_id)
    people = db.session.scalars(
        select(User).where(
            User.organisation_id == event.organisation_id,
            User.is_active.is_(True),
            User.is_practitioner.is_(True),
        )
    ).all()
    attended = {
        a.user_id: a
        for a in db.session.scalars(select(EventAttendance).where(EventAttendance.event_id == event.id))
    }
    rows: list[dict[str, Any]] = []
    for person in people:
        a = attended.get(person.id)
        if a is None and not is_invited(person, event):
            continue
        rows.append(
            {
                "user_id": person.id,
                "name": person.name,
                "profession": _profession(person),
                "invited": is_invited(person, event),
                "present": a is not None,
                "method": a.method if a else None,
            }
        )
    rows.sort(key=lambda r: (not r["present"], r["name"].lower()))
    return event, rows


# --- learning sets -----------------------------------------------------------------------------


def create_set(*, actor: User, data: dict[str, Any], now: dt.datetime) -> LearningSet:
    """A learning set with its members (publishers only)."""
    _require_publisher(actor)
    members, problems = _people(actor, data.get("member_ids", []), "member_ids")
    if problems:
        raise ValidationFailed("Some fields are not valid.", fields=problems)
    learning_set = LearningSet(
        organisation_id=actor.organisation_id,
        name=data["name"],
        description=data.get("description", ""),
        counts_as_peer_reflection=data.get("counts_as_peer_reflection", True),
        created_by=actor.id,
        created_at=now,
    )
    learning_set.members = members
    db.session.add(learning_set)
    db.session.flush()
    return learning_set


def get_set(*, viewer: User, set_id: uuid.UUID) -> LearningSet:
    """A set the viewer belongs to, or may run (publishers of the same organisation)."""
    learning_set = db.session.get(LearningSet, set_id)
    if (
        learning_set is None
        or learning_set.organisation_id != viewer.organisation_id
        or not (may_publish(viewer) or viewer.id in {m.id for m in learning_set.members})
    ):
        raise NotFound("No such learning set.")
    return learning_set


def list_sets(*, viewer: User) -> list[LearningSet]:
    """Sets the viewer is a member of, and (for publishers) every set of the organisation."""
    query = select(LearningSet).where(LearningSet.organisation_id == viewer.organisation_id)
    if not may_publish(viewer):
        query = query.where(LearningSet.id.in_(select(lsm.c.set_id).where(lsm.c.user_id == viewer.id)))
    return list(db.session.scalars(query.order_by(LearningSet.name)))


def add_meeting(
    *, actor: User, set_id: uuid.UUID, data: dict[str, Any], now: dt.datetime
) -> tuple[LearningEvent, list[tuple[User, Attended]]]:
    """A meeting of the set; the members named present (members only) each get their entry."""
    _require_publisher(actor)
    learning_set = get_set(viewer=actor, set_id=set_id)
    members = {m.id for m in learning_set.members}
    present = data.get("present", [])
    problems = {
        f"present.{i}": ["is not a member of this learning set"]
        for i, ident in enumerate(present)
        if ident not in members
    }
    if problems:
        raise ValidationFailed("Only members of the set can be marked present.", fields=problems)
    event = create_event(
        actor=actor,
        data={
            "title": data.get("title") or f"{learning_set.name}: meeting",
            "kind": "reflective_learning_set",
            "description": data.get("description", ""),
            "location": data.get("location", ""),
            "starts_at": data["starts_at"],
            "duration_minutes": data["duration_minutes"],
            "is_participatory": True,
            "standards": data.get("standards", []),
            "common_core": data.get("common_core", []),
        },
        now=now,
        learning_set=learning_set,
    )
    db.session.refresh(event)
    marked = [
        (p, attend(event=event, attendee=p, method="learning_set", now=now, marked_by=actor))
        for p in learning_set.members
        if p.id in set(present)
    ]
    return event, marked


# --- feedback ----------------------------------------------------------------------------------


def give_feedback(
    *, attendee: User, event_id: uuid.UUID, rating: int, comment: str, now: dt.datetime
) -> EventFeedback:
    """An attendee's rating and comment (once per person; giving it again replaces it)."""
    event = get_event(viewer=attendee, event_id=event_id)
    if db.session.get(EventAttendance, (event.id, attendee.id)) is None:
        raise Forbidden("Only people who attended can give feedback on an event.")
    feedback = db.session.get(EventFeedback, (event.id, attendee.id))
    if feedback is None:
        feedback = EventFeedback(event_id=event.id, user_id=attendee.id, created_at=now)
        db.session.add(feedback)
    feedback.rating = rating
    feedback.comment = comment
    feedback.updated_at = now
    db.session.flush()
    return feedback


def feedback_summary(*, viewer: User, event_id: uuid.UUID, threshold: int) -> dict[str, Any]:
    """Feedback in aggregate for facilitators: counts by rating with small-number suppression (the
    insights rule); the mean and the comments only when at least `threshold` people answered. Never
    who said what."""
    event = facilitated_event(viewer=viewer, event_id=event_id)
    rows = db.session.scalars(select(EventFeedback).where(EventFeedback.event_id == event.id)).all()
    columns = ["1", "2", "3", "4", "5"]
    table = Table(rows=["rating"], columns=columns, measures=["people"])
    for c in columns:
        n = sum(1 for r in rows if str(r.rating) == c)
        table.cells[("rating", c)] = {"people": n}
        table.cells[(TOTAL, c)] = {"people": n}
    table.cells[("rating", TOTAL)] = table.cells[(TOTAL, TOTAL)] = {"people": len(rows)}
    enough = len(rows) >= threshold
    return {
        "event_id": event.id,
        "threshold": threshold,
        "responses": len(rows) if enough else None,
        "suppressed": not enough,
        "mean_rating": round(sum(r.rating for r in rows) / len(rows), 2) if enough else None,
        "by_rating": table.render(threshold),
        # Sorted, not in order of arrival, so nobody can match a comment to when someone left.
        "comments": sorted(r.comment for r in rows if r.comment.strip()) if enough else [],
    }


# --- calendar ----------------------------------------------------------------------------------


def event_ics(*, viewer: User, event_id: uuid.UUID, now: dt.datetime) -> bytes:
    """A downloadable invite for one event."""
    event = get_event(viewer=viewer, event_id=event_id)
    import icalendar  # measured start-up cost: imported on use

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    item = icalendar.Event()
    item.add("uid", f"event-{event.id}@{UID_DOMAIN}")
    item.add("dtstamp", event.updated_at.astimezone(dt.UTC))
    item.add("dtstart", event.starts_at.astimezone(dt.UTC))
    item.add("dtend", event.ends_at.astimezone(dt.UTC))
    item.add("summary", event.title)
    if event.location:
        item.add("location", event.location)
    item.add(
        "description",
        (event.description + "\n\n" if event.description else "") + "Check in with the QR "
        "code the facilitator shows; your CPD entry is made for you in CPD Logbook.",
    )
    item.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    for person in event.facilitators:
        organiser = icalendar.vCalAddress(f"mailto:{person.email}")
        organiser.params["cn"] = icalendar.vText(person.name)
        item.add("organizer", organiser, encode=False)
        break
    cal.add_component(item)
    return cal.to_ical()


def entry_of(attendance: EventAttendance) -> Entry:
    """The attendee's entry for an attendance."""
    entry = db.session.get(Entry, attendance.entry_id)
    if entry is None:
        raise RuntimeError("entry_id is a non-null foreign key (ON DELETE CASCADE)")
    return entry
