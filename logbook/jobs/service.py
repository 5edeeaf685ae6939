"""Job services: queue a job, report its state to the people allowed to see it, run it, and hand
out its result.

A job kind is a function `handler(*, job, progress, ring) -> Result` named in HANDLERS. It reads what
it needs from `job.params` (plain JSON saved when the job was queued), signs and verifies with `ring`
(the app's signing keys, which `create_app` binds to run_job) and calls `progress(done, total)` as it
goes; each call commits, so the caller's transaction must hold nothing it still needs. On SQLite
every transaction outside a request takes the write lock, so handlers keep transactions short and
never render while one is open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from logbook.accounts.models import User
from logbook.config import KeyRing
from logbook.errors import Conflict, DomainError, NotFound
from logbook.extensions import db
from logbook.jobs.models import Job
from logbook.jobs.runner import JobRunner, submit_after_commit
from logbook.storage import evidence_store
from logbook.timeutil import utcnow

log = logging.getLogger("logbook")  # the app's logger (Flask names it after the package)

# kind → "module:function" (imported when a job of that kind runs: no import cycles, no registry order).
HANDLERS = {
    "portfolio": "logbook.exports.portfolio_job:render_portfolio_job",
    "staff_export": "logbook.exports.staff:run_staff_export",
    "record_export": "logbook.exports.record:run_record_export",
}


@dataclass(frozen=True)
class Result:
    """What a job made: a file name, its media type, and the bytes."""

    name: str
    media_type: str
    data: bytes


Progress = Callable[[int, int], None]


def enqueue(
    *,
    kind: str,
    owner: User,
    params: dict[str, Any],
    now: dt.datetime,
    runner: JobRunner,
    total: int = 0,
    stale_after: int = 900,
) -> Job:
    """Queue a job (flushes); it is handed to the runner (the app's, passed in by the route or the
    CLI) when the caller's transaction commits. One job
    of a kind per person at a time: a second while the first is queued or running (and still moving)
    is a 409 naming the first, so repeated taps cannot fill the workers."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    waiting = db.session.scalar(
        select(Job)
        .where(
            Job.owner_id == owner.id,
            Job.kind == kind,
            Job.status.in_(("queued", "running")),
            Job.updated_at > now - dt.timedelta(seconds=stale_after),
        )
        .limit(1)
    )
    if waiting is not None:
        raise Conflict(
            "You already have this export under way; wait for it to finish.",
            code="job_in_progress",
            extra={"job": f"/api/v1/jobs/{waiting.id}"},
        )
    job = Job(
        kind=kind,
        owner_id=owner.id,
        organisation_id=owner.organisation_id,
        status="queued",
        params=params,
        progress_total=total,
        created_at=now,
        updated_at=now,
    )
    db.session.add(job)
    db.session.flush()
    submit_after_commit(db.session(), job.id, runner)
    return job


def get_job(*, viewer: User, job_id: uuid.UUID) -> Job:
    """A job's row for its owner, or for an org admin of its organisation (status only: see
    `job_result`); anyone else gets NotFound, as for a job that does not exist."""
    job = db.session.get(Job, job_id)
    if job is None or not (
        job.owner_id == viewer.id or (viewer.is_org_admin and job.organisation_id == viewer.organisation_id)
    ):
        raise NotFound("No such job.")
    return job


STOPPED = "The export stopped before it finished (its worker went away); please start it again."


def job_state(job: Job, *, now: dt.datetime, stale_after: int) -> tuple[str, str]:
    """The status and error to report. A job still "running" whose row has not moved for stale_after
    seconds lost its worker (a restart, a crash): it is reported as failed, without writing, so a
    status request never needs the write lock; a worker that does come back still finishes it."""
    if job.status == "running" and (now - job.updated_at).total_seconds() > stale_after:
        return "failed", STOPPED
    return job.status, job.error or ""


def job_result(*, viewer: User, job_id: uuid.UUID) -> tuple[Job, bytes]:
    """The finished job's file, for its owner only: a practitioner's own portfolio may carry their
    reflections, which an org admin must never read (an admin's staff export is the admin's own job)."""
    job = db.session.get(Job, job_id)
    if job is None or job.owner_id != viewer.id:
        raise NotFound("No such job.")
    if job.status != "done" or not job.result_sha256:
        raise NotFound("This job has no file (yet).", code="not_ready")
    try:
        return job, evidence_store().get(job.result_sha256)
    except KeyError as err:
        raise NotFound("The job's file is missing from the store.") from err


def _set(job_id: uuid.UUID, **values: Any) -> None:
    """Write the job row in its own short transaction (so status and progress are visible at once)."""
    db.session.execute(update(Job).where(Job.id == job_id).values(updated_at=utcnow(), **values))
    db.session.commit()


def handler_for(kind: str) -> Callable[..., Result]:
    """The function that runs jobs of this kind."""
    module, name = HANDLERS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def run_job(*, job_id: uuid.UUID, ring: KeyRing) -> None:
    """Run one queued job to done or failed (needs an app context; called by every runner, bound
    to the app's key ring by `create_app`)."""
    job = db.session.get(Job, job_id)
    if job is None or job.status != "queued":
        db.session.rollback()
        return  # already taken by another worker, or gone
    claimed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(status="running", started_at=utcnow(), updated_at=utcnow())
        ),
    )  # an UPDATE's result is a CursorResult (rowcount); execute() is typed as the general Result
    db.session.commit()
    if claimed.rowcount != 1:
        return

    def progress(done: int, total: int) -> None:
        _set(job_id, progress_done=done, progress_total=total)

    try:
        job = db.session.get(Job, job_id)
        if job is None:
            raise RuntimeError("claimed by this worker just above; jobs are not deleted while running")
        result = handler_for(job.kind)(job=job, progress=progress, ring=ring)
        digest = hashlib.sha256(result.data).hexdigest()
        evidence_store().put(digest, result.data)
    except DomainError as err:
        db.session.rollback()
        _set(job_id, status="failed", error=err.message, finished_at=utcnow())
        return
    except Exception:
        db.session.rollback()
        # Only the id and the traceback: never the job's parameters (they may hold a person's text).
        log.exception("job %s failed", job_id)
        _set(
            job_id, status="failed", error="The export failed unexpectedly; try again.", finished_at=utcnow()
        )
        return
    _set(
        job_id,
        status="done",
        progress_done=Job.progress_total,  # done is all of it, whatever the handler last reported
        result_sha256=digest,
        result_name=result.name,
        result_media_type=result.media_type,
        result_size=len(result.data),
        finished_at=utcnow(),
    )
