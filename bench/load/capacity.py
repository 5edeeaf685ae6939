"""Capacity figures for docs/capacity.md (issue 23): CPU cost of each request type, bytes per entry and per
evidence file, on gunicorn + PostgreSQL. Not a test: prints figures to record by hand.

    .venv/bin/python bench/load/capacity.py --pg-url postgresql+psycopg://postgres@127.0.0.1/logbook_capacity

What it does: a fresh database (dropped and made again: give it a database of its own) with the demo
organisation, `logbook serve --prod` (gunicorn, 2 sync workers), then for each request type a few
threads send that request round and round for --seconds. The machine is shared, so wall-clock
throughput says little; the figure that carries to other machines is **CPU time per request**, read
from /proc before and after each phase for the gunicorn processes (master, workers and the in-process
job threads) and for the PostgreSQL backends serving this database (pg_stat_activity). Requests per
second per core = 1000 / (CPU ms per request). Each phase is preceded by the same measurement of a
static file from the same server (the baseline), and every phase prints the 1-minute load average.
Background (portfolio) jobs are waited for before the CPU is read, so their rendering is counted.

Storage: pg_total_relation_size of every table (rows + indexes + TOAST) before and after pushing
--entries typical entries through sync push (so the change feed, revisions and stored mutation results
are counted), and the same for --photos distinct photo uploads (object bytes as stored, plus rows).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_load import LOGBOOK, free_port, reset_pg, run, wait_up  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
REFLECTION = {
    "template": "rolfe",
    "answers": {
        "what": "I took part in learning on safeguarding and compared it with how our team works now.",
        "so_what": "It changed how I think about safeguarding: I relied on habit more than evidence.",
        "now_what": "I will bring one case to supervision and try the approach with a family next month.",
    },
}


def typical_entry(n: int) -> dict:
    """A study day as a practitioner writes one: title, a paragraph, a three-part reflection."""
    return {
        "kind": "study_day",
        "title": f"Regional safeguarding study day, session {n}",
        "description": (
            "A day of talks and case discussion on contextual safeguarding, with a workshop on "
            "writing proportionate assessments and a panel of practitioners from three local authorities."
        ),
        "start_date": time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400 * (1 + n % 300))),
        "hours": 6,
        "reflection": REFLECTION,
    }


# --- CPU accounting ---------------------------------------------------------------------------------


def cpu_of(pid: int) -> float:
    """utime + stime of a process (seconds), 0 if it has gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            parts = handle.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", encoding="ascii") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


class Meter:
    """CPU seconds of the app servers' processes (every descendant of `roots`), of a load balancer
    (`proxy` processes) and of this database's PostgreSQL backends."""

    def __init__(self, roots: list[int], pg_url: str, proxy: list[int] | None = None) -> None:
        from sqlalchemy import create_engine

        self.roots = roots
        self.proxy = proxy or []
        self.engine = create_engine(pg_url, pool_size=1)
        self.dbname = self.engine.url.database

    def backends(self) -> list[int]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return [
                row[0]
                for row in conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                    {"d": self.dbname},
                )
            ]

    def snapshot(self) -> dict[str, dict[int, float]]:
        return {
            "app": {pid: cpu_of(pid) for root in self.roots for pid in descendants(root)},
            "proxy": {pid: cpu_of(pid) for pid in self.proxy},
            "db": {pid: cpu_of(pid) for pid in self.backends()},
        }

    @staticmethod
    def spent(before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]) -> dict[str, float]:
        # A process present at the end but not at the start (a new backend) counts from zero.
        return {
            part: sum(after[part][pid] - before[part].get(pid, 0.0) for pid in after[part])
            for part in ("app", "proxy", "db")
        }


# --- clients ------------------------------------------------------------------------------------------


