"""Wire shapes for sync push and pull."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, validate, validates_schema
from marshmallow.exceptions import ValidationError

from logbook import fields
from logbook.entries.schemas import DETAILS_BY_KIND, EntrySchema, GapExplanationSchema
from logbook.supervision.schemas import SessionSchema

MAX_BATCH = 500
ENTITIES = [
    "entry",
    "sign_off",
    "sign_off_request",
    "event_check_in",
    "supervision_session",
    "supervision_session_confirm",
    "session_sign_off_request",
    "session_sign_off",
    "gap_explanation",
]


def _details_by_kind() -> str:
    """The detail fields each entry kind requires, from the kinds' own schemas (so it stays true)."""
    lines = []
    for kind, schema in DETAILS_BY_KIND.items():
        required = sorted(name for name, field in schema().fields.items() if field.required)
        lines.append(f"{kind}: {', '.join(required) if required else 'none required'}")
    return "; ".join(lines)


_FIELDS_HELP = (
    "What the mutation sets. entry create: the fields of EntryIn (kind, title, start_date and hours "
    "required); entry update: only the fields changed; delete: empty. `details` holds the kind's own "
    f"fields; required by kind — {_details_by_kind()}. Other entities: see docs/sync.md."
)


class MutationSchema(Schema):
    """One change made on a device: what, to which record, against which version."""

    mutation_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**53))
    entity = fields.String(required=True, validate=validate.OneOf(ENTITIES))
    id = fields.UUID(required=True)
    op = fields.String(required=True, validate=validate.OneOf(["create", "update", "delete"]))
    base_version = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1))
    fields = fields.Dict(keys=fields.String(), load_default=dict, metadata={"description": _FIELDS_HELP})

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


class AsIs(fields.Nested):
    """A value already in wire form (a stored result, a record built for the pull), sent unchanged
    and documented as the nested schema."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class AnyOfRecords(fields.Field):
    """A record already in wire form, documented as any of SCHEMAS (pulled_record_property)."""

    SCHEMAS: tuple[type[Schema], ...] = ()

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


class ConflictCopy(AnyOfRecords):
    """The server's copy in a conflict: an Entry, or a GapExplanation."""

    SCHEMAS = (EntrySchema, GapExplanationSchema)


class PushResultItemSchema(Schema):
    """The answer to one mutation. Which keys appear depends on the status and the entity."""

    class Meta:
        unknown = INCLUDE  # documented as open: an entity may add keys of its own

    mutation_id = fields.Integer(required=True)
    entity = fields.String(required=True, validate=validate.OneOf(ENTITIES))
    id = fields.UUID(required=True, metadata={"description": "the record the mutation named"})
    status = fields.String(
        required=True,
        validate=validate.OneOf(["applied", "duplicate", "conflict", "rejected"]),
        metadata={
            "description": "applied; duplicate (seen before: the first answer again, with first_status); "
            "conflict (nothing applied, the server's copy attached); rejected (nothing applied)"
        },
    )
    first_status = fields.String(
        validate=validate.OneOf(["applied", "conflict", "rejected"]),
        metadata={"description": "duplicate only: the status of the first answer"},
    )
    code = fields.String(
        metadata={
            "description": "conflict: edit_conflict, deleted, signed_off, duplicate_id, stale_version, "
            "entry_changed, content_mismatch, record_changed (gap_explanation: stale_version, deleted, "
            "duplicate_id) …; rejected: validation_failed, not_found, "
            "out_of_order, mutation_id_reused, concurrent_change …"
        }
    )
    message = fields.String(metadata={"description": "conflict and rejected: what happened, in plain words"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "rejected: field path → reasons"},
    )
    version = fields.Integer(
        metadata={
            "description": "entry, supervision_session, gap_explanation: the record's version after the "
            "change "
            "(a conflict of sessions and sign-offs: the current version)"
        }
    )
    current = ConflictCopy(
        metadata={
            "description": "entry conflict: the server's copy, an Entry (a tombstone if deleted); "
            "gap_explanation conflict: a GapExplanation"
        }
    )
    conflicting_fields = fields.List(
        fields.String(), metadata={"description": "entry conflict: the fields changed on both sides"}
    )
    yours = fields.Dict(
        keys=fields.String(), metadata={"description": "entry conflict: this device's values, as sent"}
    )
    content_sha256 = fields.String(metadata={"description": "sign-off conflict: the current content's hash"})
    entry_id = fields.UUID(metadata={"description": "sign_off, sign_off_request, event_check_in"})
    entry_version = fields.Integer(metadata={"description": "sign_off, sign_off_request"})
    state = fields.String(metadata={"description": "sign_off_request, session_sign_off_request"})
    decision = fields.String(metadata={"description": "sign_off, session_sign_off"})
    session_id = fields.UUID(
        metadata={"description": "supervision_session_confirm, session_sign_off(_request)"}
    )
    event_id = fields.UUID(metadata={"description": "event_check_in"})
    created = fields.Boolean(metadata={"description": "event_check_in: whether this scan made the entry"})
    title = fields.String(metadata={"description": "event_check_in: the event's title"})


