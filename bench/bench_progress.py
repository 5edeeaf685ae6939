"""Progress benchmarks (not tests): the requirement engine for one practitioner with 2,000 entries (goal
≤ 50 ms), the same through the service (query + engine) on SQLite, and a whole organisation of 5,000
practitioners — engine only, and through GET-equivalent service calls on SQLite (and on PostgreSQL when
LOGBOOK_BENCH_PG_URL is set)."""

from __future__ import annotations

import datetime as dt
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade
from sqlalchemy import insert

from logbook import progress
from logbook.accounts.models import Organisation, Registration, User
from logbook.app import create_app
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks import engine, service
from logbook.frameworks.definition import summary_of
from logbook.frameworks.kinds import KINDS
from logbook.timeutil import utcnow

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rows import reset_pg, row

TODAY = dt.date(2026, 11, 25)
ONE_PERSON_ENTRIES = 2_000
ORG_PEOPLE = 5_000
ORG_ENTRIES_EACH = 40  # a realistic two to three years of CPD each: 200,000 entries
REGISTRATIONS = [
    ("NMC", "nurse", "nmc", dt.date(2027, 4, 30)),
    ("SWE", "social worker", "swe", None),
    ("HCPC", "speech and language therapist", "hcpc", None),
    ("TEACHERS", "teacher", "teachers", None),
]


@dataclass
class Row:
    kind: str
    title: str
    start_date: dt.date
    end_date: dt.date | None
    hours: Decimal
    is_participatory: bool
    includes_peer_reflection: bool
    status: str
    is_deleted: bool
    standards: list[dict[str, Any]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Reg:
    regulator: str
    profession: str
    framework_id: str
    renewal_date: dt.date | None
    registered_since: dt.date | None = None
    is_dual_registration: bool = False


def fake_entries(rng: random.Random, n: int, years: int = 6) -> list[dict[str, Any]]:
    """n entries spread over the last `years` years, of every kind and status."""
    out = []
    for i in range(n):
        kind = rng.choice(KINDS)
        out.append(
            {
                "kind": kind,
                "title": f"{kind} {i}",
                "start_date": TODAY - dt.timedelta(days=rng.randrange(365 * years)),
                "end_date": None,
                "hours": Decimal(rng.choice(["0.5", "1", "1.5", "3", "7.5"])),
                "is_participatory": rng.random() < 0.6,
                "includes_peer_reflection": rng.random() < 0.2,
                "status": rng.choice(["recorded", "recorded", "signed_off", "submitted", "draft"]),
                "is_deleted": rng.random() < 0.02,
                "standards": [{"framework": "swe", "version": 2, "code": rng.choice(["4.1", "4.2", "4.6"])}],
                "details": {"duration_minutes": 90} if kind == "supervision" else {},
            }
        )
    return out


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median and best wall time in ms."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), min(runs)


def compiled() -> dict[str, list[engine.Framework]]:
    out: dict[str, list[engine.Framework]] = {}
    for d in service.shipped_definitions():
        out.setdefault(d.framework_id, []).append(engine.compile_framework(summary_of(d)))
    return out


def bench_engine() -> None:
    rng = random.Random(1)
    frameworks = compiled()
    entries = [Row(**e) for e in fake_entries(rng, ONE_PERSON_ENTRIES)]
    for regulator, profession, framework_id, renewal in REGISTRATIONS:
        reg = Reg(regulator, profession, framework_id, renewal)
        median, best = timed(
            lambda reg=reg: engine.progress(
                registrations=[reg], entries=entries, frameworks=frameworks, today=TODAY
            ),
            50,
        )
        print(
            f"engine, 1 practitioner, {ONE_PERSON_ENTRIES} entries, {framework_id}: "
            f"median {median:.1f} ms, best {best:.1f} ms"
        )
    people = []
    for i in range(ORG_PEOPLE):
        regulator, profession, framework_id, renewal = REGISTRATIONS[i % len(REGISTRATIONS)]
        people.append(
            (
                Reg(regulator, profession, framework_id, renewal),
                [Row(**e) for e in fake_entries(rng, ORG_ENTRIES_EACH, years=3)],
            )
        )

    def whole_org():
        for reg, rows in people:
            engine.progress(registrations=[reg], entries=rows, frameworks=frameworks, today=TODAY)

    median, best = timed(whole_org, 3)
    print(
        f"engine, organisation of {ORG_PEOPLE} practitioners x {ORG_ENTRIES_EACH} entries: "
        f"median {median:.0f} ms, best {best:.0f} ms ({median / ORG_PEOPLE * 1000:.0f} µs each)"
    )


def bench_service(url: str, label: str) -> None:
    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-" * 8,
            "EVIDENCE_URL": str(folder / "ev"),
        }
    )
    rng = random.Random(2)
    with app.app_context():
        upgrade()
        service.load_shipped_frameworks()
        org = Organisation(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
        admin = User(
            organisation_id=org.id,
            email=f"admin-{org.slug}@bench.example",
            name="Admin",
            password_hash="x",  # noqa: S106 - nobody logs in to the benchmark database
            is_org_admin=True,
        )
        db.session.add_all([org])
        db.session.flush()
        admin.organisation_id = org.id
        db.session.add(admin)
        db.session.flush()
        users, regs, entries = [], [], []
        first_id = None
        now = utcnow()
        for i in range(ORG_PEOPLE):
            uid = uuid.uuid4()
            first_id = first_id or uid
            users.append(
                {
                    "id": uid,
                    "organisation_id": org.id,
                    "email": f"p{i}-{org.slug}@bench.example",
                    "name": f"Person {i:05}",
                    "password_hash": "x",
                    "is_practitioner": True,
                    "is_supervisor": False,
                    "is_team_manager": False,
                    "is_org_admin": False,
                    "is_active": True,
                    "created_at": now,
                }
            )
            regulator, profession, framework_id, renewal = REGISTRATIONS[i % len(REGISTRATIONS)]
            regs.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": uid,
                    "regulator": regulator,
                    "profession": profession,
                    "framework_id": framework_id,
                    "renewal_date": renewal,
                    "is_dual_registration": False,
                    "created_at": now,
                }
            )
            count = ONE_PERSON_ENTRIES if i == 0 else ORG_ENTRIES_EACH
            for e in fake_entries(rng, count, years=6 if i == 0 else 3):
                entries.append(
                    {
                        **e,
                        "id": uuid.uuid4(),
                        "owner_id": uid,
                        "organisation_id": org.id,
                        "visibility": "private",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                        "description": "",
                        "reflection": {},
                        "impact_on_practice": "",
                        "impact_on_people": "",
                        "ways_of_knowing": [],
                        "other_professions": [],
                        "common_core": [],
                        "evidence": [],
                    }
                )
        db.session.execute(insert(User), users)
        db.session.execute(insert(Registration), regs)
        for start in range(0, len(entries), 20_000):
            db.session.execute(insert(Entry), entries[start : start + 20_000])
        db.session.commit()
        total = len(entries)
        del users, regs, entries  # 200,000 dicts kept alive would make every full GC pass slow
        gc.collect()
        _time_service(label, db.session.get(User, first_id), db.session.get(User, admin.id), total)
        db.session.remove()
        db.engine.dispose()


