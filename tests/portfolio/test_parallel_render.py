"""A long generic portfolio laid out in parts by a pool of processes reads exactly as the same
document laid out whole in one process: pages, their text (footers and contents page numbers
included), outline, anchors, verification codes and attached data; it is still PDF/A-3b; a short
portfolio never starts a process.

Parts are made small here (a part every 4 activities from 8 on) so a dozen activities make three
parts; the machinery is the same as for 500 activities in parts of 60."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import time

import pikepdf
import pytest
from pikepdf import pdfa
from pypdf import PdfReader

from logbook.accounts.models import User
from logbook.config import KeyRing
from logbook.extensions import db
from logbook.portfolio import pdf, render
from logbook.portfolio.documents import build_document
from tests.factories import make_entry, sign

NOW = dt.datetime.now(dt.UTC)
WORDS = "assessment family plan supervision safeguarding child development practice reflection evidence"


@pytest.fixture
def long_portfolio(app, me, boss, supervisor, practitioner, monkeypatch):
    """A generic portfolio of 12 activities (every third signed off) with parts of 4 activities."""
    monkeypatch.setattr(render, "SPLIT_FROM", 8)
    monkeypatch.setattr(render, "PART_SIZE", 4)
    for n in range(12):
        words = " ".join(WORDS.split()[(n + k) % 10] for k in range(40 + 25 * (n % 4)))
        entry = make_entry(
            me,
            title=f"Session {n + 1}",
            description=words.capitalize() + ".",
            start_date=(NOW.date() - dt.timedelta(days=60 - n)).isoformat(),
        )
        if n % 3 == 0:
            sign(me, boss, entry, supervisor.id)
    with app.app_context():
        owner = db.session.get(User, practitioner.id)
        context = build_document(
            owner=owner,
            ring=KeyRing.of(app),
            verify_url="https://logbook.example/verify",
            now=NOW,
            format="generic",
            date_from=NOW.date() - dt.timedelta(days=90),
            date_to=NOW.date(),
        )
        db.session.commit()
    return context


def _render(app, context, processes):
    with app.test_request_context():
        return render.render_pdf(context, processes=processes)


def _pages(data: bytes) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(data)).pages]


def _outline(data: bytes) -> list[tuple[int, str, int, float]]:
    reader = PdfReader(io.BytesIO(data))

    def walk(items, depth):
        for item in items:
            if isinstance(item, list):
                yield from walk(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item), round(float(item.top), 1)

    return list(walk(reader.outline, 0))


def _anchors(data: bytes) -> dict[str, int]:
    with pikepdf.open(io.BytesIO(data)) as doc:
        index = {page.objgen: n for n, page in enumerate(doc.pages)}
        names = pikepdf.NameTree(doc.Root.Names.Dests)
        return {name: index[dest[0].objgen] for name, dest in names.items()}


def test_parts_in_processes_read_as_the_whole_document(app, long_portfolio, tmp_path, monkeypatch):
    context = long_portfolio
    assert render.part_starts(context) == [4, 8]
    used = []
    real_pool = pdf.pool
    monkeypatch.setattr(pdf, "pool", lambda workers: used.append(workers) or real_pool(workers))

    monkeypatch.setattr(pdf, "available_mib", lambda: 4096.0)
    merged = []
    real_merge = pdf.merge
    monkeypatch.setattr(
        pdf, "merge", lambda parts, footers: merged.extend(parts) or real_merge(parts, footers)
    )
    whole = _render(app, context, 1)
    assert used == []
    parallel = _render(app, context, 3)
    assert used == [2]  # this process lays out parts too: the last one, at least
    assert merged[-1].process == os.getpid()
    assert len({part.process for part in merged}) > 1

    pages = _pages(parallel)
    assert pages == _pages(whole)
    total = len(pages)
    assert total > 4
    for number, text in enumerate(pages, start=1):
        assert text.count(f"Page {number} of {total}") == 1, text
    # Each part starts a page: the 5th and 9th activities open theirs.
    starts = [text.split(" ", 2)[:2] for text in pages]
    assert ["Session", "5"] in starts
    assert ["Session", "9"] in starts
    # The contents page's numbers, where the headings really are.
    contents = next(text for text in pages if "Contents" in text)
    summary_page = next(n for n, t in enumerate(pages, 1) if "Kind of activity" in t)
    activities_page = next(
        n for n, t in enumerate(pages, 1) if re.search(r"Activities in date order Session", t)
    )
    assert re.search(rf"Summary\W*{summary_page}\b", contents), contents
    assert re.search(rf"Activities in date order\W*{activities_page}\b", contents), contents
    # Every verification code printed, once each, on the same pages.
    codes = [so["code"] for e in context["entries"] for so in e["sign_offs"]]
    assert len(codes) == 4
    for code in codes:
        assert sum(text.count(code) for text in pages) == 1
        assert [n for n, t in enumerate(pages) if code in t] == [
            n for n, t in enumerate(_pages(whole)) if code in t
        ]

    assert _outline(parallel) == _outline(whole)
    assert len(_outline(parallel)) == 4 + 12
    assert _anchors(parallel) == _anchors(whole)
    assert {f"entry-{e['id']}" for e in context["entries"]} <= set(_anchors(parallel))

    path = tmp_path / "parallel.pdf"
    path.write_bytes(parallel)
    report = pdfa.validate_written(path, "3b")
    assert report.passed, report.summary()
    with pikepdf.open(path) as doc:
        attached = json.loads(doc.attachments["portfolio.json"].get_file().read_bytes())
    assert [e["id"] for e in attached["entries"]] == [str(e["id"]) for e in context["entries"]]
    reader = PdfReader(io.BytesIO(parallel))
    assert reader.metadata.title == PdfReader(io.BytesIO(whole)).metadata.title


def test_short_portfolio_is_one_process(app, me, practitioner, monkeypatch):
    for n in range(3):
        make_entry(me, title=f"Short {n}")
    with app.app_context():
        context = build_document(
            owner=db.session.get(User, practitioner.id),
            ring=KeyRing.of(app),
            verify_url="https://logbook.example/verify",
            now=NOW,
            format="generic",
        )
    assert render.part_starts(context) == []

    def no_pool(workers):
        raise AssertionError("a short portfolio started a process pool")

    monkeypatch.setattr(pdf, "pool", no_pool)
    data = _render(app, context, 8)
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2


def test_long_portfolio_is_one_process_when_memory_is_short(app, long_portfolio, monkeypatch):
    def no_pool(workers):
        raise AssertionError("a pool was started without the memory for a worker")

    monkeypatch.setattr(pdf, "available_mib", lambda: pdf.WORKER_MIB - 1.0)
    monkeypatch.setattr(pdf, "pool", no_pool)
    assert pdf.pool_size(8) == 0
    assert len(PdfReader(io.BytesIO(_render(app, long_portfolio, 8))).pages) > 4


def test_pool_size_leaves_one_process_to_the_caller_and_fits_memory(monkeypatch):
    monkeypatch.setattr(pdf, "available_mib", lambda: 100 * pdf.WORKER_MIB)
    assert [pdf.pool_size(n) for n in (1, 2, 8)] == [0, 1, 7]
    monkeypatch.setattr(pdf, "available_mib", lambda: 2.5 * pdf.WORKER_MIB)
    assert pdf.pool_size(8) == 2
    monkeypatch.setattr(pdf, "available_mib", lambda: None)  # no /proc/meminfo
    assert pdf.pool_size(4) == 3


def _fail(message):
    raise ValueError(message)


def test_run_shared_splits_calls_between_this_process_and_the_pool():
    pool = pdf.pool(1)
    # Results come back in order whoever made them; both this process and the worker made some.
    assert pdf.run_shared(pool, 1, [(pow, (2, n)) for n in range(12)]) == [2**n for n in range(12)]
    pids = pdf.run_shared(pool, 1, [(_slow_pid, ()) for _ in range(6)])
    assert os.getpid() in pids
    assert len(set(pids)) == 2
    # This process takes calls from the end: the last is always its own.
    assert pids[-1] == os.getpid()
    with pytest.raises(ValueError, match="mine"):
        pdf.run_shared(pool, 1, [(pow, (2, 1)), (_fail, ("mine",))])


def _slow_pid():
    time.sleep(0.2)
    return os.getpid()


def test_long_documents_split_by_their_length_alone():
    def context(count, fmt="generic"):
        return {"document": {"format": fmt}, "entries": [{"id": n} for n in range(count)]}

    assert render.part_starts(context(render.SPLIT_FROM - 1)) == []
    assert render.part_starts(context(500)) == [62, 125, 188, 250, 312, 375, 438]
    assert render.part_starts(context(500, "nmc")) == []
