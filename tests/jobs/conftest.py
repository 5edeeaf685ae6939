"""Fixtures for job tests (the `app` fixture stops the in-process runner before a test's data is wiped)."""

from __future__ import annotations

from logbook.jobs.runner import job_runner
from tests.portfolio.conftest import boss, me  # noqa: F401
from tests.supervision.conftest import outbox, supervised, supervisor  # noqa: F401


def finish_jobs(app) -> None:
    """Wait until the app's in-process runner has finished every job it was given."""
    runner = job_runner(app)
    if not hasattr(runner, "wait_idle"):
        return  # a queue runner (RQ): nothing runs in this process
    assert runner.wait_idle(timeout=120), "a background job did not finish in time"
