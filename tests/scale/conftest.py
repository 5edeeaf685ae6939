"""The scale-out profile for tests/scale: started once per run by the same script `make run-scale`
uses (scripts/scale.py), on its own data folder, ports and database, and stopped at the end.

Only `make test-scale` runs these tests (marker `scale`; `make test` deselects it)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from logbook.accounts.models import Organisation, User
from logbook.app import create_app
from logbook.extensions import db
from scripts.scale import ROOT, Profile, Settings
from tests import factories

PG_URL = os.environ.get(
    "SCALE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/logbook_scale_test"
)

# What the tests shorten or loosen (passed to the app servers and the worker).
TEST_SETTINGS = {
    "LOGBOOK_JOBS_STALE_SECONDS": "6",  # a job whose worker died is taken over after 6 s, not 15 min
    "LOGBOOK_SYNC_RATE_LIMIT": "120 per minute",  # reached within a test (per person, shared by the servers)
    "LOGBOOK_LOGIN_LIMIT_PER_ADDRESS": "1000 per 15 minutes",  # every test logs in from 127.0.0.1 (HAProxy)
    "LOGBOOK_PORTFOLIO_INLINE_MAX_ENTRIES": "5",  # a "large" portfolio without writing hundreds of entries
}


def _free_base(start: int) -> int:
    """A base port whose next eight ports (and SeaweedFS's gRPC ports, +10000) are free."""
    for base in range(start, start + 400, 20):
        ports = [base + i for i in range(8)] + [base + i + 10000 for i in range(4, 8)]
        if all(_free(p) for p in ports):
            return base
    raise RuntimeError("no free ports for the scale-out profile")


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _fresh_database(url: str) -> None:
    parts = make_url(url)
    psql = [
        "psql",
        "-h",
        parts.host or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
        "-d",
        "postgres",
        "-qc",
    ]
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{parts.database}" WITH (FORCE)'], check=True)  # noqa: S603


@pytest.fixture(scope="session")
def profile() -> Iterator[Profile]:
    """PostgreSQL, Redis, SeaweedFS, two app servers, HAProxy and an RQ worker, all fresh."""
    data = Path(os.environ.get("SCALE_TEST_DATA") or ROOT / "build" / "scale-test")
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    _fresh_database(PG_URL)
    settings = Settings(
        data=data,
        base_port=_free_base(int(os.environ.get("SCALE_TEST_BASE_PORT", "18400"))),
        pg_url=PG_URL,
        workers=2,
        demo=False,
        extra_env=TEST_SETTINGS,
    )
    running = Profile(settings)
    os.environ.update(running.s3_env())  # this process's S3Store and boto3 reach the same store
    try:
        running.start()
        yield running
    finally:
        running.stop_all()


@pytest.fixture(scope="session")
def base(profile: Profile) -> str:
    """HAProxy's URL."""
    return profile.settings.url


@pytest.fixture(scope="session")
def seed(profile: Profile) -> Iterator[Flask]:
    """An app in this process on the profile's database and store: the builders make people with it."""
    env = profile.app_env()
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": PG_URL,
            "SECRET_KEY": env["LOGBOOK_SECRET_KEY"],
            "EVIDENCE_URL": env["LOGBOOK_EVIDENCE_URL"],
            "SIGNING_KEYS_DIR": env["LOGBOOK_SIGNING_KEYS_DIR"],
            "RATELIMIT_STORAGE_URI": "memory://",
            "JOBS_RUNNER": "inline",
            "MAIL_URL": "memory://",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def org(seed: Flask) -> Organisation:
    """The organisation every scale test's people belong to."""
    return factories.organisation(seed, "Scale Test Org", slug="scale-test")


@pytest.fixture
def make_person(seed: Flask, org: Organisation):
    """A new person in the organisation (practitioner unless other roles are given)."""

    def make(*roles: str, **fields) -> User:
        return factories.user(seed, org, *roles, **fields)

    return make
