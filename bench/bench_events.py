"""Learning-offer benchmarks (not tests): QR check-in through the API (each makes the attendee's
entry), a phone's batch of offline check-ins through sync, the upcoming-events list, and the four
reach insight views over a year of events. SQLite in a temporary folder (and PostgreSQL when
LOGBOOK_BENCH_PG_URL is set; that database is emptied).

    .venv/bin/python -u bench/bench_events.py [people] [past_events] [attendees_each]
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from logbook.accounts.models import JobRole, Organisation, Team, User
from logbook.accounts.passwords import hash_password
from logbook.app import create_app
from logbook.config import KeyRing
from logbook.events import service
from logbook.events.models import EventFacilitator
from logbook.extensions import db
from logbook.insights.service import insight_view
from logbook.timeutil import utcnow

PASSWORD = "bench-password-0123456789"  # noqa: S105 - a throwaway benchmark database
ATTENDEES = 100
PROFESSIONS = [
    "social worker",
    "teacher",
    "nurse",
    "health visitor",
    "educational psychologist",
    "speech and language therapist",
    "early years practitioner",
    "family support worker",
]


def _app(url: str, folder: Path):
    return create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "EVIDENCE_URL": str(folder / "evidence"),
            "RATELIMIT_STORAGE_URI": "memory://",
            "SYNC_RATE_LIMIT": "100000 per minute",
        }
    )


def _populate(people: int, past: int, each: int) -> dict:
    org = Organisation(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
    db.session.add(org)
    db.session.flush()
    teams = [Team(organisation_id=org.id, name=f"Team {i}", service_area="social_care") for i in range(20)]
    roles = [
        JobRole(organisation_id=org.id, name=p, service_area="social_care", profession=p) for p in PROFESSIONS
    ]
    db.session.add_all(teams + roles)
    db.session.flush()
    pw = hash_password(PASSWORD)
    users = [
        User(
            organisation_id=org.id,
            email=f"p{i}@bench.example",
            name=f"Person {i}",
            password_hash=pw,
            team_id=teams[i % len(teams)].id,
            job_role_id=roles[i % len(roles)].id,
            is_practitioner=True,
        )
        for i in range(people)
    ]
    admin = User(
        organisation_id=org.id,
        email="admin@bench.example",
        name="Admin",
        password_hash=pw,
        is_practitioner=False,
        is_org_admin=True,
    )
    db.session.add_all([*users, admin])
    db.session.flush()
    db.session.add(EventFacilitator(user_id=users[0].id, organisation_id=org.id))
    now = utcnow()
    started = time.perf_counter()
    made = 0
    for n in range(past):
        event = service.create_event(
            actor=admin,
            data={
                "title": f"Workshop {n}",
                "kind": "bite_size_workshop",
                "starts_at": now - dt.timedelta(days=365 - n * 365 // max(past, 1)),
                "duration_minutes": 90,
                "target_professions": [PROFESSIONS[n % len(PROFESSIONS)]],
                "common_core": ["1"],
            },
            now=now,
        )
        for k in range(each):
            person = users[(n * 7 + k * len(PROFESSIONS)) % people]
            service.attend(event=event, attendee=person, method="register", now=now, marked_by=admin)
            made += 1
    for n in range(300):  # the year ahead
        service.create_event(
            actor=admin,
            data={
                "title": f"Coming {n}",
                "kind": "course",
                "starts_at": now + dt.timedelta(days=1 + n),
                "duration_minutes": 60,
                "target_professions": [PROFESSIONS[n % len(PROFESSIONS)]],
            },
            now=now,
        )
    db.session.commit()
    print(
        f"  populated: {people:,} people, {past} past events, {made:,} attendances (entries) "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return {"admin_id": admin.id, "users": [u.email for u in users], "org_id": org.id}


def _login(app, email: str):
    """A logged-in test client and its CSRF token."""
    client = app.test_client()
    token = client.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    out = client.post(
        "/api/v1/auth/login", json={"email": email, "password": PASSWORD}, headers={"X-CSRFToken": token}
    ).get_json()
    return client, out["csrf_token"]


def _time_check_ins(app, world: dict, current):
    """Online check-ins, repeats, and one offline batch; returns a logged-in client. `current()` is the
    code the facilitator's screen shows now (logins are slow on purpose: codes rotate meanwhile)."""
    # Online check-ins, one attendee after another (each makes an entry).
    times = []
    attendees = [_login(app, email) for email in world["users"][:ATTENDEES]]
    for c, token in attendees:
        code = current()
        t = time.perf_counter()
        r = c.post("/api/v1/events/check-in", json={"code": code}, headers={"X-CSRFToken": token})
        times.append(time.perf_counter() - t)
        if r.status_code != 200:
            raise SystemExit(r.get_data(as_text=True))
    times.sort()
    print(
        f"  QR check-in (new entry), {ATTENDEES} attendees: median {statistics.median(times) * 1000:.1f} ms, "
        f"p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms",
        flush=True,
    )
    # The same again: answered from the attendance row.
    again = []
    c, token = attendees[0]
    code = current()
    for _ in range(50):
        t = time.perf_counter()
        c.post("/api/v1/events/check-in", json={"code": code}, headers={"X-CSRFToken": token})
        again.append(time.perf_counter() - t)
    print(f"  repeated check-in (same entry): median {statistics.median(again) * 1000:.1f} ms", flush=True)
    # A phone's offline batch: one push of check-ins to 50 different events? One person checks in to one
    # event per mutation; here 100 mutations for the same event (all but the first answer the same entry).
    phone, token = _login(app, world["users"][-1])
    code = current()
    scanned = utcnow().isoformat()
    mutations = [
        {
            "mutation_id": i + 1,
            "entity": "event_check_in",
            "id": str(uuid.uuid4()),
            "op": "create",
            "fields": {"code": code, "scanned_at": scanned},
        }
        for i in range(100)
    ]
    t = time.perf_counter()
    r = phone.post(
        "/api/v1/sync/push",
        json={"client_id": "bench-phone-1", "mutations": mutations},
        headers={"X-CSRFToken": token},
    )
    print(
        f"  offline batch of 100 check-in mutations in one push: {(time.perf_counter() - t) * 1000:.0f} ms "
        f"({r.status_code})",
        flush=True,
    )
    return c