def _time_service(label: str, first: User, admin: User, total: int) -> None:
    """Time progress through the service: one practitioner, one page, the whole organisation."""

    def one():
        progress.progress_for(viewer=first, today=TODAY)
        db.session.rollback()

    median, best = timed(one, 30)
    print(
        f"{label}: service (query + engine), 1 practitioner, {ONE_PERSON_ENTRIES} entries: "
        f"median {median:.1f} ms, best {best:.1f} ms"
    )

    def page():
        progress.progress_for(viewer=admin, today=TODAY, scope="organisation", limit=200)
        db.session.rollback()

    median, best = timed(page, 5)
    print(
        f"{label}: service, one page of 200 people (scope=organisation): "
        f"median {median:.0f} ms, best {best:.0f} ms"
    )

    def org_all():
        offset = 0
        while offset is not None:
            offset = progress.progress_for(
                viewer=admin, today=TODAY, scope="organisation", offset=offset, limit=500
            )["next_offset"]
            db.session.rollback()

    median, best = timed(org_all, 3)
    print(
        f"{label}: service, whole organisation in pages of 500 "
        f"({ORG_PEOPLE} practitioners, {total} entries): "
        f"median {median / 1000:.2f} s, best {best / 1000:.2f} s"
    )


ROW_ENTRIES = 10_000


def baseline_sql(is_pg: bool) -> str:
    """The same columns and rows progress_for reads (engine.EntryFacts), written out by hand."""
    mark = "%s" if is_pg else "?"
    return (
        "SELECT owner_id, kind, title, start_date, end_date, hours, is_participatory,"  # noqa: S608 - fixed text, values as parameters
        " includes_peer_reflection, status, is_deleted, standards,"
        " CASE WHEN kind = 'supervision' THEN details END, id,"
        " (impact_on_practice != '' OR impact_on_people != '')"
        " FROM entry WHERE owner_id = " + mark + " AND coalesce(end_date, start_date) >= " + mark +
        " ORDER BY start_date, id"
    )


