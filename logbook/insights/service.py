"""Insight views: SQL aggregates over organisation-visible CPD in the caller's scope, suppressed."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement, Subquery

from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import SERVICE_AREAS, JobRole, Registration, Team, User
from logbook.config import DEFAULTS, KeyRing
from logbook.entries.models import Entry
from logbook.errors import Forbidden, NotFound
from logbook.extensions import db
from logbook.frameworks.kinds import KINDS
from logbook.frameworks.service import compiled_frameworks
from logbook.insights.models import InsightCompliance
from logbook.insights.precompute import compliance_refresh, refresh_compliance
from logbook.supervision.models import SupervisionAgreement, SupervisionSession
from logbook.supervision.sessions import policy_days
from logbook.suppression import TOTAL, Table

COMMON_CORE_AREAS = ("1", "2", "3", "4", "5", "6")
UNSPECIFIED = "unspecified"
OTHER_PROFESSION = "other"
# Hours in the period, lower bound inclusive except the first band (exactly zero).
HOUR_BANDS = (("0", 0, 0), ("0-10", 0, 10), ("10-20", 10, 20), ("20-30", 20, 30), ("30+", 30, None))
FILTER_KEYS = ("date_from", "date_to", "team_id", "service_area", "profession", "job_role_id")


def check_viewer(viewer: User) -> None:
    """Only org admins and team managers (of at least one team) see insights."""
    if viewer.is_org_admin or (viewer.is_team_manager and viewer.managed_teams):
        return
    raise Forbidden("Only org admins and team managers can see organisation insights.")


def people_in_scope(*, viewer: User, filters: dict[str, Any]) -> Subquery:
    """Active practitioners the viewer may see, with their profession, team and service area."""
    check_viewer(viewer)
    profession = func.coalesce(JobRole.profession, UNSPECIFIED)
    service_area = func.coalesce(Team.service_area, JobRole.service_area, UNSPECIFIED)
    q = (
        select(
            User.id.label("user_id"),
            User.name.label("name"),
            profession.label("profession"),
            func.coalesce(Team.name, "no team").label("team"),
            func.coalesce(JobRole.name, UNSPECIFIED).label("job_role"),
            service_area.label("service_area"),
        )
        .select_from(User)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(JobRole, JobRole.id == User.job_role_id)
        .where(
            User.organisation_id == viewer.organisation_id,
            User.is_active.is_(True),
            User.is_practitioner.is_(True),
        )
    )
    if not viewer.is_org_admin:
        q = q.where(User.team_id.in_([t.id for t in viewer.managed_teams]))
    if filters.get("team_id"):
        q = q.where(User.team_id == filters["team_id"])
    if filters.get("job_role_id"):
        q = q.where(User.job_role_id == filters["job_role_id"])
    if filters.get("profession"):
        q = q.where(profession == filters["profession"])
    if filters.get("service_area"):
        q = q.where(service_area == filters["service_area"])
    return q.subquery("person")


def _visible_entries(viewer: User, filters: dict[str, Any]) -> list[ColumnElement[bool]]:
    """Entries an organisation may aggregate: shared with it, not drafts, not deleted, in the period."""
    conditions = [
        Entry.organisation_id == viewer.organisation_id,
        Entry.visibility == "organisation",
        Entry.status != "draft",
        Entry.is_deleted.is_(False),
    ]
    if filters.get("date_from"):
        conditions.append(Entry.start_date >= filters["date_from"])
    if filters.get("date_to"):
        conditions.append(Entry.start_date <= filters["date_to"])
    return conditions


def json_number(value: Any) -> float | int:
    """JSON-friendly number (hours come back as Decimal)."""
    if isinstance(value, Decimal):
        return float(round(value, 2))
    return value or 0


def _cube(
    *,
    base: Callable[..., Any],
    row: ColumnElement[Any] | InstrumentedAttribute[Any],
    column: ColumnElement[Any] | InstrumentedAttribute[Any],
    aggregates: dict[str, ColumnElement[Any]],
    rows_disjoint: bool = False,
    columns_disjoint: bool = False,
    entry_measures: bool = False,
) -> dict[tuple[Any, Any], dict[str, Any]]:
    """Cells and true margins of row by column: one GROUP BY CUBE scan on PostgreSQL; on SQLite (which
    has neither CUBE nor GROUPING SETS) up to four GROUP BY queries.

    `columns_disjoint` (or `rows_disjoint`) says that each person and each entry falls in only one
    column (row), e.g. columns are professions: then every measure of a row's margin is the sum of its
    cells (distinct people in different columns are different people), and SQLite skips that scan.

    `entry_measures` says the aggregates are _entry_measures() (entries, hours, distinct people): on
    SQLite the entries are then read once, into partial sums per row, column and person, and every
    scan groups those (_entry_cube_sqlite) instead of reading the entries again."""
    out: dict[tuple[Any, Any], dict[str, Any]] = {}
    labelled = [agg.label(name) for name, agg in aggregates.items()]
    if db.session.get_bind().dialect.name == "postgresql":
        q = base(
            row.label("r"),
            column.label("c"),
            func.grouping(row).label("gr"),
            func.grouping(column).label("gc"),
            *labelled,
        ).group_by(func.cube(row, column))
        for rec in db.session.execute(q):
            key = (TOTAL if rec.gr else rec.r, TOTAL if rec.gc else rec.c)
            out[key] = {name: json_number(getattr(rec, name)) for name in aggregates}
        return out
    scans = [(True, True)]
    scans += [] if columns_disjoint else [(True, False)]
    scans += [] if rows_disjoint else [(False, True)]
    scans += [] if rows_disjoint or columns_disjoint else [(False, False)]
    if entry_measures:
        out.update(_entry_cube_sqlite(base=base, row=row, column=column, scans=scans))
    else:
        for by_row, by_column in scans:
            keys = [row.label("r")] if by_row else [literal(TOTAL).label("r")]
            keys.append(column.label("c") if by_column else literal(TOTAL).label("c"))
            q = base(*keys, *labelled)
            group = [k for k, on in ((row, by_row), (column, by_column)) if on]
            if group:
                q = q.group_by(*group)
            for rec in db.session.execute(q):
                out[(rec.r, rec.c)] = {name: json_number(getattr(rec, name)) for name in aggregates}
    cells = [(key, cell) for key, cell in out.items() if TOTAL not in key]
    if columns_disjoint:
        _add_margins(out, [((r, TOTAL), cell) for (r, _c), cell in cells])
    if rows_disjoint:
        _add_margins(out, [((TOTAL, c), cell) for (_r, c), cell in cells])
    if rows_disjoint or columns_disjoint:
        side = [(key, cell) for key, cell in out.items() if (key[1] == TOTAL) != (key[0] == TOTAL)]
        # Disjoint columns: the grand total is the sum of the column margins (else of the row margins).
        wanted = (lambda k: k[0] == TOTAL) if columns_disjoint else (lambda k: k[1] == TOTAL)
        _add_margins(out, [((TOTAL, TOTAL), cell) for key, cell in side if wanted(key)])
    return out


def _entry_cube_sqlite(
    *,
    base: Callable[..., Any],
    row: ColumnElement[Any] | InstrumentedAttribute[Any],
    column: ColumnElement[Any] | InstrumentedAttribute[Any],
    scans: list[tuple[bool, bool]],
) -> dict[tuple[Any, Any], dict[str, Any]]:
    """Entries, hours and distinct people for each (row, column) scan, from one read of the entries:
    partial sums per row, column and person (a CTE SQLite materialises once, as it is used by every
    scan), then one GROUP BY over them per scan, all in one UNION ALL."""
    partial = (
        base(
            row.label("r"),
            column.label("c"),
            Entry.owner_id.label("o"),
            func.count(Entry.id).label("n"),
            func.coalesce(func.sum(Entry.hours), 0).label("h"),
        )
        .group_by(row, column, Entry.owner_id)
        .cte("partial")
    )
    parts = []
    for by_row, by_column in scans:
        r = partial.c.r if by_row else literal(TOTAL)
        c = partial.c.c if by_column else literal(TOTAL)
        q = select(
            r.label("r"),
            c.label("c"),
            func.sum(partial.c.n).label("entries"),
            func.sum(partial.c.h).label("hours"),
            func.count(distinct(partial.c.o)).label("people"),
        )
        group = [k for k, on in ((partial.c.r, by_row), (partial.c.c, by_column)) if on]
        parts.append(q.group_by(*group) if group else q)
    out = {}
    for rec in db.session.execute(union_all(*parts)):
        out[(rec.r, rec.c)] = {
            "entries": json_number(rec.entries),
            "hours": round(float(rec.hours or 0), 2),
            "people": json_number(rec.people),
        }
    return out


def _add_margins(out: dict[tuple[Any, Any], dict[str, Any]], parts: list[tuple[Any, dict[str, Any]]]) -> None:
    """Sum cells into the margins they belong to (only where their groups are disjoint)."""
    for key, cell in parts:
        margin = out.setdefault(key, {})
        for name, value in cell.items():
            margin[name] = margin.get(name, 0) + value
    for key, _cell in parts:
        out[key] = {name: round(v, 2) if isinstance(v, float) else v for name, v in out[key].items()}


def view_result(
    view: str, table: Table, threshold: int, filters: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """A rendered, suppressed view with the filters echoed."""
    return {
        "view": view,
        "filters": {k: (str(v) if v is not None else None) for k, v in filters.items() if k in FILTER_KEYS},
        **table.render(threshold),
        **extra,
    }


def _groups(person: Subquery, column: str) -> list[str]:
    """The distinct group names (professions, teams...) among the people in scope, sorted."""
    return sorted(db.session.scalars(select(person.c[column]).distinct()))


def _entries_of(person: Subquery, conditions: list[Any]) -> Callable[..., Any]:
    """A query builder over the counted entries of the people in scope, for _cube()."""

    def base(*columns: Any) -> Any:
        return (
            select(*columns)
            .select_from(Entry)
            .join(person, person.c.user_id == Entry.owner_id)
            .where(*conditions)
        )

    return base


def _entry_measures() -> dict[str, Any]:
    """Entries, hours and distinct people: what the learning-mix and trends tables count."""
    return {
        "entries": func.count(Entry.id),
        "hours": func.coalesce(func.sum(Entry.hours), 0),
        "people": func.count(distinct(Entry.owner_id)),
    }


def learning_mix(*, viewer: User, filters: dict[str, Any], by: str, threshold: int) -> dict[str, Any]:
    """Entries, hours and people by kind of learning by profession (or by team)."""
    person = people_in_scope(viewer=viewer, filters=filters)
    conditions = _visible_entries(viewer, filters)

    base = _entries_of(person, conditions)
    cells = _cube(
        base=base,
        row=Entry.kind,
        column=person.c[by],
        aggregates=_entry_measures(),
        columns_disjoint=True,  # each person has one profession (team), each entry one owner
        entry_measures=True,
    )
    table = Table(
        rows=list(KINDS), columns=_groups(person, by), measures=["entries", "hours", "people"], cells=cells
    )
    return view_result(f"learning-mix-{by.replace('_', '-')}", table, threshold, filters)


def trends(*, viewer: User, filters: dict[str, Any], threshold: int) -> dict[str, Any]:
    """Entries, hours and people by month by kind of learning."""
    person = people_in_scope(viewer=viewer, filters=filters)
    conditions = _visible_entries(viewer, filters)
    if db.session.get_bind().dialect.name == "sqlite":
        month = func.substr(Entry.start_date, 1, 7)  # dates are stored as 'YYYY-MM-DD' text
    else:
        month = func.to_char(Entry.start_date, "YYYY-MM")

    base = _entries_of(person, conditions)
    raw = _cube(
        base=base,
        row=month,
        column=Entry.kind,
        aggregates=_entry_measures(),
        entry_measures=True,
    )
    kinds = [k for k in KINDS if (TOTAL, k) in raw]
    table = Table(
        rows=sorted({m for m, _ in raw if m != TOTAL}),
        columns=kinds,
        measures=["entries", "hours", "people"],
        cells=raw,
    )
    return view_result("trends", table, threshold, filters)


def common_core(*, viewer: User, filters: dict[str, Any], threshold: int) -> dict[str, Any]:
    """People per profession whose learning touched each of the six Common Core areas."""
    person = people_in_scope(viewer=viewer, filters=filters)
    conditions = _visible_entries(viewer, filters)
    tagged = cast(Entry.common_core, String)

    def touched(area: str) -> ColumnElement[Any]:
        return func.count(distinct(case((tagged.like(f'%"{area}"%'), Entry.owner_id))))

    any_area = func.count(distinct(case((tagged.like('%"%'), Entry.owner_id))))
    cells: dict[tuple[Any, Any], dict[str, Any]] = {}
    for grouped in (True, False):
        key = person.c.profession if grouped else literal(TOTAL)
        q = (
            select(
                key.label("r"), any_area.label("any"), *[touched(a).label(f"a{a}") for a in COMMON_CORE_AREAS]
            )
            .select_from(Entry)
            .join(person, person.c.user_id == Entry.owner_id)
            .where(*conditions)
        )
        if grouped:
            q = q.group_by(person.c.profession)
        for rec in db.session.execute(q):
            cells[(rec.r, TOTAL)] = {"people": rec.any}
            for a in COMMON_CORE_AREAS:
                cells[(rec.r, a)] = {"people": getattr(rec, f"a{a}")}
    table = Table(
        rows=_groups(person, "profession"), columns=list(COMMON_CORE_AREAS), measures=["people"], cells=cells
    )
    return view_result("common-core", table, threshold, filters)


def _other_professions():
    """One row per (entry, other profession named), on SQLite or PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.json_array_elements_text(Entry.other_professions).table_valued("value").alias("other")
    return func.json_each(Entry.other_professions).table_valued("value").alias("other")


