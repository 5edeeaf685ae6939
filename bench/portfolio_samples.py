"""Render each portfolio document for a demo person into docs/portfolio-samples/ (PDF in /tmp, one
PNG page each, kept in git so reviewers can see them). Uses a throwaway SQLite database.

    .venv/bin/python bench/portfolio_samples.py [out_dir]   (not a benchmark: `make bench` skips it)

Demo people: Joanne Price (NMC health visitor), Amara Okafor (SWE social worker), Mark Jennings
(teacher). Some of their entries are signed off here first, in the roles each document needs (the
reflective discussion by an NMC registrant with her PIN, the confirmation by a confirmer).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TMP = Path(tempfile.mkdtemp(prefix="portfolio-samples-"))
os.environ["LOGBOOK_DATABASE_URL"] = f"sqlite:///{TMP / 'demo.sqlite3'}"
os.environ.setdefault("LOGBOOK_SECRET_KEY", "samples-only")
os.environ["LOGBOOK_MAIL_URL"] = "memory://"

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from logbook.accounts import links  # noqa: E402
from logbook.accounts.links import SupervisionLink  # noqa: E402
from logbook.accounts.models import User  # noqa: E402
from logbook.app import create_app  # noqa: E402
from logbook.demo import build_demo, email_for  # noqa: E402
from logbook.entries.models import Entry  # noqa: E402
from logbook.entries.service import create_entry  # noqa: E402
from logbook.extensions import db  # noqa: E402
from logbook.portfolio import documents, render  # noqa: E402
from logbook.supervision import signoff  # noqa: E402
from logbook.timeutil import utcnow  # noqa: E402

OUT = (
    Path(sys.argv[1])
    if len(sys.argv) > 1
    else Path(__file__).resolve().parents[1] / "docs" / "portfolio-samples"
)
PDFTOPPM = shutil.which("pdftoppm") or "pdftoppm"  # poppler-utils
VERIFY = "https://cpd.northshire.example/verify"
# (document, demo person, pages to keep as PNG: (page number, file name))
SAMPLES = [
    (
        "nmc",
        "Joanne Price",
        [(2, "nmc-page-2-missing-and-hours-log.png"), (5, "nmc-page-5-accounts-and-discussion-form.png")],
    ),
    ("swe", "Amara Okafor", [(3, "swe-page-3-cpd-records.png")]),
    (
        "teachers",
        "Mark Jennings",
        [(2, "teachers-page-2-standards.png"), (5, "teachers-page-5-appraisal.png")],
    ),
]


def supervisor_of(user: User) -> User:
    link = db.session.scalars(select(SupervisionLink).where(SupervisionLink.supervisee_id == user.id)).first()
    return db.session.get(User, link.supervisor_id)


def approve(
    entry: Entry, owner: User, boss: User, *, role: str = "supervisor", body=None, number=None
) -> None:
    now = utcnow()
    asked = signoff.request_sign_off(
        owner=owner,
        entry_id=entry.id,
        entry_version=entry.version,
        supervisor_id=boss.id,
        signer_role=role,
        now=now,
    ).request
    db.session.flush()
    signoff.decide(
        signer=boss,
        entry_id=entry.id,
        entry_version=asked.entry_version,
        content_sha256=asked.content_sha256,
        decision="approved",
        comment="Discussed in supervision; an accurate record.",
        registration_body=body,
        registration_number=number,
        now=now,
        base_url="https://cpd.northshire.example",
    )
    db.session.flush()


def entries(user: User, kind: str | None = None) -> list[Entry]:
    query = select(Entry).where(Entry.owner_id == user.id, Entry.status != "draft").order_by(Entry.start_date)
    if kind:
        query = query.where(Entry.kind == kind)
    return list(db.session.scalars(query))


def sign_demo(today: dt.date) -> None:
    joanne = db.session.scalar(select(User).where(User.email == email_for("Joanne Price")))
    manager = supervisor_of(joanne)
    # Her reflective discussion partner must be an NMC registrant: Ruth Adebayo, linked as her
    # professional supervisor so that she can sign inside the logbook.
    ruth = db.session.scalar(select(User).where(User.email == email_for("Ruth Adebayo")))
    links.link_supervisor(
        supervisor=ruth, supervisee=joanne, starts_on=today - dt.timedelta(days=400), kind="professional"
    )
    db.session.flush()
    [talk, *_] = entries(joanne, "reflective_discussion") or [None]
    if talk is not None:
        pin = ruth.registrations[0].registration_number
        approve(talk, joanne, ruth, role="reflective_discussion_partner", body="NMC", number=pin)
    confirm = create_entry(
        owner=joanne,
        data={
            "kind": "appraisal",
            "title": "Revalidation confirmation meeting",
            "description": "Confirmation discussion with my line manager.",
            "start_date": today - dt.timedelta(days=20),
            "hours": Decimal(1),
            "details": {"reviewer_name": ruth.name},
            "visibility": "supervisors",
        },
        now=utcnow(),
    )
    db.session.flush()
    approve(
        confirm, joanne, ruth, role="confirmer", body="NMC", number=ruth.registrations[0].registration_number
    )
    for entry in entries(joanne, "reflective_account")[:2] + entries(joanne, "practice_hours")[:1]:
        approve(entry, joanne, manager)
    for name in ("Amara Okafor", "Mark Jennings"):
        person = db.session.scalar(select(User).where(User.email == email_for(name)))
        boss = supervisor_of(person)
        mine = entries(person)
        for entry in [e for e in mine if e.kind in {"appraisal", "peer_reflection"}][:2] + mine[:2]:
            approve(entry, person, boss)


def main() -> None:
    app = create_app()
    today = dt.date.today()  # noqa: DTZ011 - the demo follows the local calendar
    with app.app_context():
        upgrade()
        build_demo(today)
        sign_demo(today)
        db.session.commit()
        for fmt, name, pages in SAMPLES:
            owner = db.session.scalar(select(User).where(User.email == email_for(name)))
            period = {}
            if fmt == "teachers":  # the demo's year of entries, across two appraisal years
                period = {"date_from": today - dt.timedelta(days=365), "date_to": today}
            context = documents.build_document(
                owner=owner, verify_url=VERIFY, now=utcnow(), format=fmt, **period
            )
            pdf = TMP / f"{fmt}.pdf"
            pdf.write_bytes(render.render_pdf(context))
            db.session.commit()
            print(f"{fmt}: {name}, {len(context['entries'])} activities -> {pdf}")
            for page, filename in pages:
                stem = TMP / f"{fmt}-{page}"
                subprocess.run(  # noqa: S603 - fixed arguments, our own temp files
                    [
                        PDFTOPPM,
                        "-png",
                        "-r",
                        "60",
                        "-f",
                        str(page),
                        "-l",
                        str(page),
                        "-singlefile",
                        str(pdf),
                        str(stem),
                    ],
                    check=True,
                )
                (OUT / filename).write_bytes(stem.with_suffix(".png").read_bytes())
                print(f"  page {page} -> {OUT / filename}")


if __name__ == "__main__":
    main()
