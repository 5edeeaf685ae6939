"""Supervisor assignments (org admins): who supervises whom, in which role, from when to when, on what
agreement; ending one keeps it as history. The rules are logbook/supervision/assignments.py."""

from __future__ import annotations

from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, roles_required
from logbook.supervision import assignments
from logbook.supervision.schemas import (
    AssignmentEndSchema,
    AssignmentInSchema,
    AssignmentListSchema,
    AssignmentQuerySchema,
    AssignmentSchema,
)
from logbook.timeutil import utcnow

blp = Blueprint(
    "assignments", __name__, url_prefix="/api/v1/admin", description="Supervisor assignments (org admins)"
)

admin_only = roles_required("org_admin")


@blp.route("/supervision-assignments", methods=["GET"])
@admin_only
@blp.arguments(AssignmentQuerySchema, location="query")
@blp.response(200, AssignmentListSchema)
def list_assignments(args):
    """The organisation's supervisor assignments, current, future and ended (history is kept)."""
    return {
        "items": assignments.list_assignments(
            organisation_id=current_user().organisation_id,
            today=utcnow().date(),
            person_id=args["person_id"],
            status=args["status"],
        )
    }


@blp.route("/supervision-assignments", methods=["POST"])
@admin_only
@blp.arguments(AssignmentInSchema)
@blp.response(201, AssignmentSchema)
@blp.alt_response(404, description="Either person is not in your organisation")
@blp.alt_response(409, description="The same supervisor in the same role over overlapping dates")
def assign(data):
    """Assign a supervisor (the supervisor role is given if missing); recorded in the audit trail."""
    now = utcnow()
    link = assignments.assign_as(
        actor=current_user(), wanted=assignments.Assignment(**data), today=now.date(), now=now
    )
    return assignments.describe_one(link, today=now.date())


@blp.route("/supervision-assignments/<uuid:link_id>/end", methods=["POST"])
@admin_only
@blp.arguments(AssignmentEndSchema)
@blp.response(200, AssignmentSchema)
@blp.alt_response(409, description="Already ended")
def end_assignment(data, link_id):
    """End an assignment (kept as history): from the day after `ends_on` (default: now) the former
    supervisor sees nothing more of the supervisee, and their phone drops it at its next sync."""
    now = utcnow()
    link = assignments.end_as(
        actor=current_user(), link_id=link_id, ends_on=data["ends_on"], today=now.date(), now=now
    )
    return assignments.describe_one(link, today=now.date())