def cross_professional(
    *, viewer: User, filters: dict[str, Any], shadowing: bool, threshold: int
) -> dict[str, Any]:
    """Own profession by other profession: shadowing entries, or other joint learning."""
    person = people_in_scope(viewer=viewer, filters=filters)
    conditions = [
        *_visible_entries(viewer, filters),
        (Entry.kind == "shadowing") if shadowing else (Entry.kind != "shadowing"),
    ]
    other = _other_professions()
    # Other professions are typed by practitioners: only the organisation's own professions become
    # column labels (anything else, which could name a person, is counted under "other").
    known = sorted(
        {
            p.strip().lower()
            for p in db.session.scalars(
                select(JobRole.profession).where(JobRole.organisation_id == viewer.organisation_id).distinct()
            )
        }
    )
    typed = func.lower(func.trim(other.c.value))
    other_name = (
        case((typed.in_(known), typed), else_=literal(OTHER_PROFESSION))
        if known
        else literal(OTHER_PROFESSION)
    )

    def base(*columns: Any) -> Any:
        return (
            select(*columns)
            .select_from(Entry)
            .join(person, person.c.user_id == Entry.owner_id)
            .join(other, true())
            .where(*conditions)
        )

    cells = _cube(
        base=base,
        row=person.c.profession,
        column=other_name,
        aggregates={
            "entries": func.count(distinct(Entry.id)),
            "people": func.count(distinct(Entry.owner_id)),
        },
        rows_disjoint=True,  # rows are the owner's profession; columns are not (an entry names several)
    )
    rows = sorted({r for r, _ in cells if r != TOTAL} | set(_groups(person, "profession")))
    columns = sorted({c for _, c in cells if c != TOTAL})
    table = Table(rows=rows, columns=columns, measures=["entries", "people"], cells=cells)
    view = "cross-professional-shadowing" if shadowing else "cross-professional-joint"
    return view_result(view, table, threshold, filters)


