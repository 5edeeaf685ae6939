"""Throughput of cheap requests (not a test): gunicorn with two workers (`logbook.wsgi:app`,
production settings) on this machine's two cores, driven by wrk: a static file from the same server
(the baseline: Flask's static route, the same hooks, no database) against a sync pull with nothing
new and an entry list of 50, one logged-in practitioner with 200 entries. The rows are run in turn,
round after round, and each figure is the median of the rounds. Goal (issue 24): the cheap requests
reach ≥ 35 % (SQLite) / ≥ 25 % (PostgreSQL) of the static rate.

    python bench/bench_throughput.py [rounds] [seconds]

PostgreSQL too when LOGBOOK_BENCH_PG_URL is set (the database is emptied first). Without wrk
(`apt-get install wrk`), a Python load loop with as many threads stands in (slower: compare its
ratios only with each other)."""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rows import ROOT, Server, reset_pg, row

LOGBOOK = [sys.executable, "-c", "from logbook.cli import main; main()"]
PASSWORD = "throughput-bench-password-7"  # noqa: S105 - a throwaway database
CONNECTIONS = 8
GOALS = {"SQLite": 35, "PostgreSQL": 25}


def seed(env: dict[str, str]) -> str:
    """A practitioner with 200 entries (through the app, in a child process); their email."""
    script = f"""
import datetime as dt, uuid
from sqlalchemy import insert
from logbook.app import create_app
from logbook.extensions import db
from logbook.accounts.models import Organisation, User
from logbook.accounts.passwords import hash_password
from logbook.entries.models import Entry
app = create_app()
with app.app_context():
    org = Organisation(name="Bench", slug="bench-" + uuid.uuid4().hex[:6])
    db.session.add(org); db.session.flush()
    user = User(organisation_id=org.id, email=org.slug + "@bench.example", name="Bench",
                password_hash=hash_password({PASSWORD!r}), is_practitioner=True)
    db.session.add(user); db.session.flush()
    today = dt.date(2026, 11, 25)
    db.session.execute(insert(Entry), [
        dict(id=uuid.uuid4(), owner_id=user.id, organisation_id=org.id, kind="course",
             title=f"Course {{i}}", description="What I learnt. " * 5,
             start_date=today - dt.timedelta(days=i),
             hours=1.5, is_participatory=True, reflection={{}}, standards=[], details={{}})
        for i in range(200)
    ])
    db.session.commit()
    print(user.email)
"""
    out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script],
        env={**os.environ, **env},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def login(base: str, email: str) -> tuple[str, str]:
    """The session cookie header after logging in, and the cursor after a first full pull."""
    cookies: dict[str, str] = {}

    def call(path: str, body: dict | None = None, token: str = "") -> dict:
        request = urllib.request.Request(  # noqa: S310 - local URL
            base + path,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                "X-CSRFToken": token,
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            },
        )
        with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310 - local URL
            for header in r.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                cookies[name] = rest.split(";", 1)[0]
            return json.loads(r.read())

    token = call("/api/v1/auth/csrf")["csrf_token"]
    call("/api/v1/auth/login", {"email": email, "password": PASSWORD}, token)
    cursor, more = None, True
    while more:
        page = call("/api/v1/sync/pull" + (f"?cursor={cursor}" if cursor else ""))
        cursor, more = page["next_cursor"] or cursor, page["has_more"]
    return "; ".join(f"{k}={v}" for k, v in cookies.items()), str(cursor)


def wrk(url: str, cookie: str, seconds: float) -> tuple[float, int]:
    """Requests per second, and how many answers were not 2xx/3xx."""
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [  # noqa: S607 - wrk from PATH (apt-get install wrk)
            "wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{max(1, round(seconds))}s",
            "-H", f"Cookie: {cookie}", url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def python_loop(url: str, cookie: str, seconds: float) -> tuple[float, int]:
    """wrk's stand-in: CONNECTIONS threads sending requests one after another."""
    counts, bad = [0] * CONNECTIONS, [0] * CONNECTIONS
    deadline = time.perf_counter() + seconds

    def client(i: int) -> None:
        while time.perf_counter() < deadline:
            try:
                request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
                with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310 - local URL
                    r.read()
                counts[i] += 1
            except OSError:
                bad[i] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONNECTIONS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.perf_counter() - start), sum(bad)


def bench(label: str, database_url: str, folder: Path, rounds: int, seconds: float) -> None:
    env = {
        "LOGBOOK_ENV": "production",
        "LOGBOOK_SECRET_KEY": "throughput-bench-" * 4,
        "LOGBOOK_PUBLIC_URL": "http://127.0.0.1",
        "LOGBOOK_DATABASE_URL": database_url,
        "LOGBOOK_EVIDENCE_URL": str(folder / "evidence"),
        "LOGBOOK_SIGNING_KEYS_DIR": str(folder / "keys"),
        # The bench's one user pulls thousands of times a second: the limit is still counted per
        # request (its cost is part of the figure), just never reached.
        "LOGBOOK_SYNC_RATE_LIMIT": "100000000 per minute",
    }
    subprocess.run(  # noqa: S603
        [*LOGBOOK, "init-db"], env={**os.environ, **env}, cwd=ROOT, check=True, capture_output=True
    )
    email = seed(env)
    load = wrk if shutil.which("wrk") else python_loop
    with Server("logbook.wsgi:app", env, workers=2) as server:
        server.wait()
        cookie, cursor = login(server.base, email)
        urls = {
            "static": server.base + "/static/app/main.js",
            "pull": server.base + f"/api/v1/sync/pull?cursor={cursor}",
            "list": server.base + "/api/v1/entries?limit=50",
        }
        for url in urls.values():  # warm every worker's caches; check each answers 200
            load(url, cookie, 1)
        rates: dict[str, list[float]] = {name: [] for name in urls}
        refused: dict[str, int] = dict.fromkeys(urls, 0)
        for _ in range(rounds):
            for name, url in urls.items():
                rate, bad = load(url, cookie, seconds)
                rates[name].append(rate)
                refused[name] += bad
    static = statistics.median(rates["static"])
    print(
        f"{label}: {load.__name__}, {CONNECTIONS} connections, {rounds} rounds of {seconds:g} s, "
        + ", ".join(
            f"{n} {statistics.median(r):.0f}/s ({'/'.join(f'{x:.0f}' for x in r)})" for n, r in rates.items()
        )
        + (f"; answers not 2xx: {refused}" if any(refused.values()) else ""),
        flush=True,
    )
    for name, title in (("pull", "sync pull, nothing new"), ("list", "entry list of 50")):
        rate = statistics.median(rates[name])
        row(
            f"throughput, {title}, {label}",
            f"{rate:.0f} req/s",
            f"static file {static:.0f} req/s",
            f"{100 * rate / static:.0f} %",
            f">= {GOALS[label]} %",
        )


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bench("SQLite", f"sqlite:///{folder}/throughput.sqlite3", folder, rounds, seconds)
        pg = os.environ.get("LOGBOOK_BENCH_PG_URL")
        if pg:
            reset_pg(pg)
            bench("PostgreSQL", pg, folder, rounds, seconds)


if __name__ == "__main__":
    main()
