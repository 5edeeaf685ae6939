"""Fault: the worker handling a sync push is killed (SIGKILL) mid-push. Gunicorn starts another
worker; the device retries the same batch, and every mutation takes effect exactly once:
- killed after the mutations were applied but before the commit: nothing was kept, the retry
  applies them;
- killed after the commit but before the response was written: the retry is answered "duplicate"
  with the first result, and nothing is applied twice.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from logbook.changefeed import Change
from logbook.entries.models import Entry, EntryRevision
from logbook.extensions import db
from logbook.sync.models import SyncMutation
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date.today()  # noqa: DTZ011 - entries' plausibility window is relative to today


def free_port() -> int:
    """A TCP port nobody listens on just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(app, database_url, tmp_path):
    """gunicorn (one sync worker) running tests/faults/crashing_wsgi.py on the test database."""
    port = free_port()
    marker = tmp_path / "fault"
    env = {
        **os.environ,
        "LOGBOOK_ENV": "testing",
        "LOGBOOK_DATABASE_URL": database_url,
        "LOGBOOK_SECRET_KEY": app.config["SECRET_KEY"],
        "LOGBOOK_EVIDENCE_URL": str(tmp_path / "evidence"),
        "LOGBOOK_FAULT_MARKER": str(marker),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--graceful-timeout",
            "1",
            "tests.faults.crashing_wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base)
        yield base, marker
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _wait_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(base + "/healthz", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or the worker is still importing the app on a busy machine
        time.sleep(0.1)
    raise AssertionError("gunicorn did not come up")


def _login(base: str, email: str) -> tuple[requests.Session, str]:
    s = requests.Session()
    token = s.get(base + "/api/v1/auth/csrf", timeout=10).json()["csrf_token"]
    r = s.post(
        base + "/api/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"X-CSRFToken": token},
        timeout=10,
    )
    assert r.status_code == 200, r.text
    return s, r.json()["csrf_token"]


def _push(s: requests.Session, base: str, token: str, batch: dict) -> requests.Response:
    return s.post(base + "/api/v1/sync/push", json=batch, headers={"X-CSRFToken": token}, timeout=30)


def _push_retrying(s, base, token, batch) -> requests.Response:
    """What the app's outbox does: send the same batch again until an answer arrives."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return _push(s, base, token, batch)
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _create(mid: int, title: str) -> dict:
    return {
        "mutation_id": mid,
        "entity": "entry",
        "id": str(uuid.uuid4()),
        "op": "create",
        "fields": {
            "kind": "study_day",
            "title": title,
            "start_date": (TODAY - dt.timedelta(days=2)).isoformat(),
            "hours": 2,
        },
    }


def _state(app, client_id: str) -> dict:
    with app.app_context():
        s = db.session
        return {
            "entries": {str(e.id): (e.title, e.version) for e in s.scalars(select(Entry))},
            "revisions": s.scalar(select(func.count()).select_from(EntryRevision)),
            "changes": s.scalar(select(func.count()).select_from(Change)),
            "mutations": sorted(
                s.scalars(select(SyncMutation.mutation_id).where(SyncMutation.client_id == client_id))
            ),
        }


def test_a_push_killed_before_commit_is_applied_once_by_the_retry(app, server, practitioner):
    base, marker = server
    s, token = _login(base, practitioner.email)
    client_id = "device-" + uuid.uuid4().hex[:12]
    batch = {"client_id": client_id, "mutations": [_create(i, f"Course {i}") for i in (1, 2, 3)]}
    marker.with_suffix(".before").touch()
    with pytest.raises(requests.ConnectionError):  # the worker died: no response at all
        _push(s, base, token, batch)
    assert not marker.with_suffix(".before").exists()  # the hook really fired
    assert _state(app, client_id) == {"entries": {}, "revisions": 0, "changes": 0, "mutations": []}
    answer = _push_retrying(s, base, token, batch)
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["applied"] * 3
    state = _state(app, client_id)
    assert sorted(state["entries"].values()) == [("Course 1", 1), ("Course 2", 1), ("Course 3", 1)]
    assert (state["revisions"], state["changes"], state["mutations"]) == (3, 3, [1, 2, 3])


def test_a_push_killed_after_commit_is_not_applied_twice(app, server, practitioner):
    base, marker = server
    s, token = _login(base, practitioner.email)
    client_id = "device-" + uuid.uuid4().hex[:12]
    first = [_create(1, "Course A"), _create(2, "Course B")]
    assert [
        r["status"]
        for r in _push(s, base, token, {"client_id": client_id, "mutations": first}).json()["results"]
    ] == ["applied", "applied"]
    update = {
        "mutation_id": 3,
        "entity": "entry",
        "id": first[0]["id"],
        "op": "update",
        "base_version": 1,
        "fields": {"title": "Course A, renamed"},
    }
    batch = {"client_id": client_id, "mutations": [update, _create(4, "Course C")]}
    marker.with_suffix(".after").touch()
    with pytest.raises(requests.ConnectionError):  # committed, then killed before answering
        _push(s, base, token, batch)
    assert not marker.with_suffix(".after").exists()
    committed = _state(app, client_id)
    answer = _push_retrying(s, base, token, batch)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["status"], r["first_status"]) for r in results] == [("duplicate", "applied")] * 2
    assert results[0]["version"] == 2
    state = _state(app, client_id)
    assert state == committed  # the retry changed nothing
    assert sorted(state["entries"].values()) == [("Course A, renamed", 2), ("Course B", 1), ("Course C", 1)]
    assert (state["revisions"], state["changes"], state["mutations"]) == (4, 4, [1, 2, 3, 4])
