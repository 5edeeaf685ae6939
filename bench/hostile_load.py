"""Hostile load (issue #17): simultaneous malicious uploads against `logbook serve --prod` while a
normal client keeps asking. Not a test: prints figures to record in docs/benchmarks.md.

    .venv/bin/python bench/hostile_load.py [--attackers 10] [--seconds 60] [--workers 4] [--pg-url URL]
    make bench-hostile

The attackers (each its own logged-in session) send, round and round, the hostile inputs the issue
reports, as fast as they are answered:

- `zip-100-names`: an 11 KB record ZIP whose record.json names one 10 MB evidence file 100 times
  (every copy used to be kept in memory: 1.24 GB in a worker);
- `zip-50mb-json`: a ~50 KB record ZIP holding a 50 MB record.json of millions of small objects
  (1.47 GB before its 422);
- `yaml-laughs`: a framework file of nested aliases, under 400 bytes ("billion laughs": 382 bytes took
  50.8 s and 3.6 GB);
- `json-deep`, `png-13000`: a JSON body nested 100,000 deep, a PNG of 13,000 x 13,000 pixels.

Meanwhile one normal client lists its entries and reads /healthz in turn. Every gunicorn worker's
resident memory is sampled from /proc every 0.1 s (its peak is VmHWM, which the kernel keeps);
workers killed (gunicorn's 30 s timeout) and started again are reported too. If all the workers
together pass --abort-mb the attackers stop, so a run never takes the machine down.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections import Counter, defaultdict
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
LOGBOOK = [sys.executable, "-c", "from logbook.cli import main; main()"]
PASSWORD = "Quartz-Lantern-Meadow-917"  # noqa: S105 - a throwaway account on a throwaway database  # nosec B105
sys.path.insert(0, str(ROOT / "bench" / "load"))
from run_load import free_port, reset_pg, run, wait_up  # noqa: E402

# --- the hostile inputs ---------------------------------------------------------------------------


def _record(**extra) -> dict:
    return {
        "format": "cpd-logbook-record",
        "format_version": 1,
        "exported_at": "2026-01-01T00:00:00+00:00",
        "source": {"organisation": "Elsewhere"},
        "person": {"registrations": []},
        "entries": [],
        "evidence": [],
        "supervision_sessions": [],
        **extra,
    }


def zip_100_names() -> bytes:
    """record.json naming one 10 MB evidence file (a PDF: kept as is) 100 times."""
    pdf = b"%PDF-1.4\n" + b"\x00" * (10_000_000 - 9)
    digest = hashlib.sha256(pdf).hexdigest()
    path = f"evidence/{digest}"
    item = {"sha256": digest, "stored_sha256": digest, "path": path, "name": "a.pdf"}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("record.json", json.dumps(_record(evidence=[item] * 100)))
        archive.writestr(path, pdf)
    return out.getvalue()


def zip_50mb_json() -> bytes:
    """A record.json of 50 MB: millions of small objects to build before anything is checked."""
    head = json.dumps(_record())[:-1] + ', "padding": ['
    count = (50 * 1024 * 1024 - len(head) - 2) // 3
    body = head.encode() + b"{}," * (count - 1) + b"{}]}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("record.json", body)
    return out.getvalue()


def yaml_laughs() -> str:
    """Nested aliases: 9^8 strings when expanded, 382 bytes written."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


