"""Wire shapes for accounts: input schemas validate and normalise, output schemas list fields."""

from __future__ import annotations

from marshmallow import Schema, validate, validates_schema
from marshmallow.exceptions import ValidationError

from logbook import fields
from logbook.accounts.models import APP_ROLES, REGULATORS, SERVICE_AREAS


class LoginSchema(Schema):
    """Credentials for POST /auth/login."""

    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class TeamRefSchema(Schema):
    """A team as shown inside other objects."""

    id = fields.UUID()
    name = fields.String()
    service_area = fields.String()


class JobRoleSchema(Schema):
    """A job role."""

    id = fields.UUID(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    service_area = fields.String(required=True, validate=validate.OneOf(SERVICE_AREAS))
    profession = fields.String(required=True, validate=validate.Length(min=1, max=120))
    usual_regulator = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(REGULATORS))


class TeamSchema(Schema):
    """A team."""

    id = fields.UUID(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    service_area = fields.String(required=True, validate=validate.OneOf(SERVICE_AREAS))


class RegistrationSchema(Schema):
    """A professional registration."""

    id = fields.UUID(dump_only=True)
    regulator = fields.String(required=True, validate=validate.OneOf(REGULATORS))
    profession = fields.String(required=True, validate=validate.Length(min=1, max=120))
    registration_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    framework_id = fields.String(allow_none=True, validate=validate.Length(max=80))
    registered_since = fields.Date(allow_none=True)
    renewal_date = fields.Date(allow_none=True)
    is_dual_registration = fields.Boolean()


class OwnRegistrationSchema(Schema):
    """A registration as its holder adds it (the framework follows the regulator; an admin may change it)."""

    regulator = fields.String(required=True, validate=validate.OneOf(REGULATORS))
    profession = fields.String(required=True, validate=validate.Length(min=1, max=120))
    registration_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    registered_since = fields.Date(allow_none=True)
    renewal_date = fields.Date(allow_none=True)


class OwnRegistrationChangeSchema(Schema):
    """What a holder may change in their registration (a new regulator is a new registration)."""

    profession = fields.String(validate=validate.Length(min=1, max=120))
    registration_number = fields.String(allow_none=True, validate=validate.Length(max=40))
    registered_since = fields.Date(allow_none=True)
    renewal_date = fields.Date(allow_none=True)


class UserSchema(Schema):
    """A user as the org admin and the user themself see them."""

    id = fields.UUID()
    email = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    is_active = fields.Boolean()
    team = fields.Nested(TeamRefSchema, allow_none=True)
    job_role = fields.Nested(JobRoleSchema, allow_none=True)
    managed_teams = fields.List(fields.Nested(TeamRefSchema))
    registrations = fields.List(fields.Nested(RegistrationSchema))


class OrganisationRefSchema(Schema):
    """The caller's organisation."""

    id = fields.UUID()
    name = fields.String()


class MeSchema(UserSchema):
    """The logged-in user, with their organisation."""

    organisation = fields.Nested(OrganisationRefSchema)


class LoginResultSchema(Schema):
    """Answer to a successful login: who you are and the CSRF token for later requests."""

    user = fields.Nested(MeSchema)
    csrf_token = fields.String()


class PasswordChangeSchema(Schema):
    """POST /me/password: one's own password, changed with the current one."""

    current_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class CsrfSchema(Schema):
    """A CSRF token to send back in the X-CSRFToken header."""

    csrf_token = fields.String()


_roles = fields.List(
    fields.String(validate=validate.OneOf(APP_ROLES)), validate=validate.Length(min=1, max=len(APP_ROLES))
)


class UserCreateSchema(Schema):
    """A new user, created by an org admin."""

    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))
    roles = _roles
    team_id = fields.UUID(allow_none=True)
    job_role_id = fields.UUID(allow_none=True)
    managed_team_ids = fields.List(fields.UUID())


class UserUpdateSchema(Schema):
    """Changes to a user, by an org admin."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    password = fields.String(load_only=True, validate=validate.Length(min=1, max=256))
    roles = _roles
    team_id = fields.UUID(allow_none=True)
    job_role_id = fields.UUID(allow_none=True)
    managed_team_ids = fields.List(fields.UUID())
    is_active = fields.Boolean()

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.")


class CsvImportSchema(Schema):
    """A CSV file's text, as JSON (the PWA reads the file and sends its text)."""

    csv = fields.String(required=True, validate=validate.Length(min=1, max=2_000_000))


class ImportResultSchema(Schema):
    """How many rows were created and updated."""

    created = fields.Integer()
    updated = fields.Integer()


class UserQuerySchema(Schema):
    """Filters for the org admin's list of people (all optional, combined with AND)."""

    q = fields.String(
        load_default=None, validate=validate.Length(max=200), metadata={"description": "in name or email"}
    )
    team_id = fields.UUID(load_default=None)
    job_role_id = fields.UUID(load_default=None)
    role = fields.String(load_default=None, validate=validate.OneOf(APP_ROLES))
    regulator = fields.String(load_default=None, validate=validate.OneOf(REGULATORS))
    active = fields.Boolean(load_default=None, allow_none=True)


class UserInviteSchema(Schema):
    """A new member of staff, invited by email to choose their own password."""

    email = fields.Email(required=True, validate=validate.Length(max=254))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = _roles
    team_id = fields.UUID(allow_none=True)
    job_role_id = fields.UUID(allow_none=True)


class InvitationSentSchema(Schema):
    """An invitation was emailed (the link itself is only in the email)."""

    user_id = fields.UUID()
    email = fields.String()
    expires_in_days = fields.Integer()


class RegistrationQuerySchema(Schema):
    """Filters for the organisation's registrations."""

    regulator = fields.String(load_default=None, validate=validate.OneOf(REGULATORS))


class PersonRefSchema(Schema):
    """A person as shown beside their registration."""

    id = fields.UUID()
    name = fields.String()
    email = fields.String()
    is_active = fields.Boolean()


class OrgRegistrationSchema(RegistrationSchema):
    """A registration with the person it belongs to."""

    user = fields.Nested(PersonRefSchema)
