"""Fixtures for portfolio tests: a practitioner with a supervisor, signed and unsigned entries."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from tests.supervision.conftest import make_entry, outbox, request_from, supervised, supervisor  # noqa: F401


def pdf_text(data: bytes) -> str:
    """All the text of a PDF, page after page (whitespace collapsed)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def sign(me, boss, entry: dict[str, Any], supervisor_id) -> dict[str, Any]:
    """Ask the supervisor to sign the entry off and approve it; the sign-off as the API shows it."""
    asked = request_from(me, entry, supervisor_id=str(supervisor_id))
    assert asked.status_code == 201, asked.get_json()
    item = asked.get_json()
    decided = boss.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": "approved",
        },
    )
    assert decided.status_code == 201, decided.get_json()
    return decided.get_json()


@pytest.fixture
def me(make_client, practitioner, supervised):  # noqa: F811
    """The practitioner, logged in."""
    return make_client(practitioner)


@pytest.fixture
def boss(make_client, supervisor, supervised):  # noqa: F811
    """The supervisor, logged in."""
    return make_client(supervisor)


def export(client, **body: Any):
    """POST /api/v1/portfolio."""
    return client.api("POST", "/api/v1/portfolio", json=body)


def sign_as(
    me, boss, entry: dict[str, Any], supervisor_id, role: str, body: str, number: str
) -> dict[str, Any]:
    """Ask the supervisor to sign the entry off in an NMC role, with their registration; approve it."""
    asked = request_from(me, entry, supervisor_id=str(supervisor_id), signer_role=role)
    assert asked.status_code == 201, asked.get_json()
    item = asked.get_json()
    decided = boss.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": "approved",
            "registration_body": body,
            "registration_number": number,
        },
    )
    assert decided.status_code == 201, decided.get_json()
    return decided.get_json()


def attached(data: bytes) -> dict[str, Any]:
    """The portfolio.json attached to a PDF."""
    import json

    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return json.loads(pdf.attachments["portfolio.json"].get_file().read_bytes())


def assert_codes_verify_then_fail(app, client, data: bytes, signed_ids: list[str]) -> list[str]:
    """Every signed entry's code is printed and /verify says Valid; after the signed text is altered
    in the database, /verify says Not valid. Returns the codes."""
    import uuid

    from sqlalchemy import select

    from logbook.entries.models import EntryRevision
    from logbook.extensions import db
    from logbook.supervision.models import SignOff

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
