"""Insight schemas: the filters a view accepts and the shape of a view."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, validate, validates_schema

from logbook import fields
from logbook.accounts.models import SERVICE_AREAS


class InsightFilterSchema(Schema):
    """Filters every view accepts (all optional; they only ever narrow the caller's scope)."""

    date_from = fields.Date(metadata={"description": "entries starting on or after this day"})
    date_to = fields.Date(metadata={"description": "entries starting on or before this day"})
    team_id = fields.UUID()
    service_area = fields.String(validate=validate.OneOf([*SERVICE_AREAS, "unspecified"]))
    profession = fields.String(validate=validate.Length(min=1, max=120))
    job_role_id = fields.UUID()

    @validates_schema
    def _period(self, data, **kwargs):
        """A period must not end before it starts."""
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            raise ValidationError("must not be before date_from", field_name="date_to")


class InsightViewSchema(Schema):
    """One view: rows by columns of cells, each its measures or {"suppressed": true}, with margins."""

    view = fields.String()
    threshold = fields.Integer(metadata={"description": "cells describing fewer people are suppressed"})
    filters = fields.Dict(keys=fields.String(), values=fields.String(allow_none=True))
    measures = fields.List(fields.String())
    rows = fields.List(fields.String())
    columns = fields.List(fields.String())
    cells = fields.List(fields.List(fields.Dict()))
    row_totals = fields.List(fields.Dict())
    column_totals = fields.List(fields.Dict())
    total = fields.Dict()
    suppressed_count = fields.Integer()
    statistics = fields.List(fields.Dict(), metadata={"description": "equity views: per row"})
    overall_statistics = fields.Dict(metadata={"description": "equity views: everyone in scope"})
    at_risk = fields.List(
        fields.Dict(),
        metadata={"description": "compliance: named people at risk (their managers and org admins)"},
    )
    as_of = fields.String(metadata={"description": "compliance, supervision: the day the statuses are for"})
    computed_at = fields.String(
        metadata={"description": "compliance: when the precomputed statuses were worked out (UTC)"}
    )


class InsightOptionsSchema(Schema):
    """The views, and the filters the caller may use (only their own teams for a team manager)."""

    views = fields.List(fields.Dict(), metadata={"description": "id, title, description"})
    teams = fields.List(fields.Dict(), metadata={"description": "id, name"})
    job_roles = fields.List(fields.Dict(), metadata={"description": "id, name"})
    professions = fields.List(fields.String())
    service_areas = fields.List(fields.String())
