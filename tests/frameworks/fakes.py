"""Entries and registrations as plain objects, as the engine sees them (it reads attributes, so it
needs no database)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class FakeEntry:
    """An entry as the engine sees it."""

    kind: str
    start_date: dt.date
    hours: Decimal = Decimal(1)
    end_date: dt.date | None = None
    title: str = ""
    is_participatory: bool = True
    includes_peer_reflection: bool = False
    status: str = "recorded"
    is_deleted: bool = False
    standards: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    id: Any = None
    has_impact: bool = False
    signed_roles: frozenset[str] | None = None  # None: the status decides

    def __post_init__(self) -> None:
        self.title = self.title or f"{self.kind} on {self.start_date}"


@dataclass
class FakeRegistration:
    """A registration as the engine sees it."""

    regulator: str
    profession: str
    framework_id: str | None
    registered_since: dt.date | None = None
    renewal_date: dt.date | None = None
    is_dual_registration: bool = False
    id: uuid.UUID = field(default_factory=uuid.uuid4)


def entry(kind: str, day: str, hours: str | int = 1, **fields: Any) -> FakeEntry:
    """A counted entry of a kind on a day (ISO date)."""
    if "end" in fields:
        fields["end_date"] = dt.date.fromisoformat(fields.pop("end"))
    return FakeEntry(kind=kind, start_date=dt.date.fromisoformat(day), hours=Decimal(str(hours)), **fields)
