"""Record-import budgets (issue #17): small hostile ZIPs that would inflate to hundreds of megabytes are
refused with a 422 naming the reason, while the worker's memory stays bounded (measured with
tracemalloc), and nothing is written. The limits are those of docs/record-format.md."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import tracemalloc
import warnings
import zipfile
from typing import Any

import pytest
from sqlalchemy import func, select

from logbook.entries.models import Entry, Evidence
from logbook.exports.record import FORMAT, ImportLimits
from logbook.extensions import db

MB = 1024 * 1024
PEAK_BOUND = 60 * MB  # one evidence file (10 MB) in a few copies, plus the ZIP itself: far from 200 MB


def record_json(evidence: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A minimal, well-formed record with the given evidence list."""
    return {
        "format": FORMAT,
        "format_version": 1,
        "exported_at": "2026-11-01T10:00:00+00:00",
        "source": {"organisation": "Elsewhere", "organisation_slug": "elsewhere"},
        "person": {"id": "8d3c1d3e-5b2a-4a43-9d6e-2f6a9c1b0e11", "name": "X", "email": "x@x.example"},
        "entries": [],
        "evidence": evidence or [],
        "supervision_sessions": [],
        **extra,
    }


def pdf(size: int, salt: int) -> bytes:
    """A "PDF" (right magic bytes; stored unchanged) of `size` bytes that compresses to almost nothing."""
    head = b"%PDF-1.4\n%" + str(salt).encode() + b"\n"
    return head + b" " * (size - len(head) - 6) + b"%%EOF\n"


def evidence_item(blob: bytes, path: str) -> dict[str, Any]:
    sha = hashlib.sha256(blob).hexdigest()
    return {"sha256": sha, "stored_sha256": sha, "media_type": "application/pdf", "size": len(blob),
            "filename": "a.pdf", "path": path}  # fmt: skip


def zipped(files: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about a duplicate name: we mean it
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name, data in files:
                archive.writestr(name, data)
    return buffer.getvalue()


def post(client, data: bytes):
    """Import `data`, measuring the peak of Python memory allocated meanwhile."""
    tracemalloc.start()
    try:
        answer = client.api("POST", "/api/v1/record/import", data=data, content_type="application/zip")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return answer, peak


@pytest.fixture
def me(make_client, practitioner):
    return make_client(practitioner)


def assert_refused(app, answer, reason: str) -> None:
    assert answer.status_code == 422, answer.get_json()
    fields = answer.get_json()["error"]["fields"]["file"]
    assert any(reason in f for f in fields), fields
    with app.app_context():  # nothing half-written
        assert db.session.scalar(select(func.count()).select_from(Entry)) == 0
        assert db.session.scalar(select(func.count()).select_from(Evidence)) == 0


def test_one_file_named_a_hundred_times_is_refused_at_once(app, me):
    """The issue's 11 KB ZIP: one 10 MB file listed 100 times (1.24 GB held before)."""
    blob = pdf(10 * MB - 1024, 1)
    items = [evidence_item(blob, "evidence/one")] * 100
    data = zipped([("record.json", json.dumps(record_json(items)).encode()), ("evidence/one", blob)])
    assert len(data) < 100 * 1024
    answer, peak = post(me, data)
    assert_refused(app, answer, "more than once")
    assert peak < PEAK_BOUND, peak


def test_a_path_twice_in_the_zip_directory_is_refused(app, me):
    data = zipped([("record.json", b"{}"), ("evidence/x", b"a"), ("evidence/x", b"b")])
    answer, _peak = post(me, data)
    assert_refused(app, answer, "more than once")


def test_the_total_decompressed_budget_holds_and_files_are_read_one_at_a_time(app, me):
    """30 distinct 9.5 MB files (285 MB unpacked) in a ZIP of a few hundred KB: refused when the
    running total passes the budget, with memory bounded by one file, not all of them."""
    blobs = [pdf(int(9.5 * MB), i) for i in range(30)]
    items = [evidence_item(b, f"evidence/{i}") for i, b in enumerate(blobs)]
    data = zipped([("record.json", json.dumps(record_json(items)).encode())]
                  + [(f"evidence/{i}", b) for i, b in enumerate(blobs)])  # fmt: skip
    del blobs
    assert len(data) < 2 * MB
    answer, peak = post(me, data)
    assert_refused(app, answer, f"more than {ImportLimits().max_total_bytes:,} bytes uncompressed")
    assert peak < PEAK_BOUND, f"{peak / MB:.0f} MB"


def test_a_huge_record_json_is_refused_before_it_is_parsed(app, me):
    """The issue's 51 KB ZIP with a 50 MB record.json (1.47 GB before its 422)."""
    big = json.dumps(record_json(padding=" " * (50 * MB))).encode()
    data = zipped([("record.json", big)])
    del big
    answer, peak = post(me, data)
    assert_refused(app, answer, f"record.json is larger than {ImportLimits().max_record_json_bytes:,} bytes")
    assert peak < PEAK_BOUND, f"{peak / MB:.0f} MB"


def test_too_many_files(app, me):
    data = zipped([("record.json", b"{}")] + [(f"f{i}", b"") for i in range(ImportLimits().max_files)])
    answer, _peak = post(me, data)
    assert_refused(app, answer, "at most 2,000 are accepted")


def _lie_about_size(data: bytes, name: bytes, declared: int) -> bytes:
    """Rewrite the uncompressed size of `name` in the central directory and the local header."""
    out = bytearray(data)
    pos = 0
    while (pos := out.find(b"PK\x01\x02", pos)) != -1:
        name_len = struct.unpack_from("<H", out, pos + 28)[0]
        if bytes(out[pos + 46 : pos + 46 + name_len]) == name:
            struct.pack_into("<I", out, pos + 24, declared)
            local = struct.unpack_from("<I", out, pos + 42)[0]
            struct.pack_into("<I", out, local + 22, declared)
        pos += 4
    return bytes(out)


@pytest.mark.parametrize("declared", [1024, 0])
def test_a_file_that_inflates_past_its_declared_size_is_refused(app, me, declared):
    """The header says 1 KB (under every limit); the data inflates to 9 MB: it is never trusted."""
    blob = pdf(9 * MB, 7)
    data = zipped([("record.json", json.dumps(record_json([evidence_item(blob, "evidence/e")])).encode()),
                   ("evidence/e", blob)])  # fmt: skip
    answer, peak = post(me, _lie_about_size(data, b"evidence/e", declared))
    assert answer.status_code == 422, answer.get_json()
    assert "evidence/e" in answer.get_json()["error"]["fields"]["file"][0]
    assert peak < PEAK_BOUND


def test_a_lower_configured_budget_is_the_one_applied(app, me):
    app.config["RECORD_IMPORT_MAX_BYTES"] = 5 * MB
    blob = pdf(3 * MB, 3)
    other = pdf(3 * MB, 4)
    items = [evidence_item(blob, "evidence/a"), evidence_item(other, "evidence/b")]
    data = zipped([("record.json", json.dumps(record_json(items)).encode()), ("evidence/a", blob),
                   ("evidence/b", other)])  # fmt: skip
    answer, _peak = post(me, data)
    assert_refused(app, answer, "more than 5,242,880 bytes uncompressed")


def test_a_record_within_the_budgets_is_imported(app, me):
    blob = pdf(2 * MB, 5)
    data = zipped([("record.json", json.dumps(record_json([evidence_item(blob, "evidence/a")])).encode()),
                   ("evidence/a", blob)])  # fmt: skip
    answer, _peak = post(me, data)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["evidence_files"] == 1