def _quartiles(values: list[float]) -> dict[str, float]:
    """Median and quartiles (inclusive method: a group of one is its own quartiles)."""
    if len(values) == 1:
        return {"q1": values[0], "median": values[0], "q3": values[0]}
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return {"q1": round(q1, 2), "median": round(median, 2), "q3": round(q3, 2)}


def _band(hours: float) -> str:
    for name, low, high in HOUR_BANDS:
        if (high == 0 and hours == 0) or (hours > low and (high is None or hours <= high)):
            return name
    return HOUR_BANDS[-1][0]


def equity(*, viewer: User, filters: dict[str, Any], by: str, threshold: int) -> dict[str, Any]:
    """CPD hours per person by profession (or service area): headcount per hour band and quartiles;
    people with no organisation-visible CPD count as zero hours."""
    person = people_in_scope(viewer=viewer, filters=filters)
    per_person = (
        select(person.c[by].label("g"), func.coalesce(func.sum(Entry.hours), 0).label("hours"))
        .select_from(person)
        .outerjoin(Entry, and_(Entry.owner_id == person.c.user_id, *_visible_entries(viewer, filters)))
        .group_by(person.c.user_id, person.c[by])
    )
    by_group: dict[str, list[float]] = {}
    for rec in db.session.execute(per_person):  # one row per person, already summed in SQL
        by_group.setdefault(rec.g, []).append(float(rec.hours))
    cells: dict[tuple[Any, Any], dict[str, Any]] = {}
    everyone: list[float] = []
    for group, values in by_group.items():
        everyone += values
        cells[(group, TOTAL)] = {"people": len(values)}
        for value in values:
            cell = cells.setdefault((group, _band(value)), {"people": 0})
            cell["people"] += 1
            margin = cells.setdefault((TOTAL, _band(value)), {"people": 0})
            margin["people"] += 1
    cells[(TOTAL, TOTAL)] = {"people": len(everyone)}
    rows = sorted(by_group)
    table = Table(rows=rows, columns=[b[0] for b in HOUR_BANDS], measures=["people"], cells=cells)
    rendered = table.render(threshold)
    stats: list[dict[str, Any]] = []
    for row, total in zip(rows, rendered["row_totals"], strict=True):
        if total.get("suppressed"):
            stats.append({"suppressed": True})
        else:
            values = by_group[row]
            stats.append({"mean": round(sum(values) / len(values), 2), **_quartiles(values)})
    overall = (
        {"mean": round(sum(everyone) / len(everyone), 2), **_quartiles(everyone)}
        if everyone and not rendered["total"].get("suppressed")
        else {"suppressed": True}
    )
    view = f"equity-{by.replace('_', '-')}"
    return {
        "view": view,
        "filters": {k: (str(v) if v is not None else None) for k, v in filters.items() if k in FILTER_KEYS},
        **rendered,
        "statistics": stats,
        "overall_statistics": overall,
    }


