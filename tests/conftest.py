"""Shared fixtures: a migrated database per run, a fresh app per test, logged-in clients by role.

LOGBOOK_TEST_DATABASE_URL selects PostgreSQL; otherwise a SQLite file in a temporary folder.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from logbook.accounts.models import JobRole, Organisation, Team, User
from logbook.accounts.passwords import hash_password
from logbook.app import create_app
from logbook.extensions import db
from logbook.ratelimit import RateLimitCounter, counter_engine

PASSWORD = "Correct-Horse-Battery-42"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose


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

    app = create_app(_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _config(url: str, folder: Any) -> dict[str, Any]:
    return {
        "ENV": "testing",
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "EVIDENCE_URL": str(folder / "evidence"),
        "SIGNING_KEYS_DIR": str(folder / "signing-keys"),
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture
def app(database_url: str, tmp_path) -> Iterator[Flask]:
    """A fresh application on the migrated database; every table is emptied afterwards."""
    # No app context is held during the test: each request gets its own, as in production
    # (a shared one would share `g` and the database session between requests).
    application = create_app(_config(database_url, tmp_path))
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


def persist(app: Flask, *objects: Any) -> None:
    """Save objects in their own transaction and hand them back detached with attributes loaded."""
    with app.app_context():
        db.session.add_all(objects)
        db.session.commit()
        for obj in objects:
            db.session.refresh(obj)
        db.session.expunge_all()


class ApiClient(FlaskClient):
    """A test client that fetches and sends the CSRF token, like the PWA does."""

    csrf_token: str | None = None

    def api(self, method: str, url: str, **kwargs: Any):
        """Call the JSON API with the session's CSRF token on state-changing requests."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if method.upper() not in {"GET", "HEAD", "OPTIONS"} and "X-CSRFToken" not in headers:
            if self.csrf_token is None:
                self.csrf_token = self.get("/api/v1/auth/csrf").get_json()["csrf_token"]
            headers["X-CSRFToken"] = self.csrf_token
        return self.open(url, method=method.upper(), headers=headers, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        """Log in through the API; keeps the new CSRF token."""
        response = self.api("POST", "/api/v1/auth/login", json={"email": email, "password": password})
        if response.status_code == 200:
            self.csrf_token = response.get_json()["csrf_token"]
        return response


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
    o = Organisation(name="Northshire Test", slug="northshire-test")
    persist(app, o)
    return o


@pytest.fixture
def other_org(app: Flask) -> Organisation:
    """A second organisation whose data must never be reachable from the first."""
    o = Organisation(name="Southshire Test", slug="southshire-test")
    persist(app, o)
    return o


@pytest.fixture
def make_user(app: Flask, org: Organisation):
    """Factory: a user with the given app roles (in `org` unless told otherwise)."""

    def _make(
        *roles: str, organisation: Organisation | None = None, name: str | None = None, **fields: Any
    ) -> User:
        organisation = organisation or org
        roles = roles or ("practitioner",)
        uid = uuid.uuid4().hex[:8]
        user = User(
            organisation_id=organisation.id,
            email=fields.pop("email", f"{'-'.join(roles)}-{uid}@test.example"),
            name=name or f"Test {' '.join(roles).title()} {uid}",
            password_hash=_PASSWORD_HASH,
            is_practitioner="practitioner" in roles,
            is_supervisor="supervisor" in roles,
            is_team_manager="team_manager" in roles,
            is_org_admin="org_admin" in roles,
            **fields,
        )
        persist(app, user)
        return user

    return _make


@pytest.fixture
def team(app: Flask, org: Organisation) -> Team:
    """A social care team in `org`."""
    t = Team(organisation_id=org.id, name="Assessment Team", service_area="social_care")
    persist(app, t)
    return t


@pytest.fixture
def job_role(app: Flask, org: Organisation) -> JobRole:
    """A social worker job role in `org`."""
    r = JobRole(
        organisation_id=org.id,
        name="Children's Social Worker",
        service_area="social_care",
        profession="social worker",
        usual_regulator="SWE",
    )
    persist(app, r)
    return r


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
