"""Cycles over time: every registration cycle of a registration with its verdict (the "previous
cycles" view), and how long a cycle that has just ended stays beside the current one on Home.

Pure, like the engine it builds on (frameworks/engine.py): registrations and entries are read by
attribute. The phone keeps a copy of ENDED_SHOWN_DAYS (static/app/views/cycles.js), held equal by
tests/js/test_pwa_parity.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from logbook.frameworks import engine

# A cycle that has just ended is shown beside the current one for this many days after its last
# day: the quarter in which the regulator renews the registration, calls CPD for audit or asks
# for more (SWE decides renewals after 30 November; HCPC sends audit notices in the renewal window
# and assesses profiles within about 12 weeks). docs/frameworks.md, "Cycles over time".
ENDED_SHOWN_DAYS = 91
MAX_CYCLES = 12  # the history goes back at most this many cycles


def recently_ended(ends_on: dt.date, today: dt.date) -> bool:
    """Whether a cycle that ended on `ends_on` is still shown beside the current one on `today`."""
    return ends_on < today <= ends_on + dt.timedelta(days=ENDED_SHOWN_DAYS)


def cycle_history(
    registration: Any,
    versions: list[engine.Framework],
    entries: list[Any],
    today: dt.date,
    explained: Iterable[tuple[dt.date, dt.date, str]] = (),
) -> dict[str, Any]:
    """Every cycle of one registration, newest first, each evaluated under the framework version in
    force when it started: the current one, then each before it back to when the registration
    started (or, with no start date, to the cycle of the earliest counted entry)."""
    if not versions:
        return {"framework": None, "cycles": [], "note": "No framework is linked to this registration."}
    counted = [e for e in entries if engine.counts(e)]
    earliest = min((engine.activity_day(e) for e in counted), default=today)
    since = getattr(registration, "registered_since", None)
    marks = tuple(engine.Explained(*x) for x in explained)
    out: list[dict[str, Any]] = []
    day = today
    try:
        current_version = engine.version_for(versions, today)
        while len(out) < MAX_CYCLES:
            cycles = engine.cycles_for(engine.version_for(versions, day), registration, day)
            cycle = next((c for c in cycles if c.which == "current"), None)
            if cycle is None or (len(out) >= 2 and not since and cycle.ends_on < earliest):
                break
            which = ("current", "previous")[len(out)] if len(out) < 2 else "earlier"
            cycle = engine.Cycle(which, cycle.starts_on, cycle.ends_on, cycle.nominal_start)
            framework = engine.version_for(versions, cycle.nominal_start)
            out.append(engine.evaluate_cycle(framework, cycle, counted, today, registration, explained=marks))
            day = cycle.nominal_start - dt.timedelta(days=1)
            if since and since > day:
                break
    except engine.NoCycle as err:
        return {"framework": _ref(engine.version_for(versions, today)), "cycles": [], "note": str(err)}
    return {"framework": _ref(current_version), "cycles": out, "note": ""}


def _ref(framework: engine.Framework) -> dict[str, Any]:
    return {"id": framework.id, "version": framework.version, "name": framework.name}
