"""Progress: where each person stands in their registration cycles and supervision policies.

The queries that read entries and feed them to the requirement engine (frameworks/engine.py). They
sit above entries and frameworks (both of which they read) and below the features that show
progress: the API, supervision's due dates, notifications' reminders, insights and the staff export."""

from __future__ import annotations

import datetime as dt
import gc
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from sqlalchemy import String, Text, case, cast, func, null, or_, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import expression
from sqlalchemy.types import NullType

from logbook.accounts import links
from logbook.accounts.models import User
from logbook.entries.gaps import explained_ranges
from logbook.entries.models import Entry
from logbook.errors import NotFound
from logbook.extensions import db
from logbook.frameworks import engine, history
from logbook.frameworks.service import compiled_frameworks


class UuidText(expression.FunctionElement[str]):
    """A uuid column as the driver reads it cheapest, as text: on PostgreSQL the uuid cast to text
    (lower-case, with hyphens; psycopg would otherwise make a uuid.UUID of every row), on SQLite
    (where it is stored as 32 hex digits) the stored text itself. entry_facts turns either into what
    the engine reads (`_uuid_text`). Making a uuid.UUID of each row and printing it again was a third
    of a 10,000-entry evaluation; putting SQLite's hyphens back in SQL (substr and ||) cost more than
    the SELECT's own reading of the column, and in Python a third of that."""

    type = String()
    name = "uuid_text"
    inherit_cache = True


@compiles(UuidText)
def _uuid_text_default(element: UuidText, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS TEXT)"