def bench_row(url: str, label: str, repeat: int = 15) -> None:
    """Issue 24's row: one person with 10,000 entries, progress through the service against one
    SELECT of the same rows through the database driver (no SQLAlchemy types, no product code), the
    two timed in turn."""
    folder = Path(tempfile.mkdtemp())
    app = create_app(
        {"ENV": "testing", "DATABASE_URL": url, "SECRET_KEY": "bench-" * 8, "EVIDENCE_URL": f"{folder}/ev"}
    )
    rng = random.Random(3)
    with app.app_context():
        upgrade()
        service.load_shipped_frameworks()
        org = Organisation(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
        db.session.add(org)
        db.session.flush()
        person = User(
            organisation_id=org.id,
            email=f"row-{org.slug}@bench.example",
            name="Row",
            password_hash="x",  # noqa: S106 - nobody logs in to the benchmark database
        )
        db.session.add(person)
        db.session.flush()
        for regulator, profession, framework_id, renewal in REGISTRATIONS[:1]:
            db.session.add(
                Registration(
                    user_id=person.id,
                    regulator=regulator,
                    profession=profession,
                    framework_id=framework_id,
                    renewal_date=renewal,
                )
            )
        now = utcnow()
        rows = [
            {
                **e,
                "id": uuid.uuid4(),
                "owner_id": person.id,
                "organisation_id": org.id,
                "visibility": "private",
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "description": "",
                "reflection": {"template": "free", "answers": {"text": "What I learnt " * 20}},
                "impact_on_practice": rng.choice(["", "Changed how I plan visits."]),
                "impact_on_people": "",
                "ways_of_knowing": [],
                "other_professions": [],
                "common_core": [],
                "evidence": [],
            }
            for e in fake_entries(rng, ROW_ENTRIES, years=4)
        ]
        db.session.execute(insert(Entry), rows)
        db.session.commit()
        del rows
        gc.collect()
        person_id = person.id
        is_pg = db.engine.dialect.name == "postgresql"
        param = person_id if is_pg else person_id.hex
        sql = baseline_sql(is_pg)
        since = (TODAY - dt.timedelta(days=365 * 6)).isoformat()

        def select_rows():
            raw = db.engine.raw_connection()
            try:
                cur = raw.cursor()
                cur.execute(sql, (param, since))
                got = cur.fetchall()
                cur.close()
            finally:
                raw.close()
            return got

        viewer = db.session.get(User, person_id)

        def service_call():
            progress.progress_for(viewer=viewer, today=TODAY)
            db.session.rollback()

        if len(select_rows()) != ROW_ENTRIES:
            raise SystemExit("the baseline SELECT did not read every entry")
        service_call()  # warm: the compiled frameworks, the statement cache
        select_times, service_times = [], []
        for _ in range(repeat):
            select_times.append(timed(select_rows, 1)[0])
            service_times.append(timed(service_call, 1)[0])
        sel, srv = statistics.median(select_times), statistics.median(service_times)
        print(
            f"{label}: progress of one person with {ROW_ENTRIES} entries, median of {repeat}: service "
            f"{srv:.1f} ms (best {min(service_times):.1f}), "
            f"one SELECT {sel:.1f} ms (best {min(select_times):.1f})",
            flush=True,
        )
        row(
            f"progress, 1 person x {ROW_ENTRIES:,} entries, {label}",
            f"{srv:.0f} ms",
            f"one SELECT {sel:.0f} ms",
            f"{srv / sel:.1f}x",
            "<= 3x",
        )
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    pg = os.environ.get("LOGBOOK_BENCH_PG_URL")
    with tempfile.TemporaryDirectory() as tmp:
        bench_row(f"sqlite:///{tmp}/row.sqlite3", "SQLite")
    if pg:
        reset_pg(pg)  # a fresh machine has no benchmark database
        bench_row(pg, "PostgreSQL")
    if os.environ.get("BENCH_ROWS_ONLY"):
        return
    bench_engine()
    with tempfile.TemporaryDirectory() as tmp:
        bench_service(f"sqlite:///{tmp}/bench.sqlite3", "SQLite")
    if pg:
        reset_pg(pg)
        bench_service(pg, "PostgreSQL")


if __name__ == "__main__":
    main()