def png_13000() -> bytes:
    """A valid PNG of 13,000 x 13,000 grey pixels: a few hundred KB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return len(body).to_bytes(4, "big") + kind + body + crc.to_bytes(4, "big")

    packer = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * 13_000
    pixels = b"".join(packer.compress(row) for _ in range(13_000)) + packer.flush()
    header = (13_000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


# --- clients --------------------------------------------------------------------------------------


def session(base: str, email: str) -> requests.Session:
    s = requests.Session()
    token = s.get(f"{base}/api/v1/auth/csrf", timeout=30).json()["csrf_token"]
    r = s.post(
        f"{base}/api/v1/auth/login",
        json={"email": email, "password": PASSWORD},
        headers={"X-CSRFToken": token},
        timeout=30,
    )
    r.raise_for_status()
    s.headers["X-CSRFToken"] = r.json()["csrf_token"]
    return s


def attacks(base: str, payloads: dict) -> list:
    """(name, function sending it with a session) for each hostile input."""
    return [
        (
            "zip-100-names",
            lambda s: s.post(
                f"{base}/api/v1/record/import",
                data=payloads["zip100"],
                headers={"Content-Type": "application/zip"},
                timeout=120,
            ),
        ),
        (
            "zip-50mb-json",
            lambda s: s.post(
                f"{base}/api/v1/record/import",
                data=payloads["zip50"],
                headers={"Content-Type": "application/zip"},
                timeout=120,
            ),
        ),
        (
            "yaml-laughs",
            lambda s: s.post(
                f"{base}/api/v1/frameworks",
                json={"filename": "laughs.yaml", "text": payloads["laughs"]},
                timeout=120,
            ),
        ),
        (
            "json-deep",
            lambda s: s.post(
                f"{base}/api/v1/entries",
                data=payloads["deep"],
                headers={"Content-Type": "application/json"},
                timeout=120,
            ),
        ),
        (
            "png-13000",
            lambda s: s.put(
                f"{base}/api/v1/evidence/{payloads['png_sha']}",
                data=payloads["png"],
                headers={"Content-Type": "application/octet-stream"},
                timeout=120,
            ),
        ),
    ]


# --- memory ---------------------------------------------------------------------------------------


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in KB, or (0, 0) for a process that is gone."""
    values = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    values[key] = int(value.split()[0])
    except OSError:
        return 0, 0
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


