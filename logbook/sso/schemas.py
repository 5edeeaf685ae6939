"""Wire shapes of an organisation's single sign-on settings."""

from __future__ import annotations

from marshmallow import Schema, validate

from logbook import fields

# the name of an environment variable, not a secret
SECRET_ENV_PATTERN = r"^LOGBOOK_OIDC_SECRET_[A-Z0-9_]{1,60}$"  # noqa: S105  # nosec B105
DOMAIN_PATTERN = r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"


class SsoSettingsInSchema(Schema):
    """What an org admin sets. The secret itself is never sent: only the name of the environment
    variable on the server that holds it (LOGBOOK_OIDC_SECRET_…, so that no other setting of the
    server, such as LOGBOOK_SECRET_KEY, can be named and sent to a provider)."""

    issuer = fields.String(
        required=True,
        validate=validate.Length(min=8, max=500),
        metadata={"description": "the provider's issuer URL, exactly as its discovery document names it"},
    )
    client_id = fields.String(required=True, validate=validate.Length(min=1, max=255))
    client_secret_env = fields.String(
        required=True,
        validate=validate.Regexp(
            SECRET_ENV_PATTERN, error="Must be an environment variable named LOGBOOK_OIDC_SECRET_<NAME>."
        ),
    )
    email_domains = fields.List(
        fields.String(validate=validate.Length(min=1, max=253)),
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "domains whose verified addresses may sign in, e.g. northshire.gov.uk"},
    )
    jit_enabled = fields.Boolean(
        load_default=False,
        metadata={"description": "make an account at first sign-in (these domains)"},
    )
    password_login = fields.Boolean(
        load_default=True,
        metadata={"description": "false: its people sign in only through SSO"},
    )


class SsoSettingsSchema(Schema):
    """The settings as stored (none when `enabled` is false), with what the server can tell about them."""

    organisation = fields.String(metadata={"description": "the organisation's slug"})
    enabled = fields.Boolean()
    issuer = fields.String()
    client_id = fields.String()
    client_secret_env = fields.String(metadata={"description": "the variable's name; never the secret"})
    email_domains = fields.List(fields.String())
    jit_enabled = fields.Boolean()
    password_login = fields.Boolean()
    secret_present = fields.Boolean(
        metadata={"description": "whether the named environment variable is set on this server"}
    )
    redirect_uri = fields.String(metadata={"description": "register this at the provider"})
    login_url = fields.String(metadata={"description": "where people of this organisation sign in"})
    updated_at = fields.DateTime()
