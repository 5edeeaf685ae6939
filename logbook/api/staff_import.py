"""Staff onboarding (org admins): upload a CSV or XLSX of staff, see every row's result and problem,
then apply it all or nothing. The rules are logbook/exports/staff_import.py; docs/onboarding.md."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask import current_app, request
from flask_smorest import Blueprint
from marshmallow import Schema

from logbook import fields
from logbook.accounts.auth import current_user, roles_required
from logbook.mail import mailer
from logbook.sso import service as sso_service
from logbook.timeutil import utcnow
from logbook.urls import public_url

if TYPE_CHECKING:
    from logbook.exports import staff_import, tables

# The import's rules (logbook/exports/staff_import.py) are imported by the functions that use them: a
# server starting up does not load them (issue 24, tests/architecture/test_cold_start.py).

blp = Blueprint(
    "staff_import", __name__, url_prefix="/api/v1/admin", description="Staff onboarding in bulk (org admins)"
)

admin_only = roles_required("org_admin")

_FILE_BODY = {
    "required": True,
    "description": "The file's bytes: CSV (UTF-8) or XLSX, told apart by content (docs/onboarding.md)",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
}


class ProblemSchema(Schema):
    """One problem with one cell ("column" empty: the whole row)."""

    column = fields.String()
    message = fields.String()


class PreviewRowSchema(Schema):
    """What one row of the file does."""

    row = fields.Integer(metadata={"description": "the row number as the spreadsheet shows it"})
    action = fields.String(metadata={"description": "create, update, unchanged or error"})
    name = fields.String()
    email = fields.String()
    changes = fields.List(fields.String(), metadata={"description": "columns an update changes"})
    problems = fields.List(fields.Nested(ProblemSchema))


class SummarySchema(Schema):
    """Rows of each result."""

    create = fields.Integer()
    update = fields.Integer()
    unchanged = fields.Integer()
    error = fields.Integer()


class PreviewSchema(Schema):
    """The file's result, row by row."""

    summary = fields.Nested(SummarySchema)
    can_apply = fields.Boolean()
    new_teams = fields.List(fields.String(), metadata={"description": "teams the file adds"})
    rows = fields.List(fields.Nested(PreviewRowSchema))
    applied = fields.Boolean(metadata={"description": "true once written"})


def budget() -> tables.Budget:
    """The upload budget from the settings."""
    from logbook.exports import staff_import

    return staff_import.budget_from(current_app.config)


def sso_login_url(organisation) -> str | None:
    """Where an organisation's people sign in with OpenID Connect (docs/sso.md), or None (they set a
    password)."""
    return sso_service.invitation_login_url(organisation, base_url=public_url())


def invitations() -> staff_import.Invitations:
    """How new people are invited, from the settings."""
    from logbook.exports import staff_import

    return staff_import.Invitations(
        lifetime=dt.timedelta(days=int(current_app.config["INVITATION_DAYS"])),
        base_url=public_url(),
        mailer=mailer(),
        sso_login_url=sso_login_url(current_user().organisation),
    )


def _body() -> bytes:
    limit = int(current_app.config["STAFF_IMPORT_MAX_BYTES"])
    request.max_content_length = limit + 1  # a larger body is refused (413) before it is read
    return request.get_data(cache=False)


@blp.route("/staff-import/preview", methods=["POST"])
@admin_only
@blp.doc(requestBody=_FILE_BODY)
@blp.response(200, PreviewSchema)
@blp.alt_response(413, description="Larger than STAFF_IMPORT_MAX_BYTES")
@blp.alt_response(422, description="The file cannot be read (type, budget, header); nothing planned")
def preview():
    """Every row's result (create, update, unchanged, error) and every problem by row and column;
    nothing is written."""
    from logbook.exports import staff_import

    found = staff_import.plan(
        organisation_id=current_user().organisation_id, data=_body(), budget=budget(), today=utcnow().date()
    )
    return found.as_dict() | {"applied": False}


@blp.route("/staff-import/apply", methods=["POST"])
@admin_only
@blp.doc(requestBody=_FILE_BODY)
@blp.response(200, PreviewSchema)
@blp.alt_response(413, description="Larger than STAFF_IMPORT_MAX_BYTES")
@blp.alt_response(422, description="A row has a problem (the preview is in error.preview); nothing written")
def apply():
    """Write the file, all rows or none; applying the same file again changes nothing. New people
    are emailed an invitation once this commits."""
    from logbook.exports import staff_import

    user = current_user()
    done = staff_import.apply(
        organisation_id=user.organisation_id,
        data=_body(),
        budget=budget(),
        by=f"user:{user.id}",
        invitations=invitations(),
        now=utcnow(),
    )
    return done.as_dict() | {"applied": True}
