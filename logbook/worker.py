"""The entry point a queue worker (`rq worker logbook`) calls with a job id: it makes the worker's app
once, from the same LOGBOOK_* settings as the web servers, then runs the job (jobs/runner.py). It sits
on top of the layers beside the CLI, because it makes an app."""

from __future__ import annotations

import uuid

from flask import Flask

from logbook.app import create_app, job_function
from logbook.jobs.runner import run_here

_worker_app: Flask | None = None


def run_in_worker(job_id: str) -> None:
    """Run one job: one app per worker process, made on first use."""
    global _worker_app  # noqa: PLW0603 - one app per worker process, made on first use
    if _worker_app is None:
        _worker_app = create_app()
    run_here(_worker_app, uuid.UUID(job_id), job_function(_worker_app))