class Sampler(threading.Thread):
    def __init__(self, master: int, abort_mb: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.master, self.abort_mb, self.stop = master, abort_mb, stop
        self.peak_kb: dict[int, int] = defaultdict(int)
        self.max_total_kb = 0
        self.aborted = False

    def run(self) -> None:
        while not self.stop.is_set():
            total = 0
            for pid in children(self.master):
                rss, hwm = memory_kb(pid)
                self.peak_kb[pid] = max(self.peak_kb[pid], hwm, rss)
                total += rss
            self.max_total_kb = max(self.max_total_kb, total)
            if total > self.abort_mb * 1024 and not self.aborted:
                self.aborted = True
                print(f"!! workers hold {total // 1024} MB together: stopping the attackers", flush=True)
                self.stop.set()
            time.sleep(0.1)


# --- the run --------------------------------------------------------------------------------------


def main() -> None:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attackers", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=60, help="how long the attack lasts")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: serve's)")
    parser.add_argument(
        "--pg-url", default=None, help="PostgreSQL URL (default: SQLite); the database is recreated"
    )
    parser.add_argument("--abort-mb", type=int, default=8000, help="stop when the workers hold this much")
    parser.add_argument("--only", default=None, help="comma-separated attack names (default: all)")
    args = parser.parse_args()

    print("== building the hostile inputs", flush=True)
    png = png_13000()
    payloads = {
        "zip100": zip_100_names(),
        "zip50": zip_50mb_json(),
        "laughs": yaml_laughs(),
        "deep": "[" * 100_000 + "]" * 100_000,
        "png": png,
        "png_sha": hashlib.sha256(png).hexdigest(),
    }
    print(
        f"   zip-100-names {len(payloads['zip100']):,} B, zip-50mb-json {len(payloads['zip50']):,} B, "
        f"yaml-laughs {len(payloads['laughs'])} B, png-13000 {len(png):,} B",
        flush=True,
    )

    instance = Path(tempfile.mkdtemp(prefix="logbook-hostile-"))
    url = args.pg_url or "sqlite:///" + str(instance / "logbook.sqlite3")
    if args.pg_url:
        reset_pg(args.pg_url)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LOGBOOK_ENV": "development",  # the session cookie over plain http; the rest is production code
        "LOGBOOK_SECRET_KEY": "hostile-load-secret-key-0123456789abcdef0123456789",
        "LOGBOOK_DATABASE_URL": url,
        "LOGBOOK_EVIDENCE_URL": str(instance / "evidence"),
        "LOGBOOK_MAIL_URL": "memory://",
        "LOGBOOK_LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
        "LOGBOOK_LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
    }
    run([*LOGBOOK, "init-db"], env)
    users = {"practitioner": "load-practitioner@test.example", "org_admin": "load-admin@test.example"}
    for role, email in users.items():
        run(
            [
                *LOGBOOK,
                "create-user",
                "--email",
                email,
                "--name",
                f"Load {role}",
                "--organisation",
                "load-org",
                "--role",
                role,
                "--password",
                PASSWORD,
            ],
            env,
        )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [*LOGBOOK, "serve", "--prod", "--port", str(port)]
    if args.workers:
        command += ["--workers", str(args.workers)]
    log = (instance / "gunicorn.log").open("wb")
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    stop = threading.Event()
    try:
        wait_up(base)
        time.sleep(1)
        workers_at_start = sorted(children(server.pid))
        idle = {pid: memory_kb(pid)[0] for pid in workers_at_start}
        sampler = Sampler(server.pid, args.abort_mb, stop)
        sampler.start()

        normal = session(base, users["practitioner"])
        latencies: list[float] = []
        normal_errors: Counter = Counter()

        def normal_client() -> None:
            i = 0
            while not stop.is_set():
                path = "/api/v1/entries" if i % 2 == 0 else "/healthz"
                i += 1
                start = time.perf_counter()
                try:
                    status = normal.get(base + path, timeout=60).status_code
                except requests.RequestException as err:
                    status = type(err).__name__
                latencies.append(time.perf_counter() - start)
                if status != 200:
                    normal_errors[status] += 1
                time.sleep(0.05)

        outcomes: dict[str, Counter] = defaultdict(Counter)
        durations: dict[str, list[float]] = defaultdict(list)
        chosen = set(args.only.split(",")) if args.only else None
        sessions = [
            (session(base, users["practitioner"]), session(base, users["org_admin"]))
            for _ in range(args.attackers)
        ]

        def attacker(index: int) -> None:
            practitioner, admin = sessions[index]
            kinds = [a for a in attacks(base, payloads) if chosen is None or a[0] in chosen]
            turn = index
            while not stop.is_set():
                name, send = kinds[turn % len(kinds)]
                turn += 1
                start = time.perf_counter()
                try:
                    status = send(admin if name == "yaml-laughs" else practitioner).status_code
                except requests.RequestException as err:
                    status = type(err).__name__
                durations[name].append(time.perf_counter() - start)
                outcomes[name][status] += 1

        threads = [threading.Thread(target=normal_client, daemon=True)]
        threads += [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(args.attackers)]
        print(
            f"== {args.attackers} attackers for {args.seconds} s against {len(workers_at_start)} workers",
            flush=True,
        )
        for thread in threads:
            thread.start()
        stop.wait(args.seconds)
        stop.set()
        for thread in threads:
            thread.join(timeout=150)
        sampler.join(timeout=5)
        restarted = sorted(set(sampler.peak_kb) - set(workers_at_start))
    finally:
        stop.set()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(instance, ignore_errors=True)

    engine = "PostgreSQL" if args.pg_url else "SQLite"
    print(
        f"\n### Hostile load, {engine}, {args.attackers} attackers, {args.seconds} s"
        f"{' (ABORTED at --abort-mb)' if sampler.aborted else ''}\n"
    )
    print("| worker | idle RSS MB | peak RSS MB |")
    print("|---|---|---|")
    for pid in sorted(sampler.peak_kb):
        started = "started during the run" if pid in restarted else ""
        print(f"| {pid} {started} | {idle.get(pid, 0) / 1024:.0f} | {sampler.peak_kb[pid] / 1024:.0f} |")
    print(
        f"\nAll workers together at most {sampler.max_total_kb / 1024:.0f} MB; "
        f"{len(restarted)} worker(s) started during the run (a killed worker is replaced).\n"
    )
    print("| hostile input | answers | median s | max s |")
    print("|---|---|---|---|")
    for name in sorted(outcomes):
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(outcomes[name].items(), key=str))
        print(
            f"| {name} | {answers} | {statistics.median(durations[name]):.2f} | {max(durations[name]):.2f} |"
        )
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(
            f"\nNormal client: {len(latencies)} requests, p50 {statistics.median(ordered) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {ordered[-1] * 1000:.0f} ms, "
            f"errors {dict(normal_errors) or 'none'}"
        )


if __name__ == "__main__":
    main()
