"""Wire shapes for sign-off requests, decisions, sign-offs and their verification."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, validate, validates_schema

from logbook import fields
from logbook.accounts.links import LINK_KINDS
from logbook.supervision.models import DECISIONS, SESSION_FORMATS, SIGNER_ROLES
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


class SignOffRequestMutationSchema(SignOffRequestInSchema):
    """The fields of a sign-off request made on a phone, pushed through sync (entity "sign_off_request")."""

    entry_id = fields.UUID(required=True)


class LinkedPersonSchema(Schema):
    """Someone the caller is linked to by supervision."""

    id = fields.UUID()
    name = fields.String()
    kinds = fields.List(
        fields.String(), metadata={"description": "line, professional, clinical, practice_educator"}
    )


class LinkedPeopleSchema(Schema):
    """The caller's current supervisors and supervisees."""

    supervisors = fields.List(fields.Nested(LinkedPersonSchema))
    supervisees = fields.List(fields.Nested(LinkedPersonSchema))


class SignOffRequestSchema(Schema):
    """A sign-off request as its sender or its supervisor sees it."""

    id = fields.UUID()
    entry_id = fields.UUID()
    entry_version = fields.Integer()
    content_sha256 = fields.String()
    requested_by_id = fields.UUID()
    requested_by_name = fields.String(dump_only=True)
    supervisor_id = fields.UUID(allow_none=True)
    external_name = fields.String(allow_none=True)
    external_email = fields.String(allow_none=True)
    registration_body = fields.String(allow_none=True)
    signer_role = fields.String()
    message = fields.String()
    state = fields.String()
    external_approval = fields.String(
        allow_none=True,
        metadata={
            "description": "pending: the organisation's admin must approve this external signer before the "
            "link is emailed; refused: they did not (the request is cancelled); null otherwise"
        },
    )
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    link_expires_at = fields.DateTime(allow_none=True, dump_only=True)
    shown = fields.Dict(
        dump_only=True,
        metadata={
            "description": "in the signer's queue only: what they read before deciding (kind_label, details, "
            "standards with titles, reflection under its prompts, evidence files); signoff.signer_view"
        },
    )


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


class WithdrawalInSchema(Schema):
    """Withdrawing an approved sign-off: why (shown to the practitioner, kept in the signed withdrawal)."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SignOffMutationSchema(DecisionInSchema):
    """The fields of an offline sign-off decision pushed through sync (entity "sign_off")."""

    entry_id = fields.UUID(required=True)
    request_id = fields.UUID(load_default=None)


class VerificationSchema(Schema):
    """Whether a sign-off still proves what it claims (logbook/supervision/signcore.py)."""

    status = fields.String(
        metadata={
            "description": "valid | changed | unsigned | withdrawn | unconfirmed | invalid (worst finding)"
        }
    )
    label = fields.String(metadata={"description": "The status as a reader sees it"})
    reason = fields.String(metadata={"description": "Why the status is not valid (empty when valid)"})
    is_valid = fields.Boolean(metadata={"description": "True only when status is valid"})
    problems = fields.List(fields.String())
    kid = fields.String(allow_none=True, metadata={"description": "The key that signed the statement"})
    is_imported = fields.Boolean(metadata={"description": "Moved here from another logbook"})
    withdrawal = fields.Dict(
        allow_none=True,
        metadata={"description": "Who withdrew the sign-off, in which capacity, when and why (or null)"},
    )


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
    import_verification = fields.String(
        allow_none=True,
        metadata={
            "description": "null (made here), unverified (imported: never valid, never counted) or verified"
        },
    )
    import_organisation = fields.String(allow_none=True)
    import_kid = fields.String(allow_none=True)
    signer_kind = fields.String(metadata={"description": "internal, external (emailed link) or imported"})
    signer_label = fields.String(
        metadata={"description": 'Beside the signer name: "External (HCPC PYL12345)", "Imported", or empty'}
    )
    is_imported_unverified = fields.Boolean()
    signed_at = fields.DateTime()
    statement = fields.String(allow_none=True, metadata={"description": "The signed statement (compact JWS)"})
    verification = fields.Nested(VerificationSchema)
    can_withdraw = fields.Boolean(
        metadata={"description": "Whether the caller may withdraw it (its signer or an org admin)"}
    )


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


class SessionInSchema(Schema):
    """Record or plan a supervision session between a supervisor and a supervisee."""

    id = fields.UUID(load_default=None)
    supervisor_id = fields.UUID(required=True)
    supervisee_id = fields.UUID(required=True)
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(load_default=90, validate=validate.Range(min=5, max=600))
    format = fields.String(load_default="individual", validate=validate.OneOf(SESSION_FORMATS))
    location = fields.String(load_default="", validate=validate.Length(max=200))
    agenda = fields.String(load_default="", validate=validate.Length(max=20000))
    summary = fields.String(load_default="", validate=validate.Length(max=50000))


class SessionPatchSchema(Schema):
    """Change a session's record (clears both confirmations)."""

    base_version = fields.Integer(required=True, validate=validate.Range(min=1))
    starts_at = fields.AwareDateTime()
    duration_minutes = fields.Integer(validate=validate.Range(min=5, max=600))
    format = fields.String(validate=validate.OneOf(SESSION_FORMATS))
    location = fields.String(validate=validate.Length(max=200))
    agenda = fields.String(validate=validate.Length(max=20000))
    summary = fields.String(validate=validate.Length(max=50000))
    is_cancelled = fields.Boolean()