COMPLIANCE_STATUSES = ("met", "on_track", "at_risk", "not_met", "no_framework")
SUPERVISION_STATUSES = ("on_time", "overdue", "no_frequency")


def _count_people(rows: list[tuple[Any, Any, Any]]) -> dict[tuple[Any, Any], dict[str, Any]]:
    """Cells and true margins of distinct people from (row, column, person) triples."""
    cells: dict[tuple[Any, Any], set[Any]] = {}
    for row, column, person_id in rows:
        for key in ((row, column), (row, TOTAL), (TOTAL, column), (TOTAL, TOTAL)):
            cells.setdefault(key, set()).add(person_id)
    return {key: {"people": len(ids)} for key, ids in cells.items()}


def compliance(
    *, viewer: User, filters: dict[str, Any], threshold: int, today: dt.date, ring: KeyRing
) -> dict[str, Any]:
    """People per regulator by where their current registration cycle stands, and (for the org admins
    and managers entitled to see them) the named people at risk before their renewal date.

    Statuses are precomputed per registration (logbook/insights/precompute.py, refreshed by
    `logbook insights-refresh`; worked out now the first time an organisation asks) from each
    registrant's organisation-visible entries only; the view says for which day (`as_of`) and when
    (`computed_at`) they were worked out."""
    marker = compliance_refresh(organisation_id=viewer.organisation_id)
    if marker is None:
        refresh_compliance(organisation_id=viewer.organisation_id, today=today, ring=ring)
        marker = compliance_refresh(organisation_id=viewer.organisation_id)
        if marker is None:
            raise RuntimeError("refresh_compliance just wrote it")
    person = people_in_scope(viewer=viewer, filters=filters)
    records = db.session.execute(
        select(
            person.c.user_id,
            person.c.name,
            person.c.team,
            InsightCompliance.regulator,
            InsightCompliance.status,
            InsightCompliance.cycle_ends_on,
        )
        .join(InsightCompliance, InsightCompliance.user_id == person.c.user_id)
        .where(InsightCompliance.organisation_id == viewer.organisation_id)
    ).all()
    at_risk = sorted(
        (
            {
                "user_id": str(rec.user_id),
                "name": rec.name,
                "team": rec.team,
                "regulator": rec.regulator,
                "cycle_ends_on": rec.cycle_ends_on.isoformat() if rec.cycle_ends_on else None,
            }
            for rec in records
            if rec.status == "at_risk"
        ),
        key=lambda p: (p["cycle_ends_on"] or "", p["name"]),
    )
    table = Table(
        rows=sorted({rec.regulator for rec in records}),
        columns=list(COMPLIANCE_STATUSES),
        measures=["people"],
        cells=_count_people([(rec.regulator, rec.status, rec.user_id) for rec in records]),
    )
    return view_result(
        "compliance",
        table,
        threshold,
        filters,
        at_risk=at_risk,
        as_of=marker.as_of.isoformat(),
        computed_at=marker.computed_at.isoformat(),
    )


