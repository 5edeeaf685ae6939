"""Portfolio PDF benchmarks (not tests), side by side in one run, on a throwaway SQLite database:

1. a 100-activity generic portfolio (context + WeasyPrint + PDF/A clean-up, about a third signed off)
   against WeasyPrint rendering the same text from bare HTML (no CSS, no fonts, no PDF/A): goal ≤ 1.5x;
2. a 500-activity portfolio's wall time and peak memory (ru_maxrss of a fresh child process);
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
import time
import uuid
from decimal import Decimal
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if "LOGBOOK_DATABASE_URL" not in os.environ:
    DB = Path(tempfile.mkdtemp(prefix="bench-portfolio-")) / "bench.sqlite3"
    os.environ["LOGBOOK_DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("LOGBOOK_SECRET_KEY", "bench-only")

from flask_migrate import upgrade
from pypdf import PdfReader
from sqlalchemy import select
from weasyprint import HTML

from logbook.accounts import links
from logbook.accounts import service as accounts
from logbook.accounts.models import Registration, User
from logbook.app import create_app
from logbook.entries import service as entries
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.portfolio import documents, render
from logbook.supervision import signoff
from logbook.timeutil import utcnow

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
                )
        db.session.flush()
        made[size] = me.email
    db.session.commit()
    return made


def bare_html(context: dict) -> str:
    """The same text as the portfolio (cover lines, every activity's fields and sign-off lines) as
    bare HTML: what WeasyPrint costs with no styling at all."""
    out = [f"<h1>{escape(context['document']['title'])}</h1><p>{escape(context['person']['name'])}</p>"]
    for e in context["entries"]:
        out.append(
            f"<h3>{escape(e['title'])}</h3><p>{e['start_date']} {escape(e['kind'])} {e['hours']} h</p>"
            f"<p>{escape(e['description'])}</p><p>{escape(e['impact_on_practice'])}</p>"
            f"<p>{escape(e['impact_on_people'])}</p>"
        )
        for so in e["sign_offs"]:
            signed = f"{escape(so['signer_name'])} {so['signed_at']} {so['code']} {so['verify_url']}"
            out.append(f"<p>Signed off by {signed}</p>")
    return "<!doctype html><html><body>" + "".join(out) + "</body></html>"


def _pages(pdf: bytes) -> int:
    import io

    return len(PdfReader(io.BytesIO(pdf)).pages)


def _portfolio(email: str, fmt: str = "generic") -> tuple[dict, bytes, float, float, float]:
    """(context, pdf, seconds to build the context, wall seconds in all, CPU seconds in all)."""
    owner = db.session.scalar(select(User).where(User.email == email))
    cpu = time.process_time()
    started = time.perf_counter()
    context = documents.build_document(
        owner=owner,
        verify_url=VERIFY,
        now=utcnow(),
        format=fmt,
        date_from=TODAY - dt.timedelta(days=800),
        date_to=TODAY,
    )
    built = time.perf_counter() - started
    pdf = render.render_pdf(context)
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu
    db.session.commit()
    return context, pdf, built, total, cpu


def child(email: str) -> None:
    """Run in a fresh process: one large portfolio; print its figures as JSON."""
    app = create_app()
    with app.app_context():
        context, pdf, built, total, cpu = _portfolio(email)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "entries": len(context["entries"]),
                "pages": _pages(pdf),
                "bytes": len(pdf),
                "context_s": built,
                "total_s": total,
                "cpu_s": cpu,
                "peak_rss_mib": peak_kib / 1024,
            }
        )
    )


def main() -> None:
    small = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    large = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    app = create_app()
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        emails = populate([small, large])
        print(f"populated {small} + {large} activities in {time.perf_counter() - started:.1f} s")
        _portfolio(emails[small])  # warm-up: fonts, templates, verification codes made once

        runs = []
        for _ in range(2):  # best of two, interleaved (the machine is shared: CPU time is the fair figure)
            context, pdf, built, total, cpu = _portfolio(emails[small])
            html = bare_html(context)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            bare = HTML(string=html).write_pdf()
            runs.append(
                (cpu, total, built, time.process_time() - cpu0, time.perf_counter() - wall0, pdf, bare)
            )
        cpu, total, built, bare_cpu, bare_wall, pdf, bare = min(runs, key=lambda r: r[0] / r[3])
        print(f"== {small}-activity generic portfolio vs bare WeasyPrint of the same text")
        print(
            f"  portfolio: {cpu:.2f} s CPU ({total:.2f} s wall, {built:.2f} s context), "
            f"{_pages(pdf)} pages, {len(pdf) / 1024:.0f} KiB"
        )
        print(
            f"  bare HTML: {bare_cpu:.2f} s CPU ({bare_wall:.2f} s wall), "
            f"{_pages(bare)} pages, {len(bare) / 1024:.0f} KiB"
        )
        print(f"  ratio: {cpu / bare_cpu:.2f}x CPU, {total / bare_wall:.2f}x wall (goal <= 1.5x)")

        context, pdf, built, total, cpu = _portfolio(emails[small], "nmc")
        print(
            f"== {small}-activity NMC revalidation pack: {cpu:.2f} s CPU ({total:.2f} s wall), "
            f"{_pages(pdf)} pages"
        )

    result = subprocess.run(  # noqa: S603 - this script, our own arguments
        [sys.executable, __file__, "--child", emails[large]],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"== {large}-activity generic portfolio (fresh process)")
    print(
        f"  {figures['cpu_s']:.2f} s CPU ({figures['total_s']:.2f} s wall, "
        f"{figures['context_s']:.2f} s context), "
        f"{figures['pages']} pages, "
        f"{figures['bytes'] / 1024:.0f} KiB, peak RSS {figures['peak_rss_mib']:.0f} MiB"
    )


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
