"""Fault: SQLite says "database is locked". BEGIN is retried (bounded, with backoff); when the lock
outlasts the retries the request gets 503 + Retry-After in the JSON error shape, never a 500, and
nothing is half-written."""

from __future__ import annotations

import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import func, select

from logbook.app import create_app
from logbook.entries.models import Entry
from logbook.extensions import db
from tests.entries.test_entries_api import base
from tests.factories import ApiClient, app_config

pytestmark = pytest.mark.skipif(
    os.environ.get("LOGBOOK_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="SQLite's file lock; the PostgreSQL fault is tests/faults/test_postgres_restart.py",
)

BUSY_MS = 50
RETRIES = 3


@pytest.fixture
def busy_app(app, database_url, tmp_path):
    """The app with a short busy timeout, so a held lock shows quickly (the fixture `app` empties
    the tables afterwards)."""
    application = create_app(
        {
            **app_config(database_url, tmp_path),
            "SQLITE_BUSY_TIMEOUT_MS": BUSY_MS,
            "SQLITE_LOCK_RETRIES": RETRIES,
        }
    )
    application.test_client_class = ApiClient
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def locker(database_url):
    """Another process's connection that can hold the database's write lock."""
    path = database_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None, timeout=0, check_same_thread=False)
    yield conn
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    conn.close()


def _entries(application) -> int:
    with application.app_context():
        return db.session.scalar(select(func.count()).select_from(Entry))


def _logged_in(busy_app, practitioner) -> ApiClient:
    client: ApiClient = busy_app.test_client()  # type: ignore[assignment]
    assert client.login(practitioner.email).status_code == 200
    return client


def test_a_lock_that_outlasts_the_retries_gives_503_with_retry_after(busy_app, practitioner, locker):
    client = _logged_in(busy_app, practitioner)
    locker.execute("BEGIN IMMEDIATE")  # another writer holds the lock for the whole request
    started = time.monotonic()
    response = client.api("POST", "/api/v1/entries", json=base(title="Written while locked"))
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    error = response.get_json()["error"]
    assert error["code"] == "unavailable"
    assert "nothing was saved" in error["message"]
    assert error["fields"] == {}
    # busy_timeout on each of the 1 + RETRIES tries, plus the pauses between them (0.1, 0.2, 0.4 s
    # at least three quarters of each with the jitter): it was retried, not refused at once
    assert elapsed >= (RETRIES + 1) * BUSY_MS / 1000 + 0.75 * 0.7
    # readers are not blocked by a writer (WAL)
    assert client.get("/api/v1/entries").status_code == 200
    locker.execute("ROLLBACK")
    assert _entries(busy_app) == 0  # nothing half-written
    again = client.api("POST", "/api/v1/entries", json=base(title="Written while locked"))
    assert again.status_code == 201, again.get_json()
    assert _entries(busy_app) == 1


def test_a_lock_released_during_the_retries_lets_the_request_through(busy_app, practitioner, locker):
    client = _logged_in(busy_app, practitioner)
    locker.execute("BEGIN IMMEDIATE")
    # held for 6 busy timeouts: far longer than one try waits, shorter than the retries together
    release = threading.Timer(6 * BUSY_MS / 1000, lambda: locker.execute("COMMIT"))
    release.start()
    try:
        response = client.api("POST", "/api/v1/entries", json=base(title="Waited for the lock"))
    finally:
        release.join()
    assert response.status_code == 201, response.get_json()
    assert _entries(busy_app) == 1


def test_without_retries_the_same_lock_fails_fast_but_cleanly(
    app, database_url, tmp_path, practitioner, locker
):
    application = create_app(
        {**app_config(database_url, tmp_path), "SQLITE_BUSY_TIMEOUT_MS": BUSY_MS, "SQLITE_LOCK_RETRIES": 0}
    )
    application.test_client_class = ApiClient
    client = _logged_in(application, practitioner)
    locker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(6 * BUSY_MS / 1000, lambda: locker.execute("COMMIT"))
    release.start()
    try:
        response = client.api("POST", "/api/v1/entries", json=base(title="No retries"))
    finally:
        release.join()
    assert response.status_code == 503  # the retries are what let the previous test through
    assert response.headers["Retry-After"]
    assert _entries(application) == 0
    with application.app_context():
        db.engine.dispose()


def test_a_portfolio_pdf_is_rendered_without_holding_the_write_lock(
    app, make_client, practitioner, locker, monkeypatch
):
    """A PDF takes a second or more to lay out: other writers must not wait for it."""
    from logbook.portfolio import render

    real_render = render.render_pdf
    seen = {}

    def render_and_try_to_write(context, *args, **kwargs):
        try:
            locker.execute("BEGIN IMMEDIATE")  # timeout=0: fails at once if the request holds the lock
            locker.execute("ROLLBACK")
            seen["other_writer"] = "got the lock"
        except sqlite3.OperationalError as err:
            seen["other_writer"] = str(err)
        return real_render(context, *args, **kwargs)

    monkeypatch.setattr(render, "render_pdf", render_and_try_to_write)
    client = make_client(practitioner)
    assert client.api("POST", "/api/v1/entries", json=base(title="Printed")).status_code == 201
    response = client.api("POST", "/api/v1/portfolio", json={"format": "generic"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert seen["other_writer"] == "got the lock"
