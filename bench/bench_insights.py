"""Insight view benchmarks (not tests): an organisation of 5,000 practitioners x 60 entries
(300,000 entries, bulk inserted), each view timed once (cold) as the org admin sees it, on SQLite
(and on PostgreSQL when LOGBOOK_BENCH_PG_URL is set; that database is emptied). Goal: ≤ 1 s per view.

    .venv/bin/python bench/bench_insights.py [people] [entries_each]
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade
from sqlalchemy import create_engine, insert, text

from logbook import create_app
from logbook.accounts.models import SERVICE_AREAS, JobRole, Organisation, Registration, Team, User
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks.kinds import KINDS
from logbook.frameworks.service import load_shipped_frameworks
from logbook.insights import service
from logbook.supervision.models import SupervisionLink
from logbook.timeutil import utcnow

TODAY = dt.date(2026, 11, 25)
PROFESSIONS = [
    ("nurse", "NMC", "nmc"),
    ("social worker", "SWE", "swe"),
    ("speech and language therapist", "HCPC", "hcpc"),
    ("teacher", "TEACHERS", "teachers"),
    ("early years practitioner", "NONE", None),
    ("family support worker", "NONE", None),
]
TEAMS = 120
BATCH = 10_000


def _populate(people: int, each: int) -> uuid.UUID:
    """One organisation: teams, job roles, people with registrations and supervisors, entries."""
    rng = random.Random(9)
    now = utcnow()
    org = Organisation(name="Bench", slug="bench")
    db.session.add(org)
    db.session.flush()
    teams = [
        Team(organisation_id=org.id, name=f"Team {n:03d}", service_area=SERVICE_AREAS[n % len(SERVICE_AREAS)])
        for n in range(TEAMS)
    ]
    roles = [
        JobRole(organisation_id=org.id, name=p.title(), service_area="other", profession=p, usual_regulator=r)
        for p, r, _ in PROFESSIONS
    ]
    db.session.add_all(teams + roles)
    admin = User(
        organisation_id=org.id,
        email="admin@bench",
        name="Admin",
        password_hash="x",  # noqa: S106 - not a password: this account never logs in
        is_org_admin=True,
    )
    db.session.add(admin)
    db.session.flush()
    users, regs, links, entries = [], [], [], []
    for n in range(people):
        uid = uuid.uuid4()
        k = rng.randrange(len(PROFESSIONS))
        users.append(
            {
                "id": uid,
                "organisation_id": org.id,
                "email": f"p{n}@bench",
                "name": f"Person {n:05d}",
                "password_hash": "x",
                "team_id": teams[n % TEAMS].id,
                "job_role_id": roles[k].id,
                "is_practitioner": True,
                "is_supervisor": n % 8 == 0,
                "is_team_manager": False,
                "is_org_admin": False,
                "is_active": True,
                "created_at": now,
            }
        )
        if PROFESSIONS[k][2]:
            regs.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": uid,
                    "regulator": PROFESSIONS[k][1],
                    "profession": PROFESSIONS[k][0],
                    "framework_id": PROFESSIONS[k][2],
                    "renewal_date": dt.date(2027, 4, 30) if PROFESSIONS[k][1] == "NMC" else None,
                    "is_dual_registration": False,
                    "created_at": now,
                }
            )
        if n % 8:
            links.append(
                {
                    "id": uuid.uuid4(),
                    "supervisor_id": users[n - n % 8]["id"],
                    "supervisee_id": uid,
                    "kind": "line",
                    "starts_on": TODAY - dt.timedelta(days=rng.randrange(400)),
                    "created_at": now,
                }
            )
        for _ in range(each):
            kind = rng.choice(KINDS)
            others = [rng.choice(PROFESSIONS)[0]] if kind == "shadowing" or rng.random() < 0.1 else []
            entries.append(
                {
                    "id": uuid.uuid4(),
                    "owner_id": uid,
                    "organisation_id": org.id,
                    "kind": kind,
                    "title": "t",
                    "description": "",
                    "start_date": TODAY - dt.timedelta(days=rng.randrange(1000)),
                    "end_date": None,
                    "hours": Decimal(rng.randrange(1, 30)) / 4,
                    "is_participatory": True,
                    "includes_peer_reflection": False,
                    "reflection": {},
                    "impact_on_practice": "",
                    "impact_on_people": "",
                    "ways_of_knowing": [],
                    "other_professions": others,
                    "standards": [],
                    "common_core": sorted(rng.sample("123456", rng.randrange(3))),
                    "details": {},
                    "evidence": [],
                    "visibility": rng.choice(("organisation", "organisation", "supervisors", "private")),
                    "status": "draft" if rng.random() < 0.05 else "recorded",
                    "version": 1,
                    "is_deleted": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    for table, rows in ((User, users), (Registration, regs), (SupervisionLink, links), (Entry, entries)):
        for start in range(0, len(rows), BATCH):
            db.session.execute(insert(table.__table__), rows[start : start + BATCH])
    db.session.commit()
    load_shipped_frameworks()
    db.session.commit()
    # Fresh bulk-loaded tables have no planner statistics yet (autovacuum would gather them soon
    # after in a real database); without them PostgreSQL picks nested loops over 300,000 rows.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return admin.id


def run(url: str, label: str, people: int, each: int) -> dict[str, float]:
    """Migrate, fill and time every view once, cold (the first call after the load)."""
    app = create_app({"ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": "x" * 40})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        admin_id = _populate(people, each)
        print(
            f"{label}: generated {people:,} people x {each} entries in {time.perf_counter() - started:.1f} s"
        )
        timings = {}
        for view in service.VIEWS:
            db.session.expire_all()
            viewer = db.session.get(User, admin_id)
            started = time.perf_counter()
            service.insight_view(viewer=viewer, view=view, filters={}, threshold=5, today=TODAY)
            timings[view] = time.perf_counter() - started
            print(f"  {view:32s} {timings[view]:6.2f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    return timings


def main() -> None:
    """Run on SQLite, and on PostgreSQL when LOGBOOK_BENCH_PG_URL is set."""
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 5_000
    each = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.sqlite3", "SQLite", people, each)
    pg = os.environ.get("LOGBOOK_BENCH_PG_URL")
    if pg:
        engine = create_engine(pg)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        run(pg, "PostgreSQL", people, each)


if __name__ == "__main__":
    main()
