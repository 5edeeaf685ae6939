"""The one post-commit queue: every email and every job leaves the app only once the change that
caused it is committed.

A service that wants something done outside the database (send an email, hand a job to the runner)
never does it itself: it calls `after_commit(fn)`, which keeps `fn` on the SQLAlchemy session. When
the session's outermost transaction commits, the kept callables run in order; when it rolls back
they are dropped. A savepoint that rolls back (sync applies each mutation in one) drops only what
was queued inside it; a savepoint that is released keeps its callables for the outer commit. So a
failed commit (a clash, a constraint, the database going away) sends nothing and starts nothing:
nobody holds a link to a row that does not exist, and no worker looks for one.

The same holds wherever the session commits: the request boundary (logbook/web.py), the CLI, the
job runner's own short transactions. A callable that raises is logged and the others still run: the
transaction is already committed, so the failure cannot undo it and must not turn the response
into an error (the notifications cron retries event emails; see logbook/notifications/service.py).
A callable runs after the transaction ended its work: it must not use that session (the mailers do
not; notifications and jobs use their own connection or app context).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from logbook.extensions import db

_KEY = "logbook.after_commit"
log = logging.getLogger("logbook")  # the Flask app's logger has the package's name


def after_commit(fn: Callable[[], None], *, session: Session | None = None) -> None:
    """Run `fn()` once the current transaction of `session` (the request's by default) commits;
    forget it if that transaction, or the savepoint it was queued in, rolls back."""
    session = session if session is not None else db.session()
    where = session.get_nested_transaction() or session.get_transaction()
    if where is None:  # nothing begun yet (a service flushes first, so rarely): begin it now
        where = session.begin()
    session.info.setdefault(_KEY, []).append((where, fn))


def pending(session: Session | None = None) -> int:
    """How many callables wait for the commit (tests, diagnostics)."""
    session = session if session is not None else db.session()
    return len(session.info.get(_KEY, []))


def _inside(where: SessionTransaction, boundary: SessionTransaction) -> bool:
    """Whether a callable queued in `where` belongs to `boundary` (it or one of its savepoints)."""
    node: SessionTransaction | None = where
    while node is not None:
        if node is boundary:
            return True
        node = node.parent
    return False


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: its callables wait for the outermost commit
    queued = session.info.pop(_KEY, None)
    for _where, fn in queued or ():
        try:
            fn()
        except Exception:  # committed already: log it, run the rest, never fail the caller
            log.exception("an after-commit action failed (%s)", getattr(fn, "__name__", type(fn).__name__))


@event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous_transaction: SessionTransaction) -> None:
    queued = session.info.get(_KEY)
    if not queued:
        return
    # The rollback reached the nearest savepoint or the outermost transaction above the one named.
    boundary: Any = previous_transaction
    while boundary.parent is not None and not boundary.nested:
        boundary = boundary.parent
    kept = [(where, fn) for where, fn in queued if not _inside(where, boundary)]
    if kept:
        session.info[_KEY] = kept
    else:
        session.info.pop(_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _end(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended without a commit running the queue (`Session.close()`): what
    # it queued must never run on a later, unrelated commit.
    if transaction.parent is None:
        session.info.pop(_KEY, None)
