"""Reading results back, for any test: a PDF's text and attached portfolio.json, a ZIP's files, a
background job waited for and downloaded, the token in an emailed link, the CSRF token of a
server-rendered form, and the check that every printed verification code verifies until the signed
text is altered. The builders are in tests/factories.py."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from typing import Any

import pikepdf
from pypdf import PdfReader
from sqlalchemy import select

from logbook.entries.models import EntryRevision
from logbook.extensions import db
from logbook.jobs.runner import job_runner
from logbook.supervision.models import SignOff


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, page after page (whitespace collapsed)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def attached(data: bytes) -> dict[str, Any]:
    """The portfolio.json attached to a PDF."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return json.loads(pdf.attachments["portfolio.json"].get_file().read_bytes())


def unzip(data: bytes) -> dict[str, bytes]:
    """Every file of a ZIP by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def export(client, **body: Any):
    """POST /api/v1/portfolio."""
    return client.api("POST", "/api/v1/portfolio", json=body)


def finish_jobs(app) -> None:
    """Wait until the app's in-process runner has finished every job it was given."""
    runner = job_runner(app)
    if not hasattr(runner, "wait_idle"):
        return  # a queue runner (RQ): nothing runs in this process
    assert runner.wait_idle(timeout=120), "a background job did not finish in time"


def run_job(app, client, response) -> bytes:
    """Follow a 202 to its job, wait for it, and download the result."""
    assert response.status_code == 202, response.get_json()
    location = response.headers["Location"]
    finish_jobs(app)
    status = client.get(location).get_json()
    assert status["status"] == "done", status
    download = client.get(status["download_url"])
    assert download.status_code == 200
    return download.data


def link_token(mail) -> str:
    """The token in an external sign-off email."""
    match = re.search(r"/sign-off/([A-Za-z0-9_-]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def csrf_from(html: str) -> str:
    """The CSRF token in a server-rendered form."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def assert_codes_verify_then_fail(app, client, data: bytes, signed_ids: list[str]) -> list[str]:
    """Every signed entry's code is printed and /verify says Valid; after the signed text is altered
    in the database, /verify says Not valid. Returns the codes."""
    text = pdf_text(data)
    context = attached(data)
    by_id = {e["id"]: e for e in context["entries"]}
    codes = []
    for entry_id in signed_ids:
        sign_offs = by_id[entry_id]["sign_offs"]
        assert sign_offs, entry_id
        for so in sign_offs:
            assert so["code"] in text, (entry_id, so["code"])
            html = client.get(f"/verify/{so['code']}").get_data(as_text=True)
            assert "Valid." in html
            assert "Not valid." not in html
            codes.append(so["code"])
    assert len(codes) == sum(len(e["sign_offs"]) for e in context["entries"])
    with app.app_context():
        for entry_id in signed_ids:
            for so in db.session.scalars(select(SignOff).where(SignOff.entry_id == uuid.UUID(entry_id))):
                rev = db.session.get(EntryRevision, (so.entry_id, so.entry_version))
                rev.content = {**rev.content, "title": rev.content["title"] + " (altered)"}
        db.session.commit()
    for code in codes:
        assert "Not valid." in client.get(f"/verify/{code}").get_data(as_text=True)
    return codes
