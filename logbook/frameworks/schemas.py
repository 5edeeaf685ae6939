"""Wire shapes for frameworks (for tagging and uploads) and for progress in registration cycles."""

from __future__ import annotations

from marshmallow import Schema, validate

from logbook import fields

STATUSES = ("met", "on_track", "at_risk", "not_met")


def IsoDate(**kwargs):  # noqa: N802 - reads like a field class
    """A date the engine has already written as YYYY-MM-DD."""
    return fields.String(metadata={"format": "date", **kwargs.pop("metadata", {})}, **kwargs)


class FrameworkRefSchema(Schema):
    """Which framework version."""

    id = fields.String()
    version = fields.Integer()
    name = fields.String()


class FrameworkSummarySchema(Schema):
    """A framework as listed: its newest version and every version number."""

    id = fields.String()
    version = fields.Integer()
    name = fields.String()
    kind = fields.String(metadata={"description": "registration, supervision_policy or standards"})
    regulator = fields.String(allow_none=True)
    effective_from = fields.Date(allow_none=True)
    effective_to = fields.Date(allow_none=True)
    owner = fields.String(metadata={"description": "shipped or organisation"})
    source_name = fields.String()
    imported_at = fields.DateTime()
    versions = fields.List(fields.Integer())


class FrameworkCoverageSchema(FrameworkSummarySchema):
    """A framework with whom it applies to in the organisation (the org admin's view)."""

    applies_to = fields.Dict(
        allow_none=True, metadata={"description": "a supervision policy's regulators and service areas"}
    )
    people = fields.Integer(metadata={"description": "active people it applies to"})
    job_roles = fields.List(
        fields.String(), metadata={"description": "job roles whose usual regulator it serves"}
    )


class StandardSchema(Schema):
    """A standard to tag entries with; parent is the code it sits under."""

    code = fields.String()
    title = fields.String()
    parent = fields.String(allow_none=True)
    description = fields.String()
    unconfirmed = fields.Boolean()


class FrameworkDetailSchema(FrameworkSummarySchema):
    """One framework version in full: standards, rules, profile, sources."""

    description = fields.String()
    sources = fields.List(fields.Dict())
    unconfirmed = fields.List(fields.String())
    standards = fields.List(fields.Nested(StandardSchema))
    entry_kinds = fields.Dict()
    activity_types = fields.Dict()
    cycle = fields.Dict()
    dates = fields.List(fields.Dict())
    requirements = fields.List(fields.Dict())
    reminders = fields.List(fields.Dict())
    record_fields = fields.List(fields.Dict())
    profile = fields.Dict(allow_none=True)
    applies_to = fields.Dict(allow_none=True)


class FrameworkQuerySchema(Schema):
    """Which version to show."""

    version = fields.Integer(validate=validate.Range(min=1))


class FrameworkUploadSchema(Schema):
    """A framework file to add for the organisation (YAML text, format in docs/frameworks.md)."""

    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    text = fields.String(required=True, validate=validate.Length(min=1, max=512 * 1024))


class ProgressQuerySchema(Schema):
    """Whose progress: the caller (default), one person by id, or a group the caller may see."""

    user_id = fields.UUID()
    scope = fields.String(
        load_default="me", validate=validate.OneOf(["me", "supervisees", "team", "organisation"])
    )
    as_of = fields.Date(metadata={"description": "work out progress as on this day (default today)"})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=500))


class RuleSchema(Schema):
    """How one requirement stands."""

    id = fields.String()
    title = fields.String()
    status = fields.String(validate=validate.OneOf(STATUSES))
    value = fields.Float()
    target = fields.Float()
    unit = fields.String()
    missing = fields.String(metadata={"description": "what is still needed, in plain words"})
    advisory = fields.Boolean(metadata={"description": "good practice: does not change the cycle's status"})
    unconfirmed = fields.Boolean()
    types = fields.List(fields.String())
    gaps = fields.List(fields.Dict())
    missed = fields.List(fields.Dict())
    period = fields.String()
    covered = fields.List(fields.String())
    counted = fields.List(
        fields.String(allow_none=True), metadata={"description": "ids of the entries that count for the rule"}
    )
    not_counted = fields.List(
        fields.Dict(),
        metadata={
            "description": "entries of the rule's kind that do not count: {id, reason} with reason one of "
            "identical (same_as: the one that counts), not_signed, no_impact, before_accounts"
        },
    )


