"""Cold start (not a test): gunicorn start → the first 200 from /healthz, the app (`logbook.wsgi:app`,
production settings, SQLite) against a hello-world WSGI app on the same gunicorn, interleaved; and
`logbook demo` on a freshly migrated database. Goal (issue 24): the app answers within 1 s of
starting, the demo is loaded within 5 s.

    python bench/bench_coldstart.py [rounds]"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rows import ROOT, Server, row

LOGBOOK = [sys.executable, "-c", "from logbook.cli import main; main()"]
HELLO = '''def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"status": "ok"}']
'''


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "hello.py").write_text(HELLO, encoding="utf-8")
        env = {
            "LOGBOOK_ENV": "production",
            "LOGBOOK_SECRET_KEY": "cold-start-bench-" * 4,
            "LOGBOOK_PUBLIC_URL": "http://127.0.0.1",
            "LOGBOOK_DATABASE_URL": f"sqlite:///{folder}/cold.sqlite3",
            "LOGBOOK_EVIDENCE_URL": str(folder / "evidence"),
            "LOGBOOK_SIGNING_KEYS_DIR": str(folder / "keys"),
        }
        subprocess.run(  # noqa: S603
            [*LOGBOOK, "init-db"], env={**os.environ, **env}, cwd=ROOT, check=True, capture_output=True
        )
        # A deployed server runs from compiled bytecode (pip compiles what it installs). Machines that
        # set PYTHONDONTWRITEBYTECODE (this one does) would otherwise compile the app's ~150 modules
        # from source on every start: compile them once, as an install would, before timing starts.
        subprocess.run(  # noqa: S603
            [sys.executable, "-m", "compileall", "-q", str(ROOT / "logbook")], check=True, capture_output=True
        )
        app_times, hello_times = [], []
        for _ in range(rounds):
            with Server("hello:app", {}, cwd=folder) as hello:
                hello_times.append(hello.wait())
            with Server("logbook.wsgi:app", env) as server:
                app_times.append(server.wait())
        app_s, hello_s = statistics.median(app_times), statistics.median(hello_times)
        print(
            f"gunicorn start -> first /healthz 200, median of {rounds}: app {app_s:.2f} s "
            f"(runs {', '.join(f'{t:.2f}' for t in app_times)}), hello-world {hello_s:.2f} s",
            flush=True,
        )
        row(
            "cold start (gunicorn start -> first /healthz)",
            f"{app_s:.2f} s",
            f"hello-world app {hello_s:.2f} s",
            f"{app_s / hello_s:.1f}x",
            "<= 1 s",
        )

        demo_env = {**env, "LOGBOOK_DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3"}
        subprocess.run(  # noqa: S603
            [*LOGBOOK, "init-db"], env={**os.environ, **demo_env}, cwd=ROOT, check=True, capture_output=True
        )
        start = time.perf_counter()
        subprocess.run(  # noqa: S603
            [*LOGBOOK, "demo"], env={**os.environ, **demo_env}, cwd=ROOT, check=True, capture_output=True
        )
        demo_s = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        python_s = time.perf_counter() - start
        row("logbook demo (fresh SQLite)", f"{demo_s:.2f} s", f"python start {python_s:.2f} s",
            f"{demo_s / python_s:.0f}x", "<= 5 s")


if __name__ == "__main__":
    main()