def run(url: str, label: str, people: int, past: int, each: int) -> None:
    print(f"{label}:", flush=True)
    folder = Path(tempfile.mkdtemp())
    app = _app(url, folder)
    with app.app_context():
        upgrade()
        world = _populate(people, past, each)
        admin = db.session.get(User, world["admin_id"])
        live = service.create_event(
            actor=admin,
            data={"title": "Now", "kind": "study_day", "starts_at": utcnow(), "duration_minutes": 360},
            now=utcnow(),
        )
        db.session.commit()
        live_id = live.id
    fac, _ = _login(app, "admin@bench.example")

    def current() -> str:
        shown = fac.get(f"/api/v1/events/{live_id}/check-in-code").get_json()
        if "code" not in shown:
            raise SystemExit(f"no code: {shown}")
        return shown["code"]

    c = _time_check_ins(app, world, current)
    # The upcoming list (300 events ahead in the organisation).
    t = time.perf_counter()
    for _ in range(20):
        c.get("/api/v1/events")
    print(f"  upcoming events list (300 ahead): {(time.perf_counter() - t) / 20 * 1000:.1f} ms", flush=True)
    with app.app_context():
        admin = db.session.get(User, world["admin_id"])
        for view in ("reach-profession", "reach-team", "event-hours-profession", "event-feedback"):
            t = time.perf_counter()
            insight_view(
                viewer=admin,
                view=view,
                filters={},
                threshold=5,
                today=dt.date.today(),  # noqa: DTZ011
                ring=KeyRing.of(app),
            )
            print(f"  insights {view}: {(time.perf_counter() - t) * 1000:.0f} ms", flush=True)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    people = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    past = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    each = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    folder = Path(tempfile.mkdtemp())
    run(f"sqlite:///{folder / 'bench.sqlite3'}", "SQLite", people, past, each)
    pg = os.environ.get("LOGBOOK_BENCH_PG_URL")
    if pg:
        engine = create_engine(pg)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        run(pg, "PostgreSQL", people, past, each)


if __name__ == "__main__":
    main()