def _policy_people(person: Subquery) -> dict[Any, SimpleNamespace]:
    """What the supervision policies look at, for the people in scope, in two queries: registrations
    (regulator, first registered) and the service areas of their team and job role."""
    regs: dict[Any, list[Any]] = {}
    found = db.session.execute(
        select(Registration.user_id, Registration.regulator, Registration.registered_since).where(
            Registration.user_id.in_(select(person.c.user_id))
        )
    )
    for rec in found:
        regs.setdefault(rec.user_id, []).append(
            SimpleNamespace(regulator=rec.regulator, registered_since=rec.registered_since)
        )
    out = {}
    rows = db.session.execute(
        select(User.id, User.organisation_id, Team.service_area.label("team_area"), JobRole.service_area)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(JobRole, JobRole.id == User.job_role_id)
        .where(User.id.in_(select(person.c.user_id)))
    )
    for who in rows:
        out[who.id] = SimpleNamespace(
            id=who.id,
            organisation_id=who.organisation_id,
            registrations=regs.get(who.id, []),
            team=SimpleNamespace(service_area=who.team_area),
            job_role=SimpleNamespace(service_area=who.service_area),
        )
    return out


def supervision(
    *,
    viewer: User,
    filters: dict[str, Any],
    threshold: int,
    today: dt.date,
    default_supervision_days: int | None = None,
) -> dict[str, Any]:
    """Supervisees per job role whose supervision is on time or overdue against their agreement or
    the policy for their role: the same rule as supervision.sessions.supervision_due, in set-based SQL
    over the people in the viewer's scope (a team manager: the members of their teams).
    default_supervision_days: SUPERVISION_DEFAULT_FREQUENCY_DAYS (its default when not given)."""

    person = people_in_scope(viewer=viewer, filters=filters)
    last = (
        select(
            SupervisionSession.supervisor_id,
            SupervisionSession.supervisee_id,
            func.max(SupervisionSession.starts_at).label("last"),
        )
        .where(
            SupervisionSession.is_cancelled.is_(False),
            SupervisionSession.starts_at <= dt.datetime.combine(today, dt.time.max, dt.UTC),
            SupervisionSession.supervisee_id.in_(select(person.c.user_id)),
        )
        .group_by(SupervisionSession.supervisor_id, SupervisionSession.supervisee_id)
        .subquery("last_session")
    )
    links = db.session.execute(
        select(
            SupervisionLink.supervisee_id,
            SupervisionLink.starts_on,
            SupervisionAgreement.frequency_days,
            last.c.last,
            person.c.job_role,
        )
        .join(person, person.c.user_id == SupervisionLink.supervisee_id)
        .outerjoin(SupervisionAgreement, SupervisionAgreement.link_id == SupervisionLink.id)
        .outerjoin(
            last,
            and_(
                last.c.supervisor_id == SupervisionLink.supervisor_id,
                last.c.supervisee_id == SupervisionLink.supervisee_id,
            ),
        )
        .where(
            SupervisionLink.starts_on <= today,
            or_(SupervisionLink.ends_on.is_(None), SupervisionLink.ends_on >= today),
        )
    ).all()
    default_days = (
        default_supervision_days
        if default_supervision_days is not None
        else DEFAULTS["SUPERVISION_DEFAULT_FREQUENCY_DAYS"]
    )
    needing_policy = _policy_people(person) if any(not rec.frequency_days for rec in links) else {}
    try:
        compiled = compiled_frameworks(organisation_id=viewer.organisation_id)
    except Exception:  # noqa: BLE001 - as supervision_due: a broken framework must not hide overdue supervision
        compiled = {}
    policy: dict[Any, int | None] = {}
    state: dict[Any, tuple[str, str]] = {}
    for rec in links:
        if rec.frequency_days:
            days: int | None = rec.frequency_days
        else:
            if rec.supervisee_id not in policy:
                stand_in = needing_policy[rec.supervisee_id]
                policy[rec.supervisee_id] = policy_days(stand_in, default_days, today, compiled)[0]  # type: ignore[arg-type]
            days = policy[rec.supervisee_id]
        start = rec.last.date() if rec.last else rec.starts_on
        if days is None:
            status = "no_frequency"
        else:
            status = "overdue" if start + dt.timedelta(days=days) < today else "on_time"
        # Someone with two supervisors is overdue if either supervision is.
        if state.get(rec.supervisee_id, ("", ""))[0] != "overdue":
            state[rec.supervisee_id] = (status, rec.job_role)
    table = Table(
        rows=sorted({role for _, role in state.values()}),
        columns=list(SUPERVISION_STATUSES),
        measures=["people"],
        cells=_count_people([(role, status, pid) for pid, (status, role) in state.items()]),
    )
    return view_result("supervision", table, threshold, filters, as_of=today.isoformat())


