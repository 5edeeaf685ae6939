"""Background jobs: rows any server can read, the in-process runner, the RQ seam, who sees what."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
from sqlalchemy import update as sa_update

from logbook.app import job_function
from logbook.extensions import db
from logbook.jobs import service
from logbook.jobs.models import Job
from logbook.jobs.runner import RQRunner, job_runner, make_runner
from logbook.timeutil import utcnow
from logbook.worker import run_in_worker
from tests.factories import make_entry
from tests.helpers import export, finish_jobs, pdf_text


def test_a_large_portfolio_is_a_job_with_progress_and_a_download(app, me, practitioner, make_client, admin):
    app.config["PORTFOLIO_INLINE_MAX_ENTRIES"] = 1
    make_entry(me, title="First of two")
    make_entry(me, title="Second of two")

    response = export(me)
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/jobs/{body['id']}")
    assert body["kind"] == "portfolio"
    assert body["status"] == "queued"
    assert body["download_url"] is None

    finish_jobs(app)
    status = me.get(f"/api/v1/jobs/{body['id']}")
    assert status.status_code == 200
    done = status.get_json()
    assert done["status"] == "done", done
    assert done["progress"]["done"] == done["progress"]["total"] == 2
    assert done["finished_at"]
    assert done["started_at"]
    pdf = me.get(done["download_url"])
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.data)
    assert "First of two" in text
    assert "Second of two" in text

    # The org admin may follow the job, but never read the practitioner's document.
    boss = make_client(admin)
    seen = boss.get(f"/api/v1/jobs/{body['id']}")
    assert seen.status_code == 200
    assert seen.get_json()["download_url"] is None
    assert boss.get(f"/api/v1/jobs/{body['id']}/download").status_code == 404


def test_small_portfolios_stay_in_the_request(app, me):
    make_entry(me, title="Only one")
    response = export(me)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    with app.app_context():
        assert db.session.query(Job).count() == 0


def test_a_bad_request_is_refused_before_any_job_exists(app, me):
    app.config["PORTFOLIO_INLINE_MAX_ENTRIES"] = 0
    response = export(me, date_from="2026-01-02", date_to="2026-01-01")
    assert response.status_code == 422
    assert "date_from" in response.get_json()["error"]["fields"]
    with app.app_context():
        assert db.session.query(Job).count() == 0


def test_jobs_are_private_to_their_owner_and_organisation(app, me, make_user, make_client, other_org):
    app.config["PORTFOLIO_INLINE_MAX_ENTRIES"] = 0
    make_entry(me)
    job_id = export(me).get_json()["id"]
    finish_jobs(app)
    colleague = make_client(make_user("practitioner"))
    outsider_admin = make_client(make_user("org_admin", organisation=other_org))
    for other in (colleague, outsider_admin):
        assert other.get(f"/api/v1/jobs/{job_id}").status_code == 404
        assert other.get(f"/api/v1/jobs/{job_id}/download").status_code == 404
    assert me.get(f"/api/v1/jobs/{uuid.uuid4()}").status_code == 404
    assert me.get("/api/v1/jobs/not-a-uuid").status_code == 404


def test_not_ready_yet_is_a_404_not_an_empty_file(app, practitioner, make_client):
    with app.app_context():
        user = db.session.get(type(practitioner), practitioner.id)
        job = Job(
            kind="portfolio",
            owner_id=user.id,
            organisation_id=user.organisation_id,
            params={},
            created_at=utcnow(),
            updated_at=utcnow(),
            status="running",
            progress_done=1,
            progress_total=2,
            error="",
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    me = make_client(practitioner)
    status = me.get(f"/api/v1/jobs/{job_id}").get_json()
    assert status["status"] == "running"
    assert status["progress"] == {"done": 1, "total": 2}
    response = me.get(f"/api/v1/jobs/{job_id}/download")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_ready"


def test_a_failing_job_records_why_and_a_rolled_back_request_runs_nothing(app, practitioner, monkeypatch):
    calls = []

    def boom(*, job, progress, ring):
        calls.append(job.id)
        raise RuntimeError("private text that must not reach the job row")

    monkeypatch.setitem(service.HANDLERS, "portfolio", "tests.jobs.test_jobs:_boom")
    monkeypatch.setattr("tests.jobs.test_jobs._boom", boom, raising=False)
    with app.app_context():
        user = db.session.get(type(practitioner), practitioner.id)
        rolled_back = service.enqueue(
            kind="portfolio", owner=user, params={}, now=utcnow(), runner=job_runner(app)
        )
        rolled_back_id = rolled_back.id
        db.session.rollback()  # the request failed: its job must never run
        user = db.session.get(type(practitioner), practitioner.id)
        job_id = service.enqueue(
            kind="portfolio", owner=user, params={}, now=utcnow(), runner=job_runner(app)
        ).id
        db.session.commit()
    finish_jobs(app)
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "failed"
        assert "unexpectedly" in job.error
        assert "private text" not in job.error
        assert db.session.get(Job, rolled_back_id) is None
    assert calls == [job_id]


def _boom(*, job, progress, ring):  # replaced per test
    raise AssertionError


def test_stopping_the_thread_runner_lets_a_running_job_finish(app, practitioner, monkeypatch):
    """Shutdown (and every test's teardown, which calls it) waits for a job mid-run: the job's
    connection is handed back before the pool goes, and its row ends done, not stuck running."""
    started, finished = threading.Event(), threading.Event()

    def slow(*, job, progress, ring):
        started.set()
        time.sleep(0.5)
        progress(1, 1)
        finished.set()
        return service.Result(name="late.txt", media_type="text/plain", data=b"late")

    monkeypatch.setitem(service.HANDLERS, "portfolio", "tests.jobs.test_jobs:_boom")
    monkeypatch.setattr("tests.jobs.test_jobs._boom", slow, raising=False)
    runner = job_runner(app)
    with app.app_context():
        user = db.session.get(type(practitioner), practitioner.id)
        job_id = service.enqueue(
            kind="portfolio", owner=user, params={}, now=utcnow(), runner=job_runner(app)
        ).id
        db.session.commit()
    assert started.wait(10), "the job never started"
    runner.shutdown()
    assert finished.is_set(), "shutdown returned while the job was still running"
    with app.app_context():
        assert db.session.get(Job, job_id).status == "done"


class FakeQueue:
    """Stands in for rq.Queue: records what would be enqueued on Redis."""

    def __init__(self):
        self.calls = []

    def enqueue(self, func, *args, **kwargs):
        self.calls.append((func, args, kwargs))


def test_the_rq_seam_enqueues_the_job_id_and_the_worker_entry_point_runs_it(app, me, monkeypatch):
    app.config["PORTFOLIO_INLINE_MAX_ENTRIES"] = 0
    queue = FakeQueue()
    app.extensions["logbook.job_runner"] = RQRunner(queue=queue)
    make_entry(me, title="Rendered by a worker")
    job_id = export(me).get_json()["id"]
    assert queue.calls == [("logbook.worker.run_in_worker", (job_id,), {"job_timeout": 3600})]
    assert me.get(f"/api/v1/jobs/{job_id}").get_json()["status"] == "queued"

    # What an `rq worker` process does with it (its app is made from the same settings).
    monkeypatch.setattr("logbook.worker._worker_app", app)
    run_in_worker(job_id)
    assert me.get(f"/api/v1/jobs/{job_id}").get_json()["status"] == "done"
    assert "Rendered by a worker" in pdf_text(me.get(f"/api/v1/jobs/{job_id}/download").data)


def test_the_runner_is_chosen_by_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_RUNNER", "inline")
    assert type(make_runner(app, run=job_function(app))).__name__ == "InlineRunner"
    monkeypatch.setitem(app.config, "JOBS_RUNNER", "thread")
    assert type(make_runner(app, run=job_function(app))).__name__ == "ThreadRunner"
    monkeypatch.setitem(app.config, "JOBS_RUNNER", "carrier-pigeon")
    with pytest.raises(ValueError, match="carrier-pigeon"):
        make_runner(app, run=job_function(app))


def _orphan(app, owner, *, attempts: int) -> uuid.UUID:
    """A record export left "running" by a worker that died (its row has not moved for long)."""
    with app.app_context():
        long_ago = utcnow() - dt.timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 60)
        job = Job(
            kind="record_export",
            owner_id=owner.id,
            organisation_id=owner.organisation_id,
            params={"now": long_ago.isoformat()},
            created_at=long_ago,
            updated_at=long_ago,
            started_at=long_ago,
            status="running",
            attempts=attempts,
            progress_done=1,
            progress_total=2,
            error="",
        )
        db.session.add(job)
        db.session.commit()
        return job.id


def test_a_running_job_whose_worker_died_is_taken_over_and_finished_once(app, practitioner, make_client):
    client = make_client(practitioner)
    job_id = _orphan(app, practitioner, attempts=1)
    status = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert status["status"] == "queued"  # waiting for another worker, not failed
    assert status["error"] == ""
    assert status["attempts"] == 1
    finish_jobs(app)  # the status request handed it to the runner again
    done = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert done["status"] == "done", done
    assert done["attempts"] == 2
    assert client.get(done["download_url"]).status_code == 200
    # a late second hand-over (another status request, a duplicate on the queue) changes nothing
    with app.app_context():
        finished_at = db.session.get(Job, job_id).finished_at
        job_function(app)(job_id=job_id, stale_after=0)
        db.session.remove()
        again = db.session.get(Job, job_id)
        assert (again.status, again.attempts, again.finished_at) == ("done", 2, finished_at)


class DownQueue(FakeQueue):
    """A queue whose Redis is unreachable until `up` is set."""

    up = False

    def enqueue(self, func, *args, **kwargs):
        if not self.up:
            raise ConnectionError("Error 111 connecting to redis:6379. Connection refused.")
        super().enqueue(func, *args, **kwargs)


def test_a_job_the_queue_never_got_is_handed_out_again_once_per_stale_period(app, me, monkeypatch):
    queue = DownQueue()
    app.extensions["logbook.job_runner"] = RQRunner(queue=queue)
    response = me.api("POST", "/api/v1/record/export")
    assert response.status_code == 202  # the row is committed; handing it over failed (logged)
    location = response.headers["Location"]
    assert queue.calls == []
    queue.up = True
    assert me.get(location).get_json()["status"] == "queued"
    assert queue.calls == []  # not stalled yet: it may simply be waiting its turn
    monkeypatch.setitem(app.config, "JOBS_STALE_SECONDS", 0)
    for _ in range(3):  # three status requests: handed out once, not three times
        assert me.get(location).get_json()["status"] == "queued"
        monkeypatch.setitem(app.config, "JOBS_STALE_SECONDS", 900)
    assert [args for _f, args, _kw in queue.calls] == [(response.get_json()["id"],)]


def test_a_job_that_lost_its_worker_too_often_is_reported_failed(app, practitioner, make_client):
    job_id = _orphan(app, practitioner, attempts=service.MAX_ATTEMPTS)
    status = make_client(practitioner).get(f"/api/v1/jobs/{job_id}").get_json()
    assert status["status"] == "failed"
    assert status["error"] == service.STOPPED
    finish_jobs(app)
    with app.app_context():
        row = db.session.get(Job, job_id)
        assert (row.status, row.attempts) == (
            "running",
            service.MAX_ATTEMPTS,
        )  # reported, not written, not run


def test_a_worker_that_lost_its_claim_cannot_finish_the_job(app, practitioner):
    """A worker only paused (not dead) for longer than JOBS_STALE_SECONDS finds its job taken over:
    its progress and its result are not written; the new worker's are."""
    job_id = _orphan(app, practitioner, attempts=0)
    with app.app_context():
        db.session.execute(sa_update(Job).where(Job.id == job_id).values(status="queued", started_at=None))
        db.session.commit()
        first = service.claim_job(job_id, stale_after=60)
        assert first is not None
        assert service.claim_job(job_id, stale_after=60) is None  # still moving: nobody else takes it
        db.session.execute(
            sa_update(Job).where(Job.id == job_id).values(updated_at=utcnow() - dt.timedelta(seconds=120))
        )
        db.session.commit()
        second = service.claim_job(job_id, stale_after=60)
        assert second is not None
        assert second != first
        assert not service.set_job(job_id, first, status="done", progress_done=99)  # the paused worker
        assert service.set_job(job_id, second, progress_done=1)
        row = db.session.get(Job, job_id)
        db.session.refresh(row)
        assert (row.status, row.progress_done, row.attempts) == ("running", 1, 2)


def test_one_export_of_a_kind_at_a_time(app, me, admin_client, admin):
    app.extensions["logbook.job_runner"] = RQRunner(queue=FakeQueue())  # jobs stay queued
    first = me.api("POST", "/api/v1/record/export")
    assert first.status_code == 202
    again = me.api("POST", "/api/v1/record/export")
    assert again.status_code == 409
    body = again.get_json()
    assert body["error"]["code"] == "job_in_progress"
    assert body["error"]["job"] == f"/api/v1/jobs/{first.get_json()['id']}"
    # Someone else's job, or another kind, does not count.
    assert admin_client.api("POST", "/api/v1/record/export").status_code == 202
    staff = admin_client.api("POST", "/api/v1/exports/staff", json={"user_ids": [str(admin.id)]})
    assert staff.status_code == 202
    with app.app_context():
        db.session.execute(
            Job.__table__.update()
            .where(Job.id == uuid.UUID(first.get_json()["id"]))
            .values(updated_at=utcnow() - dt.timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 60))
        )
        db.session.commit()
    assert me.api("POST", "/api/v1/record/export").status_code == 202  # the stuck one no longer blocks
