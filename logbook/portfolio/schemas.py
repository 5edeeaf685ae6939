"""Input schema for a portfolio export."""

from __future__ import annotations

from marshmallow import Schema, validate

from logbook import fields
from logbook.portfolio.documents import FORMATS


class PortfolioRequestSchema(Schema):
    """What to print: the format, the period, and (for HCPC) the practitioner's own text. Without
    dates each format prints its own period: two years (generic, HCPC), three years to the renewal
    date (NMC), the registration year from 1 December (SWE), the appraisal year (teachers)."""

    format = fields.String(
        load_default="generic",
        validate=validate.OneOf(FORMATS),
        metadata={"description": "generic, hcpc, nmc (revalidation pack), swe (CPD records) or teachers"},
    )
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    include_reflections = fields.Boolean(load_default=False)
    # Word limits are checked by the service (a 422 naming the limit); these only bound the size.
    summary = fields.String(load_default="", validate=validate.Length(max=20_000))
    statement = fields.String(load_default="", validate=validate.Length(max=50_000))
    chosen_entry_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20))
