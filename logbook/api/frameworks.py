"""Registration frameworks (for tagging and for an organisation's own), and progress in cycles."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required, roles_required
from logbook.config import KeyRing
from logbook.frameworks import service
from logbook.frameworks.schemas import (
    CycleHistorySchema,
    FrameworkDetailSchema,
    FrameworkQuerySchema,
    FrameworkSummarySchema,
    FrameworkUploadSchema,
    ProgressHistoryQuerySchema,
    ProgressInputsSchema,
    ProgressQuerySchema,
    ProgressSchema,
)
from logbook.progress import cycle_history_for, progress_for
from logbook.supervision import signcore
from logbook.timeutil import utcnow

blp = Blueprint("frameworks", __name__, url_prefix="/api/v1", description="Frameworks and progress")


@blp.route("/frameworks")
class Frameworks(MethodView):
    @login_required
    @blp.response(200, FrameworkSummarySchema(many=True))
    def get(self):
        """List the frameworks the caller's organisation uses (shipped and its own)."""
        return service.list_frameworks(organisation_id=current_user().organisation_id)

    @roles_required("org_admin")
    @blp.arguments(FrameworkUploadSchema)
    @blp.response(201, FrameworkDetailSchema)
    @blp.alt_response(409, description="This version is already stored with different content")
    def post(self, data):
        """Add a framework file for the organisation (a new framework, or a new version of one)."""
        organisation_id = current_user().organisation_id
        row = service.import_framework(
            text=data["text"], filename=data["filename"], organisation_id=organisation_id
        )
        return service.get_framework(
            organisation_id=organisation_id, framework_id=row.framework_id, version=row.version
        )


@blp.route("/frameworks/<string:framework_id>")
@login_required
@blp.arguments(FrameworkQuerySchema, location="query")
@blp.response(200, FrameworkDetailSchema)
def framework(args, framework_id):
    """One framework version in full, with its standards (the newest unless ?version= is given)."""
    return service.get_framework(
        organisation_id=current_user().organisation_id, framework_id=framework_id, version=args.get("version")
    )


@blp.route("/progress")
@login_required
@blp.arguments(ProgressQuerySchema, location="query")
@blp.response(200, ProgressSchema)
def progress(args):
    """Where people stand in their registration cycles: the caller, or (?user_id=, ?scope=) people
    the caller supervises, manages or administers."""
    return progress_for(
        viewer=current_user(),
        today=args.get("as_of") or utcnow().date(),
        user_id=args.get("user_id"),
        scope=args["scope"],
        offset=args["offset"],
        limit=args["limit"],
        signatures=signcore.signatures(ring=KeyRing.of(current_app)),
    )


@blp.route("/progress/inputs")
@login_required
@blp.response(200, ProgressInputsSchema)
def progress_inputs():
    """What the phone needs to work out the caller's own progress while offline: their registrations,
    service areas, the framework versions (rules, cycles, dates) that may apply to them, and which of
    their entries' sign-offs still stand (by role)."""
    viewer = current_user()
    return service.progress_inputs(viewer=viewer) | {
        "signatures": signcore.standing_roles_of(viewer.id, ring=KeyRing.of(current_app))
    }


@blp.route("/progress/history")
@login_required
@blp.arguments(ProgressHistoryQuerySchema, location="query")
@blp.response(200, CycleHistorySchema)
def progress_history(args):
    """Every registration cycle of the caller with its verdict, newest first (the current one, the
    one just ended, and each before it back to when the registration started)."""
    return cycle_history_for(
        viewer=current_user(),
        today=args.get("as_of") or utcnow().date(),
        signatures=signcore.signatures(ring=KeyRing.of(current_app)),
    )
