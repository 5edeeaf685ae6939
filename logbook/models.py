"""Imports every domain's models so that the metadata (and Alembic) sees all tables."""

from logbook.accounts.models import (  # noqa: F401
    AuthSession,
    JobRole,
    Organisation,
    Registration,
    Team,
    User,
)
