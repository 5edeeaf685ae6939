"""Flask extensions, created once here and attached to the app in create_app()."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

import click
from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

if TYPE_CHECKING:
    from flask_migrate import Migrate

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Typed declarative base shared by every domain's models."""

    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()


def client_address() -> str:
    """The caller's address, as seen after any trusted proxy (ProxyFix) rewrote it."""
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address, headers_enabled=True)


class Migrations:
    """`app.extensions["migrate"]`, what Flask-Migrate reads there (its `_MigrateConfig`: the
    Migrate object, the database, the migrations folder and Alembic's settings), with Flask-Migrate
    and Alembic imported only when a migration runs (`logbook init-db`, `flask db`, the tests'
    `flask_migrate.upgrade()`): they take a tenth of a second to import, which a web server starting
    up would pay for nothing (issue 24, tests/architecture/test_cold_start.py)."""

    def __init__(self, database: SQLAlchemy, directory: str, **configure_args: Any) -> None:
        self.db = database
        self.directory = directory
        self.configure_args = configure_args  # compare_type, render_as_batch: read by migrations/env.py

    @cached_property
    def migrate(self) -> Migrate:
        from flask_migrate import Migrate

        return Migrate(db=self.db, directory=self.directory, **self.configure_args)

    @property
    def metadata(self) -> MetaData:
        return self.db.metadata


class MigrationCommands(click.Group):
    """`flask db …`: Flask-Migrate's command group, imported when one of its commands is run (or its
    help shown), not when the app is made."""

    def __init__(self) -> None:
        super().__init__("db", help="Perform database migrations.")

    @staticmethod
    def _group() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        return self._group().make_context(info_name, args, parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._group().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._group().get_command(ctx, cmd_name)


def init_migrations(app: Flask, database: SQLAlchemy, directory: str) -> None:
    """Flask-Migrate's settings for this app and the `flask db` commands, as `Migrate.init_app` would
    register them (render_as_batch for SQLite's ALTER TABLE, compare_type for autogenerate)."""
    app.extensions["migrate"] = Migrations(database, directory, compare_type=True, render_as_batch=True)
    app.cli.add_command(MigrationCommands())
