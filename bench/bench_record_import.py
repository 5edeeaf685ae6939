"""Past-CPD import benchmark (not a test): a generated spreadsheet of N rows (default 2,000), as CSV
and as XLSX, previewed and applied through the services the API calls, on SQLite in a temporary folder
(or PostgreSQL with --pg URL, whose tables are created by the migrations). Then the Leap2A export of
the imported record and its import into a second, empty account.

    .venv/bin/python -u bench/bench_record_import.py [rows] [--pg postgresql+psycopg://…]

Each step is timed (wall clock, one transaction as the request has); the target is preview + apply of
2,000 rows under 10 s. Peak resident memory of the process at the end.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import platform
import resource
import sys
import tempfile
import time
import uuid

from flask_migrate import upgrade
from openpyxl import Workbook

from logbook.accounts.models import Organisation, User
from logbook.app import create_app
from logbook.exports import leap2a, spreadsheet
from logbook.extensions import db
from logbook.storage import evidence_store
from logbook.timeutil import utcnow

TODAY = dt.date.today()  # noqa: DTZ011 - a calendar date for the generated rows
KINDS = ["Conference", "Course", "Webinar", "Reading", "Study day", "Supervision", "Shadowing", ""]
FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d %B %Y"]


def rows(n: int) -> list[list[object]]:
    out: list[list[object]] = [["Date", "Activity", "Hours", "Type", "Notes", "Reflection"]]
    for i in range(n):
        day = TODAY - dt.timedelta(days=1 + i % 700)
        out.append(
            [
                day.strftime(FORMATS[i % 3]),
                f"Learning activity {i:05d} on safeguarding",
                ["1", "1.5", "90 min", "2:30", "6"][i % 5],
                KINDS[i % len(KINDS)],
                f"Notes for row {i}: what happened and who ran it.",
                "What I learnt and what I will change." if i % 4 == 0 else "",
            ]
        )
    return out


def as_csv(table: list[list[object]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(table)
    return out.getvalue().encode()


def as_xlsx(table: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def person(org: Organisation, name: str) -> User:
    user = User(
        organisation_id=org.id,
        email=f"{uuid.uuid4().hex[:10]}@bench.example",
        name=name,
        password_hash="!",  # noqa: S106 - not a hash: nobody logs in as a benchmark person
    )
    db.session.add(user)
    db.session.flush()
    return user


def timed(label: str, step):
    start, cpu = time.perf_counter(), time.process_time()
    result = step()
    report(label, start, cpu)
    return result


def report(label: str, start: float, cpu: float, extra: str = "") -> None:
    """Wall time and this process's CPU time (on a shared machine the difference is waiting for a core)."""
    wall, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label:<52} {wall:7.2f} s wall {used:7.2f} s CPU {extra}", flush=True)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 2000
    pg = sys.argv[sys.argv.index("--pg") + 1] if "--pg" in sys.argv else None
    load = os.getloadavg()[0]
    print(f"{platform.node()} · {os.cpu_count()} cores · load {load:.1f} · {utcnow():%Y-%m-%d %H:%M} UTC")
    table = rows(n)
    files = {"CSV": as_csv(table), "XLSX": as_xlsx(table)}
    print(f"{n:,} rows: CSV {len(files['CSV']):,} bytes, XLSX {len(files['XLSX']):,} bytes")
    budget = spreadsheet.BUDGET
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "ENV": "testing",
                "DATABASE_URL": pg or f"sqlite:///{folder}/bench.sqlite3",
                "SECRET_KEY": "x" * 40,
                "EVIDENCE_URL": f"{folder}/evidence",
            }
        )
        with app.app_context():
            upgrade()
            org = Organisation(name="Bench North", slug=f"bench-{uuid.uuid4().hex[:6]}")
            db.session.add(org)
            db.session.flush()
            db.session.commit()
            for kind, data in files.items():
                user = person(org, f"{kind} importer")
                db.session.commit()
                found = timed(
                    f"preview of {kind} (nothing written)",
                    lambda d=data: spreadsheet.plan(data=d, budget=budget),
                )
                summary = found.as_dict()["summary"]
                start, cpu = time.perf_counter(), time.process_time()
                _plan, ids = spreadsheet.apply(
                    user=user, data=data, budget=budget, mapping=None, skip=None, filename=kind, now=utcnow()
                )
                db.session.commit()
                report(f"apply of {kind} (every row, committed)", start, cpu, f"→ {len(ids):,} entries")
                print(f"   preview summary {summary}")
            package = timed(
                f"Leap2A export of {n:,} entries",
                lambda: leap2a.export_package(
                    user=user, include_reflections=True, store=evidence_store(), now=utcnow()
                ),
            )
            print(f"   package {len(package):,} bytes")
            empty = person(org, "Leap2A importer")
            db.session.commit()
            lbudget = leap2a.Budget()
            timed(
                "Leap2A preview into an empty account",
                lambda: leap2a.plan(user=empty, data=package, budget=lbudget),
            )
            start, cpu = time.perf_counter(), time.process_time()
            _found, ids = leap2a.apply(
                user=empty,
                data=package,
                budget=lbudget,
                store=evidence_store(),
                max_evidence_bytes=10 << 20,
                now=utcnow(),
            )
            db.session.commit()
            report("Leap2A apply (committed)", start, cpu, f"→ {len(ids):,} entries")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
