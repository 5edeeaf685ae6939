"""The database:// rate-limit storage (logbook/ratelimit.py): counters every worker shares, with an
atomic increment, so that a documented limit is the limit however many workers or servers count
(issue #17: with memory:// each gunicorn worker counted on its own)."""

from __future__ import annotations

import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from logbook import cli
from logbook.app import create_app
from logbook.extensions import db
from logbook.ratelimit import DatabaseStorage, RateLimitCounter, counter_engine
from tests.factories import app_config


@pytest.fixture
def storage(app):
    with app.app_context():
        yield DatabaseStorage("database://")


def test_increments_count_and_a_new_window_starts_when_the_old_one_ends(app, storage, monkeypatch):
    clock = [1_000_000.0]
    monkeypatch.setattr("logbook.ratelimit.time.time", lambda: clock[0])
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert storage.get_expiry("k") == 1_000_060.0
    clock[0] += 59.9
    assert storage.incr("k", 60) == 4  # same window
    clock[0] += 0.1
    assert storage.get("k") == 0  # the window has ended
    assert storage.incr("k", 60) == 1  # a new one starts with this hit
    assert storage.get_expiry("k") == clock[0] + 60
    assert storage.incr("k", 60, amount=5) == 6
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.incr("other", 60) == 1
    assert storage.reset() == 1
    assert storage.check() is True


def test_keys_are_stored_as_digests_not_as_email_addresses(app, storage):
    storage.incr("LIMITER/login-account:someone@example.org/auth.login/5/15/minute", 900)
    with counter_engine().connect() as conn:
        [row] = conn.execute(select(RateLimitCounter.__table__)).all()
    assert len(row.key_sha256) == 64
    assert "someone" not in row.key_sha256


def test_concurrent_increments_from_many_connections_lose_nothing(app, database_url):
    """Eight threads (each its own connection, as each worker has) hit one key 25 times each: every
    increment is counted once, and each returned count is unique (no two callers saw the same)."""
    seen: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker():
        try:
            with app.app_context():
                store = DatabaseStorage("database://")
                start.wait()
                for _ in range(25):
                    n = store.incr("shared", 3600)
                    with lock:
                        seen.append(n)
        except BaseException as err:  # noqa: BLE001 - reported by the main thread
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(seen) == list(range(1, 201))
    with app.app_context():
        assert DatabaseStorage("database://").get("shared") == 200


def test_serve_prod_refuses_per_process_counters_with_several_workers(monkeypatch):
    started = []

    def execv(*args):  # stands in for gunicorn replacing the process
        started.append(args)
        raise SystemExit(0)

    monkeypatch.setattr(cli.os, "execv", execv)
    monkeypatch.setenv("LOGBOOK_RATELIMIT_STORAGE_URI", "memory://")
    result = CliRunner().invoke(cli.main, ["serve", "--prod", "--workers", "4"])
    assert result.exit_code != 0
    assert "memory://" in result.output
    assert "4 workers" in result.output
    assert started == []
    # one worker cannot disagree with itself
    assert CliRunner().invoke(cli.main, ["serve", "--prod", "--workers", "1"]).exit_code == 0
    assert len(started) == 1
    # the default (the database) and Redis are shared by every worker
    for uri in ("database://", "redis://127.0.0.1:6379/0"):
        monkeypatch.setenv("LOGBOOK_RATELIMIT_STORAGE_URI", uri)
        assert CliRunner().invoke(cli.main, ["serve", "--prod", "--workers", "4"]).exit_code == 0
    monkeypatch.delenv("LOGBOOK_RATELIMIT_STORAGE_URI")
    assert CliRunner().invoke(cli.main, ["serve", "--prod", "--workers", "4"]).exit_code == 0
    assert len(started) == 4
    assert started[-1][1][started[-1][1].index("--workers") + 1] == "4"


def test_storage_uri_default_is_the_database(tmp_path):
    from logbook.config import build_config

    assert build_config(str(tmp_path), None, environ={})["RATELIMIT_STORAGE_URI"] == "database://"


def test_a_limit_keyed_by_the_logged_in_user_works_in_a_writing_request(database_url, tmp_path, practitioner):
    """The sync push's limit is keyed by the user, read through the request's session before the view
    runs; on SQLite that first read takes the database's write lock for the request (a POST). The
    counters therefore live in their own file there: the push is answered, not kept waiting on its
    own request until 503 (as CI's worker-kill test saw)."""
    from tests.factories import ApiClient

    application = create_app({**app_config(database_url, tmp_path), "RATELIMIT_STORAGE_URI": "database://"})
    application.test_client_class = ApiClient
    phone = application.test_client()
    assert phone.login(practitioner.email).status_code == 200
    for batch in range(3):
        response = phone.api("POST", "/api/v1/sync/push", json={"client_id": "device-1", "mutations": []})
        assert response.status_code == 200, (batch, response.get_json())
        assert int(response.headers["X-RateLimit-Remaining"]) == 600 - 1 - batch
    with application.app_context():
        db.engine.dispose()


def test_a_limited_request_counts_once_and_answers_its_headers_from_that_count(
    database_url, tmp_path, practitioner
):
    """flask-limiter reads a window back after counting it, for the X-RateLimit headers: those reads
    are answered from the upsert's own result (one statement on the counters per limited request, not
    three), and the headers still say what the shared count says, request after request, even while
    another worker counts on the same key."""
    from sqlalchemy import event

    from tests.factories import ApiClient

    application = create_app({**app_config(database_url, tmp_path), "RATELIMIT_STORAGE_URI": "database://"})
    application.test_client_class = ApiClient
    phone = application.test_client()
    assert phone.login(practitioner.email).status_code == 200
    assert phone.get("/api/v1/sync/pull").status_code == 200  # the counters' engine is made
    with application.app_context():
        engine = counter_engine()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    remaining = []
    for _ in range(3):
        response = phone.get("/api/v1/sync/pull")
        assert response.status_code == 200
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    counter_statements = [s for s in statements if "rate_limit_counter" in s]
    assert len(counter_statements) == 3, counter_statements
    assert remaining == [600 - 2, 600 - 3, 600 - 4]
    event.remove(engine, "before_cursor_execute", record)
    # another worker's hits on the same key show in the next request's headers (nothing is kept
    # from one request to the next)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE rate_limit_counter SET hits = hits + 10")
    response = phone.get("/api/v1/sync/pull")
    assert int(response.headers["X-RateLimit-Remaining"]) == 600 - 15
    with application.app_context():
        db.engine.dispose()