class PushResultSchema(Schema):
    """One result per mutation, in mutation_id order, and the highest mutation id the server has
    from this device."""

    results = fields.List(AsIs(PushResultItemSchema), required=True)
    last_mutation_id = fields.Integer(required=True)


class SignOffDecisionRecordSchema(Schema):
    """A decision on a sign-off request, as a device keeps it."""

    id = fields.UUID(required=True)
    decision = fields.String(required=True)
    comment = fields.String(required=True)
    signer_name = fields.String(required=True)
    signed_at = fields.DateTime(required=True)
    label = fields.String(
        required=True,
        metadata={"description": 'Beside the signer name: "External (HCPC PYL12345)", "Imported", or empty'},
    )


class SignOffRequestRecordSchema(Schema):
    """A sign-off request as both people's devices keep it (pull, entity sign_off_request)."""

    id = fields.UUID(required=True)
    entry_id = fields.UUID(required=True)
    entry_version = fields.Integer(required=True)
    content_sha256 = fields.String(required=True)
    requested_by_id = fields.UUID(required=True)
    requested_by_name = fields.String(required=True)
    supervisor_id = fields.UUID(required=True, allow_none=True)
    supervisor_name = fields.String(required=True, allow_none=True)
    external_name = fields.String(required=True, allow_none=True)
    signer_role = fields.String(required=True)
    message = fields.String(required=True)
    state = fields.String(required=True)
    external_approval = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "pending: an org admin must approve this external signer before the link is "
            "emailed; refused: they did not (the request is cancelled); null otherwise"
        },
    )
    created_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(required=True, allow_none=True)
    decision = fields.Nested(SignOffDecisionRecordSchema, required=True, allow_none=True)


class SessionDecisionRecordSchema(Schema):
    """A decision on a session sign-off request."""

    decision = fields.String(required=True)
    comment = fields.String(required=True)
    signer_name = fields.String(required=True)
    signed_at = fields.DateTime(required=True)


class SessionSignOffStateSchema(Schema):
    """The latest sign-off request of a session and its decision."""

    id = fields.UUID(required=True)
    session_version = fields.Integer(required=True)
    content_sha256 = fields.String(required=True)
    requested_by_id = fields.UUID(required=True)
    signer_id = fields.UUID(required=True)
    message = fields.String(required=True)
    state = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    decision = fields.Nested(SessionDecisionRecordSchema, required=True, allow_none=True)


class SessionRecordSchema(SessionSchema):
    """A supervision session as both parties' devices keep it (pull, entity supervision_session)."""

    supervisor_name = fields.String(required=True)
    supervisee_name = fields.String(required=True)
    sign_off_request = fields.Nested(SessionSignOffStateSchema, required=True, allow_none=True)


class PulledRecord(AnyOfRecords):
    """The record of an upsert, already in wire form; its shape depends on the item's entity."""

    SCHEMAS: tuple[type[Schema], ...] = (
        EntrySchema,
        SignOffRequestRecordSchema,
        SessionRecordSchema,
        GapExplanationSchema,
    )

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        return value


def pulled_record_property(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """apispec attribute function (bound to its OpenAPIConverter): document a PulledRecord as any
    of its schemas, each a component of the document."""
    if isinstance(field, AnyOfRecords):
        return {"anyOf": [self.resolve_nested_schema(schema) for schema in field.SCHEMAS]}
    return {}


class PullItemSchema(Schema):
    """One record to upsert or remove on the device."""

    entity = fields.String(
        required=True,
        validate=validate.OneOf(["entry", "sign_off_request", "supervision_session", "gap_explanation"]),
    )
    id = fields.UUID(required=True)
    op = fields.String(
        required=True,
        validate=validate.OneOf(["upsert", "remove"]),
        metadata={"description": "upsert: store `record`; remove: the caller may no longer see it, drop it"},
    )
    version = fields.Integer(
        required=True, metadata={"description": "the record's version (a sign-off request: 1 open, 2 closed)"}
    )
    record = PulledRecord(
        metadata={
            "description": "upsert only. entry → Entry (as GET /api/v1/entries/{id} shows it, warnings "
            "empty); sign_off_request → SignOffRequestRecord; supervision_session → SessionRecord; "
            "gap_explanation → GapExplanation (its owner only; a deleted one has is_deleted true)"
        }
    )


class PullQuerySchema(Schema):
    """Where to continue from."""

    cursor = fields.String(load_default=None, validate=validate.Length(max=500))
    limit = fields.Integer(load_default=500, validate=validate.Range(min=1, max=1000))


class PullResultSchema(Schema):
    """Changes after the cursor: records to upsert or remove, the next cursor, whether more wait.
    `reset: true` (with no items, next_cursor null and has_more true) means the cursor cannot be
    continued: pull again from the start without a cursor, keeping unsent changes."""

    reset = fields.Boolean(required=True)
    items = fields.List(AsIs(PullItemSchema), required=True)
    next_cursor = fields.String(
        required=True, allow_none=True, metadata={"description": "null only with reset: true"}
    )
    has_more = fields.Boolean(required=True)
    withheld = fields.Boolean(
        load_default=False,
        metadata={
            "description": "PostgreSQL only: changes after next_cursor exist but their transactions had not "
            "all finished when this page was read (docs/sync.md, the horizon). Pull again shortly."
        },
    )
