"""Portfolio PDF benchmarks (not tests), side by side in one run, on a throwaway SQLite database.
Every figure is measured interleaved with its baseline, bare WeasyPrint printing the same text from
plain markup (bench/baseline_pdf.py, written without the product's code), and printed as
`ROW <name> | today <x> | baseline <y> | ratio <r> | goal <g>`:

1. a 100-activity generic portfolio (context + HTML + WeasyPrint + PDF/A, a third signed off), CPU
   and wall, three interleaved rounds (the median round);
2. a 500-activity portfolio in a fresh process, laid out in parts by a pool of this machine's cores
   (its second render: a server's pool is warm; the first is printed too), against the bare
   baseline in its own fresh process: wall time and peak memory (the parent's and its largest
   worker's), and the same portfolio in one process; an estimate for 8 cores from the measured parts;
3. for information, the NMC pack of the 100 activities.

    .venv/bin/python bench/bench_portfolio.py [small] [large]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if "LOGBOOK_DATABASE_URL" not in os.environ:
    DB = Path(tempfile.mkdtemp(prefix="bench-portfolio-")) / "bench.sqlite3"
    os.environ["LOGBOOK_DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("LOGBOOK_SECRET_KEY", "bench-only")

from flask import current_app
from flask_migrate import upgrade
from pypdf import PdfReader
from sqlalchemy import select

from logbook.accounts import links
from logbook.accounts import service as accounts
from logbook.accounts.models import Registration, User
from logbook.app import create_app
from logbook.config import KeyRing
from logbook.entries import service as entries
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.portfolio import documents, pdf, render
from logbook.supervision import signoff
from logbook.timeutil import utcnow

BASELINE = Path(__file__).with_name("baseline_pdf.py")
TODAY = dt.date.today()  # noqa: DTZ011 - entries must fall in the API's plausible window
VERIFY = "https://cpd.example.org/verify"
KINDS = ["study_day", "course", "bite_size_workshop", "team_study_day", "conference", "other"]
WORDS = [
    *("assessment", "family", "plan", "supervision", "safeguarding", "child", "development", "practice"),
    *("reflection", "evidence", "multi-agency", "review", "attachment", "communication", "outcome"),
    *("trauma-informed", "strengths", "parents", "school"),
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _person(name: str, email: str, org_id) -> User:
    user = accounts.create_user(
        organisation_id=org_id,
        data={
            "name": name,
            "email": email,
            "password": "bench-password-123",
            "roles": ["practitioner", "supervisor"],
        },
    )
    db.session.flush()
    return user


def populate(sizes: list[int]) -> dict[int, str]:
    """One practitioner per size, each with that many recorded activities over two years; a third
    signed off by a supervisor. Returns {size: email}."""
    load_shipped_frameworks()
    org = accounts.get_or_create_organisation(name="Bench Org", slug="bench")
    boss = _person("Sam Supervisor", "boss@bench.example", org.id)
    made = {}
    for size in sizes:
        rng = random.Random(size)
        me = _person(f"Practitioner {size}", f"p{size}@bench.example", org.id)
        db.session.add(
            Registration(user_id=me.id, regulator="NMC", profession="nurse", registration_number="12A3456E")
        )
        links.link_supervisor(supervisor=boss, supervisee=me, starts_on=TODAY - dt.timedelta(days=800))
        for n in range(size):
            day = TODAY - dt.timedelta(days=int(700 * (size - n) / size) + 1)
            entry = entries.create_entry(
                owner=me,
                data={
                    "id": uuid.uuid4(),
                    "kind": rng.choice(KINDS),
                    "title": f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} session {n + 1}",
                    "description": _text(rng, 45),
                    "impact_on_practice": _text(rng, 25),
                    "impact_on_people": _text(rng, 20),
                    "start_date": day,
                    "hours": Decimal(rng.choice([1, 1.5, 3, 6])),
                    "is_participatory": True,
                    "visibility": "supervisors",
                },
                now=utcnow(),
            )
            db.session.flush()
            if n % 3 == 0:
                asked = signoff.request_sign_off(
                    owner=me,
                    entry_id=entry.id,
                    entry_version=entry.version,
                    supervisor_id=boss.id,
                    now=utcnow(),
                ).request
                db.session.flush()
                signoff.decide(
                    signer=boss,
                    entry_id=entry.id,
                    entry_version=asked.entry_version,
                    content_sha256=asked.content_sha256,
                    decision="approved",
                    now=utcnow(),
                    base_url="https://cpd.example.org",
                    ring=KeyRing.of(current_app),
                )
        db.session.flush()
        made[size] = me.email
    db.session.commit()
    return made


def _pages(data: bytes) -> int:
    import io

    return len(PdfReader(io.BytesIO(data)).pages)


PARTS: list[pdf.Part] = []  # the parts of the last render laid out by the pool (their CPU, memory)
_merge = pdf.merge


def _recording_merge(parts, footers):
    PARTS[:] = parts
    return _merge(parts, footers)


pdf.merge = _recording_merge


def _context(email: str, fmt: str = "generic") -> dict:
    owner = db.session.scalar(select(User).where(User.email == email))
    return documents.build_document(
        owner=owner,
        verify_url=VERIFY,
        now=utcnow(),
        format=fmt,
        date_from=TODAY - dt.timedelta(days=800),
        date_to=TODAY,
        ring=KeyRing.of(current_app),
    )


def _portfolio(email: str, fmt: str = "generic", processes: int | None = None) -> dict:
    """One portfolio from the database: its context, PDF and figures (the workers' CPU included)."""
    PARTS.clear()
    cpu = time.process_time()
    started = time.perf_counter()
    context = _context(email, fmt)
    built = time.perf_counter() - started
    data = render.render_pdf(context, processes=processes)
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu
    db.session.commit()
    return {
        "context": context,
        "pdf": data,
        "context_s": built,
        "wall_s": total,
        "cpu_s": cpu,
        "parts": len(PARTS) or 1,
        "worker_cpu_s": [part.cpu_seconds for part in PARTS],
        "worker_peak_mib": max((part.peak_mib for part in PARTS if part.process != os.getpid()), default=0.0),
        "own_parts_cpu_s": sum(part.cpu_seconds for part in PARTS if part.process == os.getpid()),
        "own_parts": sum(part.process == os.getpid() for part in PARTS),
    }


def _tree(root: int) -> list[int]:
    """The process and all its descendants (the fork server, its workers, the resource tracker)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _tree_memory(pids: list[int]) -> tuple[float, float]:
    """(RSS, PSS) summed over the processes, MiB. PSS shares each page among the processes that map
    it (the workers share what they inherited from the fork server), so its sum is the honest total."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss / 1024, pss / 1024


def _tree_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of the live processes."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


class TreeSampler:
    """Peak of the summed RSS and PSS of this process's tree, sampled every 250 ms while in use (the
    list of processes found again every second). Reading PSS walks every process's page tables: at
    every 50 ms it took 1.6 s of CPU in a 10 s render, all of it in this process (which lays out
    parts too), so it samples sparsely and its own CPU time (`cpu_s`) is taken off the figures."""

    def __init__(self) -> None:
        self.rss = self.pss = self.cpu_s = 0.0
        self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        started = time.thread_time()
        pids: list[int] = []
        found_at = 0.0
        while not self._stop.wait(0.25):
            if time.monotonic() - found_at > 1:
                pids, found_at = _tree(os.getpid()), time.monotonic()
            rss, pss = _tree_memory(pids)
            self.pss = max(self.pss, pss)
            if rss > self.rss:
                self.rss, self.processes = rss, len(pids)
        self.cpu_s = time.thread_time() - started

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def child(email: str, processes: int | None) -> None:
    """Run in a fresh process: one large portfolio twice (cold pool, warm pool); its figures as JSON,
    with the memory and CPU of every process of the render (this one, the fork server, the workers).
    Start it with `python -c` (see _child_command): a script run by path is imported again by every
    forkserver worker, which would put the whole app in the workers and overstate their memory."""
    app = create_app()
    with app.app_context():
        cold = _portfolio(email, processes=processes)
        idle_rss, idle_pss = _tree_memory([os.getpid()])  # the app with WeasyPrint, before the warm render
        before = _tree_cpu(_tree(os.getpid()))
        with TreeSampler() as sampled:
            warm = _portfolio(email, processes=processes)
        tree_cpu = _tree_cpu(_tree(os.getpid())) - before
    figures = {k: v for k, v in warm.items() if k not in {"context", "pdf"}}
    figures |= {
        "entries": len(warm["context"]["entries"]),
        "pages": _pages(warm["pdf"]),
        "bytes": len(warm["pdf"]),
        "cold_wall_s": cold["wall_s"],
        "peak_rss_mib": _own_peak_mib(),
        "worker_peak_mib": max(cold["worker_peak_mib"], warm["worker_peak_mib"]),
        "tree_cpu_s": tree_cpu - sampled.cpu_s,
        "sampler_cpu_s": sampled.cpu_s,
        "tree_peak_rss_mib": sampled.rss,
        "tree_peak_pss_mib": sampled.pss,
        "tree_processes": sampled.processes,
        "idle_rss_mib": idle_rss,
        "idle_pss_mib": idle_pss,
    }
    print(json.dumps(figures))


def _own_peak_mib() -> float:
    """This process's peak resident memory: VmHWM, not ru_maxrss, which on Linux carries over the
    high-water mark of the (large) bench process this one was forked from before its exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child_command(email: str, processes: int | None = None) -> list[str]:
    call = f"bench_portfolio.child({email!r}, {processes!r})"
    return [
        "-c",
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_portfolio; {call}",
    ]


def _run(args: list[str]) -> dict:
    result = subprocess.run(  # noqa: S603 - our own scripts, our own arguments
        [sys.executable, *args], check=True, capture_output=True, text=True, env=os.environ.copy()
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def row(name: str, today: str, baseline: str, ratio: float | str, goal: str) -> None:
    ratio_text = f"{ratio:.2f}x" if isinstance(ratio, float) else ratio
    print(f"ROW {name} | today {today} | baseline {baseline} | ratio {ratio_text} | goal {goal}")


def main() -> None:
    import baseline_pdf  # bench/: the baseline, written without the product's code

    small = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    large = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    print(f"cores {pdf.cores()}, load average {_load()}")
    app = create_app()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        emails = populate([small, large])
        print(f"populated {small} + {large} activities in {time.perf_counter() - started:.1f} s")
        _portfolio(emails[small])  # warm-up: fonts, templates, verification codes made once
        baseline_pdf.render(_context(emails[small]))

        rounds = []
        for _ in range(3):  # interleaved: the machine is shared
            ours = _portfolio(emails[small])
            _, bare_wall, bare_cpu = baseline_pdf.render(ours["context"])
            rounds.append((ours["cpu_s"] / bare_cpu, ours, bare_wall, bare_cpu))
        rounds.sort(key=lambda r: r[0])
        _, ours, bare_wall, bare_cpu = rounds[1]
        print(
            f"== {small} activities: {_pages(ours['pdf'])} pages, {len(ours['pdf']) / 1024:.0f} KiB, "
            f"context {ours['context_s']:.2f} s; CPU ratios of the three rounds "
            + ", ".join(f"{r[0]:.2f}" for r in sorted(rounds, key=lambda r: r[0]))
        )
        row(
            f"portfolio PDF {small} activities, CPU",
            f"{ours['cpu_s']:.2f} s",
            f"{bare_cpu:.2f} s",
            ours["cpu_s"] / bare_cpu,
            "<= 1.2x",
        )
        row(
            f"portfolio PDF {small} activities, wall",
            f"{ours['wall_s']:.2f} s",
            f"{bare_wall:.2f} s",
            ours["wall_s"] / bare_wall,
            "<= 1.2x",
        )

        nmc = _portfolio(emails[small], "nmc")
        print(
            f"== {small}-activity NMC revalidation pack: {nmc['cpu_s']:.2f} s CPU "
            f"({nmc['wall_s']:.2f} s wall)"
        )

        context_file = Path(tempfile.mkdtemp(prefix="bench-portfolio-")) / "large.json"
        context_file.write_text(json.dumps(_context(emails[large]), default=str), encoding="utf-8")
        db.session.commit()

    runs: dict[str, list[dict]] = {"parts": [], "bare": [], "one": []}
    for _ in range(2):  # interleaved, each in a fresh process
        runs["parts"].append(_run(_child_command(emails[large])))
        runs["bare"].append(_run([str(BASELINE), str(context_file)]))
        runs["one"].append(_run(_child_command(emails[large], 1)))
    best = {name: min(figures, key=lambda f: f["wall_s"]) for name, figures in runs.items()}
    parts, bare, one = best["parts"], best["bare"], best["one"]
    print(
        f"== {large} activities: {parts['pages']} pages, {parts['bytes'] / 1024:.0f} KiB, "
        f"{parts['parts']} parts; "
        f"context {parts['context_s']:.2f} s; first render (cold pool) {parts['cold_wall_s']:.2f} s; "
        f"CPU of every process {parts['tree_cpu_s']:.2f} s (request's process {parts['cpu_s']:.2f} s, "
        f"with the memory sampler's {parts['sampler_cpu_s']:.2f} s in it and in its parts' figures, "
        f"of which {parts['own_parts']} parts {parts['own_parts_cpu_s']:.2f} s; "
        f"parts each {', '.join(f'{c:.2f}' for c in parts['worker_cpu_s'])}); "
        f"memory summed over {parts['tree_processes']} processes: "
        f"peak RSS {parts['tree_peak_rss_mib']:.0f} MiB, PSS {parts['tree_peak_pss_mib']:.0f} MiB "
        f"(the app's process before: RSS {parts['idle_rss_mib']:.0f}, PSS {parts['idle_pss_mib']:.0f}); "
        f"one process {one['wall_s']:.2f} s wall, {one['cpu_s']:.2f} s CPU, {one['peak_rss_mib']:.0f} MiB; "
        f"bare {bare['cpu_s']:.2f} s CPU; load average {_load()}"
    )
    row(
        f"portfolio PDF {large} activities, wall, {pdf.cores()} cores",
        f"{parts['wall_s']:.2f} s",
        f"{bare['wall_s']:.2f} s (bare, one process)",
        parts["wall_s"] / bare["wall_s"],
        "<= 5 s",
    )
    peak = max(parts["peak_rss_mib"], parts["worker_peak_mib"])
    row(
        f"portfolio PDF {large} activities, peak memory (largest process)",
        f"{peak:.0f} MiB (parent {parts['peak_rss_mib']:.0f}, largest worker {parts['worker_peak_mib']:.0f})",
        f"{bare['peak_rss_mib']:.0f} MiB",
        peak / bare["peak_rss_mib"],
        "<= 200 MiB",
    )
    row(
        f"portfolio PDF {large} activities, peak memory of all {parts['tree_processes']} processes (PSS)",
        f"{parts['tree_peak_pss_mib']:.0f} MiB (RSS {parts['tree_peak_rss_mib']:.0f})",
        f"{bare['peak_rss_mib']:.0f} MiB",
        parts["tree_peak_pss_mib"] / bare["peak_rss_mib"],
        "<= 200 MiB",
    )
    row(
        f"portfolio PDF {large} activities, wall, one process",
        f"{one['wall_s']:.2f} s",
        f"{bare['wall_s']:.2f} s",
        one["wall_s"] / bare["wall_s"],
        "(for comparison)",
    )
    # 8 cores, from this run's figures: what stays serial (the context, the parent's own CPU: HTML,
    # merge) plus the parts spread over 8 workers (8 parts of 500: one round), plus the footers
    # (about 7 ms a page of CPU, shared by the workers). Assumes idle cores.
    serial = parts["context_s"] + max(parts["cpu_s"] - parts["own_parts_cpu_s"] - parts["context_s"], 0)
    spread = max(parts["worker_cpu_s"] or [0.0])
    rounds_8 = -(-parts["parts"] // 8)
    estimate = serial + rounds_8 * spread + 0.007 * parts["pages"] / 8
    print(
        f"== estimate for 8 idle cores: {estimate:.2f} s "
        f"(serial {serial:.2f} s + {rounds_8} x largest part {spread:.2f} s + footers)"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else None)
    else:
        main()