VIEWS: dict[str, Callable[..., dict[str, Any]]] = {
    "learning-mix-profession": lambda **kw: learning_mix(by="profession", **kw),
    "learning-mix-team": lambda **kw: learning_mix(by="team", **kw),
    "equity-profession": lambda **kw: equity(by="profession", **kw),
    "equity-service-area": lambda **kw: equity(by="service_area", **kw),
    "common-core": common_core,
    "cross-professional-shadowing": lambda **kw: cross_professional(shadowing=True, **kw),
    "cross-professional-joint": lambda **kw: cross_professional(shadowing=False, **kw),
    "trends": trends,
    "compliance": compliance,
    "supervision": supervision,
}
NEEDS_TODAY = {"compliance", "supervision"}
# Titles for the PWA's view picker (a view registered without one is listed under its name).
VIEW_TITLES: dict[str, tuple[str, str]] = {
    "learning-mix-profession": (
        "Learning mix by profession",
        "Entries, hours and people by kind of learning.",
    ),
    "learning-mix-team": ("Learning mix by team", "Entries, hours and people by kind of learning."),
    "equity-profession": ("CPD hours per person by profession", "How hours are spread, not just the mean."),
    "equity-service-area": (
        "CPD hours per person by service area",
        "How hours are spread, not just the mean.",
    ),
    "common-core": ("Common Core coverage", "People whose learning touched each of the six areas."),
    "cross-professional-shadowing": (
        "Shadowing across professions",
        "Own profession by profession shadowed.",
    ),
    "cross-professional-joint": ("Joint learning across professions", "Own profession by other profession."),
    "trends": ("Trends by month", "Entries, hours and people by month and kind of learning."),
    "compliance": ("Registration compliance", "Registrants by where their current cycle stands."),
    "supervision": ("Supervision against policy", "Supervisees on time or overdue, by job role."),
}


