"""Signed statements' helpers: a sign-off as the API shows it, the verification code printed for an
entry, the public page of a code, the published keys and PDFs as files, `logbook verify-pdf`, and what
someone who can write to the database can do to a signed entry."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select

from logbook import cli
from logbook.audit.models import AuditEvent
from logbook.audit.service import GENESIS, event_hash
from logbook.entries.models import Entry, EntryRevision
from logbook.entries.service import revision_content_hash
from logbook.extensions import db
from logbook.supervision import signcore
from logbook.supervision.models import SignOff
from tests.helpers import attached, export


def sign_off_view(client, sign_off_id: str) -> dict[str, Any]:
    """GET /api/v1/sign-offs/<id>."""
    response = client.get(f"/api/v1/sign-offs/{sign_off_id}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def code_of(me, entry_id: str) -> str:
    """The verification code printed for the entry's sign-off (made by exporting a portfolio)."""
    data = export(me).data
    [entry] = [e for e in attached(data)["entries"] if e["id"] == entry_id]
    return entry["sign_offs"][0]["code"]


def verify_page(client, code: str) -> str:
    """The public page's text for a code."""
    response = client.get(f"/verify/{code}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def save(tmp_path: Path, name: str, data: bytes) -> Path:
    """Write bytes to a file in tmp_path."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


def published_keys(client, tmp_path: Path) -> Path:
    """The JWKS as published at /.well-known/jwks.json, saved to a file."""
    response = client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    return save(tmp_path, "jwks.json", json.dumps(response.get_json()).encode())


def verify_pdf(runner, pdf: Path, keys: Path):
    """`logbook verify-pdf PDF --keys KEYS`."""
    return runner.invoke(cli.main, ["verify-pdf", str(pdf), "--keys", str(keys)])


def rewrite_database(app, sign_off_id: str, *, title: str, drop_statement: bool = False) -> None:
    """What someone who can write to the database can do: change the entry, every revision from the
    signed one on (with their hashes), the sign-off's hash and fingerprint, and recompute the whole
    audit chain with plain SHA-256. With drop_statement, the signed statement is removed too (and
    its hash from the audit record), as if the sign-off predated signatures."""
    with app.app_context():
        so = db.session.get(SignOff, uuid.UUID(sign_off_id))
        entry = db.session.get(Entry, so.entry_id)
        entry.title = title
        revisions = db.session.scalars(
            select(EntryRevision).where(
                EntryRevision.entry_id == entry.id, EntryRevision.version >= so.entry_version
            )
        )
        for rev in revisions:
            rev.content = {**rev.content, "title": title}
            rev.content_sha256 = revision_content_hash(owner_id=entry.owner_id, revision=rev)
            if rev.version == so.entry_version:
                so.content_sha256 = rev.content_sha256
        if drop_statement:
            so.statement = None
        db.session.flush()
        prev = GENESIS
        for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
            data = dict(event.data)
            if event.subject_id == so.id:
                data["content_sha256"] = so.content_sha256
                data["sign_off_sha256"] = signcore.entry_fingerprint(so)
                if drop_statement:
                    data.pop("statement_sha256", None)
            event.data = data
            event.prev_hash = prev
            event.hash = event_hash(
                prev_hash=prev,
                kind=event.kind,
                actor=event.actor,
                subject_type=event.subject_type,
                subject_id=event.subject_id,
                data=data,
                created_at=event.created_at,
            )
            prev = event.hash
            db.session.flush()
        db.session.commit()
