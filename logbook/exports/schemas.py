"""Wire shapes of the staff export and the full-record import."""

from __future__ import annotations

from marshmallow import Schema, validate

from logbook import fields
from logbook.exports.staff import MAX_PEOPLE


class StaffExportRequestSchema(Schema):
    """Whose registration evidence to export: one team, or chosen people (not both)."""

    team_id = fields.UUID(load_default=None, allow_none=True)
    user_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=MAX_PEOPLE))
    date_from = fields.Date(load_default=None, metadata={"description": "default: two years before date_to"})
    date_to = fields.Date(load_default=None, metadata={"description": "default: today"})


class RecordImportSchema(Schema):
    """What an import brought in."""

    id = fields.UUID()
    source_organisation = fields.String()
    source_exported_at = fields.DateTime()
    imported_at = fields.DateTime()
    entries = fields.Integer()
    sign_offs = fields.Integer()
    evidence_files = fields.Integer()
    supervision_sessions = fields.Integer()
