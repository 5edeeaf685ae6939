"""Wire shapes for sync push and pull."""

from __future__ import annotations

from marshmallow import Schema, validate, validates_schema
from marshmallow.exceptions import ValidationError

from logbook import fields

MAX_BATCH = 500


class MutationSchema(Schema):
    """One change made on a device: what, to which record, against which version."""

    mutation_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**53))
    entity = fields.String(
        required=True,
        validate=validate.OneOf(
            [
                "entry",
                "sign_off",
                "sign_off_request",
                "event_check_in",
                "supervision_session",
                "supervision_session_confirm",
                "session_sign_off_request",
                "session_sign_off",
            ]
        ),
    )
    id = fields.UUID(required=True)
    op = fields.String(required=True, validate=validate.OneOf(["create", "update", "delete"]))
    base_version = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1))
    fields = fields.Dict(keys=fields.String(), load_default=dict)

    @validates_schema
    def _version_for_changes(self, data, **kwargs):
        if data.get("op") in ("update", "delete") and not data.get("base_version"):
            raise ValidationError({"base_version": ["is required for update and delete"]})


class PushSchema(Schema):
    """A batch of mutations from one device."""

    client_id = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{8,64}$"))
    mutations = fields.List(fields.Nested(MutationSchema), required=True)

    @validates_schema
    def _unique_ids(self, data, **kwargs):
        ids = [m["mutation_id"] for m in data.get("mutations", [])]
        if len(ids) != len(set(ids)):
            raise ValidationError({"mutations": ["mutation_id values must be unique within a batch"]})


class PushResultSchema(Schema):
    """One result per mutation, and the highest mutation id the server has from this device."""

    results = fields.List(fields.Dict())
    last_mutation_id = fields.Integer()


class PullQuerySchema(Schema):
    """Where to continue from."""

    cursor = fields.String(load_default=None, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))


class PullResultSchema(Schema):
    """Changes after the cursor: records to upsert or remove, the next cursor, whether more wait."""

    reset = fields.Boolean()
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)
    has_more = fields.Boolean()
