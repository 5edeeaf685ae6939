"""Faults injected into the running profile: an app server stopped under traffic, Redis restarted,
the S3 store gone. Each shows that nothing is lost or half-written from the client's side."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid

import pytest
import requests
from sqlalchemy import func, select

from logbook.entries.models import Evidence, EvidenceUpload
from logbook.extensions import db
from scripts.scale import BUCKET
from tests.entries.test_evidence_api import jpeg
from tests.factories import entry_data
from tests.scale.test_evidence_s3 import upload
from tests.scale.test_jobs_rq import wait_for
from tests.scale.web import Web, logged_in
from tests.sync.device import Device, entry_fields

pytestmark = pytest.mark.scale


def send_once_more_at_most(web: Web, method: str, path: str, **kwargs) -> tuple[requests.Response, int]:
    """What the PWA's outbox does: a request that fails (no answer, or 502/503) is sent again; here
    at most once. Returns the answer and how many times it was sent again."""
    for attempt in range(2):
        try:
            response = web.api(method, path, **kwargs)
        except requests.ConnectionError:
            if attempt:
                raise
            continue
        if response.status_code not in {502, 503, 504} or attempt:
            return response, attempt
    raise AssertionError("unreachable")


def until_served_by(base: str, server: str, timeout: float = 60) -> None:
    """Wait until HAProxy sends requests to the server again (its health check passed)."""
    web = Web(base)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if web.get("/healthz").headers.get("X-Served-By") == server:
            return
        time.sleep(0.2)
    raise AssertionError(f"{server} never came back into rotation")


def test_an_app_server_stopped_under_traffic_loses_nothing(base, profile, make_person):
    person = make_person()
    phone = Device(logged_in(base, person.email))
    sent: list[str] = []
    retries = 0
    stopper = None
    for i in range(30):
        if i == 8:  # app1 goes away while the phone keeps pushing
            stopper = threading.Thread(target=profile.stop, args=("app1",))
            stopper.start()
        rid = str(uuid.uuid4())
        body = {"client_id": phone.client_id, "mutations": [phone.mutation("create", rid, **entry_fields())]}
        response, again = send_once_more_at_most(phone.client, "POST", "/api/v1/sync/push", json=body)
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["status"] in {"applied", "duplicate"}
        retries += again
        sent.append(rid)
    assert stopper is not None
    stopper.join()
    assert retries <= 1  # HAProxy re-sends a refused connection to the other server by itself
    after = Web(base)
    assert {after.get("/healthz").headers["X-Served-By"] for _ in range(6)} == {"app2"}
    # every push arrived exactly once
    reader = Device(logged_in(base, person.email))
    assert sorted(i["id"] for i in reader.pull_all()) == sorted(sent)
    profile.start_app("app1")
    until_served_by(base, "app1")


def test_redis_restarted_jobs_resume_and_the_app_stays_up(base, profile, seed, make_person):
    first_admin, second_admin = make_person("org_admin"), make_person("org_admin")
    staff = [str(make_person().id) for _ in range(3)]
    first = logged_in(base, first_admin.email)
    profile.stop("worker")  # nobody takes jobs: the first waits on Redis' queue
    queued = first.api("POST", "/api/v1/exports/staff", json={"user_ids": staff})
    assert queued.status_code == 202, queued.text

    profile.stop("redis")
    try:
        assert Web(base).get("/healthz").status_code == 200
        # rate-limited requests still work: limits are counted in each process meanwhile
        second = logged_in(base, second_admin.email)
        assert second.get("/api/v1/sync/pull").status_code == 200
        assert second.api("POST", "/api/v1/entries", json=entry_data()).status_code == 201
        # a job asked for now is accepted; handing it to the queue fails (logged) and is done again
        lost = second.api("POST", "/api/v1/exports/staff", json={"user_ids": staff})
        assert lost.status_code == 202, lost.text
    finally:
        profile.start_redis()
    profile.start_worker()
    for web, response in ((first, queued), (second, lost)):
        done = wait_for(web, response.headers["Location"], lambda s: s["status"] in {"done", "failed"})
        assert done["status"] == "done", done
        assert done["attempts"] == 1
        assert web.get(done["download_url"]).status_code == 200


def _rows(seed, sha256: str) -> tuple[int, int]:
    with seed.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Evidence).where(Evidence.sha256 == sha256)),
            db.session.scalar(
                select(func.count()).select_from(EvidenceUpload).where(EvidenceUpload.sha256 == sha256)
            ),
        )


def test_the_s3_store_gone_gives_503_and_half_writes_nothing(base, profile, seed, make_person):
    person = make_person()
    web = logged_in(base, person.email)
    kept = jpeg(gps=False, colour="teal")
    assert upload(web, kept).status_code == 201
    photo = jpeg(gps=False, colour="olive")
    digest = hashlib.sha256(photo).hexdigest()

    profile.stop("s3")
    try:
        for _ in range(2):  # both servers
            response = upload(web, photo)
            assert response.status_code == 503, response.text
            assert int(response.headers["Retry-After"]) > 0
            error = response.json()["error"]
            assert error["code"] == "storage_unavailable"
            assert "nothing was saved" in error["message"]
            download = web.get(f"/api/v1/evidence/{hashlib.sha256(kept).hexdigest()}")
            assert download.status_code == 503, download.text
            assert download.headers["Retry-After"]
        assert _rows(seed, digest) == (0, 0)  # no row naming a file that is not there
        assert Web(base).get("/healthz").status_code == 200
    finally:
        profile.start_s3()
    assert profile.s3_client().list_objects_v2(Bucket=BUCKET, Prefix=f"evidence/{digest}")["KeyCount"] == 0
    # the phone's outbox sends it again once the store is back
    again = upload(web, photo)
    assert again.status_code == 201, again.text
    assert _rows(seed, digest) == (1, 1)
    assert web.get(f"/api/v1/evidence/{digest}").content == photo
