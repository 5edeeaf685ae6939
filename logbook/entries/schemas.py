"""Wire shapes for entries: per-kind details, input validation, and output by access level."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import lru_cache

from marshmallow import Schema, ValidationError, validate, validates_schema

from logbook import fields
from logbook.entries.models import VISIBILITIES, WAYS_OF_KNOWING
from logbook.frameworks.kinds import KINDS

TEXT = validate.Length(max=10_000)
SHORT = validate.Length(min=1, max=200)
NMC_PIN = re.compile(r"^\d{2}[A-Z]\d{4}[A-Z]$")  # e.g. 09I1234E: year, letter, four digits, letter


class ActionSchema(Schema):
    """An agreed action from supervision."""

    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    owner = fields.String(validate=validate.Length(max=200))
    due_date = fields.Date(allow_none=True)
    is_done = fields.Boolean(load_default=False)


class ObjectiveSchema(Schema):
    """An appraisal objective."""

    text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    status = fields.String(
        load_default="in_progress",
        validate=validate.OneOf(
            ["not_started", "in_progress", "met", "partly_met", "not_met", "carried_forward"]
        ),
    )


class SupervisionDetails(Schema):
    """Supervision session: who, how, how long, agenda and actions."""

    supervisor_name = fields.String(validate=validate.Length(max=200))
    supervisor_id = fields.UUID(allow_none=True)
    format = fields.String(required=True, validate=validate.OneOf(["individual", "group", "peer"]))
    duration_minutes = fields.Integer(validate=validate.Range(min=1, max=600))
    agenda = fields.String(validate=TEXT)
    actions = fields.List(fields.Nested(ActionSchema), validate=validate.Length(max=50))


class AppraisalDetails(Schema):
    """Appraisal: reviewer, objectives with status, review notes."""

    reviewer_name = fields.String(required=True, validate=SHORT)
    objectives = fields.List(fields.Nested(ObjectiveSchema), validate=validate.Length(max=30))
    review_notes = fields.String(validate=TEXT)


class LearningEventDetails(Schema):
    """Study day, course, bite-size workshop, team study day or conference."""

    provider = fields.String(validate=validate.Length(max=200))
    location = fields.String(validate=validate.Length(max=200))
    has_certificate = fields.Boolean()


class LearningSetDetails(Schema):
    """Reflective learning set meeting."""

    set_name = fields.String(required=True, validate=SHORT)
    facilitator = fields.String(validate=validate.Length(max=200))


class ShadowingDetails(Schema):
    """Shadowing another profession or team."""

    profession_shadowed = fields.String(required=True, validate=SHORT)
    team_shadowed = fields.String(validate=validate.Length(max=200))


class ReadingDetails(Schema):
    """Reading or other self-directed learning."""

    source = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class PeerReflectionDetails(Schema):
    """Peer reflection (Social Work England): with whom."""

    peer_name = fields.String(required=True, validate=SHORT)
    peer_role = fields.String(required=True, validate=SHORT)


class PracticeFeedbackDetails(Schema):
    """Practice-related feedback: from whom, what it said, what changed."""

    source = fields.String(
        required=True,
        validate=validate.OneOf(["child_or_young_person", "parent_carer", "colleague", "manager", "other"]),
    )
    summary = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    what_changed = fields.String(validate=TEXT)


CODE_THEMES = ("prioritise_people", "practise_effectively", "preserve_safety", "promote_professionalism")


class ReflectiveAccountDetails(Schema):
    """NMC written reflective account, on the form's headings."""

    nature_of_activity = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    what_did_you_learn = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    how_did_you_change_or_improve = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    code_themes = fields.List(
        fields.String(validate=validate.OneOf(CODE_THEMES)),
        required=True,
        validate=validate.Length(min=1, max=4),
    )
    relevance_to_the_code = fields.String(validate=TEXT)  # "How is this relevant to the Code?"


class ReflectiveDiscussionDetails(Schema):
    """NMC reflective discussion: the partner and their PIN."""

    partner_name = fields.String(required=True, validate=SHORT)
    partner_nmc_pin = fields.String(
        required=True,
        validate=validate.Regexp(NMC_PIN, error="must be an NMC PIN such as 09I1234E"),
    )


class PracticeHoursDetails(Schema):
    """NMC practice hours log line."""

    registration = fields.String(
        required=True,
        validate=validate.OneOf(["nurse", "midwife", "nursing_associate", "scphn"]),
    )
    scope_of_practice = fields.String(validate=validate.Length(max=500))
    organisation = fields.String(validate=validate.Length(max=500))  # "Name and address of organisation"
    setting = fields.String(required=True, validate=SHORT)
    work_description = fields.String(validate=TEXT)


class NoDetails(Schema):
    """Kinds with no fields of their own."""


