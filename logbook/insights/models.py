"""Insights' precomputed per-person figures: registration compliance, refreshed by `logbook insights-refresh`.

Working out where a registrant stands in their cycle runs the requirement engine over their entries,
which takes seconds for a whole organisation; the compliance view reads these rows instead, and says
when they were worked out (`insight_refresh`).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base
from logbook.timeutil import UTCDateTime, utcnow


class InsightCompliance(Base):
    """One registration's current-cycle status as the organisation can see it (from the registrant's
    organisation-visible entries only), as of the organisation's last refresh."""

    __tablename__ = "insight_compliance"
    registration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    regulator: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # met, on_track, at_risk, not_met, no_framework
    cycle_ends_on: Mapped[dt.date | None] = mapped_column(Date)


class InsightRefresh(Base):
    """When an organisation's precomputed figures of one kind were last worked out, and for which day."""

    __tablename__ = "insight_refresh"
    organisation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    people: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[int] = mapped_column(Integer, default=0)  # how long the refresh took (whole seconds)
