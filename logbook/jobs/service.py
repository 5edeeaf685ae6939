"""Job services: queue a job, report its state to the people allowed to see it, run it, and hand
out its result.

A job kind is a function `handler(*, job, progress, ring) -> Result` named in HANDLERS. It reads what
it needs from `job.params` (plain JSON saved when the job was queued), signs and verifies with `ring`
(the app's signing keys, which `create_app` binds to run_job) and calls `progress(done, total)` as it
goes; each call commits, so the caller's transaction must hold nothing it still needs. On SQLite
every transaction outside a request takes the write lock, so handlers keep transactions short and
never render while one is open.

A worker that dies mid-job (killed, out of memory, its machine gone) leaves the row "running". While
a job runs, its worker touches the row every few seconds (a heartbeat), so a "running" row that has
not moved for JOBS_STALE_SECONDS has lost its worker: the next status request hands it to the runner
again and another worker takes it over (`run_job` claims it anew, `attempts` counts the starts), at
most MAX_ATTEMPTS times. Each claim is fenced by its start time: a worker that lost its claim (it was
only paused, and another took over) can no longer write progress or a result, so a job is finished
exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

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
MAX_ATTEMPTS = 3  # starts of one job: a job that kills its worker every time is given up after this


def _stalled(job: Job, *, now: dt.datetime, stale_after: int) -> bool:
    return job.status in ("queued", "running") and (now - job.updated_at).total_seconds() > stale_after


def job_state(job: Job, *, now: dt.datetime, stale_after: int) -> tuple[str, str]:
    """The status and error to report. A job still "running" whose row has not moved for stale_after
    seconds lost its worker (a restart, a crash) and has been started MAX_ATTEMPTS times already: it
    is reported as failed, without writing (`resume_if_stalled` hands out the others again)."""
    if job.status == "running" and _stalled(job, now=now, stale_after=stale_after):
        return "failed", STOPPED
    return job.status, job.error or ""


def resume_if_stalled(job: Job, *, now: dt.datetime, stale_after: int, runner: JobRunner) -> bool:
    """Hand a stalled job to the runner again (flushes; handed over after commit), once per
    stale_after seconds whoever asks:

    - "running" but not moved for stale_after seconds, started fewer than MAX_ATTEMPTS times: its
      worker died. It goes back to "queued" and another worker takes it over (`claim_job`).
    - "queued" for stale_after seconds: the queue lost it (Redis was unreachable when it was handed
      over, or restarted without its data). Its row is touched and it is handed over again.

    Each is one conditional UPDATE, so of several status requests at once only one hands it out; a
    copy on the queue that finds the job taken or over does nothing. Returns whether it was handed out.
    """
    if not _stalled(job, now=now, stale_after=stale_after) or job.attempts >= MAX_ATTEMPTS:
        return False
    values: dict[str, Any] = {"updated_at": now}
    if job.status == "running":
        values["status"] = "queued"
    resumed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Job)
            .where(Job.id == job.id, Job.status == job.status, Job.updated_at == job.updated_at)
            .values(**values)
            .execution_options(synchronize_session=False)
        ),
    )
    db.session.refresh(job)
    if resumed.rowcount != 1:
        return False  # another request did it first
    log.warning(
        "job %s stalled (%s); handed to the runner again",
        job.id,
        "worker gone" if "status" in values else "not picked up",
    )
    submit_after_commit(db.session(), job.id, runner)
    return True


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


def set_job(job_id: uuid.UUID, claim: dt.datetime, **values: Any) -> bool:
    """Write the job row in its own short transaction (so status and progress are visible at once),
    only while this worker's claim holds (started_at is the claim's time); False when it does not."""
    result = cast(
        CursorResult[Any],
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "running", Job.started_at == claim)
            .values(updated_at=utcnow(), **values)
        ),
    )
    db.session.commit()
    return result.rowcount == 1


def handler_for(kind: str) -> Callable[..., Result]:
    """The function that runs jobs of this kind."""
    module, name = HANDLERS[kind].split(":")
    return getattr(importlib.import_module(module), name)


class Heartbeat:
    """Touches a running job's row every `every` seconds on its own connection (a thread), so that a
    long step (one large PDF) is not taken for a dead worker; stops when the job ends."""

    def __init__(self, job_id: uuid.UUID, claim: dt.datetime, every: float) -> None:
        self.engine = db.engine  # captured here: the thread has no app context
        self.job_id, self.claim, self.every = job_id, claim, every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"job-heartbeat-{job_id}", daemon=True)

    def _beat(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.status == "running", Job.started_at == self.claim)
                        .values(updated_at=utcnow())
                    )
            except SQLAlchemyError:  # the database is busy or away: the next beat tries again
                log.warning("job %s: heartbeat not written", self.job_id)

    def __enter__(self) -> Heartbeat:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self.thread.join()


def claim_job(job_id: uuid.UUID, *, stale_after: int) -> dt.datetime | None:
    """Take the job for this worker: a queued one, or a running one whose worker died (not moved for
    stale_after seconds, fewer than MAX_ATTEMPTS starts). One UPDATE, so two workers never both
    win. Returns the claim (the new started_at), or None when another worker has it or it is over."""
    now = utcnow()
    orphaned = and_(
        Job.status == "running",
        Job.updated_at < now - dt.timedelta(seconds=stale_after),
        Job.attempts < MAX_ATTEMPTS,
    )
    claimed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Job)
            .where(Job.id == job_id, or_(Job.status == "queued", orphaned))
            .values(status="running", started_at=now, updated_at=now, attempts=Job.attempts + 1)
        ),
    )  # an UPDATE's result is a CursorResult (rowcount); execute() is typed as the general Result
    db.session.commit()
    return now if claimed.rowcount == 1 else None


def run_job(*, job_id: uuid.UUID, ring: KeyRing, stale_after: int = 900) -> None:
    """Run one job to done or failed (needs an app context; called by every runner). A job another
    worker is running, or one already over, is left alone."""
    claim = claim_job(job_id, stale_after=stale_after)
    if claim is None:
        return

    def progress(done: int, total: int) -> None:
        set_job(job_id, claim, progress_done=done, progress_total=total)

    try:
        job = db.session.get(Job, job_id)
        if job is None:
            raise RuntimeError("claimed by this worker just above; jobs are not deleted while running")
        with Heartbeat(job_id, claim, every=max(stale_after / 4, 0.5)):
            result = handler_for(job.kind)(job=job, progress=progress, ring=ring)
            digest = hashlib.sha256(result.data).hexdigest()
            evidence_store().put(digest, result.data)
    except DomainError as err:
        db.session.rollback()
        set_job(job_id, claim, status="failed", error=err.message, finished_at=utcnow())
        return
    except Exception:
        db.session.rollback()
        # Only the id and the traceback: never the job's parameters (they may hold a person's text).
        log.exception("job %s failed", job_id)
        set_job(
            job_id,
            claim,
            status="failed",
            error="The export failed unexpectedly; try again.",
            finished_at=utcnow(),
        )
        return
    finished = set_job(
        job_id,
        claim,
        status="done",
        progress_done=Job.progress_total,  # done is all of it, whatever the handler last reported
        result_sha256=digest,
        result_name=result.name,
        result_media_type=result.media_type,
        result_size=len(result.data),
        finished_at=utcnow(),
    )
    if not finished:  # another worker took it over meanwhile: its result is the one kept
        log.warning("job %s: finished after another worker took it over; result not recorded", job_id)