DETAILS_BY_KIND: dict[str, type[Schema]] = {
    "supervision": SupervisionDetails,
    "appraisal": AppraisalDetails,
    "study_day": LearningEventDetails,
    "course": LearningEventDetails,
    "bite_size_workshop": LearningEventDetails,
    "team_study_day": LearningEventDetails,
    "conference": LearningEventDetails,
    "reflective_learning_set": LearningSetDetails,
    "shadowing": ShadowingDetails,
    "reading": ReadingDetails,
    "peer_reflection": PeerReflectionDetails,
    "practice_feedback": PracticeFeedbackDetails,
    "reflective_account": ReflectiveAccountDetails,
    "reflective_discussion": ReflectiveDiscussionDetails,
    "practice_hours": PracticeHoursDetails,
    "other": NoDetails,
}

# Self-directed kinds are not participatory unless the practitioner says so (NMC's definition).
NOT_PARTICIPATORY_BY_DEFAULT = {"reading", "reflective_account", "practice_hours"}


class StandardTagSchema(Schema):
    """A framework standard an entry is evidence for, pinned to the framework version."""

    framework = fields.String(required=True, validate=validate.Length(min=1, max=80))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class EvidenceRefSchema(Schema):
    """An evidence file referenced by its SHA-256."""

    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    name = fields.String(load_default="", validate=validate.Length(max=255))
    caption = fields.String(load_default="", validate=validate.Length(max=500))


class ReflectionSchema(Schema):
    """A reflection: the template used and the answers to its prompts."""

    template = fields.String(required=True, validate=validate.Length(max=40))
    answers = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)


MAX_FUTURE = dt.timedelta(days=366)


def date_hours_problems(
    start: dt.date | None, end: dt.date | None, hours: Decimal | None
) -> dict[str, list[str]]:
    """Plausible dates (end not before start, at most a year long) and at most 24 hours a day."""
    errors: dict[str, list[str]] = {}
    if start and not dt.date(1970, 1, 1) <= start <= dt.date.today() + MAX_FUTURE:  # noqa: DTZ011
        errors["start_date"] = ["is not a plausible date"]
    if start and end and end < start:
        errors["end_date"] = ["must not be before start_date"]
    elif start and end and (end - start).days > 366:
        errors["end_date"] = ["an entry may span at most a year; split longer learning into entries"]
    if start and hours is not None:
        days = ((end - start).days + 1) if end and end >= start else 1
        if hours > 24 * days:
            errors["hours"] = [f"{hours} hours is more than {24 * days} hours in {days} day(s)"]
    return errors


class EntryInSchema(Schema):
    """An entry as created or replaced by its owner (the service checks tags and evidence)."""

    id = fields.UUID()
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    title = fields.String(required=True, validate=SHORT)
    description = fields.String(validate=TEXT)
    start_date = fields.Date(required=True)
    end_date = fields.Date(allow_none=True)
    hours = fields.Decimal(
        required=True,
        places=2,
        allow_nan=False,
        validate=validate.Range(min=Decimal("0.25")),
        # apispec writes the bound through the Decimal field, i.e. as the string "0.25", which is not
        # a valid JSON Schema minimum (schemathesis found it): state the number for the document.
        metadata={"minimum": 0.25},
    )
    is_participatory = fields.Boolean()
    includes_peer_reflection = fields.Boolean()
    reflection = fields.Nested(ReflectionSchema)
    impact_on_practice = fields.String(validate=validate.Length(max=5000))
    impact_on_people = fields.String(validate=validate.Length(max=5000))
    ways_of_knowing = fields.List(
        fields.String(validate=validate.OneOf(WAYS_OF_KNOWING)), validate=validate.Length(max=4)
    )
    other_professions = fields.List(fields.String(validate=SHORT), validate=validate.Length(max=20))
    standards = fields.List(fields.Nested(StandardTagSchema), validate=validate.Length(max=100))
    common_core = fields.List(
        fields.String(validate=validate.OneOf([str(i) for i in range(1, 7)])), validate=validate.Length(max=6)
    )
    details = fields.Dict(keys=fields.String())
    evidence = fields.List(fields.Nested(EvidenceRefSchema), validate=validate.Length(max=30))
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    status = fields.String(validate=validate.OneOf(["draft", "recorded"]))

    @validates_schema
    def _dates_and_hours(self, data, **kwargs):
        errors = date_hours_problems(data.get("start_date"), data.get("end_date"), data.get("hours"))
        if errors:
            raise ValidationError(errors)


@lru_cache(maxsize=len(DETAILS_BY_KIND))
def details_schema(kind: str) -> Schema:
    """The kind's details schema, made once (a schema keeps no state between loads)."""
    return DETAILS_BY_KIND[kind]()


def validate_details(kind: str, details: dict) -> tuple[dict, dict[str, list[str]]]:
    """Load kind-specific details with the kind's schema; returns (clean details, errors by field)."""
    schema = details_schema(kind)
    try:
        clean = schema.load(details or {})
    except ValidationError as err:
        return {}, {
            f"details.{k}": v if isinstance(v, list) else [str(v)]
            for k, v in err.normalized_messages().items()
        }
    return schema.dump(clean), {}