class ConfirmSchema(Schema):
    """Confirm the record as it stands at this version."""

    version = fields.Integer(required=True, validate=validate.Range(min=1))


class ActionInSchema(Schema):
    """An action agreed in a session."""

    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    owner_id = fields.UUID(required=True)
    due_on = fields.Date(load_default=None)


class ActionCloseSchema(Schema):
    """Close an action, optionally in the session where it was reviewed."""

    session_id = fields.UUID(load_default=None)


class ActionSchema(Schema):
    """An agreed action."""

    id = fields.UUID()
    session_id = fields.UUID()
    description = fields.String()
    owner_id = fields.UUID()
    due_on = fields.Date(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closed_in_session_id = fields.UUID(allow_none=True)
    created_at = fields.DateTime()


class SessionSchema(Schema):
    """A session, its actions and the open actions carried forward from earlier sessions."""

    id = fields.UUID()
    supervisor_id = fields.UUID()
    supervisee_id = fields.UUID()
    starts_at = fields.DateTime()
    duration_minutes = fields.Integer()
    format = fields.String()
    location = fields.String()
    agenda = fields.String()
    summary = fields.String()
    is_cancelled = fields.Boolean()
    entry_id = fields.UUID(
        allow_none=True,
        metadata={"description": "the supervision entry this session was logged as, if any"},
    )
    supervisor_confirmed_at = fields.DateTime(allow_none=True)
    supervisee_confirmed_at = fields.DateTime(allow_none=True)
    is_confirmed = fields.Boolean()
    version = fields.Integer()
    content_sha256 = fields.String()
    actions = fields.List(fields.Nested(ActionSchema))
    carried_forward = fields.List(fields.Nested(ActionSchema))


class SessionListSchema(Schema):
    """Sessions, newest first."""

    items = fields.List(fields.Nested(SessionSchema))


class ActionListSchema(Schema):
    """Actions."""

    items = fields.List(fields.Nested(ActionSchema))


class AgreementSchema(Schema):
    """A supervision agreement: frequency, duration and what is recorded where."""

    link_id = fields.UUID(dump_only=True)
    frequency_days = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=366))
    session_minutes = fields.Integer(validate=validate.Range(min=5, max=600))
    recorded_where = fields.String(validate=validate.Length(max=2000))
    notes = fields.String(validate=validate.Length(max=5000))
    agreed_on = fields.Date()


class DueQuerySchema(Schema):
    """Whose supervision: mine, my supervisees', or the organisation's (admins)."""

    scope = fields.String(load_default="me", validate=validate.OneOf(["me", "supervisees", "organisation"]))


class DueSchema(Schema):
    """When supervision was last held and when the next is due."""

    supervisee_id = fields.UUID()
    supervisor_id = fields.UUID()
    last_session_on = fields.Date(allow_none=True)
    frequency_days = fields.Integer(allow_none=True)
    basis = fields.String(metadata={"description": "agreement, a policy id and version, or default"})
    due_on = fields.Date(allow_none=True)
    is_overdue = fields.Boolean()
    supervisee_name = fields.String()


class DueListSchema(Schema):
    """Supervision due, per supervision link."""

    items = fields.List(fields.Nested(DueSchema))


class SupervisionStatusSchema(Schema):
    """Where the caller's supervision stands (sessions.supervision_status): the one status line."""

    person_id = fields.UUID()
    policy_text = fields.String(metadata={"description": "e.g. '90 min monthly', 'every 42 days (default)'"})
    basis = fields.String(metadata={"description": "agreement, a policy id and version, or default"})
    period = fields.String(allow_none=True, metadata={"description": "week, fortnight, month… or null"})
    frequency_days = fields.Integer(allow_none=True)
    min_minutes = fields.Integer(allow_none=True)
    held_count = fields.Integer()
    last_held_on = fields.Date(allow_none=True)
    next_due_on = fields.Date(allow_none=True)
    is_overdue = fields.Boolean()
    missed = fields.List(
        fields.Dict(),
        metadata={"description": "whole periods with no session that counts: [{from, to}] (ISO dates)"},
    )