@dataclass
class Client:
    """One logged-in device of one practitioner."""

    base: str
    email: str
    password: str
    http: requests.Session = field(default_factory=requests.Session)
    csrf: str = ""
    device: str = field(default_factory=lambda: "cap-" + uuid.uuid4().hex[:16])
    mutation_id: int = 0
    cursor: str | None = None
    stale_cursor: str | None = None

    def login(self) -> requests.Response:
        self.http = requests.Session()
        token = self.http.get(self.base + "/api/v1/auth/csrf").json()["csrf_token"]
        r = self.http.post(
            self.base + "/api/v1/auth/login",
            json={"email": self.email, "password": self.password},
            headers={"X-CSRFToken": token},
        )
        if r.ok:
            self.csrf = r.json()["csrf_token"]
        return r

    def post(self, path: str, **kw) -> requests.Response:
        return self.http.post(self.base + path, headers={"X-CSRFToken": self.csrf}, **kw)

    def get(self, path: str, **kw) -> requests.Response:
        return self.http.get(self.base + path, **kw)

    def push(self, n: int) -> requests.Response:
        mutations = []
        for _ in range(n):
            self.mutation_id += 1
            mutations.append(
                {
                    "mutation_id": self.mutation_id,
                    "entity": "entry",
                    "id": str(uuid.uuid4()),
                    "op": "create",
                    "fields": typical_entry(self.mutation_id),
                }
            )
        return self.post("/api/v1/sync/push", json={"client_id": self.device, "mutations": mutations})

    def pull_to_end(self, cursor: str | None = None) -> tuple[str | None, int]:
        items = 0
        while True:
            params = {"limit": 500} | ({"cursor": cursor} if cursor else {})
            body = self.get("/api/v1/sync/pull", params=params).json()
            items += len(body["items"])
            cursor = body["next_cursor"] or cursor
            if not body["has_more"]:
                return cursor, items


# --- a photo ------------------------------------------------------------------------------------------


