"""Rate-limit counters that every worker and every app server shares.

flask-limiter keeps its counters in a `limits` storage. `memory://` is one counter per process: with
gunicorn's several workers each worker counted on its own, so 20 wrong /verify codes an hour became
58-72 and 5 failed logins per account became 6-9 (issue #17). Production therefore counts in a store
all workers share: the app's own database by default (`database://`, this module: SQLite or
PostgreSQL, one row per limit key and window, incremented by one atomic upsert), or Redis
(`redis://host:6379/0`, limits' own RedisStorage). `logbook serve --prod` refuses `memory://` with more
than one worker (logbook/cli.py).

On SQLite the counters live in a companion file next to the database (`<database file>-ratelimit`,
same folder, WAL): SQLite has one writer at a time per file, and a request that may write holds the
app database's write lock from its first query (logbook/__init__.py), so a limit whose key needs the
logged-in user (read through the request's session) would wait on its own request for a counter in
the same file. Every worker on the machine opens the same companion file, so the count is shared as
before. PostgreSQL keeps them in the app's database (table rate_limit_counter, migration 0013).

Keys are stored as SHA-256 digests: a login limit's key holds the email address being tried, and the
table need not hold addresses of people who have no account.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from typing import cast

import sqlalchemy as sa
from flask import g, has_request_context, request
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from logbook.extensions import Base, db

SCHEME = "database"
_PURGE_EVERY = 500  # increments (per process) between deletions of expired rows


class RateLimitCounter(Base):
    """One fixed window of one rate limit: hits so far and when the window ends (Unix seconds)."""

    __tablename__ = "rate_limit_counter"

    key_sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    hits: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    expires_at: Mapped[float] = mapped_column(sa.Double, nullable=False, index=True)


_companions: dict[str, Engine] = {}
_companions_lock = threading.Lock()
SQLITE_BUSY_TIMEOUT_MS = 5000


def _sqlite_companion(path: str) -> Engine:
    """The engine of the counters' own SQLite file (made, with its table, on first use)."""
    with _companions_lock:
        engine = _companions.get(path)
        if engine is not None:
            return engine
        engine = sa.create_engine(f"sqlite:///{path}")

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # SQLAlchemy's recipe: we say when transactions begin
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # one short write: take the lock up front

        # __table__ is declared as a FromClause; a mapped class's is a Table (with indexes).
        table = cast(sa.Table, RateLimitCounter.__table__)
        with engine.begin() as conn:
            conn.execute(sa.schema.CreateTable(table, if_not_exists=True))
            for index in table.indexes:
                conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))
        _companions[path] = engine
        return engine


def counter_engine() -> Engine:
    """Where the current app's counters are: its database, or on SQLite the companion file."""
    engine = db.engine
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return engine
    return _sqlite_companion(database + "-ratelimit")


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _counted() -> dict[str, tuple[int, float]]:
    """This request's own increments, by key digest: the hits and window end the upsert returned.

    flask-limiter reads a limit's window back right after counting it, to write the X-RateLimit
    headers (get and get_expiry: two more queries per limited request, a third of a cheap request's
    time). The upsert has just returned both, atomically, so they are answered from here. Kept on
    `g` for the current request only: nothing is remembered across requests, and
    whether a request is refused is always the upsert's own count. Headers may trail other workers'
    hits made in the same milliseconds, as any read would."""
    if not has_request_context():
        return {}
    current = request._get_current_object()  # type: ignore[attr-defined]  # werkzeug's LocalProxy
    remembered = g.get("ratelimit_counted")
    if remembered is None or remembered[0] is not current:  # a test may run requests in one app context
        remembered = g.ratelimit_counted = (current, {})
    return remembered[1]


class DatabaseStorage(Storage):
    """A `limits` storage in the app's database (fixed-window strategy: incr/get/get_expiry/clear).

    Each call runs in its own short transaction on its own pooled connection, never the request's
    session: a count must survive the request's rollback (a refused login is an error response), and
    must be visible to every other worker at once. The increment is one statement, an
    INSERT … ON CONFLICT DO UPDATE that starts a new window when the old one has ended, so concurrent
    workers never lose a hit (PostgreSQL locks the row; SQLite serialises writers).
    Needs an application context (the engine is the current app's: tests run many apps).
    """

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._calls = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    @staticmethod
    def _table() -> sa.Table:
        return RateLimitCounter.__table__  # type: ignore[return-value]

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        table = self._table()
        now = time.time()
        engine = counter_engine()
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        digest = _digest(key)
        insert = dialect.insert(table).values(key_sha256=digest, hits=amount, expires_at=now + expiry)
        ended = table.c.expires_at <= now
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key_sha256],
            set_={
                "hits": sa.case((ended, amount), else_=table.c.hits + amount),
                "expires_at": sa.case((ended, now + expiry), else_=table.c.expires_at),
            },
        ).returning(table.c.hits, table.c.expires_at)
        with engine.begin() as conn:
            hits, expires_at = conn.execute(statement).one()
            if next(self._calls) % _PURGE_EVERY == 0:
                conn.execute(sa.delete(table).where(table.c.expires_at < now))
        _counted()[digest] = (int(hits), float(expires_at))
        return int(hits)

    def get(self, key: str) -> int:
        known = _counted().get(_digest(key))
        if known is not None and known[1] > time.time():
            return known[0]
        table = self._table()
        with counter_engine().connect() as conn:
            hits = conn.execute(
                sa.select(table.c.hits).where(
                    table.c.key_sha256 == _digest(key), table.c.expires_at > time.time()
                )
            ).scalar_one_or_none()
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        table = self._table()
        now = time.time()
        known = _counted().get(_digest(key))
        if known is not None and known[1] > now:
            return known[1]
        with counter_engine().connect() as conn:
            expires = conn.execute(
                sa.select(table.c.expires_at).where(
                    table.c.key_sha256 == _digest(key), table.c.expires_at > now
                )
            ).scalar_one_or_none()
        return float(expires) if expires is not None else now

    def check(self) -> bool:
        try:
            with counter_engine().connect() as conn:
                conn.execute(sa.select(sa.literal(1)))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        _counted().clear()
        with counter_engine().begin() as conn:
            return conn.execute(sa.delete(self._table())).rowcount

    def clear(self, key: str) -> None:
        table = self._table()
        _counted().pop(_digest(key), None)
        with counter_engine().begin() as conn:
            conn.execute(sa.delete(table).where(table.c.key_sha256 == _digest(key)))