class CalendarFeedSchema(Schema):
    """A new secret calendar URL (shown once)."""

    url = fields.String()


class SessionSignOffRequestInSchema(Schema):
    """Ask the other person in a session to sign off the record at the version on show."""

    session_version = fields.Integer(required=True, validate=validate.Range(min=1))
    message = fields.String(load_default="", validate=validate.Length(max=2000))


class SessionSignOffRequestSchema(Schema):
    """A request to sign off a supervision session record."""

    id = fields.UUID()
    session_id = fields.UUID()
    session_version = fields.Integer()
    content_sha256 = fields.String()
    requested_by_id = fields.UUID()
    requested_by_name = fields.String(dump_only=True)
    signer_id = fields.UUID()
    signer_name = fields.String(dump_only=True)
    message = fields.String()
    state = fields.String()
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)


class SessionRequestListSchema(Schema):
    """A list of session sign-off requests."""

    items = fields.List(fields.Nested(SessionSignOffRequestSchema))


class SessionDecisionInSchema(Schema):
    """A decision on the version (and hash) of the session record the signer read."""

    session_version = fields.Integer(required=True, validate=validate.Range(min=1))
    content_sha256 = fields.String(required=True, validate=SHA256)
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    comment = fields.String(load_default="", validate=validate.Length(max=5000))
    request_id = fields.UUID(load_default=None)


class SessionSignOffSchema(Schema):
    """An immutable sign-off of a session record, with the record it signed and its verification."""

    id = fields.UUID()
    session_id = fields.UUID()
    session_version = fields.Integer()
    content_sha256 = fields.String()
    content = fields.Dict()
    decision = fields.String()
    comment = fields.String()
    request_id = fields.UUID(allow_none=True)
    signer_user_id = fields.UUID(allow_none=True)
    signer_name = fields.String()
    signed_at = fields.DateTime()
    statement = fields.String(allow_none=True, metadata={"description": "The signed statement (compact JWS)"})
    verification = fields.Nested(VerificationSchema)


class SessionSignOffListSchema(Schema):
    """Every sign-off of a session record."""

    items = fields.List(fields.Nested(SessionSignOffSchema))


class ActionMutationSchema(Schema):
    """An action agreed in a session recorded on a phone (its id made on the phone)."""

    id = fields.UUID(required=True)
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    owner_id = fields.UUID(required=True)
    due_on = fields.Date(load_default=None)


class SessionMutationSchema(SessionInSchema):
    """The fields of a session recorded on a phone (entity "supervision_session", op create)."""

    class Meta:
        exclude = ("id",)

    actions = fields.List(
        fields.Nested(ActionMutationSchema), load_default=list, validate=validate.Length(max=50)
    )


class SessionChangesSchema(Schema):
    """The fields of a session changed on a phone (op update, against the mutation's base_version)."""

    starts_at = fields.AwareDateTime()
    duration_minutes = fields.Integer(validate=validate.Range(min=5, max=600))
    format = fields.String(validate=validate.OneOf(SESSION_FORMATS))
    location = fields.String(validate=validate.Length(max=200))
    agenda = fields.String(validate=validate.Length(max=20000))
    summary = fields.String(validate=validate.Length(max=50000))
    is_cancelled = fields.Boolean()
    actions = fields.List(
        fields.Nested(ActionMutationSchema), load_default=list, validate=validate.Length(max=50)
    )
    close_actions = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=100))


class SessionConfirmMutationSchema(Schema):
    """A party confirms a session record at a version (entity "supervision_session_confirm")."""

    session_id = fields.UUID(required=True)
    version = fields.Integer(required=True, validate=validate.Range(min=1))


class SessionRequestMutationSchema(SessionSignOffRequestInSchema):
    """Ask the other party to sign off a session record (entity "session_sign_off_request")."""

    session_id = fields.UUID(required=True)


class SessionDecisionMutationSchema(SessionDecisionInSchema):
    """A decision on a session record made on a phone (entity "session_sign_off")."""

    session_id = fields.UUID(required=True)