def base_photo(width: int, height: int, quality: int) -> bytes:
    """A phone-sized JPEG without metadata: smooth colour plus sensor-like noise (compresses like a photo)."""
    from PIL import Image

    small = Image.merge(
        "RGB",
        [Image.effect_noise((width // 16, height // 16), 60).convert("L") for _ in range(3)],
    ).resize((width, height), Image.BICUBIC)
    noise = Image.effect_noise((width, height), 12).convert("L")
    picture = Image.blend(small, Image.merge("RGB", [noise, noise, noise]), 0.25)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def photo_with_exif(base: bytes, n: int) -> bytes:
    """The base JPEG with an EXIF block (camera details, a unique id, and GPS the server must strip)."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    exif[0x0110] = "Phone 12"
    exif[0x0112] = 1
    exif[0xA420] = f"{n:032x}"  # ImageUniqueID: every upload a different file
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.2)}
    block = b"Exif\x00\x00" + exif.tobytes()
    return base[:2] + b"\xff\xe1" + struct.pack(">H", len(block) + 2) + block + base[2:]


# --- phases -------------------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    cpu: dict[str, float]
    load: float
    note: str = ""

    def row(self) -> dict:
        lat = sorted(self.latencies) or [0.0]

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

        app_ms = self.cpu["app"] / max(1, self.requests) * 1000
        db_ms = self.cpu["db"] / max(1, self.requests) * 1000
        return {
            "request": self.name,
            "n": self.requests,
            "errors": self.errors,
            "req/s wall": round(self.requests / self.seconds, 1),
            "p50 ms": round(pct(0.5), 1),
            "p95 ms": round(pct(0.95), 1),
            "app CPU ms": round(app_ms, 2),
            "db CPU ms": round(db_ms, 2),
            "req/s per core": round(1000 / (app_ms + db_ms), 1) if app_ms + db_ms else None,
            "app req/s per core": round(1000 / app_ms, 1) if app_ms else None,
            "load1": round(self.load, 2),
            "note": self.note,
        }


def phase(
    name: str,
    clients: list[Client],
    op: Callable[[Client], bool],
    meter: Meter,
    seconds: float,
    *,
    settle: Callable[[], None] | None = None,
    note: str = "",
    max_requests: int | None = None,
) -> Result:
    """Every client runs `op` in its own thread for `seconds`; op returns True when the answer was right."""
    for c in clients:  # warm-up: one request each, not counted
        op(c)
    if settle:
        settle()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    count = [0]
    stop = time.monotonic() + seconds

    def work(c: Client) -> None:
        while time.monotonic() < stop:
            with lock:
                if max_requests is not None and count[0] >= max_requests:
                    return
                count[0] += 1
            t = time.perf_counter()
            ok = op(c)
            took = time.perf_counter() - t
            with lock:
                latencies.append(took)
                errors[0] += 0 if ok else 1

    load = os.getloadavg()[0]
    before = meter.snapshot()
    started = time.monotonic()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if settle:
        settle()
    elapsed = time.monotonic() - started
    after = meter.snapshot()
    return Result(name, len(latencies), errors[0], elapsed, latencies, meter.spent(before, after), load, note)


def table_sizes(meter: Meter) -> dict[str, int]:
    from sqlalchemy import text

    with meter.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = 'public'"
            )
        )
        return {name: int(size) for name, size in rows}


def count_rows(meter: Meter, table: str) -> int:
    from sqlalchemy import text

    with meter.engine.connect() as conn:
        return int(conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one())  # noqa: S608 - our names


def folder_bytes(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:  # noqa: PLR0915 - one script, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/logbook_capacity")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="client threads per phase")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--baseline-seconds", type=float, default=5)
    parser.add_argument("--entries", type=int, default=5000, help="entries pushed for bytes per entry")
    parser.add_argument("--photos", type=int, default=40, help="distinct photos uploaded for bytes per file")
    parser.add_argument("--only", default="", help="comma-separated phase names (default: all)")
    parser.add_argument("--out", default=str(ROOT / "build" / "capacity.json"))
    args = parser.parse_args()
    only = {s.strip() for s in args.only.split(",") if s.strip()}

    reset_pg(args.pg_url)
    instance = Path(tempfile.mkdtemp(prefix="logbook-capacity-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LOGBOOK_ENV": "development",  # only so the session cookie works over plain http on 127.0.0.1
        "LOGBOOK_SECRET_KEY": "capacity-secret-key-0123456789abcdef0123456789abcdef",
        "LOGBOOK_DATABASE_URL": args.pg_url,
        "LOGBOOK_EVIDENCE_URL": str(instance / "evidence"),
        "LOGBOOK_MAIL_URL": "memory://",
        "LOGBOOK_LOGIN_LIMIT_PER_ADDRESS": "1000000 per minute",
        "LOGBOOK_LOGIN_LIMIT_PER_ACCOUNT": "1000000 per minute",
        "LOGBOOK_SYNC_RATE_LIMIT": "1000000 per minute",
        # Every portfolio through the job runner (the in-process thread pool), as a large one would go.
        "LOGBOOK_PORTFOLIO_INLINE_MAX_ENTRIES": "1",
    }
    print("== init-db + demo", flush=True)
    run([*LOGBOOK, "init-db"], env)
    run([*LOGBOOK, "demo"], env)
    from logbook.demo import DEMO_PASSWORD, PEOPLE, email_for

    emails = [email_for(p[0]) for p in PEOPLE if "practitioner" in p[3]]
    print(f"   {len(emails)} demo practitioners", flush=True)
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
    results: list[Result] = []
    extra: dict = {"machine": {"cores": os.cpu_count(), "workers": args.workers, "threads": args.threads}}
    try:
        wait_up(base)
        meter = Meter([server.pid], args.pg_url)
        n = args.threads
        clients = [Client(base, emails[i % len(emails)], DEMO_PASSWORD) for i in range(n)]
        for c in clients:
            c.login().raise_for_status()
        static_path = "/static/app/dom.js"
        if requests.get(base + static_path, timeout=10).status_code != 200:
            raise SystemExit(f"no static file at {static_path}")

        def want(name: str) -> bool:
            return not only or name in only

        def measured(name: str, op: Callable[[Client], bool], **kw) -> None:
            if not want(name):
                return
            results.append(
                phase(
                    "static file (baseline)",
                    clients,
                    lambda c: c.get(static_path).status_code == 200,
                    meter,
                    args.baseline_seconds,
                    note=f"before {name}",
                )
            )
            r = phase(name, clients, op, meter, kw.pop("seconds", args.seconds), **kw)
            results.append(r)
            print(json.dumps(results[-2].row()), flush=True)
            print(json.dumps(r.row()), flush=True)

        # Login: a new session each time (CSRF token + argon2 password check) = 2 requests, counted as one.
        login_clients = [Client(base, c.email, DEMO_PASSWORD) for c in clients]

        def login_op(c: Client) -> bool:
            return c.login().status_code == 200

        if want("login"):
            results.append(
                phase(
                    "static file (baseline)",
                    clients,
                    lambda c: c.get(static_path).ok,
                    meter,
                    args.baseline_seconds,
                    note="before login",
                )
            )
            results.append(phase("login (CSRF + password)", login_clients, login_op, meter, args.seconds))
            print(json.dumps(results[-1].row()), flush=True)

        # Pulls: each client caught up first; then a second device of the same person pushes 10 entries,
        # and the "pull with changes" phase pulls from the cursor before them (10 items each time).
        for c in clients:
            c.cursor, _ = c.pull_to_end()
        seeder = [Client(base, c.email, DEMO_PASSWORD) for c in clients]
        for s in seeder:
            s.login().raise_for_status()
            s.push(10).raise_for_status()
        time.sleep(1)
        got = []
        for c in clients:
            c.stale_cursor = c.cursor
            c.cursor, items = c.pull_to_end(c.cursor)
            got.append(items)
        extra["pull_with_changes_items"] = got

        def pull_op(cursor_of: Callable[[Client], str | None]) -> Callable[[Client], bool]:
            def op(c: Client) -> bool:
                r = c.get("/api/v1/sync/pull", params={"limit": 500, "cursor": cursor_of(c)})
                return r.status_code == 200 and not r.json()["reset"]

            return op

        measured("pull, nothing new", pull_op(lambda c: c.cursor))
        measured("pull, 10 changes", pull_op(lambda c: c.stale_cursor), note=f"items per pull {got}")

        # Full pull from the start: a phone's first sync after login (a demo practitioner's year).
        def full_pull(c: Client) -> bool:
            r = c.get("/api/v1/sync/pull", params={"limit": 500})
            return r.status_code == 200

        measured("pull from start (first page, limit 500)", full_pull)

        measured("push 1 mutation", lambda c: c.push(1).status_code == 200)
        measured("push 10 mutations", lambda c: c.push(10).status_code == 200)
        measured("entry list", lambda c: c.get("/api/v1/entries").status_code == 200)

        def create(c: Client) -> bool:
            c.mutation_id += 1
            return c.post("/api/v1/entries", json=typical_entry(c.mutation_id)).status_code == 201

        measured("entry create (REST)", create)
        measured("progress", lambda c: c.get("/api/v1/progress").status_code == 200)
        # What the PWA asks besides sync: /me on every cold start, and Home's three reads on every draw.
        measured("me", lambda c: c.get("/api/v1/me").status_code == 200)
        measured("progress inputs", lambda c: c.get("/api/v1/progress/inputs").status_code == 200)
        measured("supervision actions", lambda c: c.get("/api/v1/supervision/actions").status_code == 200)

        # Evidence: a 12-megapixel-class phone photo with EXIF and GPS, a new file each time.
        photo = base_photo(4032, 3024, 85)
        extra["photo_bytes"] = len(photo)
        counter = iter(range(1, 10**9))
        photo_lock = threading.Lock()

        def upload(c: Client) -> bool:
            with photo_lock:
                data = photo_with_exif(photo, next(counter))
            sha = hashlib.sha256(data).hexdigest()
            r = c.http.put(
                f"{base}/api/v1/evidence/{sha}",
                data=data,
                headers={"X-CSRFToken": c.csrf, "Content-Type": "application/octet-stream"},
                params={"filename": "IMG_0001.jpg"},
            )
            return r.status_code == 201

        measured("evidence upload (photo)", upload, note=f"{len(photo)} bytes each")

        # Portfolio: a year of a demo practitioner's activities (above the inline limit: a background
        # job on the in-process runner). One job per person at a time, so one client per person.
        def portfolio(c: Client) -> bool:
            today = time.strftime("%Y-%m-%d")
            year_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 365 * 86400))
            r = c.post(
                "/api/v1/portfolio", json={"format": "generic", "date_from": year_ago, "date_to": today}
            )
            if r.status_code == 200:
                return True
            if r.status_code != 202:
                return False
            job = r.json()
            for _ in range(600):
                state = c.get(f"/api/v1/jobs/{job['id']}").json()
                if state.get("status") in ("done", "failed"):
                    return state["status"] == "done"
                time.sleep(1.0)  # a poll costs a few ms of CPU: rarely, so the PDF dominates
            return False

        # People no other phase wrote for (their year is the demo's ~35 activities).
        pdf_clients = [Client(base, e, DEMO_PASSWORD) for e in emails[10 : 10 + args.threads]]
        for c in pdf_clients:
            c.login().raise_for_status()
        if want("portfolio PDF job (a year)"):
            results.append(
                phase(
                    "static file (baseline)",
                    pdf_clients,
                    lambda c: c.get(static_path).ok,
                    meter,
                    args.baseline_seconds,
                    note="before portfolio",
                )
            )
            results.append(
                phase(
                    "portfolio PDF job (a year)",
                    pdf_clients,
                    portfolio,
                    meter,
                    max(args.seconds, 20),
                    note="POST + polls until done; polls' CPU included",
                )
            )
            print(json.dumps(results[-1].row()), flush=True)

        # --- storage --------------------------------------------------------------------------------
        if want("storage"):
            writer = Client(base, emails[-1], DEMO_PASSWORD)
            writer.login().raise_for_status()
            before = table_sizes(meter)
            entries_before = count_rows(meter, "entry")
            pushed = 0
            while pushed < args.entries:
                batch = min(100, args.entries - pushed)
                writer.push(batch).raise_for_status()
                pushed += batch
            after = table_sizes(meter)
            added = count_rows(meter, "entry") - entries_before
            grown = {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}
            extra["entries"] = {
                "added": added,
                "bytes_by_table": grown,
                "bytes_per_entry": round(sum(grown.values()) / added, 1),
                "entry_json_bytes": len(json.dumps(typical_entry(1))),
            }
            print(json.dumps(extra["entries"]), flush=True)

            evidence_dir = instance / "evidence"
            files_before, bytes_before = folder_bytes(evidence_dir) if evidence_dir.exists() else (0, 0)
            before = table_sizes(meter)
            sent = 0
            for _ in range(args.photos):
                data = photo_with_exif(photo, 10**8 + sent)
                sha = hashlib.sha256(data).hexdigest()
                writer.http.put(
                    f"{base}/api/v1/evidence/{sha}",
                    data=data,
                    headers={"X-CSRFToken": writer.csrf, "Content-Type": "application/octet-stream"},
                ).raise_for_status()
                sent += len(data)
            after = table_sizes(meter)
            files_after, bytes_after = folder_bytes(evidence_dir)
            grown = {t: after[t] - before.get(t, 0) for t in after if after[t] != before.get(t, 0)}
            extra["evidence"] = {
                "photos": args.photos,
                "sent_bytes_each": sent // args.photos,
                "files_added": files_after - files_before,
                "stored_bytes_each": (bytes_after - bytes_before) // max(1, files_after - files_before),
                "db_bytes_by_table": grown,
                "db_bytes_each": sum(grown.values()) // args.photos,
            }
            print(json.dumps(extra["evidence"]), flush=True)
            extra["database_bytes_total"] = sum(after.values())
            extra["entry_rows_total"] = count_rows(meter, "entry")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    rows = [r.row() for r in results]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"rows": rows, **extra}, indent=1))
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    keys = list(rows[0]) if rows else []
    print("\n| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
