"""Insight view benchmarks (not tests): the `logbook demo --scale` organisation of 5,000 practitioners x 60
entries (300,000 entries, bulk inserted), precomputed compliance refreshed, then each view timed as the org
admin sees it, cold (first call) and warm (second call), on SQLite (and on PostgreSQL when
LOGBOOK_BENCH_PG_URL is set; that database is emptied). Goal: ≤ 1 s per view.

    .venv/bin/python -u bench/bench_insights.py [people] [entries_each]

LOGBOOK_BENCH_SQLITE=PATH keeps the SQLite database in that file; with LOGBOOK_BENCH_REUSE=1 an
organisation already loaded (in that file, and in the PostgreSQL database) is timed again without
reloading, e.g. when the shared machine is quieter. "cpu" is this process's CPU time for the warm
call: on SQLite it includes the database engine's work (in-process) and barely moves with the load
of other processes; on PostgreSQL the server's work is not in it.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text

from logbook.accounts.models import User
from logbook.app import create_app
from logbook.config import KeyRing
from logbook.demo.scale import analyse, build_scale_demo
from logbook.extensions import db
from logbook.insights import service
from logbook.insights.precompute import refresh_all

TODAY = dt.date(2026, 11, 25)


def _populate(label: str, people: int, each: int) -> uuid.UUID:
    """The `logbook demo --scale` organisation (bulk inserted), ANALYZE, compliance refreshed; returns
    the org admin's id."""
    started = time.perf_counter()
    made = build_scale_demo(people=people, entries_each=each, today=TODAY)
    db.session.commit()
    print(
        f"{label}: generated {made['people']:,} people, {made['entries']:,} entries, "
        f"{made['supervision_sessions']:,} supervision sessions in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    started = time.perf_counter()
    analyse()
    db.session.commit()
    print(f"  ANALYZE {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    refreshed = refresh_all(today=TODAY, ring=KeyRing.of(current_app))
    db.session.commit()
    print(
        f"  insights-refresh (compliance of {refreshed:,} registrants) {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return db.session.scalar(select(User.id).where(User.email == made["admin_email"]))


def run(url: str, label: str, people: int, each: int) -> dict[str, float]:
    """Migrate, fill and time every view twice: cold (the first call after the load) and warm."""
    app = create_app({"ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": "x" * 40})
    with app.app_context():
        upgrade()
        admin_id = _loaded_admin() if os.environ.get("LOGBOOK_BENCH_REUSE") else None
        if admin_id is None:
            admin_id = _populate(label, people, each)
        else:
            print(f"{label}: timing the organisation already loaded", flush=True)
        timings = {}
        print(f"  {'view':32s}   cold     warm   warm cpu", flush=True)
        for view in service.VIEWS:
            runs = []
            for _ in range(2):
                db.session.expire_all()
                viewer = db.session.get(User, admin_id)
                started, cpu = time.perf_counter(), time.process_time()
                service.insight_view(
                    viewer=viewer, view=view, filters={}, threshold=5, today=TODAY, ring=KeyRing.of(app)
                )
                runs.append((time.perf_counter() - started, time.process_time() - cpu))
            timings[view] = runs[0][0]
            print(f"  {view:32s} {runs[0][0]:6.2f} s {runs[1][0]:6.2f} s {runs[1][1]:6.2f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    return timings


def _loaded_admin() -> uuid.UUID | None:
    """The org admin of a scale organisation already in the database (LOGBOOK_BENCH_REUSE)."""
    return db.session.scalar(
        select(User.id).where(User.email.like("admin@scale-%"), User.is_org_admin.is_(True))
    )


def main() -> None:
    """Run on SQLite, and on PostgreSQL when LOGBOOK_BENCH_PG_URL is set."""
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    each = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    kept = os.environ.get("LOGBOOK_BENCH_SQLITE")
    if kept:
        run(f"sqlite:///{Path(kept).resolve()}", "SQLite", people, each)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/bench.sqlite3", "SQLite", people, each)
    pg = os.environ.get("LOGBOOK_BENCH_PG_URL")
    if pg and os.environ.get("LOGBOOK_BENCH_REUSE"):
        run(pg, "PostgreSQL", people, each)
    elif pg:
        engine = create_engine(pg)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        run(pg, "PostgreSQL", people, each)


if __name__ == "__main__":
    main()
