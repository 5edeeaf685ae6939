"""Shared fixtures: a migrated database per run, a fresh app per test, logged-in clients by role, a
supervisor linked to the practitioner, a signed entry, the mail outbox, the CLI and the shipped
frameworks. The builders they use are in tests/factories.py (import those, never a conftest).

LOGBOOK_TEST_DATABASE_URL selects PostgreSQL; otherwise a SQLite file in a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import create_engine, text

from logbook import cli
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import JobRole, Organisation, Team, User
from logbook.app import create_app
from logbook.extensions import db
from logbook.frameworks import engine
from logbook.frameworks.definition import summary_of
from logbook.frameworks.service import load_shipped_frameworks, shipped_definitions
from logbook.ratelimit import RateLimitCounter, counter_engine
from tests import factories
from tests.factories import ApiClient, app_config, make_entry, sign


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated to head once per test run (proves the migrations run on this engine)."""
    url = os.environ.get("LOGBOOK_TEST_DATABASE_URL") or (
        "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")
    )
    if url.startswith("postgresql"):
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    from flask_migrate import upgrade

    app = create_app(app_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def app(database_url: str, tmp_path) -> Iterator[Flask]:
    """A fresh application on the migrated database; every table is emptied afterwards."""
    # No app context is held during the test: each request gets its own, as in production
    # (a shared one would share `g` and the database session between requests).
    application = create_app(app_config(database_url, tmp_path))
    yield application
    # A job a test started (an export, a portfolio) may still be running on the in-process runner's
    # threads with a connection checked out: let it finish before the tables are emptied and the pool
    # is disposed, or its connection outlives the pool and is closed by the garbage collector.
    runner = application.extensions.get("logbook.job_runner")
    if runner is not None and hasattr(runner, "shutdown"):
        runner.shutdown()
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        # On SQLite the rate-limit counters live in a companion file (logbook/ratelimit.py): empty it
        # too, or one test's failed logins would count against the next test's.
        counters = counter_engine()
        if counters is not db.engine:
            with counters.begin() as conn:
                conn.execute(RateLimitCounter.__table__.delete())
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> ApiClient:
    """An anonymous browser."""
    app.test_client_class = ApiClient
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def make_client(app: Flask):
    """Factory for more browsers (one per person in a scenario)."""
    app.test_client_class = ApiClient

    def _make(user: User | None = None) -> ApiClient:
        c: ApiClient = app.test_client()  # type: ignore[assignment]
        if user is not None:
            assert c.login(user.email).status_code == 200
        return c

    return _make


@pytest.fixture
def org(app: Flask) -> Organisation:
    """The organisation most tests happen in."""
    return factories.organisation(app, "Northshire Test")


@pytest.fixture
def other_org(app: Flask) -> Organisation:
    """A second organisation whose data must never be reachable from the first."""
    return factories.organisation(app, "Southshire Test")


@pytest.fixture
def make_user(app: Flask, org: Organisation):
    """Factory: a user with the given app roles (in `org` unless told otherwise)."""

    def _make(
        *roles: str, organisation: Organisation | None = None, name: str | None = None, **fields: Any
    ) -> User:
        return factories.user(app, organisation or org, *roles, name=name, **fields)

    return _make


@pytest.fixture
def team(app: Flask, org: Organisation) -> Team:
    """A social care team in `org`."""
    return factories.team(app, org)


@pytest.fixture
def job_role(app: Flask, org: Organisation) -> JobRole:
    """A social worker job role in `org`."""
    return factories.job_role(app, org)


@pytest.fixture
def practitioner(make_user) -> User:
    """A practitioner in `org`."""
    return make_user("practitioner")


@pytest.fixture
def admin(make_user) -> User:
    """An org admin of `org`."""
    return make_user("org_admin")


@pytest.fixture
def admin_client(make_client, admin) -> ApiClient:
    """A browser logged in as the org admin."""
    return make_client(admin)


@pytest.fixture
def outbox(app: Flask) -> list:
    """The emails the app sent (every test app sends to this list: see mail_in_memory)."""
    app.config["MAIL_URL"] = "memory://"
    return app.extensions.setdefault("logbook.outbox", [])


@pytest.fixture(autouse=True)
def mail_in_memory(request: pytest.FixtureRequest) -> None:
    """A test that has an app sends its email to a list (the `outbox` fixture), never to files."""
    if "app" in request.fixturenames:
        request.getfixturevalue("outbox")


@pytest.fixture
def supervisor(make_user) -> User:
    """A supervisor in `org`."""
    return make_user("practitioner", "supervisor", name="Priya Supervisor")


@pytest.fixture
def supervised(app: Flask, supervisor: User, practitioner: User) -> SupervisionLink:
    """The supervisor currently supervises the practitioner (since 30 days ago)."""
    return factories.supervise(app, supervisor, practitioner)


@pytest.fixture
def me(make_client, practitioner, supervised) -> ApiClient:
    """The practitioner (who has a supervisor), logged in."""
    return make_client(practitioner)


@pytest.fixture
def boss(make_client, supervisor, supervised) -> ApiClient:
    """The practitioner's supervisor, logged in."""
    return make_client(supervisor)


@pytest.fixture
def signed(me, boss, supervisor) -> tuple[dict[str, Any], dict[str, Any]]:
    """An entry signed off by the supervisor: (entry as first made, sign-off as the API shows it)."""
    entry = make_entry(me, title="Signed study day", description="What the supervisor read.")
    return entry, sign(me, boss, entry, supervisor.id)


@pytest.fixture
def runner(app: Flask, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner whose `logbook` commands use the test's app and database."""
    monkeypatch.setattr(cli, "_app", lambda: app)
    return CliRunner()


@pytest.fixture
def shipped(app: Flask) -> None:
    """The shipped frameworks stored in the database (tables are emptied after every test)."""
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()


@pytest.fixture(scope="session")
def engine_frameworks() -> dict[str, list[engine.Framework]]:
    """Every shipped framework version, compiled for the engine, by framework id (tests/entries has a
    `frameworks` fixture of its own, the stored files, hence this name)."""
    out: dict[str, list[engine.Framework]] = {}
    for definition in shipped_definitions():
        out.setdefault(definition.framework_id, []).append(engine.compile_framework(summary_of(definition)))
    return out


@pytest.fixture(scope="session")
def frameworks(engine_frameworks) -> dict[str, list[engine.Framework]]:
    """The engine's tests' name for `engine_frameworks`."""
    return engine_frameworks
