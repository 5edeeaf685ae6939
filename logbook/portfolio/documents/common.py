"""What the regulator documents share: the framework a document reads its rules from, the period and
registration checks, the requirement check row, and the start every document makes from the generic
context (service.portfolio_context: every entry, its sign-offs and verification codes)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import lru_cache
from typing import Any

from logbook.accounts.models import Registration, User
from logbook.entries.models import Entry
from logbook.errors import ValidationFailed
from logbook.frameworks.definition import parse_definition, summary_of
from logbook.frameworks.engine import compile_framework
from logbook.frameworks.service import shipped_definitions, visible_versions
from logbook.portfolio.service import (
    DocumentRequest,
    date_span,
    entries_in_period,
    hours_text,
    portfolio_context,
)
from logbook.progress import period_evaluation
from logbook.supervision import signcore

HOURS = ("hour", "hours")


@lru_cache(maxsize=1)
def _shipped() -> dict[str, dict[str, Any]]:
    latest: dict[str, Any] = {}
    for definition in shipped_definitions():
        if (
            definition.framework_id not in latest
            or definition.version > latest[definition.framework_id].version
        ):
            latest[definition.framework_id] = definition
    return {k: d.data for k, d in latest.items()}


@lru_cache(maxsize=1)
def _shipped_summaries() -> list[dict[str, Any]]:
    return [json.loads(json.dumps(summary_of(d), default=str)) for d in shipped_definitions()]


@lru_cache(maxsize=32)
def _parsed(text: str, name: str) -> dict[str, Any]:
    return parse_definition(text, filename=name).data


def framework_data(organisation_id: Any, framework_id: str) -> dict[str, Any]:
    """The newest version of a framework this organisation sees (its own copy first), parsed and
    checked as the engine reads it;
    the shipped file when the database holds none (a fresh install before `logbook init-db`)."""
    rows = [r for r in visible_versions(organisation_id=organisation_id) if r.framework_id == framework_id]
    if rows:
        newest = max(rows, key=lambda r: r.version)
        return _parsed(newest.source_text, newest.source_name)
    return _shipped()[framework_id]


def registration_for(owner: User, regulator: str) -> Registration | None:
    """The owner's registration with this regulator (upper-case name), if any."""
    return next((r for r in owner.registrations if r.regulator.upper() == regulator), None)


def no_registration(name: str, regulator: str) -> ValidationFailed:
    """The refusal of a document whose regulator the owner is not registered with."""
    return ValidationFailed(
        f"The {name} cannot be made yet.",
        fields={"format": [f"you have no {regulator} registration; add it to your profile first"]},
    )


def last_on_or_before(day: dt.date, month: int, dom: int) -> dt.date:
    """The latest yearly date (month, dom) on or before day: the start of the year that contains it."""
    this_year = dt.date(day.year, month, min(dom, 28 if month == 2 else dom))
    return this_year if this_year <= day else this_year.replace(year=day.year - 1)


def details_by_id(rows: list[Entry]) -> dict[str, dict[str, Any]]:
    """Each entry's kind-specific details, by the entry's id as text."""
    return {str(r.id): dict(r.details or {}) for r in rows}


def dates(entry: dict[str, Any]) -> str:
    """An entry's day, or its first and last day (date_span)."""
    return date_span(
        dt.date.fromisoformat(entry["start_date"]),
        dt.date.fromisoformat(entry["end_date"]) if entry["end_date"] else None,
    )


# --- the engine's evaluation, as documents state it ---------------------------------------------


def evaluation(request: DocumentRequest, framework_id: str) -> dict[str, Any]:
    """The requirement engine's evaluation of the framework over the document's period, as on the
    day it is made, with the sign-offs that still stand (the same answer Home and the progress API
    give for these dates). Every figure and verdict a document states comes from here; documents
    count nothing themselves."""
    date_from, date_to = request.period
    found = period_evaluation(
        owner=request.owner,
        framework_id=framework_id,
        date_from=date_from,
        date_to=date_to,
        today=request.now.date(),
        signatures=signcore.signatures(ring=request.ring),
        versions=[compile_framework(s) for s in _shipped_summaries() if s["id"] == framework_id],
    )
    if found is None:
        raise ValidationFailed(
            "This document cannot be made.",
            fields={"format": [f"the framework “{framework_id}” is not available"]},
        )
    return found


def rule_of(evaluated: dict[str, Any], rule_id: str) -> dict[str, Any] | None:
    """One rule's result in an evaluation."""
    return next((r for r in evaluated["rules"] if r["id"] == rule_id), None)


def figure(value: float) -> Decimal:
    """A rule's value or target as documents print it (hours_text reads a Decimal)."""
    return Decimal(str(value))


def rule_checks(evaluated: dict[str, Any]) -> list[dict[str, Any]]:
    """A requirement check row for each binding rule of the evaluation (advisory rules are advice)."""
    out = []
    for r in evaluated["rules"]:
        if r["advisory"] or r["unit"] == "gaps":
            continue
        unit = (r["unit"][:-1], r["unit"]) if r["unit"].endswith("s") else (r["unit"], r["unit"])
        row = check(r["title"], figure(r["value"]), figure(r["target"]), unit)
        out.append(row | {"id": r["id"], "met": r["status"] == "met"})
    return out


def rule_line(r: dict[str, Any]) -> str:
    """One rule as a document states it: its title, the figures, and what is still needed."""
    need = r["missing"] or "not met"
    if r["unit"] == "gaps" or "period" in r:
        return f"{r['title']}: {need}."
    have, target = hours_text(figure(r["value"])), hours_text(figure(r["target"]))
    return f"{r['title']}: {have} of {target} {r['unit']}. {need[:1].upper()}{need[1:]}."


def still_missing(evaluated: dict[str, Any]) -> list[str]:
    """What is still missing: one line per binding rule the evaluation does not find met (the number a
    document's "Still missing (n)" states, equal to the rules Home shows as not met)."""
    return [rule_line(r) for r in evaluated["rules"] if not r["advisory"] and r["status"] != "met"]


def advice(evaluated: dict[str, Any]) -> list[str]:
    """Good practice not yet followed: one line per advisory rule not met."""
    return [rule_line(r) for r in evaluated["rules"] if r["advisory"] and r["status"] != "met"]


def check(label: str, have: Decimal | int, target: Decimal | int, unit: tuple[str, str]) -> dict[str, Any]:
    """One requirement: what is recorded against what is needed; unit is (one, many)."""
    return {
        "label": label,
        "have": hours_text(have) if isinstance(have, Decimal) else str(have),
        "target": hours_text(target) if isinstance(target, Decimal) else str(target),
        "unit": unit[0] if have == 1 else unit[1],
        "target_unit": unit[0] if target == 1 else unit[1],
        "met": have >= target,
    }


def valid_current(sign_off: dict[str, Any]) -> bool:
    """A sign-off that verifies and still covers the entry's current text."""
    return sign_off["is_valid"] and sign_off["is_current_text"]


def start(request: DocumentRequest) -> tuple[list[Entry], dict[str, Any]]:
    """The period's entry rows and their generic context, which a document adds its sections to."""
    date_from, date_to = request.period
    rows = entries_in_period(request.owner, date_from, date_to)
    return rows, portfolio_context(request, rows)
