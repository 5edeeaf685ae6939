"""The app for gunicorn with a fault hook: when a marker file exists, the worker SIGKILLs itself
during a sync push, either after the mutations are applied and flushed but before the commit
("before"), or after the commit but before the response is written ("after"). The marker is
removed first, so the worker gunicorn starts in its place runs normally. Test use only."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from logbook.app import create_app
from logbook.sync.models import SyncMutation

app = create_app()
MARKER = Path(os.environ["LOGBOOK_FAULT_MARKER"])


def _die_if(moment: str) -> None:
    marker = MARKER.with_suffix("." + moment)
    if marker.exists():
        marker.unlink()
        os.kill(os.getpid(), signal.SIGKILL)  # as `kill -9`: no cleanup, no rollback, no response


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    # The push's own transaction has flushed mutation results (other commits may happen in the
    # same request first, e.g. the login session's); or stored them with one INSERT (_on_execute).
    if any(isinstance(obj, SyncMutation) for obj in session.new):
        session.info["is_push"] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state) -> None:
    # The push stores its answers with one INSERT of many rows into sync_mutation (no mapped instances).
    statement = state.statement
    if (
        state.is_insert
        and getattr(getattr(statement, "table", None), "name", None) == SyncMutation.__tablename__
    ):
        state.session.info["is_push"] = True


def _is_the_push(session: Session) -> bool:
    return (
        has_request_context() and request.path == "/api/v1/sync/push" and session.info.pop("is_push", False)
    )


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    session.info["push_commit"] = _is_the_push(session)
    if session.info["push_commit"]:
        _die_if("before")  # the mutations and their results are flushed, not committed


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("push_commit", False):
        _die_if("after")  # committed; the response is not written yet
