"""The entry point a queue worker calls with a job id: it makes the worker's app once, from the same
LOGBOOK_* settings as the web servers, then runs the job (jobs/runner.py). It sits on top of the
layers beside the CLI, because it makes an app.

Run the workers as `rq worker --worker-class logbook.worker.Worker logbook`: that worker builds the
app and imports the job handlers (WeasyPrint and the rest) once, before it forks a work horse per
job, so a job starts at once instead of spending seconds on imports each time. Plain
`rq worker logbook` works too (each job then builds its own app).
"""

from __future__ import annotations

import importlib
import os
import uuid
from typing import Any

from flask import Flask

from logbook.app import create_app, job_function
from logbook.extensions import db
from logbook.jobs.runner import run_here
from logbook.jobs.service import HANDLERS

_worker_app: Flask | None = None
_app_pid: int | None = None  # the process that made _worker_app (a forked horse inherits it)


def warm_up() -> Flask:
    """Make this process's app and import every job handler's module now."""
    global _worker_app, _app_pid  # noqa: PLW0603 - one app per worker process, made on first use
    if _worker_app is None:
        _worker_app = create_app()
        _app_pid = os.getpid()
        for target in HANDLERS.values():
            importlib.import_module(target.split(":")[0])
    return _worker_app


def run_in_worker(job_id: str) -> None:
    """Run one job: one app per worker process, made on first use."""
    global _app_pid  # noqa: PLW0603 - see warm_up
    app = warm_up()
    if _app_pid is not None and _app_pid != os.getpid():
        # a work horse forked from the worker that made the app: never share the parent's pooled
        # database connections (SQLAlchemy's advice for forks: drop them without closing)
        with app.app_context():
            db.engine.dispose(close=False)
        _app_pid = os.getpid()
    run_here(app, uuid.UUID(job_id), job_function(app))


try:
    from rq import Worker as _RQWorker  # optional: only RQ deployments (the [scale] extra) have rq
except ImportError:  # pragma: no cover - without rq there is no RQ worker to define
    pass
else:

    class Worker(_RQWorker):
        """An RQ worker that warms up (the app, the handlers' imports) before it takes jobs."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            warm_up()
