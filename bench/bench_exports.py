"""Export benchmarks (not tests): the org admin's staff export (a ZIP of one PDF per person + CSV) and a
practitioner's full-record export and import, on SQLite in a temporary folder.

    .venv/bin/python -u bench/bench_exports.py [people] [entries_each] [record_entries]

Defaults: a team of 20 people x 40 entries (half shared with the organisation), and one person's record
of 500 entries (every fifth signed off, each edited once) exported and imported into a second
organisation. Peak memory is the process's maximum resident set size (ru_maxrss) after each step.
"""

from __future__ import annotations

import datetime as dt
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import current_app
from flask_migrate import upgrade

from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import Organisation, Registration, Team, User
from logbook.app import create_app
from logbook.config import KeyRing
from logbook.entries import service as entries
from logbook.exports import record, staff
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.jobs.models import Job
from logbook.jobs.runner import job_runner
from logbook.storage import evidence_store
from logbook.supervision import signoff
from logbook.supervision.signoff import verify_everything
from logbook.timeutil import utcnow

TODAY = dt.date.today()  # noqa: DTZ011 - entries must fall in the entries API's plausibility window


def rss_mb() -> float:
    """Peak resident memory of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def person(org: Organisation, name: str, team: Team | None = None) -> User:
    user = User(
        organisation_id=org.id,
        email=f"{uuid.uuid4().hex[:10]}@bench.example",
        name=name,
        password_hash="!",  # noqa: S106 - not a hash: nobody logs in as a benchmark person
        team_id=team.id if team else None,
    )
    db.session.add(user)
    db.session.flush()
    db.session.add(
        Registration(
            user_id=user.id,
            regulator="HCPC",
            profession="Occupational therapist",
            registration_number="OT10000",
            framework_id="hcpc",
            registered_since=TODAY - dt.timedelta(days=1000),
        )
    )
    db.session.flush()
    return user


def fill(
    user: User, count: int, *, now: dt.datetime, sign_every: int = 0, signer: User | None = None
) -> None:
    """count entries over the last two years; every sign_every-th requested and approved by signer."""
    for i in range(count):
        entry = entries.create_entry(
            owner=user,
            data={
                "kind": "course",
                "title": f"Course {i} on practice",
                "hours": 2,
                "description": "What the course covered, and what changed in practice afterwards. " * 3,
                "start_date": TODAY - dt.timedelta(days=(i * 700) // max(count, 1)),
                "visibility": "organisation" if i % 2 else "private",
                "reflection": {"template": "free", "answers": {"text": "A private reflection. " * 10}},
            },
            now=now,
        )
        if sign_every and i % sign_every == 0:
            asked = signoff.request_sign_off(
                owner=user, entry_id=entry.id, entry_version=entry.version, supervisor_id=signer.id, now=now
            ).request
            signoff.decide(
                signer=signer,
                entry_id=entry.id,
                entry_version=asked.entry_version,
                content_sha256=asked.content_sha256,
                decision="approved",
                now=now,
                base_url="http://localhost",
                ring=KeyRing.of(current_app),
            )


def main() -> None:  # noqa: PLR0915 - one straight script, step after step
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    each = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    record_entries = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "ENV": "testing",
                "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite3",
                "SECRET_KEY": "x" * 40,
                "EVIDENCE_URL": f"{folder}/evidence",
                "JOBS_RUNNER": "inline",
            }
        )
        with app.app_context():
            upgrade()
            load_shipped_frameworks()
            now = utcnow()
            org = Organisation(name="Bench North", slug="bench-north")
            other = Organisation(name="Bench South", slug="bench-south")
            db.session.add_all([org, other])
            db.session.flush()
            team = Team(organisation_id=org.id, name="Bench team", service_area="health")
            db.session.add(team)
            db.session.flush()
            admin = person(org, "Bench Admin")
            admin.is_org_admin = True
            started = time.perf_counter()
            for n in range(people):
                fill(person(org, f"Person {n:03d}", team), each, now=now)
            db.session.commit()
            print(
                f"made {people} people x {each} entries in {time.perf_counter() - started:.1f} s", flush=True
            )

            # Staff export: queue, then run the job here (what a worker does), timing the whole job.
            job = staff.start_staff_export(
                admin=db.session.get(User, admin.id),
                team_id=team.id,
                now=utcnow(),
                runner=job_runner(app),
            )
            job_id = job.id
            before = rss_mb()
            started = time.perf_counter()
            db.session.commit()  # the inline runner runs the job as the queuing transaction commits
            took = time.perf_counter() - started
            done = db.session.get(Job, job_id)
            print(
                f"staff export: {people} people ({each // 2} shared entries each): {took:.1f} s "
                f"({took / people * 1000:.0f} ms a person), ZIP {done.result_size / 1024:.0f} KB, "
                f"status {done.status}, peak RSS {before:.0f} → {rss_mb():.0f} MB",
                flush=True,
            )

            mover = person(org, "Mover")
            boss = person(org, "Mover's supervisor")
            boss.is_supervisor = True
            db.session.add(
                SupervisionLink(
                    supervisor_id=boss.id,
                    supervisee_id=mover.id,
                    kind="line",
                    starts_on=TODAY - dt.timedelta(days=800),
                )
            )
            db.session.flush()
            started = time.perf_counter()
            fill(mover, record_entries, now=now, sign_every=5, signer=boss)
            print(
                f"made the mover's {record_entries} entries in {time.perf_counter() - started:.1f} s",
                flush=True,
            )
            db.session.commit()
            mover = db.session.get(User, mover.id)
            started = time.perf_counter()
            data = record.export_record(
                user=mover, now=utcnow(), store=evidence_store(), ring=KeyRing.of(app)
            )
            took = time.perf_counter() - started
            print(
                f"record export: {record_entries} entries: {took:.2f} s, ZIP {len(data) / 1024:.0f} KB, "
                f"peak RSS {rss_mb():.0f} MB",
                flush=True,
            )
            arrival = person(other, "Mover")
            db.session.commit()
            started = time.perf_counter()
            summary = record.import_record(
                user=db.session.get(User, arrival.id),
                data=data,
                store=evidence_store(),
                now=utcnow(),
                ring=KeyRing.of(app),
            )
            db.session.commit()
            took = time.perf_counter() - started
            print(
                f"record import: {summary['entries']} entries: {took:.2f} s, peak RSS {rss_mb():.0f} MB",
                flush=True,
            )
            started = time.perf_counter()
            report = verify_everything(ring=KeyRing.of(app))
            print(
                f"audit verify after import: ok={report.is_ok}, {report.sign_offs_checked} sign-offs, "
                f"{time.perf_counter() - started:.2f} s",
                flush=True,
            )
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
