"""The documents a portfolio export makes, one module each: the HCPC CPD profile (hcpc), the NMC
revalidation pack (nmc), Social Work England CPD records (swe) and the Teachers' Standards evidence
file (teachers), with what they share in common. Each builds on the generic context
(service.portfolio_context: every entry, its sign-offs and verification codes) and adds its own
sections as plain data; what a regulator asks for (targets, Code themes, standards, the appraisal
year) comes from the framework files, not from this code. Rules and sources: docs/regulators.md."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from logbook.accounts.models import User
from logbook.config import KeyRing
from logbook.portfolio.documents.hcpc import build_hcpc_profile
from logbook.portfolio.documents.nmc import build_nmc_pack
from logbook.portfolio.documents.swe import build_swe_records
from logbook.portfolio.documents.teachers import build_teachers_evidence
from logbook.portfolio.periods import registration_cycle
from logbook.portfolio.service import DocumentRequest, Progress, build_portfolio

DEFAULT_YEARS = 2  # an HCPC cycle; the generic portfolio uses the same default period
FORMATS = ("generic", "hcpc", "nmc", "swe", "teachers")
# The regulator documents that pick their own default period (a renewal date, a registration year).
BUILDERS: dict[str, Callable[[DocumentRequest], dict[str, Any]]] = {
    "nmc": build_nmc_pack,
    "swe": build_swe_records,
    "teachers": build_teachers_evidence,
}


def build_document(
    *,
    owner: User,
    verify_url: str,
    now: dt.datetime,
    ring: KeyRing,
    format: str = "generic",  # noqa: A002 - the request field's name
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    include_reflections: bool = False,
    summary: str = "",
    statement: str = "",
    chosen_entry_ids: list[uuid.UUID] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The context of the requested document (the API, the CLI and background jobs all come here).
    A regulator's document covers the registration cycle unless dates are given (periods.py); each
    keeps its own default for when the cycle cannot be worked out (see its module)."""
    cycle = registration_cycle(owner, format, date_to or now.date()) if date_from is None else None
    if cycle is not None:
        date_from = date_from or cycle[0]
        date_to = date_to or (cycle[1] if format == "nmc" else min(cycle[1], now.date()))
    request = DocumentRequest(
        owner=owner,
        verify_url=verify_url,
        now=now,
        ring=ring,
        date_from=date_from,
        date_to=date_to,
        include_reflections=include_reflections,
        progress=progress,
    )
    if format in BUILDERS:
        return BUILDERS[format](request)
    date_to = date_to or now.date()
    date_from = date_from or date_to.replace(year=date_to.year - DEFAULT_YEARS, day=min(date_to.day, 28))
    request = request.over(date_from, date_to)
    if format == "hcpc":
        return build_hcpc_profile(
            request, summary=summary, statement=statement, chosen_entry_ids=chosen_entry_ids or []
        )
    return build_portfolio(request)
