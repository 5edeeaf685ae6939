"""Background jobs on Redis, run by the RQ worker process (`rq worker logbook`): a staff export and a
large portfolio PDF; a worker killed mid-job, another started, the job finished exactly once."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from redis import Redis
from rq import Queue

from tests.factories import entry_data
from tests.scale.web import Web, logged_in

pytestmark = pytest.mark.scale


def wait_for(web: Web, location: str, until, timeout: float = 180) -> dict:
    """Poll the job's status (through HAProxy, so through both servers) until until(status)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = web.get(location).json()
        if until(status):
            return status
        time.sleep(0.2)
    raise AssertionError(f"the job never got there: {status}")


def rq_jobs_run(profile) -> list[list[str]]:
    """The arguments (the logbook job id) of every RQ job the workers finished."""
    queue = Queue("logbook", connection=Redis.from_url(f"{profile.settings.redis_url}/0"))
    registry = queue.finished_job_registry
    return [list(queue.fetch_job(i).args) for i in registry.get_job_ids()]


def test_a_large_portfolio_is_rendered_by_the_rq_worker(base, profile, make_person):
    person = make_person()
    web = logged_in(base, person.email)
    for i in range(6):  # over PORTFOLIO_INLINE_MAX_ENTRIES (5 in tests/scale)
        assert (
            web.api("POST", "/api/v1/entries", json=entry_data(title=f"Portfolio entry {i}")).status_code
            == 201
        )
    response = web.api("POST", "/api/v1/portfolio", json={})
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    done = wait_for(web, response.headers["Location"], lambda s: s["status"] in {"done", "failed"})
    assert done["status"] == "done", done
    assert done["attempts"] == 1
    pdf = web.get(done["download_url"])
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert [job_id] in rq_jobs_run(profile)  # run by the worker process, not an app server's thread
    assert {"app1", "app2"} <= set(web.served)


def test_a_killed_worker_s_staff_export_is_finished_once_by_the_next(base, profile, make_person):
    admin = make_person("org_admin", "practitioner")
    staff = [make_person() for _ in range(20)]
    web = logged_in(base, admin.email)
    response = web.api("POST", "/api/v1/exports/staff", json={"user_ids": [str(p.id) for p in staff]})
    assert response.status_code == 202, response.text
    location, job_id = response.headers["Location"], response.json()["id"]

    running = wait_for(web, location, lambda s: s["status"] == "running" and s["progress"]["done"] >= 1)
    assert running["attempts"] == 1
    profile.kill("worker")  # SIGKILL the worker and its work horse, mid-export
    profile.start_worker()
    # the row stops moving; after JOBS_STALE_SECONDS the status request hands it out again and the
    # new worker takes it over
    done = wait_for(web, location, lambda s: s["status"] in {"done", "failed"})
    assert done["status"] == "done", done
    assert done["attempts"] == 2
    assert done["progress"]["done"] == done["progress"]["total"] == 20
    archive = zipfile.ZipFile(io.BytesIO(web.get(done["download_url"]).content))
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 20  # each person once
    assert rq_jobs_run(profile).count([job_id]) >= 1
