"""The hand-built organisation's pieces: the secret every free text holds (never in an insight), the
day, the ids of its people and teams, and an entry row."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from logbook.accounts.models import User
from logbook.entries.models import Entry

SECRET = "SECRET-REFLECTION-TEXT-never-in-insights"
DAY = dt.date(2026, 3, 10)


@dataclass
class Org:
    """Ids of the hand-built organisation's people and teams."""

    social_workers: list[uuid.UUID] = field(default_factory=list)
    nurses: list[uuid.UUID] = field(default_factory=list)
    team_a: uuid.UUID | None = None
    team_b: uuid.UUID | None = None


def entry(owner: User, kind: str, hours: str, **fields) -> Entry:
    """An entry row with secret free text, shared with the organisation unless told otherwise."""
    return Entry(
        id=uuid.uuid4(),
        owner_id=owner.id,
        organisation_id=owner.organisation_id,
        kind=kind,
        title=SECRET,
        description=SECRET,
        impact_on_practice=SECRET,
        reflection={"answers": {"what": SECRET}},
        start_date=fields.pop("start_date", DAY),
        hours=Decimal(hours),
        is_participatory=True,
        visibility=fields.pop("visibility", "organisation"),
        **fields,
    )
