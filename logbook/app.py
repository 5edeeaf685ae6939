"""The application factory, `create_app(config)`: the one way an app is made (the web server, the CLI,
the queue worker and the tests). It sits on top of the layers: it wires the API and the web pages
together (docs/architecture.md)."""

from __future__ import annotations

import os
import random
import sqlite3
import time
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_request_context, request
from flask.typing import ResponseReturnValue
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from logbook import (
    models,  # noqa: F401 - every domain's tables registered on the metadata
    ratelimit,  # noqa: F401 - registers the database:// rate-limit storage with `limits`
)
from logbook.accounts.auth import SessionCookie
from logbook.api import init_api
from logbook.config import KeyRing, build_config
from logbook.errors import error_body, register_error_handlers
from logbook.extensions import csrf, db, init_migrations, limiter
from logbook.jobs.runner import JOB_FUNCTION, JobFunction
from logbook.jobs.service import run_job
from logbook.safejson import BudgetRequest
from logbook.storage import StorageError
from logbook.web import register_web


def _sqlite_pragmas(app: Flask) -> None:
    """WAL for concurrent readers, foreign keys on, and a busy timeout instead of instant 'locked'."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    busy = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])
    retries = int(app.config["SQLITE_LOCK_RETRIES"])

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin, so SAVEPOINTs work
        # (SQLAlchemy's documented recipe for pysqlite).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={busy}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # A request that may write takes the write lock up front (waiting up to busy_timeout): a
        # deferred transaction that reads and then writes fails at once with "database is locked"
        # when another writer committed in between. Reads stay deferred and never block.
        read_only = has_request_context() and request.method in {"GET", "HEAD", "OPTIONS"}
        begin_with_retry(conn, "BEGIN" if read_only else "BEGIN IMMEDIATE", retries)


def begin_with_retry(conn, statement: str, retries: int) -> None:
    """BEGIN, retried a bounded number of times with growing pauses when SQLite says "database is
    locked" (each try already waits busy_timeout inside SQLite). Nothing has happened yet in the
    transaction, so trying again is always safe. The last failure propagates: the request then
    gets 503 with Retry-After (logbook/errors.py), never a 500."""
    for attempt in range(retries + 1):
        try:
            conn.exec_driver_sql(statement)
            return
        except OperationalError as err:
            locked = isinstance(err.orig, sqlite3.OperationalError) and "locked" in str(err.orig)
            if not locked or attempt == retries:
                raise
            # 0.1 s, 0.2 s, 0.4 s … with jitter, so waiting writers do not retry in step
            time.sleep(0.1 * 2**attempt * (0.75 + random.random() / 2))  # noqa: S311 - jitter, not crypto  # nosec B311
    raise AssertionError("unreachable")  # pragma: no cover


def job_function(app: Flask) -> JobFunction:
    """What runs one job of this app: jobs.service.run_job with the app's key ring (the in-process
    runners and an RQ worker's `logbook.worker.run_in_worker` call it)."""
    return partial(run_job, ring=KeyRing.of(app))


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The application factory: defaults → LOGBOOK_* environment → the mapping passed here."""
    # Named after the package: its templates and static files, the instance folder, the logger name.
    app = Flask("logbook", instance_relative_config=True)
    app.request_class = BudgetRequest  # request JSON parsed with budgets (logbook/safejson.py)
    app.session_interface = SessionCookie()  # set only by a response that used it (accounts/auth.py)
    app.config.update(build_config(app.instance_path, config))
    os.makedirs(app.instance_path, exist_ok=True)
    # Made once per app from its settings: the signing keys, which the routes and the CLI pass on as
    # `ring=`, and what the app's job runner runs (jobs/runner.py job_runner, passed on as `runner=`).
    app.extensions[KeyRing.EXTENSION] = KeyRing.from_config(app.config)
    app.extensions[JOB_FUNCTION] = job_function(app)  # what the app's job runner runs
    if app.config["PROXY_FIX"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    db.init_app(app)
    init_migrations(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        _sqlite_pragmas(app)

    init_api(app)
    register_error_handlers(app)
    app.register_error_handler(StorageError, storage_error_response)
    register_web(app)
    return app


def storage_error_response(err: StorageError) -> ResponseReturnValue:
    """The evidence store failed while a request read from it (an S3 store unreachable, a download,
    a job's file): 503 with Retry-After, in the one error shape, never a 500. Uploads say more
    (entries.evidence.StorageUnavailable: 507 when full, and that nothing was saved)."""
    current_app.logger.warning("evidence store unavailable: %s", err)
    response = error_body(
        507 if err.full else 503,
        "insufficient_storage" if err.full else "storage_unavailable",
        "The file store is not available just now. Try again shortly.",
    )
    response.headers["Retry-After"] = "30"
    return response
