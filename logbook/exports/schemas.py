"""Wire shapes of the staff export and the full-record import."""

from __future__ import annotations

from marshmallow import Schema, validate

from logbook import fields
from logbook.accounts.models import SERVICE_AREAS
from logbook.exports.staff import MAX_PEOPLE


class StaffExportRequestSchema(Schema):
    """Whose registration evidence to export: one team, one service area (every team in it), the
    whole organisation, or chosen people (exactly one of them)."""

    team_id = fields.UUID(load_default=None, allow_none=True)
    service_area = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SERVICE_AREAS))
    organisation = fields.Boolean(
        load_default=False, metadata={"description": "everyone active in the organisation"}
    )
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
    sign_offs_verified = fields.Integer(
        metadata={"description": "imported sign-offs verified with a trusted organisation's key"}
    )
    sign_offs_not_verified = fields.Integer(
        metadata={"description": 'kept as "Imported, not verified": never valid, never counted'}
    )
    registration_proposals = fields.Integer(
        metadata={"description": "registrations the record claims, waiting for an org admin to confirm"}
    )
    evidence_files = fields.Integer()
    supervision_sessions = fields.Integer()
    gap_explanations = fields.Integer(metadata={"description": "explanations of breaks in CPD brought in"})


class RegistrationProposalSchema(Schema):
    """A registration an imported record claims, waiting for an org admin (values as the file gave them)."""

    id = fields.UUID()
    user_id = fields.UUID()
    user_name = fields.String()
    record_import_id = fields.UUID(allow_none=True)
    proposed = fields.Dict(keys=fields.String())
    state = fields.String()
    registration_id = fields.UUID(allow_none=True)
    decided_by_id = fields.UUID(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class RegistrationProposalListSchema(Schema):
    """The organisation's registration proposals."""

    items = fields.List(fields.Nested(RegistrationProposalSchema))


class ProposalQuerySchema(Schema):
    """Which proposals to list."""

    state = fields.String(
        load_default="pending", validate=validate.OneOf(("pending", "confirmed", "rejected", "all"))
    )
