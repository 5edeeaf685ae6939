"""Wire shapes for sign-off requests, decisions, sign-offs and their verification."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from logbook.supervision.models import DECISIONS, SIGNER_ROLES
from logbook.supervision.registration import BODIES

SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="must be a SHA-256 in lower-case hex")


class ExternalSignerSchema(Schema):
    """Someone without an account who signs through an emailed link."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    registration_body = fields.String(load_default=None, validate=validate.OneOf(BODIES))


class SignOffRequestInSchema(Schema):
    """Ask for sign-off of the version of an entry the practitioner is looking at."""

    entry_version = fields.Integer(required=True, validate=validate.Range(min=1))
    supervisor_id = fields.UUID(load_default=None)
    external = fields.Nested(ExternalSignerSchema, load_default=None)
    signer_role = fields.String(load_default="supervisor", validate=validate.OneOf(SIGNER_ROLES))
    message = fields.String(load_default="", validate=validate.Length(max=2000))


class SignOffRequestSchema(Schema):
    """A sign-off request as its sender or its supervisor sees it."""

    id = fields.UUID()
    entry_id = fields.UUID()
    entry_version = fields.Integer()
    content_sha256 = fields.String()
    requested_by_id = fields.UUID()
    supervisor_id = fields.UUID(allow_none=True)
    external_name = fields.String(allow_none=True)
    external_email = fields.String(allow_none=True)
    registration_body = fields.String(allow_none=True)
    signer_role = fields.String()
    message = fields.String()
    state = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    link_expires_at = fields.DateTime(allow_none=True, dump_only=True)


class RequestListQuerySchema(Schema):
    """Which requests: the caller's queue (as supervisor) or the ones they sent."""

    scope = fields.String(load_default="queue", validate=validate.OneOf(["queue", "mine"]))
    state = fields.String(
        load_default="open",
        validate=validate.OneOf(["open", "approved", "returned", "cancelled", "superseded", "all"]),
    )


class RequestListSchema(Schema):
    """A list of requests."""

    items = fields.List(fields.Nested(SignOffRequestSchema))


class DecisionInSchema(Schema):
    """A supervisor's decision on the version (and hash) of the entry they read."""

    entry_version = fields.Integer(required=True, validate=validate.Range(min=1))
    content_sha256 = fields.String(required=True, validate=SHA256)
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default="", validate=validate.Length(max=5000))
    registration_body = fields.String(load_default=None, validate=validate.OneOf(BODIES))
    registration_number = fields.String(load_default=None, validate=validate.Length(max=40))


class SignOffMutationSchema(DecisionInSchema):
    """The fields of an offline sign-off decision pushed through sync (entity "sign_off")."""

    entry_id = fields.UUID(required=True)
    request_id = fields.UUID(load_default=None)


class VerificationSchema(Schema):
    """Whether a sign-off still proves what it claims."""

    is_valid = fields.Boolean()
    problems = fields.List(fields.String())


class SignOffSchema(Schema):
    """An immutable sign-off, with its verification."""

    id = fields.UUID()
    entry_id = fields.UUID()
    entry_version = fields.Integer()
    content_sha256 = fields.String()
    decision = fields.String()
    comment = fields.String()
    request_id = fields.UUID(allow_none=True)
    signer_role = fields.String()
    signer_user_id = fields.UUID(allow_none=True)
    signer_name = fields.String()
    external_email = fields.String(allow_none=True)
    external_role = fields.String(allow_none=True)
    registration_body = fields.String(allow_none=True)
    registration_number = fields.String(allow_none=True)
    is_imported = fields.Boolean()
    signed_at = fields.DateTime()
    verification = fields.Nested(VerificationSchema)


class SignOffListSchema(Schema):
    """Every sign-off of an entry."""

    items = fields.List(fields.Nested(SignOffSchema))


class ExternalDecisionFormSchema(Schema):
    """The external signer's form (server-rendered page)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    role = fields.String(required=True, validate=validate.Length(min=1, max=200))
    registration_body = fields.String(required=True, validate=validate.OneOf(BODIES))
    registration_number = fields.String(required=True, validate=validate.Length(min=1, max=40))
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default="", validate=validate.Length(max=5000))
    content_sha256 = fields.String(required=True, validate=SHA256)