class EntryPatchSchema(EntryInSchema):
    """Changes to an entry, made against the version the client last saw (use with partial=True)."""

    base_version = fields.Integer(required=True, validate=validate.Range(min=1))

    @validates_schema
    def _needs_base_version(self, data, **kwargs):
        if "base_version" not in data:
            raise ValidationError({"base_version": ["is required: the version your change was made against"]})


class DeleteSchema(Schema):
    """Deleting needs the version the client last saw, so a deletion never hides unseen changes."""

    base_version = fields.Integer(required=True, validate=validate.Range(min=1))


class IdentifierWarningSchema(Schema):
    """Text that looks like it identifies someone."""

    field = fields.String()
    start = fields.Integer()
    end = fields.Integer()
    kind = fields.String()
    reason = fields.String()


class EntryMetadataSchema(Schema):
    """What an org admin or manager may see: never reflections or narrative text."""

    id = fields.UUID()
    owner_id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    start_date = fields.Date()
    end_date = fields.Date(allow_none=True)
    hours = fields.Float()
    is_participatory = fields.Boolean()
    includes_peer_reflection = fields.Boolean()
    ways_of_knowing = fields.List(fields.String())
    other_professions = fields.List(fields.String())
    standards = fields.List(fields.Nested(StandardTagSchema))
    common_core = fields.List(fields.String())
    visibility = fields.String()
    status = fields.String()
    version = fields.Integer()
    is_deleted = fields.Boolean()
    updated_at = fields.DateTime()


class EntrySchema(EntryMetadataSchema):
    """The whole entry, for its owner and supervisors it was shared with."""

    description = fields.String()
    reflection = fields.Dict()
    impact_on_practice = fields.String()
    impact_on_people = fields.String()
    details = fields.Dict()
    evidence = fields.List(fields.Nested(EvidenceRefSchema))
    created_at = fields.DateTime()
    access = fields.String(metadata={"description": "owner, supervisor or metadata"})
    warnings = fields.List(fields.Nested(IdentifierWarningSchema))


class EntryListQuerySchema(Schema):
    """Filters for listing entries."""

    scope = fields.String(
        load_default="mine", validate=validate.OneOf(["mine", "supervisees", "organisation"])
    )
    owner_id = fields.UUID()
    kind = fields.String(validate=validate.OneOf(KINDS))
    date_from = fields.Date()
    date_to = fields.Date()
    standard = fields.String(
        validate=validate.Regexp(r"^[a-z0-9_\-]+:[A-Za-z0-9_.\-]+$"),
        metadata={"description": "framework:code, e.g. hcpc:2"},
    )
    status = fields.String(
        validate=validate.OneOf(["draft", "recorded", "submitted", "signed_off", "returned"])
    )
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))
    q = fields.String(validate=validate.Length(min=1, max=200))
    include_deleted = fields.Boolean(load_default=False)
    cursor = fields.String(validate=validate.Length(max=200))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class EntryPageSchema(Schema):
    """A page of entries and the cursor for the next page."""

    items = fields.List(fields.Nested(EntrySchema))
    next_cursor = fields.String(allow_none=True)


class TextCheckSchema(Schema):
    """Text to check for identifying details while the user types."""

    text = fields.String(required=True, validate=validate.Length(max=50_000))


class TextCheckResultSchema(Schema):
    """Identifying-data warnings for a text."""

    warnings = fields.List(fields.Nested(IdentifierWarningSchema))


class GapExplanationInSchema(Schema):
    """A gap explanation as a practitioner writes it: the days and the reason in their own words."""

    id = fields.UUID(metadata={"description": "made on the device (optional on the web)"})
    starts_on = fields.Date(required=True, metadata={"description": "first day of the break"})
    ends_on = fields.Date(required=True, metadata={"description": "last day of the break"})
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "private: printed only in the HCPC profile its owner makes"},
    )

    @validates_schema
    def _in_order(self, data, **kwargs):
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            raise ValidationError({"ends_on": ["is before the start date"]})


class GapExplanationPatchSchema(GapExplanationInSchema):
    """Changes to an explanation against the version last seen (use with partial=True)."""

    base_version = fields.Integer(required=True, validate=validate.Range(min=1))

    @validates_schema
    def _needs_base_version(self, data, **kwargs):
        if "base_version" not in data:
            raise ValidationError({"base_version": ["is required: the version your change was made against"]})


class GapExplanationSchema(Schema):
    """A gap explanation as its owner sees it (API, and the pull's record for gap_explanation)."""

    id = fields.UUID(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    reason = fields.String(required=True)
    version = fields.Integer(required=True)
    is_deleted = fields.Boolean(required=True)
    updated_at = fields.DateTime(required=True)


class GapExplanationListSchema(Schema):
    """The caller's gap explanations, earliest first."""

    items = fields.List(fields.Nested(GapExplanationSchema), required=True)
