"""Input schema for a portfolio export."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class PortfolioRequestSchema(Schema):
    """What to print: the format, the period, and (for HCPC) the practitioner's own text."""

    format = fields.String(load_default="generic", validate=validate.OneOf(["generic", "hcpc"]))
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    include_reflections = fields.Boolean(load_default=False)
    # Word limits are checked by the service (a 422 naming the limit); these only bound the size.
    summary = fields.String(load_default="", validate=validate.Length(max=20_000))
    statement = fields.String(load_default="", validate=validate.Length(max=50_000))
    chosen_entry_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=20))
