"""Progress: where each person stands in their registration cycles and supervision policies.

The queries that read entries and feed them to the requirement engine (frameworks/engine.py). They
sit above entries and frameworks (both of which they read) and below the features that show
progress: the API, supervision's due dates, notifications' reminders, insights and the staff export."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import case, func, null, or_, select

from logbook.accounts import links
from logbook.accounts.models import User
from logbook.entries.gaps import explained_ranges
from logbook.entries.models import Entry
from logbook.errors import NotFound
from logbook.extensions import db
from logbook.frameworks import engine, history
from logbook.frameworks.service import compiled_frameworks

ENTRY_COLUMNS = (  # in the order of engine.EntryFacts
    Entry.owner_id,
    Entry.kind,
    Entry.title,
    Entry.start_date,
    Entry.end_date,
    Entry.hours,
    Entry.is_participatory,
    Entry.includes_peer_reflection,
    Entry.status,
    Entry.is_deleted,
    Entry.standards,
    # Only supervision sessions' details are read (their length); skipping the rest halves the JSON decoding.
    case((Entry.kind == "supervision", Entry.details), else_=null()).label("details"),
    Entry.id,
    or_(Entry.impact_on_practice != "", Entry.impact_on_people != "").label("has_impact"),
)

# The roles whose approved sign-off still stands on each of these entries (ids the engine reads as
# signed_roles). The sign-off core decides (supervision.signcore.standing_roles); it sits above this
# module, so the callers that can see it pass it in. Without it, the entry's status decides.
Signatures = Callable[[list[uuid.UUID]], dict[uuid.UUID, frozenset[str]]]


def entry_facts(rows: Iterable[Any], signatures: Signatures | None = None) -> list[engine.EntryFacts]:
    """The engine's facts of these ENTRY_COLUMNS rows, with the sign-offs that still stand."""
    facts = [engine.EntryFacts(*row) for row in rows]
    if signatures is None:
        return facts
    signed = [f.id for f in facts if f.status == "signed_off" and not f.is_deleted]
    roles = signatures(signed) if signed else {}
    return [f._replace(signed_roles=roles.get(f.id, frozenset())) for f in facts]


PAGE_SIZE = 200  # a page of a group's progress: a whole organisation at once takes seconds


def _visible_people(
    *, viewer: User, user_id: uuid.UUID | None, scope: str, today: dt.date, offset: int, limit: int
) -> tuple[list[User], int | None]:
    """A page of the people whose progress the viewer asked for and may see (NotFound for anyone
    else), and the offset of the next page (None when this is the last)."""

    def query(ids=None, **where):
        q = select(User).where(User.organisation_id == viewer.organisation_id, User.is_active.is_(True))
        if ids is not None:
            q = q.where(User.id.in_(ids))
        for name, value in where.items():
            q = q.where(getattr(User, name).in_(value))
        found = list(db.session.scalars(q.order_by(User.name, User.id).offset(offset).limit(limit + 1)))
        return found[:limit], (offset + limit if len(found) > limit else None)

    supervisees = (
        links.supervisee_ids(supervisor_id=viewer.id, today=today) if viewer.is_supervisor else set()
    )
    managed = {t.id for t in viewer.managed_teams} if viewer.is_team_manager else set()
    if user_id is not None:
        if user_id == viewer.id:
            return [viewer], None
        person = db.session.get(User, user_id)
        if (
            person is None
            or person.organisation_id != viewer.organisation_id
            or not person.is_active
            or not (
                viewer.is_org_admin
                or person.id in supervisees
                or (person.team_id and person.team_id in managed)
            )
        ):
            raise NotFound("No such person.")
        return [person], None
    if scope == "supervisees":
        return query(supervisees)
    if scope == "team":
        return query(team_id=managed)
    if scope == "organisation":
        if not viewer.is_org_admin:
            raise NotFound("No such people.")
        return query()
    return [viewer], None


