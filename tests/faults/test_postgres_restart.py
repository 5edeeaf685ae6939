"""Fault: PostgreSQL stops or restarts under the running app. Requests made while it is away get
503 + Retry-After in the JSON error shape (never a 500) and save nothing; once it is back the same
app serves again with no restart (pooled connections are checked before use: pool_pre_ping).

Runs on its own throwaway cluster (tests/faults/pgcluster.py), so in both CI passes, whatever
engine the rest of the suite uses: the shared server on 5432 is never touched."""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select

from logbook.accounts.models import Organisation, User
from logbook.app import create_app
from logbook.changefeed import Change
from logbook.entries.models import Entry, EntryRevision
from logbook.extensions import db
from tests.factories import PASSWORD_HASH, ApiClient, app_config
from tests.faults.pgcluster import Cluster, pg_bindir

pytestmark = pytest.mark.skipif(pg_bindir() is None, reason="PostgreSQL server binaries are not installed")

TODAY = dt.date.today()  # noqa: DTZ011 - entries' plausibility window is relative to today


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    c.start()
    yield c
    c.remove()


@pytest.fixture
def pg_app(cluster, tmp_path):
    """The app on the throwaway cluster, migrated, with one practitioner."""
    application = create_app(app_config(cluster.url, tmp_path))
    application.test_client_class = ApiClient
    with application.app_context():
        upgrade()
        org = Organisation(name="Restart Test", slug=f"restart-{uuid.uuid4().hex[:6]}")
        db.session.add(org)
        db.session.flush()
        user = User(
            organisation_id=org.id,
            email=f"p-{uuid.uuid4().hex[:6]}@test.example",
            name="Pat Practitioner",
            password_hash=PASSWORD_HASH,
            is_practitioner=True,
        )
        db.session.add(user)
        db.session.commit()
        application.config["TEST_EMAIL"] = user.email
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def _client(app) -> ApiClient:
    client: ApiClient = app.test_client()  # type: ignore[assignment]
    assert client.login(app.config["TEST_EMAIL"]).status_code == 200
    return client


def _entry(title: str) -> dict:
    return {
        "kind": "study_day",
        "title": title,
        "start_date": (TODAY - dt.timedelta(days=1)).isoformat(),
        "hours": 1,
    }


def _assert_unavailable(response) -> None:
    assert response.status_code == 503, response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    error = response.get_json()["error"]
    assert error["code"] == "unavailable"
    assert error["fields"] == {}


def _stored(app) -> dict[str, int]:
    """title → how many entries have it; and every entry has its revision and its change row."""
    with app.app_context():
        titles = db.session.execute(select(Entry.title, func.count()).group_by(Entry.title)).all()
        entries = db.session.scalar(select(func.count()).select_from(Entry))
        assert db.session.scalar(select(func.count()).select_from(EntryRevision)) == entries
        assert db.session.scalar(select(func.count(func.distinct(Change.record_id)))) == entries
        return dict(titles)


def test_a_stopped_server_gives_503_and_the_app_recovers_without_restart(cluster, pg_app):
    clients = [_client(pg_app) for _ in range(3)]
    for i, c in enumerate(clients):  # connections now sit in the pool
        assert c.api("POST", "/api/v1/entries", json=_entry(f"before {i}")).status_code == 201
    cluster.stop()
    try:
        _assert_unavailable(clients[0].api("POST", "/api/v1/entries", json=_entry("while down")))
        _assert_unavailable(clients[1].get("/api/v1/entries"))
        assert clients[2].get("/healthz").status_code == 503
    finally:
        cluster.start()
    # the same app, no restart: every pooled connection is stale and is replaced on checkout
    for i, c in enumerate(clients):
        assert c.get("/api/v1/entries").status_code == 200
        assert c.api("POST", "/api/v1/entries", json=_entry(f"after {i}")).status_code == 201
    stored = _stored(pg_app)
    assert "while down" not in stored
    assert stored == {f"{w} {i}": 1 for w in ("before", "after") for i in range(3)}


def test_a_restart_under_load_fails_requests_cleanly_and_recovers(cluster, pg_app):
    workers = 4
    clients = [_client(pg_app) for _ in range(workers)]
    outcomes: list[tuple[str, int, str | None]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def hammer(n: int) -> None:
        i = 0
        try:
            while not stop.is_set():
                title = f"w{n}-{i}"
                r = clients[n].api("POST", "/api/v1/entries", json=_entry(title))
                outcomes.append((title, r.status_code, r.headers.get("Retry-After")))
                if r.status_code == 503:
                    assert r.get_json()["error"]["code"] == "unavailable"
                i += 1
        except BaseException as err:  # noqa: BLE001 - handed to the main thread, which fails the test
            failures.append(err)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        cluster.restart()  # fast: in-flight transactions are terminated
        time.sleep(0.3)
        cluster.restart()
        time.sleep(0.8)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert not failures, failures
    statuses = {status for _, status, _ in outcomes}
    assert statuses <= {201, 503}, statuses  # never a 500
    assert all(retry for _, status, retry in outcomes if status == 503)
    assert 503 in statuses  # the restarts were felt (each stops the server for a moment)
    stored = {t: n for t, n in _stored(pg_app).items() if t.startswith("w")}  # whole entries only
    created = {title for title, status, _ in outcomes if status == 201}
    assert created <= set(stored)
    assert all(count == 1 for count in stored.values())
    # a 503 saved nothing, unless the connection died after COMMIT reached the server (then the
    # entry is whole and the device's retry of the same id is refused as a duplicate, not doubled)
    assert set(stored) <= {title for title, _, _ in outcomes}
    # recovered: every client is served again by the same app
    for n, c in enumerate(clients):
        assert c.api("POST", "/api/v1/entries", json=_entry(f"after-{n}")).status_code == 201


def test_a_restart_while_idle_costs_no_request(cluster, pg_app):
    clients = [_client(pg_app) for _ in range(3)]
    for c in clients:
        assert c.get("/api/v1/entries").status_code == 200
    cluster.restart()  # every pooled connection is now dead, and nothing has noticed yet
    for i, c in enumerate(clients):  # pool_pre_ping replaces them before use: no 503 at all
        assert c.api("POST", "/api/v1/entries", json=_entry(f"idle {i}")).status_code == 201
