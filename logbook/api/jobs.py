"""Background jobs: their state (owner or org admin) and their result (owner)."""

from __future__ import annotations

import uuid

from flask import Response, current_app, jsonify, url_for
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, login_required
from logbook.jobs import service
from logbook.jobs.runner import JobRunner, job_runner
from logbook.jobs.schemas import JobSchema, present_job
from logbook.timeutil import utcnow

blp = Blueprint("jobs", __name__, url_prefix="/api/v1", description="Background jobs")


def app_runner() -> JobRunner:
    """This app's job runner, for the routes that queue a job to pass on (`runner=`). The app itself,
    not the `current_app` proxy: a runner made here keeps it, and its threads have no app context."""
    return job_runner(current_app._get_current_object())  # type: ignore[attr-defined]


def accepted(job) -> Response:
    """The 202 answer for a queued job: its state, and where to poll (Location)."""
    response = jsonify(JobSchema().dump(present_job(job, viewer_id=job.owner_id)))
    response.status_code = 202
    response.headers["Location"] = url_for("jobs.job_status", job_id=job.id)
    return response


@blp.route("/jobs/<uuid:job_id>", methods=["GET"])
@login_required
@blp.response(200, JobSchema)
def job_status(job_id: uuid.UUID):
    """A job's status and progress (its owner, or an org admin of its organisation)."""
    user = current_user()
    job = service.get_job(viewer=user, job_id=job_id)
    now, stale_after = utcnow(), current_app.config["JOBS_STALE_SECONDS"]
    # its worker died, or the queue lost it
    service.resume_if_stalled(job, now=now, stale_after=stale_after, runner=app_runner())
    status, error = service.job_state(job, now=now, stale_after=stale_after)
    return present_job(job, viewer_id=user.id, status=status, error=error)


@blp.route("/jobs/<uuid:job_id>/download", methods=["GET"])
@login_required
@blp.response(200, description="The job's file, as an attachment")
def job_download(job_id: uuid.UUID):
    """The finished job's file (its owner only); 404 until it is done."""
    job, data = service.job_result(viewer=current_user(), job_id=job_id)
    response = Response(data, mimetype=job.result_media_type or "application/octet-stream")
    response.headers["Content-Disposition"] = f'attachment; filename="{job.result_name}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
