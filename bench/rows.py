"""What every bench/bench_*.py shares: the one line format `make bench` collects (bench/summary.py),
and a gunicorn server to time requests against.

A row is one line of issue 24's table, measured with its baseline in the same run:

    ROW <name> | today <x> | baseline <y> | ratio <r> | goal <g>

The baseline is written independently of the product's code (a raw SELECT, a static file, a
hello-world app), so the ratio says how far the product is from what the machine can do."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def row(name: str, today: str, baseline: str, ratio: str, goal: str) -> None:
    """Print one row of the table in the format bench/summary.py collects."""
    print(f"ROW {name} | today {today} | baseline {baseline} | ratio {ratio} | goal {goal}", flush=True)


def reset_pg(url: str) -> None:
    """Drop and create the benchmark's PostgreSQL database (a fresh machine has none)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, timeout: float = 2.0) -> int:
    """The status of a GET (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - local URL
            return int(r.status)
    except OSError:
        return 0


class Server:
    """gunicorn on a free port with `app` (module:attribute), started now; `started` is the moment
    before the process was made, so `wait()` gives start → first 200."""

    def __init__(self, app: str, env: dict[str, str], *, workers: int = 2, cwd: Path = ROOT) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        args = [GUNICORN, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), app]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(  # noqa: S603 - fixed arguments
            args,
            env={**os.environ, **env},
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def wait(self, path: str = "/healthz", timeout: float = 60.0) -> float:
        """Seconds from start until `path` answered 200."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if get(self.base + path, timeout=1.0) == 200:
                return time.perf_counter() - self.started
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn {self.proc.args} exited with {self.proc.returncode}")
            time.sleep(0.01)
        raise SystemExit(f"{self.base}{path} did not answer 200 in {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
