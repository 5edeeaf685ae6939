"""Load benchmark: gunicorn (`logbook serve --prod`) on SQLite or PostgreSQL, driven by locust
(headless, CSV output) at several numbers of concurrent clients. Not a test: prints figures to
record in docs/benchmarks.md. Usually run as `make bench-load` (which makes locust's virtualenv).

    python bench/load/run_load.py --locust build/locust-venv/bin/locust \
        --engine sqlite --engine postgresql --pg-url postgresql+psycopg://postgres@127.0.0.1/logbook_load \
        --clients 10,50,200 --duration 60

Each engine gets a fresh database with the demo organisation (`logbook init-db` + `logbook demo`:
~30 people, a year of entries each). The server runs with LOGBOOK_ENV=development only so that the
session cookie works over plain http on 127.0.0.1; everything else is the production code path.
Login and sync rate limits are raised for the run (every client logs in from 127.0.0.1).
Figures count from the moment the last client has logged in (logins and the ramp are not counted).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from rows import reset_pg  # noqa: E402 - bench/rows.py, found through the path above

ENDPOINTS_ORDER = [
    "sync pull (from start)",
    "sync pull",
    "sync push",
    "entry list",
    "progress",
    "portfolio PDF (a month)",
]


# The `logbook` command of this checkout (not whichever copy the virtualenv has installed).
LOGBOOK = [sys.executable, "-c", "from logbook.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict[str, str]) -> str:
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=ROOT).stdout  # noqa: S603


def wait_up(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:  # noqa: S310 - local URL
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not come up")


def summarise(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locust", required=True, help="the locust executable (its own virtualenv)")
    parser.add_argument("--engine", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/logbook_load")
    parser.add_argument("--clients", default="10,50,200")
    parser.add_argument("--duration", type=int, default=60, help="seconds measured per level")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--out", default=str(ROOT / "build" / "bench-load"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for engine in args.engine or ["sqlite"]:
        instance = Path(tempfile.mkdtemp(prefix=f"logbook-load-{engine}-"))
        if engine == "postgresql":
            reset_pg(args.pg_url)
            url = args.pg_url
        else:
            url = "sqlite:///" + str(instance / "logbook.sqlite3")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LOGBOOK_ENV": "development",
            "LOGBOOK_SECRET_KEY": "load-test-secret-key-0123456789abcdef0123456789",
            "LOGBOOK_DATABASE_URL": url,
            "LOGBOOK_EVIDENCE_URL": str(instance / "evidence"),
            "LOGBOOK_MAIL_URL": "memory://",
            "LOGBOOK_LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
            "LOGBOOK_LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
            "LOGBOOK_SYNC_RATE_LIMIT": "100000 per minute",
        }
        print(f"== {engine}: init-db + demo", flush=True)
        run([*LOGBOOK, "init-db"], env)
        demo = run([*LOGBOOK, "demo"], env)
        sys.path.insert(0, str(ROOT))
        from logbook.demo import DEMO_PASSWORD, PEOPLE, email_for

        practitioners = [email_for(p[0]) for p in PEOPLE if "practitioner" in p[3]]
        if not practitioners or practitioners[0] not in demo:
            raise SystemExit("the demo organisation was not built as expected")
        users_file = instance / "users.json"
        users_file.write_text(json.dumps(practitioners))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (instance / "gunicorn.log").open("wb")
        server = subprocess.Popen(  # noqa: S603
            [*LOGBOOK, "serve", "--prod", "--port", str(port), "--workers", str(args.workers)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_up(base)
            for clients in [int(c) for c in args.clients.split(",")]:
                load = os.getloadavg()
                prefix = out / f"{engine}-{clients}"
                print(
                    f"== {engine}, {clients} clients, {args.duration} s (load before {load[0]:.2f})",
                    flush=True,
                )
                with (out / f"{engine}-{clients}.log").open("wb") as locust_log:
                    subprocess.run(  # noqa: S603
                        [
                            args.locust,
                            "-f",
                            str(Path(__file__).with_name("locustfile.py")),
                            "--headless",
                            "-u",
                            str(clients),
                            "-r",
                            str(max(1, clients // 5)),
                            "--run-time",
                            f"{args.duration + 300}s",  # a bound: the locustfile stops when measured
                            "--csv",
                            str(prefix),
                            "--only-summary",
                            "-H",
                            base,
                            "--stop-timeout",
                            "10",
                        ],
                        env={
                            **os.environ,
                            "LOAD_USERS": str(users_file),
                            "LOAD_PASSWORD": DEMO_PASSWORD,
                            "LOAD_MEASURE_SECONDS": str(args.duration),
                        },
                        check=False,
                        stdout=locust_log,
                        stderr=subprocess.STDOUT,
                        cwd=ROOT,
                    )
                for row in summarise(prefix):
                    rows.append({"engine": engine, "clients": clients, "load": f"{load[0]:.1f}", **row})
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            log.close()
            shutil.rmtree(instance, ignore_errors=True)
    (out / "summary.json").write_text(json.dumps(rows, indent=1))
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    """The figures as a Markdown table for docs/benchmarks.md."""
    print("\n| engine | clients | request | requests/s | p50 ms | p95 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        if row["Name"] in ENDPOINTS_ORDER or row["Name"] == "Aggregated":
            errors = f"{row['Failure Count']}/{row['Request Count']}"
            print(
                f"| {row['engine']} | {row['clients']} | {row['Name']} | {float(row['Requests/s']):.1f} | "
                f"{row['50%']} | {row['95%']} | {row['99%']} | {errors} |"
            )


if __name__ == "__main__":
    main()
