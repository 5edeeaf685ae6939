"""Precomputed compliance: every registrant's current-cycle status, worked out in bulk and stored.

Run by `logbook insights-refresh` (daily from cron or the job runner's schedule), and once on demand
the first time an organisation's compliance view is asked for. The view reads the stored rows and
says when they were worked out (`as_of`, `computed_at`).

Privacy: statuses count only the entries an organisation may aggregate (shared with the organisation,
not drafts, not deleted), the same rule as every other insight view. A registrant whose private or
supervisors-only entries would complete their cycle shows as at risk here; their own progress screen
(which counts everything they recorded) says otherwise.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

from sqlalchemy import delete, func, insert, select

from logbook.accounts.models import Organisation, Registration, User
from logbook.config import KeyRing
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks import engine
from logbook.frameworks.service import compiled_frameworks
from logbook.insights.models import InsightCompliance, InsightRefresh
from logbook.progress import ENTRY_COLUMNS, core_rows, entry_facts, person_progress
from logbook.supervision import signcore
from logbook.timeutil import utcnow

COMPLIANCE = "compliance"
CHUNK = 500  # registrants per entry query


def organisation_visible(query: Any) -> Any:
    """Only entries an organisation may aggregate."""
    return query.where(
        Entry.visibility == "organisation",
        Entry.status != "draft",
        Entry.is_deleted.is_(False),
    )


def refresh_compliance(*, organisation_id: uuid.UUID, today: dt.date, ring: KeyRing) -> int:
    """Work out every active registrant's current-cycle status in the organisation and replace the
    stored rows (in the caller's transaction); returns how many people were worked out."""
    started = time.perf_counter()
    frameworks = compiled_frameworks(organisation_id=organisation_id)
    longest = max(
        (f.cycle.get("length_months") or 12 for versions in frameworks.values() for f in versions),
        default=12,
    )
    since = engine.shift_months(today, -2 * longest)  # older entries never count (as in progress_for)
    registrant_ids = list(
        db.session.scalars(
            select(User.id)
            .where(
                User.organisation_id == organisation_id,
                User.is_active.is_(True),
                User.id.in_(select(Registration.user_id)),
            )
            .order_by(User.id)
        )
    )
    rows: list[dict[str, Any]] = []
    for start in range(0, len(registrant_ids), CHUNK):
        ids = registrant_ids[start : start + CHUNK]
        people = list(db.session.scalars(select(User).where(User.id.in_(ids))))
        entries: dict[uuid.UUID, list[Any]] = {p.id: [] for p in people}
        query = organisation_visible(
            select(*ENTRY_COLUMNS).where(
                Entry.owner_id.in_(ids), func.coalesce(Entry.end_date, Entry.start_date) >= since
            )
        )
        for fact in entry_facts(core_rows(query), signcore.signatures(ring=ring)):
            entries[fact.owner_id].append(fact)
        for person in people:
            # Gap explanations are private, like the entries left out above: insights never read them.
            progress = person_progress(person, entries[person.id], frameworks, today, explained=[])
            for reg in progress["registrations"]:
                current = next((c for c in reg.get("cycles") or [] if c["which"] == "current"), None)
                rows.append(
                    {
                        "registration_id": reg["registration_id"],
                        "organisation_id": organisation_id,
                        "user_id": person.id,
                        "regulator": reg["regulator"],
                        "status": current["status"] if current else "no_framework",
                        "cycle_ends_on": _date(current["ends_on"]) if current else None,
                    }
                )
    db.session.execute(delete(InsightCompliance).where(InsightCompliance.organisation_id == organisation_id))
    for start in range(0, len(rows), 5_000):
        db.session.execute(insert(InsightCompliance), rows[start : start + 5_000])
    marker = db.session.get(InsightRefresh, (organisation_id, COMPLIANCE)) or InsightRefresh(
        organisation_id=organisation_id, kind=COMPLIANCE
    )
    marker.as_of = today
    marker.computed_at = utcnow()
    marker.people = len(registrant_ids)
    marker.seconds = round(time.perf_counter() - started)
    db.session.add(marker)
    db.session.flush()
    return len(registrant_ids)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def refresh_all(*, today: dt.date, ring: KeyRing) -> int:
    """Refresh every organisation's precomputed figures; returns how many people were worked out."""
    return sum(
        refresh_compliance(organisation_id=org_id, today=today, ring=ring)
        for org_id in list(db.session.scalars(select(Organisation.id)))
    )


def compliance_refresh(*, organisation_id: uuid.UUID) -> InsightRefresh | None:
    """When the organisation's compliance figures were last worked out (None: never)."""
    return db.session.get(InsightRefresh, (organisation_id, COMPLIANCE))
