"""Wire shape of a background job."""

from __future__ import annotations

from marshmallow import Schema

from logbook import fields


class JobProgressSchema(Schema):
    """How far a job has got."""

    done = fields.Integer()
    total = fields.Integer()


class JobSchema(Schema):
    """A job's state: poll `url` until status is done (then fetch `download_url`) or failed."""

    id = fields.UUID()
    kind = fields.String(metadata={"description": "portfolio, staff_export or record_export"})
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    progress = fields.Nested(JobProgressSchema)
    error = fields.String(metadata={"description": "why it failed (empty otherwise)"})
    attempts = fields.Integer(
        metadata={
            "description": "how many times a worker started it (more than 1: a worker died and another "
            "took over)"
        }
    )
    url = fields.String(metadata={"description": "this job's status address"})
    download_url = fields.String(
        allow_none=True, metadata={"description": "the result, for the job's owner, once done"}
    )
    result_name = fields.String(allow_none=True)
    result_size = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


def present_job(job, *, viewer_id, status: str | None = None, error: str | None = None) -> dict:
    """Plain data for JobSchema (the download link only for the owner, who alone may fetch it);
    status and error as jobs.service.job_state reports them, when given."""
    url = f"/api/v1/jobs/{job.id}"
    return {
        "id": job.id,
        "kind": job.kind,
        "status": status or job.status,
        "progress": {"done": job.progress_done, "total": job.progress_total},
        "error": job.error or "" if error is None else error,
        "attempts": job.attempts,
        "url": url,
        "download_url": f"{url}/download" if job.status == "done" and job.owner_id == viewer_id else None,
        "result_name": job.result_name,
        "result_size": job.result_size,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
