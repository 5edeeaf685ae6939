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