class DateSchema(Schema):
    """A date that matters in a cycle."""

    id = fields.String()
    label = fields.String()
    date = IsoDate()


class ReminderSchema(Schema):
    """Something to do that the logbook cannot check."""

    id = fields.String()
    title = fields.String()
    date = IsoDate()


class CycleSchema(Schema):
    """One registration cycle and how it stands."""

    which = fields.String(
        validate=validate.OneOf(["current", "previous", "earlier"]),
        metadata={"description": "earlier: a cycle before the previous one (the history only)"},
    )
    starts_on = IsoDate()
    ends_on = IsoDate()
    framework = fields.Nested(FrameworkRefSchema)
    status = fields.String(validate=validate.OneOf(STATUSES))
    rules = fields.List(fields.Nested(RuleSchema))
    numbers = fields.Dict()
    not_counted = fields.List(
        fields.Dict(),
        metadata={
            "description": "entries that count for no rule of the cycle: {id, reason}, reason one of "
            "draft, deleted, outside_cycle"
        },
    )
    dates = fields.List(fields.Nested(DateSchema))
    reminders = fields.List(fields.Nested(ReminderSchema))


class RegistrationProgressSchema(Schema):
    """A registration's current and previous cycles."""

    registration_id = fields.UUID()
    regulator = fields.String()
    profession = fields.String()
    registration_number = fields.String(allow_none=True)
    framework = fields.Nested(FrameworkRefSchema, allow_none=True)
    cycles = fields.List(fields.Nested(CycleSchema))
    note = fields.String(metadata={"description": "why no cycle is shown, if none is"})


class PolicyProgressSchema(Schema):
    """A supervision policy that applies to the person."""

    framework = fields.Nested(FrameworkRefSchema)
    cycles = fields.List(fields.Nested(CycleSchema))
    note = fields.String()


class PersonProgressSchema(Schema):
    """One person's progress."""

    user_id = fields.UUID()
    name = fields.String()
    registrations = fields.List(fields.Nested(RegistrationProgressSchema))
    policies = fields.List(fields.Nested(PolicyProgressSchema))


class ProgressSchema(Schema):
    """Progress in registration cycles, as on a day."""

    as_of = fields.Date()
    next_offset = fields.Integer(allow_none=True, metadata={"description": "offset of the next page, if any"})
    people = fields.List(fields.Nested(PersonProgressSchema))


class InputRegistrationSchema(Schema):
    """A registration as the engine reads it."""

    registration_id = fields.UUID()
    regulator = fields.String()
    profession = fields.String()
    registration_number = fields.String(allow_none=True)
    framework_id = fields.String(allow_none=True)
    registered_since = fields.Date(allow_none=True)
    renewal_date = fields.Date(allow_none=True)
    is_dual_registration = fields.Boolean()


class InputFrameworkSchema(Schema):
    """Every stored version of one framework, as the engine reads them (rules, cycle, dates)."""

    id = fields.String()
    versions = fields.List(fields.Dict())


class ProgressInputsSchema(Schema):
    """What the phone needs to work out the caller's progress itself when offline."""

    user_id = fields.UUID()
    registrations = fields.List(fields.Nested(InputRegistrationSchema))
    service_areas = fields.List(fields.String())
    kind_order = fields.List(
        fields.String(), metadata={"description": "entry kinds in the order numbers.by_kind uses"}
    )
    frameworks = fields.List(fields.Nested(InputFrameworkSchema))
    signatures = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "by entry id, the roles of its approved sign-offs that still stand"},
    )


class CycleHistorySchema(Schema):
    """Every cycle of each of the caller's registrations with its verdict, newest first."""

    as_of = fields.Date()
    user_id = fields.UUID()
    registrations = fields.List(fields.Nested(RegistrationProgressSchema))


class ProgressHistoryQuerySchema(Schema):
    """As on which day."""

    as_of = fields.Date(metadata={"description": "work the cycles out as on this day (default today)"})
