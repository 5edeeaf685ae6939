"""The Alembic migrations produce exactly the schema the models declare (on this run's engine)."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError

from logbook.accounts.models import Team
from logbook.extensions import db


def test_migrations_match_models(app, database_url):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_foreign_keys_are_enforced(app):
    """A row pointing at a missing parent is refused (SQLite needs PRAGMA foreign_keys for this)."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        db.session.add(Team(organisation_id=uuid.uuid4(), name="Orphan", service_area="health"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