def filter_options(*, viewer: User) -> dict[str, Any]:
    """The views and what the viewer may filter them by: their own teams (all for org admins), the job
    roles and professions held in that scope, and the service areas."""
    check_viewer(viewer)
    teams = select(Team.id, Team.name).where(Team.organisation_id == viewer.organisation_id)
    roles = select(JobRole.id, JobRole.name, JobRole.profession).where(
        JobRole.organisation_id == viewer.organisation_id
    )
    if not viewer.is_org_admin:
        managed = [t.id for t in viewer.managed_teams]
        teams = teams.where(Team.id.in_(managed))
        roles = roles.where(JobRole.id.in_(select(User.job_role_id).where(User.team_id.in_(managed))))
    role_rows = db.session.execute(roles.order_by(JobRole.name)).all()
    return {
        "views": [
            {
                "id": key,
                "title": VIEW_TITLES.get(key, (key, ""))[0],
                "description": VIEW_TITLES.get(key, ("", ""))[1],
            }
            for key in VIEWS
        ],
        "teams": [{"id": str(r.id), "name": r.name} for r in db.session.execute(teams.order_by(Team.name))],
        "job_roles": [{"id": str(r.id), "name": r.name} for r in role_rows],
        "professions": sorted({r.profession for r in role_rows}),
        "service_areas": [*SERVICE_AREAS, UNSPECIFIED],
    }


def insight_view(
    *,
    viewer: User,
    view: str,
    filters: dict[str, Any],
    threshold: int,
    today: dt.date,
    ring: KeyRing,
    default_supervision_days: int | None = None,
) -> dict[str, Any]:
    """Compute one named view for the viewer (403 for anyone but org admins and team managers).
    `ring`, the app's signing keys: compliance counts only the sign-offs that still verify."""
    check_viewer(viewer)
    if view not in VIEWS:
        raise NotFound("No such insight view.")
    extra: dict[str, Any] = {"today": today} if view in NEEDS_TODAY else {}
    if view == "supervision":
        extra["default_supervision_days"] = default_supervision_days
    if view == "compliance":
        extra["ring"] = ring
    return VIEWS[view](viewer=viewer, filters=filters, threshold=threshold, **extra)

