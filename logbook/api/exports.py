"""Long exports as background jobs: the org admin's staff export, the practitioner's full record
(export, and import into another organisation's logbook)."""

from __future__ import annotations

from flask import current_app, request
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.api.jobs import accepted, app_runner
from logbook.config import KeyRing
from logbook.exports import record, staff
from logbook.exports.schemas import RecordImportSchema, StaffExportRequestSchema
from logbook.jobs.schemas import JobSchema
from logbook.storage import evidence_store
from logbook.timeutil import utcnow

blp = Blueprint("exports", __name__, url_prefix="/api/v1", description="Staff exports and full records")


@blp.route("/exports/staff", methods=["POST"])
@login_required
@blp.arguments(StaffExportRequestSchema)
@blp.response(202, JobSchema, description="Queued: poll the job (Location), then download the ZIP")
def export_staff(data):
    """Registration evidence for a team or chosen people of your organisation (org admins): a ZIP of
    one PDF per person and a CSV of compliance figures. Never private entries or reflections."""
    return accepted(staff.start_staff_export(admin=current_user(), now=utcnow(), runner=app_runner(), **data))


@blp.route("/record/export", methods=["POST"])
@login_required
@blp.response(202, JobSchema, description="Queued: poll the job (Location), then download the ZIP")
def export_record():
    """Your whole record (entries with every version, evidence, sign-offs with their hashes,
    supervision sessions) as one ZIP in the documented format (docs/record-format.md)."""
    return accepted(record.start_record_export(user=current_user(), now=utcnow(), runner=app_runner()))


@blp.route("/record/import", methods=["POST"])
@login_required
@blp.doc(
    requestBody={
        "required": True,
        "description": "A record ZIP exported from a CPD Logbook (docs/record-format.md)",
        "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }
)
@blp.response(201, RecordImportSchema, description="Imported")
@blp.alt_response(409, description="This record is already in your logbook")
@blp.alt_response(
    422, description="Not a record archive, an unsupported version, altered content, or over a limit"
)
def import_record(**_kwargs):
    """Import a record exported from another organisation's logbook into your own: dates, versions
    and sign-offs are kept (sign-offs as "imported, not verified": never counted; registrations as
    proposals for an org admin). Limits: docs/record-format.md."""
    request.max_content_length = current_app.config["MAX_CONTENT_LENGTH"]
    return record.import_record(
        user=current_user(),
        data=request.get_data(cache=False),
        store=evidence_store(),
        now=utcnow(),
        ring=KeyRing.of(current_app),
        limits=record.limits_from(current_app.config),
    )
