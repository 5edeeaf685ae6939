"""The requirement engine: where a practitioner stands in each registration cycle.

A pure function of (registrations, entries, framework versions, today): no database, no Flask.
Registrations and entries are read by attribute, so ORM rows, result rows and test doubles all work.

Rules of counting (docs/frameworks.md explains them to users):
- drafts and deleted entries never count; a rule marked signed_off_only (or signed_by a role) counts
  entries whose sign-off still stands (signed_roles: the roles of approved sign-offs that verify and
  cover the entry's current text; an altered signed record has none);
- an activity is in a period if any of its days is (entry_days, in_period: start..end overlaps);
- a cycle never starts before the registration did;
- the rules come from the framework version in force when the cycle started.

The evaluation is the one answer every surface renders (Home, the progress API, each regulator
document, the staff export, insights, the phone's progress.js): per rule the verdict, the figures,
the ids of the entries that count (`counted`) and, for entries of the rule's kind that do not, why
(`not_counted`: identical, not_signed, before_accounts, no_impact); per cycle the entries that do not
count at all (draft, deleted, outside_cycle).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from logbook.frameworks.definition import normalise_profession
from logbook.frameworks.kinds import KIND_LABELS

MET, ON_TRACK, AT_RISK, NOT_MET = "met", "on_track", "at_risk", "not_met"
SEVERITY = {MET: 0, ON_TRACK: 1, AT_RISK: 2, NOT_MET: 3}
NOT_COUNTED = frozenset({"draft"})
PERIOD_NAMES = {"week": "week", "fortnight": "fortnight", "month": "month"}
ZERO = Decimal(0)


class EntryFacts(NamedTuple):
    """The facts about an entry the engine reads, in a tuple (attribute access on database result rows
    is several times slower, and the engine reads each entry's attributes once per rule)."""

    owner_id: Any
    kind: str
    title: str
    start_date: dt.date
    end_date: dt.date | None
    hours: Decimal
    is_participatory: bool
    includes_peer_reflection: bool
    status: str
    is_deleted: bool
    standards: list[dict[str, Any]]
    details: dict[str, Any] | None
    id: Any = None
    has_impact: bool = False
    # The roles ("supervisor", "confirmer", "reflective_discussion_partner", and "role:BODY" with the
    # signer's registration body) of approved sign-offs that still stand; None: not known, the status
    # decides (signed_off counts as signed by anyone).
    signed_roles: frozenset[str] | None = None


class RegistrationLike(Protocol):
    """What the engine reads from a registration."""

    regulator: str
    profession: str
    registered_since: dt.date | None
    renewal_date: dt.date | None
    is_dual_registration: bool


# --- dates -----------------------------------------------------------------------------------


_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    """How many days a month has (calendar.monthrange also works out the weekday, which is slow)."""
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DAYS[month - 1]


def shift_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the last day of a month stays the last day (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = days_in_month(year, month + 1)
    is_month_end = day.day == days_in_month(day.year, day.month)
    return dt.date(year, month + 1, last if is_month_end else min(day.day, last))


def add_months_clamped(day: dt.date, months: int) -> dt.date:
    """The same day-of-month `months` later, clamped to the month's length (30 Nov + 3 → 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, days_in_month(year, month + 1)))


def yearly(year: int, month_day: tuple[int, int] | list[int]) -> dt.date:
    """A yearly date in a given year (29 Feb falls on 28 Feb in other years)."""
    month, day = month_day
    return dt.date(year, month, min(day, days_in_month(year, month)))


def _parse_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


# --- compiled frameworks ---------------------------------------------------------------------


@dataclass(frozen=True)
class Framework:
    """A framework version ready for the engine (built once from its stored JSON)."""

    id: str
    version: int
    name: str
    kind: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    cycle: dict[str, Any]
    dates: list[dict[str, Any]]
    requirements: list[dict[str, Any]]
    reminders: list[dict[str, Any]]
    cpd_kinds: frozenset[str]
    activity_type_of: dict[str, str]
    activity_type_titles: dict[str, str]
    applies_to: dict[str, Any] | None
    windows_by_profession: dict[str, str] = field(default_factory=dict)

    def in_force_on(self, day: dt.date) -> bool:
        """Whether this version applies on a day."""
        return (self.effective_from is None or self.effective_from <= day) and (
            self.effective_to is None or day <= self.effective_to
        )


def compile_framework(summary: dict[str, Any]) -> Framework:
    """Build the engine's view of a stored framework version (its validated JSON summary)."""
    cycle = summary.get("cycle") or {"type": "none"}
    by_profession: dict[str, str] = {}
    for key, window in (cycle.get("windows") or {}).items():
        for name in [key, *window.get("names", [])]:
            by_profession[normalise_profession(name)] = key
    types = summary.get("activity_types") or {}
    return Framework(
        id=summary["id"],
        version=summary["version"],
        name=summary["name"],
        kind=summary.get("kind", "registration"),
        effective_from=_parse_date(summary.get("effective_from")),
        effective_to=_parse_date(summary.get("effective_to")),
        cycle=cycle,
        dates=summary.get("dates") or [],
        requirements=summary.get("requirements") or [],
        reminders=summary.get("reminders") or [],
        cpd_kinds=frozenset((summary.get("entry_kinds") or {}).get("cpd") or ()),
        activity_type_of={kind: type_id for type_id, t in types.items() for kind in t["kinds"]},
        activity_type_titles={type_id: t["title"] for type_id, t in types.items()},
        applies_to=summary.get("applies_to"),
        windows_by_profession=by_profession,
    )


def version_for(versions: list[Framework], day: dt.date) -> Framework:
    """The version in force on a day; before the first one, the first; after the last, the last."""
    ordered = sorted(versions, key=lambda f: f.version)
    in_force = [f for f in ordered if f.in_force_on(day)]
    if in_force:
        return in_force[-1]
    started = [f for f in ordered if f.effective_from is None or f.effective_from <= day]
    return started[-1] if started else ordered[0]


# --- cycles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cycle:
    """One registration period: which, and its first and last day."""

    which: str
    starts_on: dt.date
    ends_on: dt.date
    nominal_start: dt.date  # the cycle's start before clipping to the registration date


class NoCycle(Exception):
    """The cycle cannot be worked out; the message says what is missing."""


def _ends_for_window(framework: Framework, registration: Any) -> tuple[list[int], dict[str, Any]] | None:
    key = framework.windows_by_profession.get(_norm(getattr(registration, "profession", None)))
    if key is None:
        return None
    window = framework.cycle["windows"][key]
    return window["deadline"], window


def _norm(text: str | None) -> str:
    return normalise_profession(text or "")


def cycle_ends(framework: Framework, registration: Any, today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """The end of the previous-but-one, previous and current cycles (the current one contains today)."""
    cycle = framework.cycle
    kind = cycle["type"]
    length = cycle.get("length_months") or 12
    if kind == "fixed_year":
        start = yearly(today.year, cycle["starts"])
        if start > today:
            start = yearly(today.year - 1, cycle["starts"])
        end = yearly(start.year + 1, cycle["starts"]) - dt.timedelta(days=1)
        return (
            yearly(start.year - 1, cycle["starts"]) - dt.timedelta(days=1),
            start - dt.timedelta(days=1),
            end,
        )
    if kind == "renewal_window":
        found = _ends_for_window(framework, registration)
        if found is not None:
            deadline, window = found
            step = length // 12 or 1
            parity = 0 if window["deadline_years"] == "even" else 1
            year = today.year - 1
            while year % 2 != parity or yearly(year, deadline) < today:
                year += 1
            return (yearly(year - 2 * step, deadline), yearly(year - step, deadline), yearly(year, deadline))
        if not (cycle.get("use_renewal_date", True) and registration.renewal_date):
            raise NoCycle(
                f"No renewal window is known for the profession “{registration.profession}”: "
                "add the registration's renewal date."
            )
    elif kind == "renewal_date" and not registration.renewal_date:
        raise NoCycle("Add the registration's renewal date to see progress in this cycle.")
    elif kind not in {"renewal_window", "renewal_date"}:
        raise NoCycle("This framework has no registration cycle.")
    anchor = registration.renewal_date
    months = (today.year - anchor.year) * 12 + today.month - anchor.month
    k = months // length - 1
    while shift_months(anchor, k * length) < today:
        k += 1
    return tuple(shift_months(anchor, (k - n) * length) for n in (2, 1, 0))  # type: ignore[return-value]


def cycles_for(framework: Framework, registration: Any, today: dt.date) -> list[Cycle]:
    """The current and previous cycles, clipped to when the registration started."""
    before, previous_end, current_end = cycle_ends(framework, registration, today)
    since = getattr(registration, "registered_since", None)
    out = []
    for which, start, end in (
        ("current", previous_end + dt.timedelta(days=1), current_end),
        ("previous", before + dt.timedelta(days=1), previous_end),
    ):
        if since and since > end:
            continue
        out.append(Cycle(which, max(start, since) if since else start, end, start))
    return out


def cycle_dates(framework: Framework, cycle: Cycle, registration: Any) -> dict[str, tuple[str, dt.date]]:
    """The dates that matter in a cycle, by id: (label, date)."""
    known: dict[str, dt.date] = {"starts_on": cycle.nominal_start, "ends_on": cycle.ends_on}
    out: dict[str, tuple[str, dt.date]] = {}
    if framework.cycle.get("type") == "renewal_window":
        found = _ends_for_window(framework, registration)
        if found is None:  # no known window: HCPC windows last about three months
            opens = shift_months(cycle.ends_on, -3) + dt.timedelta(days=1)
        else:
            opens = yearly(cycle.ends_on.year, found[1]["opens"])
            if opens > cycle.ends_on:
                opens = yearly(cycle.ends_on.year - 1, found[1]["opens"])
        known["window_opens"] = opens
        out["window_opens"] = ("Renewal window opens", opens)
    for rule in framework.dates:
        day = shift_months(known[rule["from"]], rule["months"]) + dt.timedelta(days=rule["days"])
        if rule.get("snap") == "month_start":
            day = day.replace(day=1)
        elif rule.get("snap") == "month_end":
            day = day.replace(day=days_in_month(day.year, day.month))
        known[rule["id"]] = day
        out[rule["id"]] = (rule["label"], day)
    return out


# --- counting --------------------------------------------------------------------------------


def counts(entry: Any) -> bool:
    """Whether an entry counts at all: not deleted, not a draft."""
    return not entry.is_deleted and entry.status not in NOT_COUNTED


def activity_day(entry: Any) -> dt.date:
    """An activity's last day (its start date when it has no end date)."""
    return entry_days(entry)[1]


def entry_days(entry: Any) -> tuple[dt.date, dt.date]:
    """An activity's first and last day: the one definition of an entry's dates (an end date before
    the start reads as a one-day activity)."""
    start, end = entry.start_date, entry.end_date
    return (start, end) if end and end > start else (start, start)


def in_period(entry: Any, first: dt.date, last: dt.date) -> bool:
    """Whether any day of the activity falls in first..last (inclusive): in a cycle, in a document's
    period, in a rule's window."""
    start, end = entry_days(entry)
    return start <= last and end >= first


def has_peer_reflection(entry: Any) -> bool:
    """Whether a record includes a peer reflection: its flag, or a record of the kind "peer
    reflection" (a discussion with a peer is the activity itself; docs/regulators.md 2.2)."""
    return bool(entry.includes_peer_reflection) or entry.kind == "peer_reflection"


def is_signed(entry: Any, role: str | None = None) -> bool:
    """Whether an approved sign-off (by `role`, if given) still stands on the entry."""
    roles = getattr(entry, "signed_roles", None)
    if roles is None:
        return entry.status == "signed_off"
    return role in roles if role else bool(roles)


def entry_id(entry: Any) -> str | None:
    """The entry's id as text (None for test doubles without one)."""
    value = getattr(entry, "id", None)
    return value if value is None or value.__class__ is str else str(value)


def order_key(entry: Any) -> tuple[dt.date, str]:
    """The one order of entries on every side (the phone holds its entries in its own order): by
    start date, then id."""
    return entry.start_date, entry_id(entry) or ""


def in_order(entries: Iterable[Any]) -> list[Any]:
    """Entries in order_key's order."""
    return sorted(entries, key=order_key)


def _fmt(number: Decimal | float | int) -> str:
    value = Decimal(str(number)).normalize()
    return f"{value:f}"


def _plural(n: Decimal | int, one: str, many: str) -> str:
    return one if n == 1 else many


def _why_not(rule: dict[str, Any], entry: Any, ctx: Context) -> str:
    """Why an entry of the rule's kind does not count for it ("" when it does)."""
    if (rule.get("signed_off_only") or rule.get("signed_by")) and not is_signed(entry, rule.get("signed_by")):
        return "not_signed"
    if rule.get("impact_described") and not getattr(entry, "has_impact", False):
        return "no_impact"
    if rule.get("after_rule") and (
        (after := ctx.after.get(rule["after_rule"])) is None or entry.start_date < after
    ):
        return "before_accounts"
    return ""


def _select(rule: dict[str, Any], ctx: Context) -> tuple[list[Any], list[dict[str, Any]]]:
    """The entries that count for a rule, and those of its kind that do not with the reason."""
    chosen, refused = [], []
    # Which entries the rule reads (of its kinds, participatory or not, with a peer reflection or not,
    # on or after its window's start), with the rule's settings read once, not once per entry.
    kinds = rule.get("kinds")
    if kinds is None:
        kinds = ctx.framework.cpd_kinds
    participatory, peer, since = rule.get("participatory"), rule.get("peer_reflection"), ctx.since
    may_refuse = any(rule.get(k) for k in ("signed_off_only", "signed_by", "impact_described", "after_rule"))
    for e in ctx.entries:
        if (
            e.kind not in kinds
            or (participatory is not None and bool(e.is_participatory) != participatory)
            or (peer is not None and has_peer_reflection(e) != peer)
            or (since is not None and activity_day(e) < since)
        ):
            continue
        reason = _why_not(rule, e, ctx) if may_refuse else ""
        if reason:
            refused.append({"id": entry_id(e), "reason": reason})
        else:
            chosen.append(e)
    if rule.get("distinct_records"):
        seen: dict[tuple[str, str, dt.date], Any] = {}
        for e in chosen:
            key = (e.kind, e.title.strip().lower(), activity_day(e))
            if key in seen:
                refused.append({"id": entry_id(e), "reason": "identical", "same_as": entry_id(seen[key])})
            else:
                seen[key] = e
        chosen = list(seen.values())
    return chosen, refused


def _ids(entries: list[Any]) -> list[str | None]:
    return [entry_id(e) for e in entries]


def _status(value: Decimal, target: Decimal, ctx: Context) -> str:
    cycle, framework, today, since = ctx.cycle, ctx.framework, ctx.today, ctx.since
    if value >= target:
        return MET
    if today > cycle.ends_on:
        return NOT_MET
    start = since or cycle.starts_on
    if today < start:
        return ON_TRACK
    days_left = (cycle.ends_on - today).days
    if days_left < framework.cycle.get("at_risk_days", 90):
        return AT_RISK
    # Behind a steady pace by more than `pace` of the cycle (a quarter by default): at risk.
    elapsed = Decimal((today - start).days + 1) / Decimal((cycle.ends_on - start).days + 1)
    pace = Decimal(str(framework.cycle.get("pace", 0.25)))
    return AT_RISK if value < target * (elapsed - pace) else ON_TRACK


@dataclass(frozen=True)
class Context:
    """What every measure needs: the framework, the cycle, its counted entries, today, the registration."""

    framework: Framework
    cycle: Cycle
    entries: list[Any]
    today: dt.date
    registration: Any
    since: dt.date | None = None  # a rule's window start, if it has one
    explained: tuple[Explained, ...] = ()  # the practitioner's explained breaks (gap rule only)
    # By rule id, the day a count rule reached its target (its target-th counted entry's start date):
    # a rule with after_rule counts only entries held on or after that rule's day.
    after: dict[str, dt.date] = field(default_factory=dict)


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclass
class RuleResult:
    """How one requirement stands."""

    id: str
    title: str
    status: str
    value: float
    target: float
    unit: str
    missing: str
    advisory: bool = False
    unconfirmed: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON."""
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "value": self.value,
            "target": self.target,
            "unit": self.unit,
            "missing": self.missing,
            "advisory": self.advisory,
            "unconfirmed": self.unconfirmed,
            **self.detail,
        }


def _result(
    rule: dict[str, Any],
    status: str,
    value: Decimal | float,
    target: Decimal | float,
    *,
    unit: str,
    missing: str,
    detail: dict[str, Any] | None = None,
    counted: list[str | None] | None = None,
    refused: list[dict[str, Any]] | None = None,
) -> RuleResult:
    """A rule's result, carrying the rule's own id, title and flags, and which entries count."""
    detail = {**(detail or {}), "counted": counted or [], "not_counted": refused or []}
    return RuleResult(
        rule["id"],
        rule["title"],
        status,
        float(value),
        float(target),
        unit,
        missing,
        rule.get("advisory", False),
        rule.get("unconfirmed", False),
        detail,
    )


def _window_note(since: dt.date | None, cycle: Cycle) -> str:
    return f" between {_day(since)} and {_day(cycle.ends_on)}" if since else ""


def _measure_sum(rule: dict[str, Any], ctx: Context) -> RuleResult:
    cycle, today, since = ctx.cycle, ctx.today, ctx.since
    registration = ctx.registration
    matching, refused = _select(rule, ctx)
    if rule["measure"] == "hours":
        value = sum((Decimal(e.hours) for e in matching), ZERO)
        unit = rule.get("unit") or "hours"
    else:
        value = Decimal(len(matching))
        unit = rule.get("unit") or "records"
    target = Decimal(str(rule["target"]))
    if (
        registration is not None
        and registration.is_dual_registration
        and rule.get("dual_registration_target")
    ):
        target = Decimal(str(rule["dual_registration_target"]))
    status = _status(value, target, ctx)
    remaining = max(target - value, ZERO)
    describe = rule.get("describe") or unit
    missing = "" if status == MET else f"{_fmt(remaining)} more {describe}{_window_note(since, cycle)}"
    if status != MET and since and today < since:
        missing += f" (not due before {_day(since)})"
    return _result(
        rule,
        status,
        float(value),
        float(target),
        unit=unit,
        missing=missing,
        counted=_ids(matching),
        refused=refused,
    )


def _measure_types(rule: dict[str, Any], ctx: Context) -> RuleResult:
    framework = ctx.framework
    chosen, refused = _select(rule, ctx)
    typed = [e for e in chosen if e.kind in framework.activity_type_of]
    seen = {framework.activity_type_of[e.kind] for e in typed}
    value, target = Decimal(len(seen)), Decimal(str(rule["target"]))
    status = _status(value, target, ctx)
    titles = sorted(framework.activity_type_titles[t] for t in seen)
    missing = ""
    if status != MET:
        more = target - value
        so_far = f" (so far: {', '.join(titles)})" if titles else ""
        missing = f"CPD of {_fmt(more)} more {_plural(more, 'type', 'types')} of activity{so_far}"
    return _result(
        rule,
        status,
        float(value),
        float(target),
        unit=rule.get("unit") or "types",
        missing=missing,
        detail={"types": sorted(seen)},
        counted=_ids(typed),
        refused=refused,
    )


def find_gaps(days: list[tuple[dt.date, dt.date]], start: dt.date, last: dt.date, months: int):
    """Runs of days from start to last (inclusive) with no activity that last `months` months or more."""
    gaps = []
    cursor = start  # first day not yet known to be covered
    for first, final in sorted(days):
        if final < cursor:
            continue
        if first > cursor:
            gap_end = min(first - dt.timedelta(days=1), last)
            if gap_end >= cursor and add_months_clamped(cursor, months) <= gap_end + dt.timedelta(days=1):
                gaps.append((cursor, gap_end))
        cursor = max(cursor, final + dt.timedelta(days=1))
        if cursor > last:
            break
    if cursor <= last and add_months_clamped(cursor, months) <= last + dt.timedelta(days=1):
        gaps.append((cursor, last))
    return gaps


# --- explained gaps (a practitioner's explanation of a break: entries/gaps.py) ---------------


class Explained(NamedTuple):
    """Days a practitioner explained (illness, parental leave…): first and last day, and its id."""

    starts_on: dt.date
    ends_on: dt.date
    id: str


def explained_by(gap: tuple[dt.date, dt.date], explained: tuple[Explained, ...]) -> tuple[bool, list[str]]:
    """Whether explanations cover every day of a gap, and the ids of those that touch it."""
    touching = sorted(
        (x for x in explained if x.starts_on <= gap[1] and x.ends_on >= gap[0]), key=lambda x: x.starts_on
    )
    cursor = gap[0]
    for x in touching:
        if x.starts_on > cursor:
            break
        cursor = max(cursor, x.ends_on + dt.timedelta(days=1))
    return cursor > gap[1], [x.id for x in touching]


def _measure_gaps(rule: dict[str, Any], ctx: Context) -> RuleResult:
    framework, cycle, entries, today = ctx.framework, ctx.cycle, ctx.entries, ctx.today
    last = min(today, cycle.ends_on)
    chosen, refused = _select(rule, Context(framework, cycle, entries, today, ctx.registration))
    chosen = [e for e in chosen if e.start_date <= cycle.ends_on]
    days = [entry_days(e) for e in chosen]  # every day of an activity covers, into the next cycle too
    gaps = find_gaps(days, cycle.starts_on, last, rule["min_months"]) if last >= cycle.starts_on else []
    # An explained gap (every day of it covered by the practitioner's explanations) is not at risk.
    why = [explained_by(gap, ctx.explained) for gap in gaps]
    open_gaps = [gap for gap, (done, _) in zip(gaps, why, strict=True) if not done]
    status = MET if not open_gaps else AT_RISK
    missing = "; ".join(f"explain the gap with no CPD from {_day(a)} to {_day(b)}" for a, b in open_gaps)
    return _result(
        rule,
        status,
        float(len(open_gaps)),
        0.0,
        unit=rule.get("unit") or "gaps",
        missing=missing[:1].upper() + missing[1:],
        detail={
            "gaps": [
                {"from": a.isoformat(), "to": b.isoformat(), "explained": done, "explanation_ids": ids}
                for (a, b), (done, ids) in zip(gaps, why, strict=True)
            ]
        },
        counted=_ids(chosen),
        refused=refused,
    )


def _periods(start: dt.date, end: dt.date, period: str) -> list[tuple[dt.date, dt.date]]:
    out = []
    cursor, n = start, 0
    while cursor <= end:
        n += 1
        if period == "month":
            nxt = add_months_clamped(start, n)
        else:
            nxt = start + dt.timedelta(days=7 * n if period == "week" else 14 * n)
        out.append((cursor, nxt - dt.timedelta(days=1)))
        cursor = nxt
    return out


def _measure_periods(rule: dict[str, Any], ctx: Context) -> RuleResult:
    framework, cycle, entries, today = ctx.framework, ctx.cycle, ctx.entries, ctx.today
    registration = ctx.registration
    period = rule["period"]
    nq = rule.get("newly_qualified")
    since = getattr(registration, "registered_since", None) if registration is not None else None
    if nq and since and shift_months(since, nq["within_months"]) > min(today, cycle.ends_on):
        period = nq["period"]
    minimum = rule.get("min_minutes")
    chosen, refused = _select(rule, Context(framework, cycle, entries, today, registration))
    chosen = [e for e in chosen if minimum is None or _minutes(e) >= minimum]
    sessions = [activity_day(e) for e in chosen]
    done = [p for p in _periods(cycle.starts_on, cycle.ends_on, period) if p[1] <= min(today, cycle.ends_on)]
    met_periods = [p for p in done if any(p[0] <= d <= p[1] for d in sessions)]
    missed = [p for p in done if p not in met_periods]
    value, target = len(met_periods), len(done)
    status = MET if not missed else (NOT_MET if today > cycle.ends_on else AT_RISK)
    length = f" of at least {minimum} minutes" if minimum else ""
    missing = ""
    if missed:
        listed = ", ".join(f"{_day(a)} to {_day(b)}" for a, b in missed[:6])
        missing = f"No session{length} recorded in {len(missed)} {PERIOD_NAMES[period]}(s): {listed}"
        missing += "…" if len(missed) > 6 else ""
    return _result(
        rule,
        status,
        float(value),
        float(target),
        unit=rule.get("unit") or f"{period}s",
        missing=missing,
        detail={
            "period": period,
            "missed": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in missed],
        },
        counted=_ids(chosen),
        refused=refused,
    )


def _minutes(entry: Any) -> Decimal:
    details = entry.details or {}
    if details.get("duration_minutes"):
        return Decimal(details["duration_minutes"])
    return Decimal(entry.hours) * 60


def _measure_standards(rule: dict[str, Any], ctx: Context) -> RuleResult:
    framework = ctx.framework
    wanted = list(rule["codes"])
    # A standard is covered by its own code or, with_subpoints, by any of its sub-points.
    covers = {code: code for code in wanted}
    for code, subs in (rule.get("subpoints") or {}).items():
        for sub in subs:
            covers.setdefault(sub, code)
    chosen, refused = _select(rule, Context(framework, ctx.cycle, ctx.entries, ctx.today, ctx.registration))
    covering, covered = [], set()
    for e in chosen:
        codes = {
            covers[tag["code"]]
            for tag in (e.standards or [])
            if tag.get("framework") == framework.id and tag.get("code") in covers
        }
        if codes:
            covering.append(e)
            covered |= codes
    have = [c for c in wanted if c in covered]
    value, target = Decimal(len(have)), Decimal(len(wanted))
    status = _status(value, target, ctx)
    left = [c for c in wanted if c not in covered]
    missing = f"Not yet covered: {', '.join(left)}" if left else ""
    return _result(
        rule,
        status,
        float(value),
        float(target),
        unit=rule.get("unit") or "standards",
        missing=missing,
        detail={"covered": have},
        counted=_ids(covering),
        refused=refused,
    )


def evaluate_rule(rule: dict[str, Any], ctx: Context, dates: dict[str, tuple[str, dt.date]]) -> RuleResult:
    """One requirement measured over the counted entries of one cycle."""
    since = dates[rule["from_date"]][1] if rule.get("from_date") else None
    ctx = Context(
        ctx.framework, ctx.cycle, ctx.entries, ctx.today, ctx.registration, since, ctx.explained, ctx.after
    )
    measure = rule["measure"]
    if measure in {"count", "hours"}:
        return _measure_sum(rule, ctx)
    if measure == "distinct_activity_types":
        return _measure_types(rule, ctx)
    if measure == "gaps":
        return _measure_gaps(rule, ctx)
    if measure == "per_period":
        return _measure_periods(rule, ctx)
    return _measure_standards(rule, ctx)


def numbers(framework: Framework, entries: list[Any]) -> dict[str, Any]:
    """The figures behind the rules, for one cycle's counted entries."""
    cpd = [e for e in entries if e.kind in framework.cpd_kinds]
    by_kind = Counter(e.kind for e in entries)
    types = sorted({framework.activity_type_of[e.kind] for e in cpd if e.kind in framework.activity_type_of})
    return {
        "records": len(cpd),
        "hours": float(sum((Decimal(e.hours) for e in cpd), ZERO)),
        "participatory_hours": float(sum((Decimal(e.hours) for e in cpd if e.is_participatory), ZERO)),
        "practice_hours": float(sum((Decimal(e.hours) for e in entries if e.kind == "practice_hours"), ZERO)),
        "peer_reflections": sum(1 for e in cpd if has_peer_reflection(e)),
        "signed_off": sum(1 for e in entries if is_signed(e)),
        "by_kind": {kind: by_kind[kind] for kind in KIND_LABELS if by_kind[kind]},
        "distinct_activity_types": len(types),
        "activity_types": types,
    }


def _reached_on(result: RuleResult, rule: dict[str, Any], ctx: Context) -> dt.date | None:
    """The day a count rule reached its target: the start date of its target-th counted entry in date
    order (None if it has not)."""
    if rule["measure"] != "count" or result.value < result.target or result.target < 1:
        return None
    chosen, _ = _select(rule, ctx)
    days = sorted(e.start_date for e in chosen)
    return days[int(result.target) - 1]


def _after_rule(
    rule: dict[str, Any], result: RuleResult, ctx: Context, dates: dict[str, tuple[str, dt.date]]
) -> RuleResult:
    """A rule held after another (after_rule) is measured once that one's day is known."""
    if not rule.get("after_rule"):
        return result
    return evaluate_rule(rule, ctx, dates)


def overall_status(rules: list[RuleResult], is_over: bool) -> str:
    """The worst binding rule; with only advisory rules, the worst of those but never "not met"."""
    binding = [r.status for r in rules if not r.advisory]
    if binding:
        return max(binding, key=SEVERITY.__getitem__)
    if rules:
        return min(
            max((r.status for r in rules), key=SEVERITY.__getitem__), AT_RISK, key=SEVERITY.__getitem__
        )
    return MET if is_over else ON_TRACK


def evaluate_cycle(
    framework: Framework,
    cycle: Cycle,
    entries: list[Any],
    today: dt.date,
    registration: Any = None,
    *,
    explained: tuple[Explained, ...] = (),
    ordered: bool = False,
) -> dict[str, Any]:
    """Every rule, the numbers, and the dates that matter, for one cycle (`ordered`: the caller has
    put the entries in_order already, as progress() does once for all its cycles)."""
    in_cycle, left_out = [], []
    first, last = cycle.starts_on, cycle.ends_on
    for e in entries if ordered else in_order(entries):
        if e.is_deleted or e.status in NOT_COUNTED:
            left_out.append({"id": entry_id(e), "reason": "deleted" if e.is_deleted else e.status})
            continue
        start, end = e.start_date, e.end_date  # in_period, inlined: this loop sees every entry of every cycle
        if start <= last and (end if end and end > start else start) >= first:
            in_cycle.append(e)
        else:
            left_out.append({"id": entry_id(e), "reason": "outside_cycle"})
    dates = cycle_dates(framework, cycle, registration)
    ctx = Context(framework, cycle, in_cycle, today, registration, explained=explained)
    rules = []
    for r in framework.requirements:
        result = evaluate_rule(r, ctx, dates)
        rules.append(result)
        reached = _reached_on(result, r, ctx)
        if reached is not None:
            ctx.after[r["id"]] = reached
    rules = [
        _after_rule(rule, result, ctx, dates)
        for rule, result in zip(framework.requirements, rules, strict=True)
    ]
    status = overall_status(rules, today > cycle.ends_on)
    gaps: list[Any] = next((r.detail["gaps"] for r in rules if "gaps" in r.detail), [])
    figures = numbers(framework, in_cycle)
    figures["gaps"] = gaps
    return {
        "which": cycle.which,
        "starts_on": cycle.starts_on.isoformat(),
        "ends_on": cycle.ends_on.isoformat(),
        "framework": {"id": framework.id, "version": framework.version, "name": framework.name},
        "status": status,
        "rules": [r.as_dict() for r in rules],
        "numbers": figures,
        "not_counted": left_out,
        "dates": [
            {"id": key, "label": label, "date": day.isoformat()}
            for key, (label, day) in sorted(dates.items(), key=lambda item: item[1][1])
        ]
        + [{"id": "ends_on", "label": "Cycle ends", "date": cycle.ends_on.isoformat()}],
        "reminders": [
            {
                "id": r["id"],
                "title": r["title"],
                "date": (dates.get(r["date"]) or ("", cycle.ends_on))[1].isoformat(),
            }
            for r in framework.reminders
        ],
    }


def registration_progress(
    registration: Any,
    versions: list[Framework],
    entries: list[Any],
    today: dt.date,
    explained: tuple[Explained, ...] = (),
    *,
    ordered: bool = False,
) -> dict[str, Any]:
    """Current and previous cycle of one registration, each under the version in force for it."""
    if not versions:
        return {"framework": None, "cycles": [], "note": "No framework is linked to this registration."}
    current = version_for(versions, today)
    try:
        cycles = cycles_for(current, registration, today)
    except NoCycle as err:
        return {"framework": _ref(current), "cycles": [], "note": str(err)}
    out = []
    for cycle in cycles:
        framework = version_for(versions, cycle.nominal_start)
        evaluation = evaluate_cycle(
            framework, cycle, entries, today, registration, explained=explained, ordered=ordered
        )
        out.append(evaluation)
    return {"framework": _ref(current), "cycles": out, "note": ""}


def policy_progress(
    versions: list[Framework],
    entries: list[Any],
    today: dt.date,
    registration: Any = None,
    *,
    ordered: bool = False,
) -> dict[str, Any]:
    """A supervision policy's current and previous cycle (cycles come from the policy itself)."""
    current = version_for(versions, today)
    cycles = cycles_for(current, _NoRegistration(), today)
    out = [
        evaluate_cycle(
            version_for(versions, c.nominal_start), c, entries, today, registration, ordered=ordered
        )
        for c in cycles
    ]
    return {"framework": _ref(current), "cycles": out, "note": ""}


@dataclass(frozen=True)
class _NoRegistration:
    regulator: str = ""
    profession: str = ""
    registered_since: dt.date | None = None
    renewal_date: dt.date | None = None
    is_dual_registration: bool = False


def _ref(framework: Framework) -> dict[str, Any]:
    return {"id": framework.id, "version": framework.version, "name": framework.name}


def policy_applies(framework: Framework, *, regulators: set[str], service_areas: set[str]) -> bool:
    """Whether a supervision policy applies to someone with these registrations and service areas."""
    applies = framework.applies_to or {}
    return bool(set(applies.get("regulators") or ()) & regulators) or bool(
        set(applies.get("service_areas") or ()) & service_areas
    )


def progress(
    *,
    registrations: list[Any],
    entries: list[Any],
    frameworks: dict[str, list[Framework]],
    today: dt.date,
    service_areas: set[str] | frozenset[str] = frozenset(),
    explained: Iterable[tuple[dt.date, dt.date, str]] = (),
) -> dict[str, Any]:
    """Where one person stands: each registration's cycles, and each supervision policy that applies
    (`explained`: the breaks the person explained, which the gap rule does not count as at risk)."""
    # Every cycle says which do not count and why (drafts, deleted, outside it), in one order: sorted
    # once here rather than once per cycle.
    counted = in_order(entries)
    marks = tuple(Explained(*x) for x in explained)
    regs = []
    for reg in registrations:
        versions = frameworks.get(reg.framework_id or "", [])
        regs.append((reg, registration_progress(reg, versions, counted, today, marks, ordered=True)))
    regulators = {r.regulator for r in registrations}
    policies = []
    for versions in frameworks.values():
        current = version_for(versions, today)
        if current.kind == "supervision_policy" and policy_applies(
            current, regulators=regulators, service_areas=set(service_areas)
        ):
            reg = next(
                (r for r in registrations if r.regulator in (current.applies_to or {}).get("regulators", [])),
                None,
            )
            policies.append(policy_progress(versions, counted, today, reg, ordered=True))
    return {"registrations": regs, "policies": policies}
