"""Wire shapes for the learning offer."""

from __future__ import annotations

from marshmallow import Schema, validate

from logbook import fields
from logbook.entries.schemas import EvidenceRefSchema, StandardTagSchema
from logbook.events.models import EVENT_KINDS

SHORT = validate.Length(min=1, max=200)
COMMON_CORE = [str(i) for i in range(1, 7)]


class EventInSchema(Schema):
    """A learning event as published by an org admin or allowed facilitator."""

    title = fields.String(required=True, validate=SHORT)
    kind = fields.String(required=True, validate=validate.OneOf(EVENT_KINDS))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    location = fields.String(load_default="", validate=validate.Length(max=200))
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "with a time zone"})
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=5, max=24 * 60))
    is_participatory = fields.Boolean(load_default=True)
    facilitator_ids = fields.List(fields.UUID(), validate=validate.Length(max=20))
    target_professions = fields.List(fields.String(validate=SHORT), validate=validate.Length(max=30))
    target_team_ids = fields.List(fields.UUID(), validate=validate.Length(max=100))
    standards = fields.List(fields.Nested(StandardTagSchema), validate=validate.Length(max=100))
    common_core = fields.List(
        fields.String(validate=validate.OneOf(COMMON_CORE)), validate=validate.Length(max=6)
    )
    capacity = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=100_000))
    materials = fields.List(fields.Nested(EvidenceRefSchema), validate=validate.Length(max=20))


class PersonSchema(Schema):
    """A colleague, by name."""

    id = fields.UUID()
    name = fields.String()


class LearningSetBriefSchema(Schema):
    """The set a meeting belongs to."""

    id = fields.UUID()
    name = fields.String()
    counts_as_peer_reflection = fields.Boolean()


class EventSchema(Schema):
    """An event as the viewer sees it."""

    id = fields.UUID()
    title = fields.String()
    kind = fields.String()
    description = fields.String()
    location = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    duration_minutes = fields.Integer()
    hours = fields.Float()
    is_participatory = fields.Boolean()
    facilitators = fields.List(fields.Nested(PersonSchema))
    target_professions = fields.List(fields.String())
    target_team_ids = fields.List(fields.String())
    standards = fields.List(fields.Nested(StandardTagSchema))
    common_core = fields.List(fields.String())
    capacity = fields.Integer(allow_none=True)
    materials = fields.List(fields.Nested(EvidenceRefSchema))
    is_cancelled = fields.Boolean()
    learning_set = fields.Nested(LearningSetBriefSchema, allow_none=True)
    is_facilitator = fields.Boolean(
        metadata={"description": "the viewer may show the QR and mark the register"}
    )
    attended = fields.Boolean(metadata={"description": "the viewer attended"})
    my_entry_id = fields.UUID(allow_none=True, metadata={"description": "the viewer's entry for this event"})
    attendees = fields.Integer(allow_none=True, metadata={"description": "facilitators only"})
    ics_url = fields.String()


class EventListQuerySchema(Schema):
    """Which events."""

    scope = fields.String(
        load_default="upcoming", validate=validate.OneOf(["upcoming", "facilitating", "attended"])
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class EventListSchema(Schema):
    """A list of events."""

    items = fields.List(fields.Nested(EventSchema))
    may_publish = fields.Boolean(metadata={"description": "the caller may publish events"})


class CheckInCodeSchema(Schema):
    """The code the facilitator's screen shows now, and when to fetch the next."""

    event_id = fields.UUID()
    code = fields.String()
    short_code = fields.String(
        metadata={"description": "the same window's code to type by hand, e.g. K7PD-3QXM (8 characters)"}
    )
    url = fields.String(metadata={"description": "what the QR encodes"})
    qr_url = fields.String(metadata={"description": "the QR as SVG"})
    valid_from = fields.DateTime()
    next_at = fields.DateTime(metadata={"description": "fetch a new code from this moment"})
    expires_at = fields.DateTime(metadata={"description": "scans are accepted until then"})
    refresh_seconds = fields.Integer()


class QrQuerySchema(Schema):
    """The code to draw."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CheckInSchema(Schema):
    """A scanned code, or a typed short code (online check-in: the scan time is the server's)."""

    code = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CheckInMutationSchema(CheckInSchema):
    """An offline check-in, queued on the attendee's phone."""

    scanned_at = fields.AwareDateTime(
        required=True, metadata={"description": "the phone's clock at the scan"}
    )


class CheckInResultSchema(Schema):
    """The attendee's one entry for the event."""

    event_id = fields.UUID()
    entry_id = fields.UUID()
    created = fields.Boolean(metadata={"description": "false: already checked in, same entry"})
    method = fields.String()
    title = fields.String()


class RegisterMarkSchema(Schema):
    """People to mark present."""

    user_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=500))


class RegisterRowSchema(Schema):
    """One line of the register."""

    user_id = fields.UUID()
    name = fields.String()
    profession = fields.String(allow_none=True)
    invited = fields.Boolean()
    present = fields.Boolean()
    method = fields.String(allow_none=True)


class RegisterSchema(Schema):
    """The register of an event."""

    event_id = fields.UUID()
    items = fields.List(fields.Nested(RegisterRowSchema))


class MarkedSchema(Schema):
    """Who was marked present and their entries."""

    event_id = fields.UUID()
    marked = fields.List(fields.Nested(CheckInResultSchema))


class FeedbackInSchema(Schema):
    """A short rating and comment."""

    rating = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=validate.Length(max=1000))


class FeedbackSchema(Schema):
    """The attendee's own feedback."""

    event_id = fields.UUID()
    rating = fields.Integer()
    comment = fields.String()


class FeedbackSummarySchema(Schema):
    """Feedback in aggregate, suppressed below the threshold."""

    event_id = fields.UUID()
    threshold = fields.Integer()
    responses = fields.Integer(allow_none=True)
    suppressed = fields.Boolean()
    mean_rating = fields.Float(allow_none=True)
    by_rating = fields.Dict()
    comments = fields.List(fields.String())


class FacilitatorInSchema(Schema):
    """A colleague to allow to publish events."""

    user_id = fields.UUID(required=True)


class FacilitatorListSchema(Schema):
    """People allowed to publish events."""

    items = fields.List(fields.Nested(PersonSchema))


class LearningSetInSchema(Schema):
    """A new learning set."""

    name = fields.String(required=True, validate=SHORT)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    member_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=100))
    counts_as_peer_reflection = fields.Boolean(load_default=True)


class LearningSetSchema(Schema):
    """A learning set with its members."""

    id = fields.UUID()
    name = fields.String()
    description = fields.String()
    counts_as_peer_reflection = fields.Boolean()
    members = fields.List(fields.Nested(PersonSchema))


class LearningSetListSchema(Schema):
    """Learning sets."""

    items = fields.List(fields.Nested(LearningSetSchema))


class MeetingInSchema(Schema):
    """A meeting of a learning set, and which members were there."""

    title = fields.String(validate=SHORT)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    location = fields.String(load_default="", validate=validate.Length(max=200))
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=5, max=24 * 60))
    standards = fields.List(fields.Nested(StandardTagSchema), validate=validate.Length(max=100))
    common_core = fields.List(
        fields.String(validate=validate.OneOf(COMMON_CORE)), validate=validate.Length(max=6)
    )
    present = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=100))


class MeetingSchema(Schema):
    """The meeting (an event) and the entries made for the members present."""

    event = fields.Nested(EventSchema)
    marked = fields.List(fields.Nested(CheckInResultSchema))
