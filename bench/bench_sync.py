"""Sync benchmarks (not tests), each row beside an independent baseline in the same run:

* pull of 10,000 records (pages of 1,000 through the API) vs the baseline "one SELECT of the same rows
  + parsing their JSON columns + json.dumps", written with the raw driver (sqlite3 / psycopg) and
  nothing of the product's code;
* push of 1,000 mutations (two batches of 500 creates through the API), goal ≤ 1 s.

Runs are interleaved (pull, baseline, pull, baseline, …) so load from other processes hits both
alike; the medians are printed with their ratio. SQLite in a temporary folder, and PostgreSQL at
LOGBOOK_BENCH_PG_URL (default: the local server's logbook_bench_pull database, dropped and made
again). `python bench/bench_sync.py sqlite` or `… postgresql` runs one engine."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from flask_migrate import upgrade
from rows import reset_pg, row

from logbook.accounts.models import Organisation, User
from logbook.app import create_app
from logbook.extensions import db
from tests.factories import PASSWORD, PASSWORD_HASH, ApiClient

N_PULL = 10_000
N_PUSH = 1_000
PUSH_ROUNDS = 3
PULL_ROUNDS = 5
TODAY = dt.date.today()  # noqa: DTZ011
JSON_COLUMNS = (
    "reflection",
    "ways_of_knowing",
    "other_professions",
    "standards",
    "common_core",
    "details",
    "evidence",
)
BASELINE_SQL = "SELECT * FROM entry WHERE owner_id = {p} ORDER BY created_at"


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


def baseline_sqlite(path: str, owner: str) -> int:
    """One SELECT of the user's entries with the sqlite3 module, their JSON columns parsed, json.dumps."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    # SQLAlchemy's Uuid stores 32 hex digits on SQLite
    rows = conn.execute(BASELINE_SQL.format(p="?"), (uuid.UUID(owner).hex,)).fetchall()
    out = []
    for found in rows:
        record = dict(found)
        for name in JSON_COLUMNS:
            record[name] = json.loads(record[name])
        out.append(record)
    body = json.dumps({"items": out}, default=str)
    conn.close()
    return len(body)


def baseline_pg(url: str, owner: str) -> int:
    """The same with psycopg: JSON columns read as text and parsed here, json.dumps."""
    import psycopg  # optional: only when PostgreSQL is benchmarked
    from psycopg.rows import dict_row

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        cols = ", ".join(f"{c}::text AS {c}" if c in JSON_COLUMNS else c for c in _columns(conn))
        rows = conn.execute(
            BASELINE_SQL.replace("*", cols).format(p="%s"),
            (owner,),
        ).fetchall()
        out = []
        for record in rows:
            for name in JSON_COLUMNS:
                record[name] = json.loads(record[name])
            out.append(record)
        body = json.dumps({"items": out}, default=str)
    return len(body)


def _columns(conn) -> list[str]:
    return [
        r["column_name"]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'entry' "
            "ORDER BY ordinal_position"
        )
    ]


def run(label: str, url: str, baseline) -> None:  # noqa: PLR0915 (one run's steps, in order)
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
            organisation_id=org.id, email="bench@bench.example", name="Bench", password_hash=PASSWORD_HASH
        )
        db.session.add(user)
        db.session.commit()
        email, owner = user.email, str(user.id)
    app.test_client_class = ApiClient
    http: ApiClient = app.test_client()  # type: ignore[assignment]
    http.login(email, PASSWORD)

    def push_batch(client_id: str, batch: int) -> None:
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
        body = {"client_id": client_id, "mutations": mutations}
        response = http.api("POST", "/api/v1/sync/push", json=body)
        if response.status_code != 200:
            raise SystemExit(f"push failed: {response.get_data(as_text=True)[:300]}")
        if any(r["status"] != "applied" for r in response.get_json()["results"]):
            raise SystemExit("push: a mutation was not applied")

    # push: 1,000 creates in two batches of 500 from a new device, timed end to end, three times
    pushes = []
    for _ in range(PUSH_ROUNDS):
        client_id = uuid.uuid4().hex
        start = time.perf_counter()
        for batch in range(N_PUSH // 500):
            push_batch(client_id, batch)
        pushes.append(time.perf_counter() - start)

    # fill up to 10,000 entries for the pull
    client_id = uuid.uuid4().hex
    for batch in range((N_PULL - PUSH_ROUNDS * N_PUSH) // 500):
        push_batch(client_id, batch)

    def pull_all() -> int:
        cursor, count = None, 0
        while True:
            url_ = "/api/v1/sync/pull?limit=1000" + (f"&cursor={cursor}" if cursor else "")
            response = http.get(url_)
            page = json.loads(response.get_data())
            count += len(page["items"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                return count

    # On PostgreSQL the feed withholds rows of transactions younger than the oldest one running on
    # the whole server (docs/sync.md, liveness): other databases' long transactions delay it. Wait.
    deadline = time.monotonic() + 120
    while pull_all() != N_PULL:
        if time.monotonic() > deadline:
            raise SystemExit("the feed still withholds rows after 120 s (a long transaction elsewhere?)")
        time.sleep(1)
    pulls, raws = [], []
    for _ in range(PULL_ROUNDS):
        t = time.perf_counter()
        if (pulled := pull_all()) != N_PULL:
            raise SystemExit(f"pull returned {pulled} records, expected {N_PULL}")
        pulls.append(time.perf_counter() - t)
        t = time.perf_counter()
        baseline(owner)
        raws.append(time.perf_counter() - t)
    pull_s, raw_s, push_s = statistics.median(pulls), statistics.median(raws), statistics.median(pushes)
    print(
        f"{label:10} pull {N_PULL} records: {pull_s:5.2f} s | baseline (raw SELECT + JSON columns parsed + "
        f"json.dumps): {raw_s:5.2f} s | ratio {pull_s / raw_s:4.2f}x (goal <= 1.5x)"
    )
    print(
        f"{label:10} push {N_PUSH} mutations: {push_s:5.2f} s (median of {PUSH_ROUNDS}: "
        f"{', '.join(f'{p:.2f}' for p in pushes)}) | goal <= 1 s"
    )
    print(f"{'':10} load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    row(
        f"sync pull, {N_PULL:,} records, {label}",
        f"{pull_s:.2f} s",
        f"raw SELECT + JSON parsed + json.dumps {raw_s:.2f} s",
        f"{pull_s / raw_s:.2f}x",
        "<= 1.5x",
    )
    row(f"sync push, {N_PUSH:,} mutations, {label}", f"{push_s:.2f} s", "-", "-", "<= 1 s")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    engines = set(sys.argv[1:]) or {"sqlite", "postgresql"}
    if "sqlite" in engines:
        with tempfile.TemporaryDirectory() as tmp:
            path = f"{tmp}/bench.sqlite3"
            run("SQLite", f"sqlite:///{path}", lambda owner: baseline_sqlite(path, owner))
    if "postgresql" in engines:
        pg = os.environ.get(
            "LOGBOOK_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/logbook_bench_pull"
        )
        reset_pg(pg)
        run("PostgreSQL", pg, lambda owner: baseline_pg(pg, owner))