@compiles(UuidText, "sqlite")
def _uuid_text_sqlite(element: UuidText, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


def _uuid_text(value: Any) -> str:
    """An id as the text the engine reports (`entry_id`: lower-case, with hyphens) from what UuidText
    read: SQLite's 32 hex digits get their hyphens back."""
    if value.__class__ is not str:
        return str(value)
    if len(value) == 32:
        value = value.lower()
        return "%s-%s-%s-%s-%s" % (value[:8], value[8:12], value[12:16], value[16:20], value[20:])  # noqa: UP031 - the fastest spelling
    return value


def _raw(column: Any) -> Any:
    """A column read as the driver gives it (no SQLAlchemy result processing): entry_facts converts."""
    return type_coerce(column, NullType())


ENTRY_COLUMNS = (  # in the order of engine.EntryFacts; entry_facts turns the driver's values into its types
    _raw(UuidText(Entry.owner_id)).label("owner_id"),
    _raw(Entry.kind),
    _raw(Entry.title),
    _raw(Entry.start_date),
    _raw(Entry.end_date),
    _raw(Entry.hours),
    _raw(Entry.is_participatory),
    _raw(Entry.includes_peer_reflection),
    _raw(Entry.status),
    _raw(Entry.is_deleted),
    # JSON as its text, on PostgreSQL too (whose driver would parse every row's): entry_facts parses
    # each distinct text once.
    _raw(cast(Entry.standards, Text)),
    # Only supervision sessions' details are read (their length); skipping the rest halves the JSON decoding.
    _raw(case((Entry.kind == "supervision", cast(Entry.details, Text)), else_=null())).label("details"),
    _raw(UuidText(Entry.id)).label("id"),
    _raw(or_(Entry.impact_on_practice != "", Entry.impact_on_people != "")).label("has_impact"),
)

# The roles whose approved sign-off still stands on each of these entries (ids the engine reads as
# signed_roles). The sign-off core decides (supervision.signcore.standing_roles); it sits above this
# module, so the callers that can see it pass it in. Without it, the entry's status decides.
Signatures = Callable[[list[uuid.UUID]], dict[uuid.UUID, frozenset[str]]]

_HOURS = Entry.hours.type


class _Memo(dict[Any, Any]):
    """A value worked out once per distinct key (`make`), then looked up: a known key's look-up stays
    in the dict's own C code (only a missing one calls back into Python)."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[Any], Any], *known: tuple[Any, Any]) -> None:
        super().__init__(known)
        self.make = make

    def __missing__(self, key: Any) -> Any:
        value = self[key] = self.make(key)
        return value


def _owner(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def _day(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _json(value: Any) -> Any:
    return json.loads(value) if value.__class__ is str else value


_new_facts = tuple.__new__  # EntryFacts._make without its Python frame and length check: 15 fields given


def entry_facts(rows: Iterable[Any], signatures: Signatures | None = None) -> list[engine.EntryFacts]:
    """The engine's facts of these ENTRY_COLUMNS rows, with the sign-offs that still stand.

    The rows hold the driver's values (SQLite: dates as ISO text, JSON as text, ids as hex, numbers
    as floats; PostgreSQL: most already typed, ids and JSON as text), converted here once per
    distinct value: a person's 10,000 entries share a few hundred dates, a handful of hour values
    and of standards lists. The engine only reads facts, so entries may share one parsed list or
    date. Ids are text (what the engine reports); owner ids are uuid.UUID, as every caller keys
    people by them. Without `signatures` an entry's signed_roles is None (its status decides); with
    them, the roles that still stand (none for every entry that is not signed off)."""
    owners = _Memo(_owner)
    days = _Memo(_day, (None, None))
    hours = _Memo(_HOURS.result_processor(db.session.get_bind().dialect, None) or Decimal)
    parsed = _Memo(_json, (None, None))  # the JSON columns are read as text (ENTRY_COLUMNS): hashable
    unsigned: frozenset[str] | None = None if signatures is None else frozenset()
    facts: list[engine.EntryFacts] = []
    append = facts.append
    signed: list[int] = []  # where the signed-off entries are, when their sign-offs are to be checked
    for owner, kind, title, start, end, hrs, part, peer, status, deleted, stds, details, eid, impact in rows:
        if unsigned is not None and status == "signed_off" and not deleted:
            signed.append(len(facts))
        append(
            _new_facts(
                engine.EntryFacts,
                (
                    owners[owner],
                    kind,
                    title,
                    days[start],
                    days[end],
                    hours[hrs],
                    bool(part),
                    bool(peer),
                    status,
                    bool(deleted),
                    parsed[stds],
                    parsed[details],
                    _uuid_text(eid),
                    bool(impact),
                    unsigned,
                ),
            )
        )
    if signatures is not None and signed:
        roles = {str(k): v for k, v in signatures([uuid.UUID(facts[i].id) for i in signed]).items()}
        for i in signed:
            facts[i] = facts[i]._replace(signed_roles=roles.get(facts[i].id, frozenset()))
    return facts


def core_rows(statement: Any) -> list[Any]:
    """A select of plain columns run through Core: the ORM's per-row result handling is not needed
    for tuples. Pending changes are flushed first, as the session's own execute would."""
    db.session.flush()
    return list(db.session.connection().execute(statement).all())  # fetchall: not a fetchone per row


@contextmanager
def _without_gc() -> Iterator[None]:
    """The cyclic garbage collector paused for a block that makes tens of thousands of small objects
    and no cycles (rows, facts, the engine's lists of counted and left-out entries): at 10,000
    entries they set off about 70 collections per call and a full one every other call (which walks
    every object the process holds: the app, SQLAlchemy, Flask): 66-89 ms of a 218-260 ms call
    (gc.callbacks, issue 24); paused, 3 collections, 3-8 ms. Reference counting still frees
    everything as usual; the collector resumes at the end (left alone when someone else paused it)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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
        with _without_gc():
            rows = core_rows(
                select(*ENTRY_COLUMNS)
                .where(
                    Entry.owner_id.in_(list(entries_by_owner)),
                    func.coalesce(Entry.end_date, Entry.start_date) >= since,
                )
                .order_by(Entry.start_date, Entry.id)
            )
            facts = entry_facts(rows, signatures)
            del rows
        if len(people) == 1:  # every row is theirs (the query asked for their id only)
            entries_by_owner[people[0].id] = facts
        else:
            for fact in facts:
                entries_by_owner[fact.owner_id].append(fact)
    explained = explained_ranges(entries_by_owner)
    with _without_gc():
        evaluated = [
            person_progress(person, entries_by_owner[person.id], frameworks, today, explained[person.id])
            for person in people
        ]
    return {"as_of": today, "next_offset": next_offset, "people": evaluated}


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
    rows = core_rows(
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
    rows = core_rows(
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
