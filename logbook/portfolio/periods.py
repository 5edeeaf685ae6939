"""The period a regulator's document covers when the practitioner does not choose one: their
registration cycle as the requirement engine works it out (the HCPC profile lists the activities
"since the last renewal", the NMC pack the three years to the renewal date, the SWE records the
registration year from 1 December, the Teachers' file the appraisal year). docs/regulators.md."""

from __future__ import annotations

import datetime as dt

from logbook.accounts.models import User
from logbook.frameworks import engine
from logbook.frameworks.service import compiled_frameworks

REGULATOR_OF = {"hcpc": "HCPC", "nmc": "NMC", "swe": "SWE", "teachers": "TEACHERS"}


def registration_cycle(owner: User, document: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the owner's current cycle with the regulator of a document, or None
    (no such registration, no framework, or a cycle the engine cannot work out: the document then
    keeps its own default)."""
    regulator = REGULATOR_OF.get(document)
    registration = next((r for r in owner.registrations if r.regulator.upper() == regulator), None)
    if registration is None:
        return None
    versions = compiled_frameworks(organisation_id=owner.organisation_id).get(
        registration.framework_id or document, []
    )
    if not versions:
        return None
    try:
        cycles = engine.cycles_for(engine.version_for(versions, today), registration, today)
    except engine.NoCycle:
        return None
    current = next((c for c in cycles if c.which == "current"), None)
    return (current.starts_on, current.ends_on) if current else None
