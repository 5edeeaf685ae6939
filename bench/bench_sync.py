"""Sync benchmarks (not tests): pull of 10,000 records vs a raw SELECT + json.dumps of the same rows,
and a push of 1,000 mutations — on SQLite, and on PostgreSQL when LOGBOOK_BENCH_PG_URL is set
(default: the local server's logbook_bench database, created if missing)."""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade

from logbook.accounts.models import Organisation, User
from logbook.app import create_app
from logbook.extensions import db
from tests.conftest import _PASSWORD_HASH, PASSWORD, ApiClient

N_PULL = 10_000
N_PUSH = 1_000
TODAY = dt.date.today()  # noqa: DTZ011


def fields(i: int) -> dict:
    return {
        "kind": "bite_size_workshop",
        "title": f"Bite-size workshop {i}: contextual safeguarding",
        "start_date": (TODAY - dt.timedelta(days=i % 700)).isoformat(),
        "hours": 1.5,
        "description": "Notes on the session and what I will do differently. " * 3,
        "reflection": {
            "template": "rolfe",
            "answers": {
                "what": "What happened " * 10,
                "so_what": "Why it matters " * 10,
                "now_what": "Next steps " * 10,
            },
        },
        "visibility": "supervisors",
    }


def reset_pg(url: str) -> None:
    admin = create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def run(label: str, url: str) -> None:
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": url,
            "SECRET_KEY": "b" * 40,
            "SYNC_RATE_LIMIT": "1000000 per minute",
            "LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute",
        }
    )
    with app.app_context():
        upgrade()
        org = Organisation(name="Bench", slug="bench")
        db.session.add(org)
        db.session.flush()
        user = User(
            organisation_id=org.id, email="bench@bench.example", name="Bench", password_hash=_PASSWORD_HASH
        )
        db.session.add(user)
        db.session.commit()
        email = user.email
    app.test_client_class = ApiClient
    http: ApiClient = app.test_client()  # type: ignore[assignment]
    http.login(email, PASSWORD)

    client_id = uuid.uuid4().hex

    def push_batch(batch: int) -> None:
        """Push 500 new entries (the batch limit) as mutations batch*500+1 .. batch*500+500."""
        mutations = [
            {
                "mutation_id": batch * 500 + i + 1,
                "entity": "entry",
                "id": str(uuid.uuid4()),
                "op": "create",
                "fields": fields(i),
            }
            for i in range(500)
        ]
        response = http.api(
            "POST", "/api/v1/sync/push", json={"client_id": client_id, "mutations": mutations}
        )
        if response.status_code != 200:
            raise SystemExit(f"push failed: {response.get_data(as_text=True)[:300]}")

    # push: 1,000 creates in two batches of 500, timed end to end
    start = time.perf_counter()
    for batch in range(N_PUSH // 500):
        push_batch(batch)
    push_s = time.perf_counter() - start

    # fill up to 10,000 entries for the pull
    for batch in range(N_PUSH // 500, N_PULL // 500):
        push_batch(batch)

    def pull_all() -> int:
        cursor, count = None, 0
        while True:
            url_ = "/api/v1/sync/pull?limit=1000" + (f"&cursor={cursor}" if cursor else "")
            page = http.get(url_).get_json()
            count += len(page["items"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return count

    def raw() -> int:
        with app.app_context():
            rows = db.session.execute(text("SELECT * FROM entry")).mappings().all()
            body = json.dumps([dict(r) for r in rows], default=str)
            db.session.remove()
        return len(body)

    pulls, raws = [], []
    for _ in range(3):
        t = time.perf_counter()
        if (pulled := pull_all()) != N_PULL:
            raise SystemExit(f"pull returned {pulled} records, expected {N_PULL}")
        pulls.append(time.perf_counter() - t)
        t = time.perf_counter()
        raw()
        raws.append(time.perf_counter() - t)
    pull_s, raw_s = statistics.median(pulls), statistics.median(raws)
    print(
        f"{label:10} push {N_PUSH} mutations: {push_s:6.2f} s | pull {N_PULL} records: {pull_s:6.2f} s "
        f"| raw SELECT+json.dumps: {raw_s:6.2f} s | ratio {pull_s / raw_s:4.1f}x"
    )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.sqlite3")
    pg = os.environ.get("LOGBOOK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/logbook_bench")
    reset_pg(pg)
    run("PostgreSQL", pg)
