"""The text of every document for fixed demo people on a fixed day equals its golden file.

The golden files in tests/portfolio/golden/ were written from the code before the regulator
documents were split into one module each (issue #18): this test holds that the split, and any
later refactoring, changes nothing a reader sees. After a deliberate change to a document, rewrite
them with `LOGBOOK_WRITE_GOLDEN=1 .venv/bin/python -m pytest tests/portfolio/test_golden.py` and
review the diff.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import uuid
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from logbook.accounts.models import Organisation, User
from logbook.config import KeyRing
from logbook.demo import build_demo, email_for
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.portfolio.documents import build_document
from logbook.portfolio.render import render_pdf
from tests.helpers import pdf_text

GOLDEN = Path(__file__).parent / "golden"
TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
# The demo organisation, made beforehand with a fixed id: the events' attendance draws are seeded
# from ids derived from it, so a random id would change who attended, and so the hours.
ORG_ID = uuid.UUID("5b1f0a52-7c1e-4d3a-9f0e-2a6c8d4b1e07")
VERIFY_URL = "https://logbook.example/verify"
# (golden file, demo person, format)
DOCUMENTS = [
    ("generic", "Amara Okafor", "generic"),
    ("hcpc", "Leo Fernandes", "hcpc"),
    ("nmc", "Joanne Price", "nmc"),
    ("swe", "Amara Okafor", "swe"),
    ("teachers", "Mark Jennings", "teachers"),
]


def _text(name: str, fmt: str) -> str:
    owner = db.session.scalar(select(User).where(User.email == email_for(name)))
    extra = {}
    if fmt == "hcpc":
        chosen = db.session.scalars(
            select(Entry.id)
            .where(
                Entry.owner_id == owner.id, Entry.status != "draft", Entry.start_date >= dt.date(2025, 1, 1)
            )
            .order_by(Entry.start_date, Entry.title, Entry.id)  # as the documents order them: ids are random
            .limit(4)
        ).all()
        extra = {
            "date_from": dt.date(2024, 6, 1),
            "date_to": TODAY,
            "summary": "I assess children's learning needs and advise schools and families.",
            "statement": "My CPD kept my assessment practice current and improved my consultations.",
            "chosen_entry_ids": list(chosen),
        }
    context = build_document(
        owner=owner,
        verify_url=VERIFY_URL,
        now=NOW,
        ring=KeyRing.of(current_app),
        format=fmt,
        include_reflections=True,
        **extra,
    )
    text = pdf_text(render_pdf(context)).replace(" ", "\n") + "\n"
    # A sign-off's verification code is drawn at random when it is signed (the demo signs some
    # entries off): the golden text holds where a code stands, not its value.
    text = re.sub(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}\b", "XXXXX-XXXXX", text)
    return re.sub(r"/verify/[0-9A-Z]{10}\b", "/verify/XXXXXXXXXX", text)


def test_every_document_for_the_demo_people_matches_its_golden_text(app):
    with app.app_context():
        db.session.add(Organisation(id=ORG_ID, name="Northshire Children's Services", slug="northshire"))
        db.session.flush()
        build_demo(today=TODAY, ring=KeyRing.of(app))
        db.session.commit()
        texts = {golden: _text(name, fmt) for golden, name, fmt in DOCUMENTS}
    if os.environ.get("LOGBOOK_WRITE_GOLDEN") == "1":
        GOLDEN.mkdir(exist_ok=True)
        for golden, text in texts.items():
            (GOLDEN / f"{golden}.txt").write_text(text, encoding="utf-8")
    differences = []
    for golden, text in texts.items():
        expected = (GOLDEN / f"{golden}.txt").read_text(encoding="utf-8")
        if text != expected:
            diff = difflib.unified_diff(
                expected.splitlines(), text.splitlines(), "golden", "now", lineterm=""
            )
            differences.append(f"{golden}:\n" + "\n".join(list(diff)[:40]))
    assert not differences, "\n\n".join(differences)
