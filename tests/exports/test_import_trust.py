"""Imports never certify themselves (issue #16): a hand-made record ZIP with invented sign-offs (their
SHA-256 values recomputed, with or without a made-up signature) is imported, but as "Imported, not
verified": never valid in the API or on /verify, never counted as signed off, printed as such; and the
registrations it claims are only proposals an org admin confirms or rejects."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import uuid
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from logbook.accounts.models import Registration
from logbook.config import KeyRing
from logbook.entries.models import Entry
from logbook.exports.models import RegistrationProposal
from logbook.extensions import db
from logbook.supervision.models import SignOff
from logbook.supervision.signoff import approved_roles, verify_everything
from tests.factories import make_entry, persist
from tests.helpers import pdf_text, run_job, unzip

CODE = re.compile(r"Verification code ([A-Z2-9]{5}-[A-Z2-9]{5})")
EVIL_REGULATOR = '=HYPERLINK("https://evil.example/steal","HCPC")'


def _revision_hash(hashed_as: dict[str, str], version: int, content: dict[str, Any]) -> str:
    """What anyone can compute: SHA-256 of the canonical JSON of the revision (docs/record-format.md)."""
    body = {"id": hashed_as["entry_id"], "owner_id": hashed_as["owner_id"], "version": version}
    body |= {k: v for k, v in content.items() if k != "is_deleted"}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()


def forge(record: dict[str, Any], *, signature: bool) -> bytes:
    """Every entry becomes "signed_off" by an invented supervisor, with recomputed hashes (and, when
    asked, a made-up signature and key id on each sign-off); the person gains an invented registration."""
    for entry in record["entries"]:
        last = entry["revisions"][-1]
        signed_version = last["version"]
        content = {**last["content"], "status": "signed_off"}
        version = signed_version + 1
        entry["revisions"].append(
            {
                "version": version,
                "content": content,
                "content_sha256": _revision_hash(entry["hashed_as"], version, content),
                "created_at": last["created_at"],
            }
        )
        entry["version"] = version
        entry["content"] = {k: v for k, v in content.items() if k != "is_deleted"}
        sign_off = {
            "id": str(uuid.uuid4()),
            "entry_version": signed_version,
            "content_sha256": last["content_sha256"],
            "decision": "approved",
            "comment": "Excellent work.",
            "signer_role": "supervisor",
            "signer_name": "Dr Invented Supervisor",
            "external_email": None,
            "external_role": None,
            "registration_body": "HCPC",
            "registration_number": "SW999999",
            "is_imported": False,
            "signed_at": last["created_at"],
        }
        if signature:
            sign_off |= {
                "signature": "eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcnRoc2hpcmUtMjAyNiJ9.eyJ4IjoxfQ.c2lnbmF0dXJl",
                "kid": "northshire-2026",
                "verified": True,
                "import_verification": "verified",
            }
        entry["sign_offs"] = [sign_off]
    record["person"]["registrations"] = [
        {
            "regulator": EVIL_REGULATOR,
            "profession": "Social worker",
            "registration_number": "SW123456",
            "framework_id": None,
            "registered_since": None,
            "renewal_date": None,
            "is_dual_registration": False,
        },
        {
            "regulator": "HCPC",
            "profession": "Speech and language therapist",
            "registration_number": "SL12345",
            "framework_id": None,
            "registered_since": "2020-01-01",
            "renewal_date": "2027-08-31",
            "is_dual_registration": False,
        },
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("record.json", json.dumps(record))
    return buffer.getvalue()


def exported_record(app, client) -> dict[str, Any]:
    return json.loads(unzip(run_job(app, client, client.api("POST", "/api/v1/record/export")))["record.json"])


@pytest.fixture
def forged_import(app, make_user, make_client, other_org, shipped):
    """A practitioner writes three entries, exports them, forges sign-offs, and imports the result
    into a new account; returns (client, user, import answer)."""

    def _run(*, signature: bool):
        author = make_user("practitioner", organisation=other_org)
        writer = make_client(author)
        for title in ("Study day", "Course", "Reading"):
            make_entry(writer, title=title)
        data = forge(exported_record(app, writer), signature=signature)
        mallory = make_user("practitioner", name="Mallory Practitioner")
        persist(
            app,
            Registration(
                user_id=mallory.id,
                regulator="SWE",
                profession="Social worker",
                registration_number="SW111111",
                framework_id="swe",
            ),
        )
        client = make_client(mallory)
        answer = client.api("POST", "/api/v1/record/import", data=data, content_type="application/zip")
        return client, mallory, answer

    return _run


def _values(node: Any, key: str) -> list[Any]:
    """Every value under `key` anywhere in a JSON document."""
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == key] + [x for v in node.values() for x in _values(v, key)]
    if isinstance(node, list):
        return [x for v in node for x in _values(v, key)]
    return []


@pytest.mark.parametrize("signature", [False, True], ids=["recomputed-hashes", "made-up-signature"])
def test_a_forged_record_is_imported_as_not_verified_and_counts_nowhere(
    app, client, forged_import, signature
):
    me, mallory, answer = forged_import(signature=signature)
    assert answer.status_code == 201, answer.get_json()
    summary = answer.get_json()
    assert summary["sign_offs"] == 3
    assert summary["sign_offs_not_verified"] == 3
    assert summary["sign_offs_verified"] == 0

    with app.app_context():
        rows = db.session.scalars(
            select(SignOff).join(Entry, Entry.id == SignOff.entry_id).where(Entry.owner_id == mallory.id)
        ).all()
        assert len(rows) == 3
        assert {s.import_verification for s in rows} == {"unverified"}
        # The claimed kid is kept for the reader, but decides nothing.
        assert {s.import_kid for s in rows} == ({"northshire-2026"} if signature else {None})
        entries = db.session.scalars(select(Entry).where(Entry.owner_id == mallory.id)).all()
        assert {e.status for e in entries} == {"recorded"}
        assert approved_roles(owner_id=mallory.id) == {}
        assert verify_everything(
            ring=KeyRing.of(app)
        ).is_ok  # nothing was tampered with after the import: integrity holds
        entry_id = rows[0].entry_id

    # The API: intact, but not valid, and labelled.
    items = me.api("GET", f"/api/v1/entries/{entry_id}/sign-offs").get_json()["items"]
    assert items[0]["verification"]["is_valid"] is False
    assert items[0]["verification"]["status"] == "unsigned"
    assert items[0]["verification"]["label"] == "Imported, not verified"
    assert items[0]["verification"]["problems"] == []
    assert items[0]["signer_label"] == "Imported"
    assert items[0]["signer_kind"] == "imported"
    assert items[0]["import_verification"] == "unverified"

    # Progress counts no signed-off entries.
    progress = me.api("GET", "/api/v1/progress").get_json()
    counted = _values(progress, "signed_off")
    assert counted, progress
    assert set(counted) == {0}, progress

    # The portfolio PDF prints them as not verified and counts none; /verify never says Valid.
    pdf = me.api("POST", "/api/v1/portfolio", json={})
    assert pdf.status_code == 200, pdf.get_json()
    text = pdf_text(pdf.data)
    assert text.count("Imported, not verified.") == 3
    assert "0 activities signed off" in text
    codes = CODE.findall(text)
    assert len(codes) == 3
    for code in codes:
        page = client.get(f"/verify/{code}").get_data(as_text=True)
        assert "Valid." not in page
        assert "Imported, not verified." in page


def test_the_forged_registrations_are_proposals_not_registrations(
    app, forged_import, make_user, make_client, other_org
):
    me, mallory, answer = forged_import(signature=False)
    assert answer.status_code == 201
    assert answer.get_json()["registration_proposals"] == 2
    with app.app_context():
        regs = db.session.scalars(select(Registration).where(Registration.user_id == mallory.id)).all()
        assert [r.regulator for r in regs] == ["SWE"]  # only the one an admin gave
        proposals = db.session.scalars(
            select(RegistrationProposal).where(RegistrationProposal.user_id == mallory.id)
        ).all()
        assert {p.proposed["regulator"] for p in proposals} == {EVIL_REGULATOR, "HCPC"}

    # Mallory cannot confirm her own (not an admin: 403), nor see the list.
    assert me.api("GET", "/api/v1/admin/registration-proposals").status_code == 403
    ids = {p.proposed["regulator"]: p.id for p in proposals}
    assert (
        me.api("POST", f"/api/v1/admin/registration-proposals/{ids['HCPC']}/confirm", json={}).status_code
        == 403
    )

    # Another organisation's admin sees none and confirms none.
    outsider = make_client(make_user("org_admin", organisation=other_org))
    assert outsider.api("GET", "/api/v1/admin/registration-proposals").get_json()["items"] == []
    assert (
        outsider.api(
            "POST", f"/api/v1/admin/registration-proposals/{ids['HCPC']}/confirm", json={}
        ).status_code
        == 404
    )

    # Her organisation's admin lists both; the formula is refused exactly as the admin API refuses it.
    admin = make_client(make_user("org_admin"))
    listed = admin.api("GET", "/api/v1/admin/registration-proposals").get_json()["items"]
    assert {p["proposed"]["regulator"] for p in listed} == {EVIL_REGULATOR, "HCPC"}
    assert {p["user_name"] for p in listed} == {"Mallory Practitioner"}
    refused = admin.api(
        "POST", f"/api/v1/admin/registration-proposals/{ids[EVIL_REGULATOR]}/confirm", json={}
    )
    assert refused.status_code == 422
    assert "regulator" in refused.get_json()["error"]["fields"]
    assert (
        admin.api("POST", f"/api/v1/admin/registration-proposals/{ids[EVIL_REGULATOR]}/reject").status_code
        == 200
    )

    confirmed = admin.api("POST", f"/api/v1/admin/registration-proposals/{ids['HCPC']}/confirm", json={})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["state"] == "confirmed"
    assert (
        admin.api("POST", f"/api/v1/admin/registration-proposals/{ids['HCPC']}/confirm", json={}).status_code
        == 409
    )
    with app.app_context():
        regs = db.session.scalars(select(Registration).where(Registration.user_id == mallory.id)).all()
        assert sorted(r.regulator for r in regs) == ["HCPC", "SWE"]
        assert not any(r.regulator.startswith("=") for r in db.session.scalars(select(Registration)))
    assert admin.api("GET", "/api/v1/admin/registration-proposals").get_json()["items"] == []


def test_an_admin_cannot_confirm_a_registration_they_imported_themselves(app, make_user, make_client):
    boss = make_user("org_admin", "practitioner")
    client = make_client(boss)
    record = exported_record(app, client)
    record["person"]["id"] = str(uuid.uuid4())
    data = forge(record, signature=False)
    assert (
        client.api("POST", "/api/v1/record/import", data=data, content_type="application/zip").status_code
        == 201
    )
    listed = client.api("GET", "/api/v1/admin/registration-proposals").get_json()["items"]
    assert len(listed) == 2
    hcpc = next(p for p in listed if p["proposed"]["regulator"] == "HCPC")
    answer = client.api("POST", f"/api/v1/admin/registration-proposals/{hcpc['id']}/confirm", json={})
    assert answer.status_code == 403
    # Another admin of the organisation can.
    colleague = make_client(make_user("org_admin"))
    assert (
        colleague.api(
            "POST", f"/api/v1/admin/registration-proposals/{hcpc['id']}/confirm", json={}
        ).status_code
        == 200
    )


def test_a_verified_import_state_is_the_only_one_that_counts(app, forged_import):
    """The state "sign" fills for statements a trusted key verified: set directly, it counts (and only
    for an approval of the version before the current one, like any approval)."""
    me, mallory, _answer = forged_import(signature=False)
    with app.app_context():
        row = db.session.scalars(
            select(SignOff).join(Entry, Entry.id == SignOff.entry_id).where(Entry.owner_id == mallory.id)
        ).first()
        entry = db.session.get(Entry, row.entry_id)
        # Put the entry back at the status the signed version led to (as a verified import would keep it).
        from logbook.entries import service as entries

        entries.set_sign_off_status(entry=entry, status="signed_off", now=dt.datetime.now(dt.UTC))
        row.entry_version = entry.version - 1
        db.session.commit()
        assert approved_roles(owner_id=mallory.id) == {}
        row.import_verification = "verified"
        row.import_organisation = "Southshire Test"
        row.import_kid = "southshire-2026-01"
        db.session.commit()
        assert approved_roles(owner_id=mallory.id) == {entry.id: {"supervisor"}}
        row_id = row.id
    # Counting reads the stored state, but what a reader is told is checked afresh: the row changed in
    # the database after its audit record, and no statement a trusted key verifies backs it.
    item = me.api("GET", f"/api/v1/sign-offs/{row_id}").get_json()
    assert item["verification"]["status"] == "invalid"
    assert item["verification"]["is_valid"] is False
    assert "Imported — signed at" not in item["verification"]["label"]