class ExternalSignerSettingsSchema(Schema):
    """The organisation's rules for external signers (docs/supervision.md)."""

    allowed_domains = fields.List(
        fields.String(validate=validate.Length(min=1, max=253)),
        validate=validate.Length(max=100),
        metadata={"description": "external signers only at these domains; empty: any domain"},
    )
    require_approval = fields.Boolean(
        metadata={"description": "an org admin approves each new external signer before any email is sent"}
    )
    requests_per_day = fields.Integer(
        dump_only=True, metadata={"description": "external requests a practitioner may make in 24 hours"}
    )


class ExternalSignerItemSchema(Schema):
    """An external signer address as the organisation decided it."""

    id = fields.UUID()
    email = fields.String(metadata={"description": "normalised (lower case, no +tag)"})
    name = fields.String()
    state = fields.String(metadata={"description": "pending, approved or refused"})
    first_requested_by_id = fields.UUID(allow_none=True)
    decided_by_id = fields.UUID(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    links_sent = fields.Integer(dump_only=True, metadata={"description": "emails sent on approval"})


class ExternalSignerListSchema(Schema):
    """External signers of the organisation."""

    items = fields.List(fields.Nested(ExternalSignerItemSchema))


class ExternalSignerQuerySchema(Schema):
    """Which external signers to list."""

    state = fields.String(
        load_default="pending", validate=validate.OneOf(("pending", "approved", "refused", "all"))
    )


# --- supervisor assignments (logbook/supervision/assignments.py) -------------------------------


class AssignmentInSchema(Schema):
    """Assign a supervisor: who, to whom, in which role, from when (to when), and the agreement."""

    supervisor_id = fields.UUID(required=True)
    supervisee_id = fields.UUID(required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(LINK_KINDS),
        metadata={
            "description": "professional (internal supervisor), practice_educator, line (line manager "
            "as supervisor), clinical"
        },
    )
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True, load_default=None)
    frequency_days = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=1, max=366),
        metadata={"description": "days between sessions the agreement sets (none: the policy's)"},
    )
    session_minutes = fields.Integer(
        allow_none=True,
        load_default=None,
        validate=validate.Range(min=5, max=600),
        metadata={"description": "length of a session the agreement sets"},
    )

    @validates_schema
    def _dates(self, data, **_kwargs):
        if data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError({"ends_on": ["must not be before starts_on"]})


class AssignmentEndSchema(Schema):
    """End an assignment: its last day in force (default yesterday, so access ends now)."""

    ends_on = fields.Date(allow_none=True, load_default=None)


class AssignmentQuerySchema(Schema):
    """Whose assignments, and which."""

    person_id = fields.UUID(load_default=None, metadata={"description": "as supervisor or supervisee"})
    status = fields.String(load_default="all", validate=validate.OneOf(("current", "future", "ended", "all")))


class AssignmentSchema(Schema):
    """A supervisor assignment (a supervision link and its agreement)."""

    id = fields.UUID()
    supervisor_id = fields.UUID()
    supervisor_name = fields.String()
    supervisee_id = fields.UUID()
    supervisee_name = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date(allow_none=True, metadata={"description": "last day in force"})
    status = fields.String(metadata={"description": "current, future or ended"})
    frequency_days = fields.Integer(allow_none=True)
    session_minutes = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class AssignmentListSchema(Schema):
    """Supervisor assignments."""

    items = fields.List(fields.Nested(AssignmentSchema))


AUDIT_KIND = validate.Regexp(r"^[a-z0-9_.]{1,60}$", error="use lower-case letters, digits, '_' or '.'")


class AuditQuerySchema(Schema):
    """Filters and page of the organisation's audit trail (newest first)."""

    kind = fields.String(
        load_default=None, validate=AUDIT_KIND, metadata={"description": "a kind or its prefix"}
    )
    actor_id = fields.UUID(load_default=None, metadata={"description": "events by this person"})
    subject_type = fields.String(load_default=None, validate=AUDIT_KIND)
    date_from = fields.Date(load_default=None)
    date_to = fields.Date(load_default=None)
    before = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1),
        metadata={"description": "next_before of the page before"},
    )
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class AuditEventSchema(Schema):
    """One event of the hash-chained audit trail."""

    seq = fields.Integer()
    kind = fields.String()
    actor = fields.String()
    actor_name = fields.String()
    actor_kind = fields.String(metadata={"description": "person, external or system"})
    subject_type = fields.String()
    subject_id = fields.UUID()
    data = fields.Dict()
    created_at = fields.DateTime()
    hash = fields.String()


class AuditPageSchema(Schema):
    """A page of events and where the next one starts (null: the last page)."""

    items = fields.List(fields.Nested(AuditEventSchema))
    next_before = fields.Integer(allow_none=True)
    kinds = fields.List(fields.String(), metadata={"description": "every kind in the organisation's trail"})
