"""An app server answers its first request within a second of starting (issue 24): making the app
imports only what every request needs. Libraries that serve one kind of request (PDFs, QR codes,
calendars, spreadsheets, the password-strength estimator, migrations, signatures and single
sign-on, photos) are imported by the function that uses them, and none of them is loaded by
`create_app()` or by answering /healthz. Each check runs in a fresh interpreter, since this test
process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each one costs a tenth of a second or more to import (docs/benchmarks.md, "Cold start").
DEFERRED = (
    "weasyprint",  # PDFs: portfolio/render.py, the staff export's evidence PDFs
    "pikepdf",  # PDF/A attachments and offline verification
    "fontTools",  # WeasyPrint's font subsetter
    "pydyf",
    "segno",  # QR codes: the event check-in code, portfolio verification codes
    "icalendar",  # calendar feeds and invitations
    "zxcvbn",  # the password-strength estimator: only when a password is set
    "openpyxl",  # spreadsheets: staff import
    "logbook.portfolio.render",
    "flask_migrate",  # migrations: `logbook init-db`, `flask db` (extensions.Migrations)
    "alembic",
    "joserfc",  # signed statements and keys: signing/keys.py, statements.py, trust.py, sso/flow.py
    "authlib",  # single sign-on: sso/flow.py
    "requests",  # single sign-on's calls to the provider
    "cryptography",  # Ed25519 keys: through joserfc, and credentials/service.py
    "PIL",  # photos: entries/evidence.py
    "boto3",  # an S3 evidence store: storage.py
    "botocore",
    "redis",  # RQ deployments: jobs/runner.py, worker.py
    "rq",
    "logbook.exports.leap2a",  # imported by the routes of api/record_formats.py
    "logbook.exports.spreadsheet",
    "logbook.exports.staff_import",  # imported by the routes of api/staff_import.py
)

PROBE = textwrap.dedent(
    """
    import json, sys
    from logbook.app import create_app
    app = create_app({"ENV": "testing", "DATABASE_URL": sys.argv[1], "SECRET_KEY": "s" * 40,
                      "EVIDENCE_URL": sys.argv[2]})
    loaded_by_app = sorted(sys.modules)
    status = app.test_client().get("/healthz").status_code
    print(json.dumps({"app": loaded_by_app, "healthz": sorted(sys.modules), "status": status}))
    """
)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("cold")
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", PROBE, f"sqlite:///{folder}/cold.sqlite3", str(folder / "evidence")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _heavy(modules: list[str]) -> list[str]:
    return sorted(m for m in modules for d in DEFERRED if m == d or m.startswith(d + "."))


def test_making_the_app_imports_no_deferred_library(loaded):
    assert _heavy(loaded["app"]) == []


def test_a_health_check_imports_no_deferred_library(loaded):
    assert loaded["status"] == 200
    assert _heavy(loaded["healthz"]) == []


def test_making_the_app_does_not_hash_a_password(tmp_path):
    """The dummy hash that evens out login timing for unknown accounts is made on first use, not at
    import (an argon2 hash takes a tenth of a second)."""
    probe = textwrap.dedent(
        """
        import argon2
        calls = []
        original = argon2.PasswordHasher.hash
        argon2.PasswordHasher.hash = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
        from logbook.app import create_app
        create_app({"ENV": "testing", "DATABASE_URL": "sqlite:///FOLDER/x.sqlite3", "SECRET_KEY": "s" * 40})
        print(len(calls))
        """
    ).replace("FOLDER", str(tmp_path))
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip().splitlines()[-1] == "0"


def test_the_deferred_libraries_still_load_when_needed():
    """The functions that use them import them: a PDF still renders (tests/portfolio), a calendar
    still exports (tests/supervision); here, the modules that defer them still name them."""
    from logbook.accounts import passwords

    assert passwords.password_problems("correct horse battery staple zebra") == []
    assert "zxcvbn" in sys.modules


def test_migrations_are_registered_as_flask_migrate_would(app):
    """What create_app registers without importing Flask-Migrate (extensions.Migrations) is what
    `Migrate.init_app` registers: the same folder, database and Alembic settings, and the same
    Migrate configuration once a migration runs."""
    from flask import Flask
    from flask_migrate import Migrate

    from logbook.extensions import db

    settings = app.extensions["migrate"]
    reference = Flask("reference")
    Migrate().init_app(reference, db, directory=settings.directory, render_as_batch=True, compare_type=True)
    expected = reference.extensions["migrate"]
    assert settings.directory == expected.directory
    assert settings.directory.endswith("logbook/migrations")
    assert settings.db is expected.db
    assert settings.configure_args == expected.configure_args
    assert settings.metadata is expected.metadata
    assert settings.migrate.directory == expected.migrate.directory
    assert settings.migrate.alembic_ctx_kwargs == expected.migrate.alembic_ctx_kwargs


def test_flask_db_commands_still_run(app):
    """`flask db …` loads Flask-Migrate's commands when it runs: its help lists them, and `flask db
    check` compares the migrated database with the models through migrations/env.py (with the
    registered settings) and finds nothing to migrate (it exits 1 otherwise)."""
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["db", "--help"])
    assert listed.exit_code == 0, listed.output
    assert "upgrade" in listed.output
    assert "-x, --x-arg" in listed.output
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output
