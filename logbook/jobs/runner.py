"""Where a job runs: a `JobRunner` chosen by JOBS_RUNNER.

- `thread` (default): a small thread pool inside the app process. Nothing else to install or run.
- `rq`: an RQ queue on Redis (JOBS_REDIS_URL); `rq worker logbook` processes run the jobs. The rq and
  redis packages are imported only then, so nothing here needs Redis to run.
- `inline`: the job runs at once in the submitting thread (the CLI and demos).

A runner only ever receives a job id: the row in the database holds everything else, so a worker in
another process (or on another machine) can run it, and any app server can report its state. Adding
Celery is one more class whose `submit` calls `celery_app.send_task("logbook.run_job", [str(job_id)])`
with a task that calls `logbook.worker.run_in_worker`.

Jobs are handed to the runner only once the transaction that created their row has committed (see
`submit_after_commit`, through logbook/aftercommit.py), so a fast worker never looks for a row it
cannot see yet, and a job whose row was rolled back never runs.

A runner is made once per app (`job_runner(app)`, on first use) with the function that runs a job,
which `create_app` keeps in app.extensions (`jobs.service.run_job` bound to the app's settings); the
routes and the CLI pass the runner to `jobs.service.enqueue` as `runner=`. So nothing here reads
the running app, and this module knows nothing of the job services above it.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait
from functools import partial
from typing import Any, Protocol

from flask import Flask
from sqlalchemy.orm import Session

from logbook.aftercommit import after_commit
from logbook.extensions import db


class JobRunner(Protocol):
    """Something that runs jobs by id, now or later, here or elsewhere."""

    def submit(self, job_id: uuid.UUID) -> None:
        """Arrange for the job to run (the row is committed and queued)."""


class JobFunction(Protocol):
    """What runs one job by id (inside an app context): `jobs.service.run_job` bound to the app's
    settings by `create_app`."""

    def __call__(self, *, job_id: uuid.UUID, stale_after: int) -> None:
        """Run the job to done or failed (or leave it to the worker that has it: `stale_after`,
        JOBS_STALE_SECONDS, says when a running job's worker counts as dead)."""


def run_here(app: Flask, job_id: uuid.UUID, run: JobFunction) -> None:
    """Run one job in this thread, in its own app context and database session."""
    with app.app_context():
        try:
            run(job_id=job_id, stale_after=int(app.config["JOBS_STALE_SECONDS"]))
        finally:
            db.session.remove()


class ThreadRunner:
    """A thread pool in this process (JOBS_WORKERS threads): the default, needs nothing else.

    A job left "running" when the process stops stays so (the row says when it last moved);
    deployments that restart often should use a real queue (`rq`)."""

    def __init__(self, app: Flask, run: JobFunction, workers: int = 2) -> None:
        self.app = app
        self.run = run
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._futures: set[Future[None]] = set()
        self._lock = threading.Lock()

    def submit(self, job_id: uuid.UUID) -> None:
        """Run the job on a pool thread."""
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="logbook-job")
            future = self._pool.submit(run_here, self.app, job_id, self.run)
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def wait_idle(self, timeout: float = 60) -> bool:
        """Wait until every submitted job has finished (tests, shutdown); False on timeout."""
        with self._lock:
            pending = set(self._futures)
        _done, not_done = wait(pending, timeout=timeout)
        return not not_done

    def shutdown(self) -> None:
        """Finish running jobs and stop the threads."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


class InlineRunner:
    """Runs the job straight away in the caller's thread, in its own app context and session."""

    def __init__(self, app: Flask, run: JobFunction) -> None:
        self.app = app
        self.run = run

    def submit(self, job_id: uuid.UUID) -> None:
        """Run the job now."""
        run_here(self.app, job_id, self.run)


class RQRunner:
    """Enqueues `logbook.worker.run_in_worker(job_id)` on an RQ queue; `rq worker <queue>` runs it."""

    def __init__(
        self, queue: Any = None, *, redis_url: str = "", queue_name: str = "logbook", timeout: int = 3600
    ):
        if queue is None:
            from redis import Redis  # optional: only RQ deployments need redis and rq
            from rq import Queue

            queue = Queue(queue_name, connection=Redis.from_url(redis_url))
        self.queue = queue
        self.timeout = timeout

    def submit(self, job_id: uuid.UUID) -> None:
        """Put the job id on the queue (the worker builds its own app from LOGBOOK_* settings)."""
        self.queue.enqueue("logbook.worker.run_in_worker", str(job_id), job_timeout=self.timeout)


RUNNER = "logbook.job_runner"  # the runner's key in app.extensions
JOB_FUNCTION = "logbook.job_function"  # the function that runs a job, put there by create_app


def make_runner(app: Flask, *, run: JobFunction) -> JobRunner:
    """The runner JOBS_RUNNER names; `run` runs one job here (the thread and inline runners)."""
    kind = app.config["JOBS_RUNNER"]
    if kind == "thread":
        return ThreadRunner(app, run, workers=int(app.config["JOBS_WORKERS"]))
    if kind == "inline":
        return InlineRunner(app, run)
    if kind == "rq":
        return RQRunner(redis_url=app.config["JOBS_REDIS_URL"], queue_name=app.config["JOBS_QUEUE"])
    raise ValueError(f"JOBS_RUNNER must be thread, inline or rq, not {kind!r}")


def job_runner(app: Flask) -> JobRunner:
    """The app's runner, made once per app on first use from JOBS_RUNNER and the job function
    `create_app` gave the app; the routes and the CLI pass it on (`runner=`)."""
    runner: JobRunner | None = app.extensions.get(RUNNER)
    if runner is None:
        runner = app.extensions.setdefault(RUNNER, make_runner(app, run=app.extensions[JOB_FUNCTION]))
    return runner


def submit_after_commit(session: Session, job_id: uuid.UUID, runner: JobRunner) -> None:
    """Hand the job to the runner once this session's transaction commits (forgotten if it rolls
    back: a job whose row never existed must not run). Through the one post-commit queue
    (logbook/aftercommit.py)."""
    after_commit(partial(runner.submit, job_id), session=session)