def progress_for(
    *,
    viewer: User,
    today: dt.date,
    user_id: uuid.UUID | None = None,
    scope: str = "me",
    offset: int = 0,
    limit: int = PAGE_SIZE,
    signatures: Signatures | None = None,
) -> dict[str, Any]:
    """Where each person stands in their registration cycles and supervision policies (a page of them
    for a group: `next_offset` asks for the next page). Drafts and deleted entries are read too, so
    that the evaluation can say they do not count."""
    people, next_offset = _visible_people(
        viewer=viewer, user_id=user_id, scope=scope, today=today, offset=offset, limit=limit
    )
    frameworks = compiled_frameworks(organisation_id=viewer.organisation_id)
    entries_by_owner: dict[uuid.UUID, list[Any]] = {p.id: [] for p in people}
    if people:
        # The previous cycle starts no earlier than two cycle lengths before today: older entries never count.
        longest = max(
            (f.cycle.get("length_months") or 12 for versions in frameworks.values() for f in versions),
            default=12,
        )
        since = engine.shift_months(today, -2 * longest)
        rows = db.session.execute(
            select(*ENTRY_COLUMNS)
            .where(
                Entry.owner_id.in_(list(entries_by_owner)),
                func.coalesce(Entry.end_date, Entry.start_date) >= since,
            )
            .order_by(Entry.start_date, Entry.id)
        )
        for fact in entry_facts(rows, signatures):
            entries_by_owner[fact.owner_id].append(fact)
    explained = explained_ranges(entries_by_owner)
    return {
        "as_of": today,
        "next_offset": next_offset,
        "people": [
            person_progress(person, entries_by_owner[person.id], frameworks, today, explained[person.id])
            for person in people
        ],
    }


def person_progress(
    person: User,
    entries: list[Any],
    frameworks: dict[str, list[engine.Framework]],
    today: dt.date,
    explained: list[Any] | None = None,
) -> dict[str, Any]:
    """One person's progress in the API's shape (`explained`: their gap explanations' days, read
    here when the caller has not read them in bulk)."""
    if explained is None:
        explained = explained_ranges([person.id])[person.id]
    areas = {
        a
        for a in (getattr(person.team, "service_area", None), getattr(person.job_role, "service_area", None))
        if a
    }
    result = engine.progress(
        registrations=person.registrations,
        entries=entries,
        frameworks=frameworks,
        today=today,
        service_areas=areas,
        explained=explained,
    )
    return {
        "user_id": person.id,
        "name": person.name,
        "registrations": [
            {
                "registration_id": reg.id,
                "regulator": reg.regulator,
                "profession": reg.profession,
                "registration_number": reg.registration_number,
                **outcome,
            }
            for reg, outcome in result["registrations"]
        ],
        "policies": result["policies"],
    }


# --- cycles over time (frameworks/history.py) -------------------------------------------------


def cycle_history_for(
    *, viewer: User, today: dt.date, signatures: Signatures | None = None
) -> dict[str, Any]:
    """Every cycle of each of the caller's registrations with its verdict, newest first (drafts and
    deleted entries are read too, so that each cycle's evaluation says they do not count)."""
    frameworks = compiled_frameworks(organisation_id=viewer.organisation_id)
    rows = db.session.execute(
        select(*ENTRY_COLUMNS).where(Entry.owner_id == viewer.id).order_by(Entry.start_date, Entry.id)
    )
    entries = entry_facts(rows, signatures)
    explained = explained_ranges([viewer.id])[viewer.id]
    return {
        "as_of": today,
        "user_id": viewer.id,
        "registrations": [
            {
                "registration_id": reg.id,
                "regulator": reg.regulator,
                "profession": reg.profession,
                "registration_number": reg.registration_number,
                **history.cycle_history(
                    reg, frameworks.get(reg.framework_id or "", []), entries, today, explained
                ),
            }
            for reg in viewer.registrations
        ],
    }


def period_evaluation(
    *,
    owner: User,
    framework_id: str,
    date_from: dt.date,
    date_to: dt.date,
    today: dt.date,
    signatures: Signatures | None = None,
    versions: list[engine.Framework] | None = None,
) -> dict[str, Any] | None:
    """The engine's evaluation of one framework's rules over a period (a document's), as if the period
    were a cycle: the same facts as progress_for reads, so a document states what Home states for the
    same dates. `versions` stand in when the organisation has none of this framework stored (a fresh
    install); None if there are none at all."""
    versions = compiled_frameworks(organisation_id=owner.organisation_id).get(framework_id) or versions
    if not versions:
        return None
    rows = db.session.execute(
        select(*ENTRY_COLUMNS)
        .where(
            Entry.owner_id == owner.id,
            Entry.start_date <= date_to,
            func.coalesce(Entry.end_date, Entry.start_date) >= date_from,
        )
        .order_by(Entry.start_date, Entry.id)
    )
    registration = next((r for r in owner.registrations if r.framework_id == framework_id), None) or next(
        (r for r in owner.registrations if r.regulator.lower() == framework_id), None
    )
    cycle = engine.Cycle("period", date_from, date_to, date_from)
    framework = engine.version_for(versions, date_from)
    # the owner's explained breaks count as on Home: an explained gap is not at risk in a document either
    explained = tuple(engine.Explained(*x) for x in explained_ranges([owner.id])[owner.id])
    return engine.evaluate_cycle(
        framework, cycle, entry_facts(rows, signatures), today, registration, explained=explained
    )
