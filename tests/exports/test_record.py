"""The practitioner's full record: export from one organisation, import into another, export again
→ the same content; imported sign-offs are kept as "imported, not verified"; bad archives are refused."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import select

from logbook import cli
from logbook.audit.models import AuditEvent
from logbook.config import KeyRing
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.supervision.models import SignOff, SupervisionAction, SupervisionSession
from logbook.supervision.signoff import approved_roles, verify_everything, verify_sign_off
from logbook.timeutil import utcnow
from tests.factories import make_entry, persist, sign
from tests.helpers import run_job, unzip

TODAY = dt.date.today()  # noqa: DTZ011 - the entries API's plausibility window is relative to today


def png() -> bytes:
    """A small PNG (evidence must be a real image)."""
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def normalised(record: dict) -> dict:
    """A record without what legitimately differs between two logbooks (docs/record-format.md):
    exported_at, source and its signing keys, the person's id and email, entry and sign-off ids,
    is_imported."""
    out = copy.deepcopy(record)
    for key in ("exported_at", "source", "signing"):
        out.pop(key)
    out["person"].pop("id")
    out["person"].pop("email")
    for entry in out["entries"]:
        entry.pop("id")
        for so in entry["sign_offs"]:
            so.pop("id")
            so.pop("is_imported")
    return out


def read_record(data: bytes) -> dict:
    return json.loads(unzip(data)["record.json"])


@pytest.fixture
def rich_record(app, me, boss, supervisor, practitioner):
    """A record with a signed entry, an entry edited twice, a deleted entry, evidence and a session."""
    image = png()
    sha = hashlib.sha256(image).hexdigest()
    assert me.api("PUT", f"/api/v1/evidence/{sha}?filename=certificate.png", data=image).status_code == 201
    signed = make_entry(
        me,
        title="Signed study day",
        evidence=[{"sha256": sha, "name": "certificate.png"}],
        reflection={"template": "free", "answers": {"text": "What I took from it."}},
    )
    sign(me, boss, signed, supervisor.id)
    edited = make_entry(me, title="Draft title", visibility="private")
    for title in ("Second title", "Final title"):
        edited = me.api(
            "PATCH",
            f"/api/v1/entries/{edited['id']}",
            json={"base_version": edited["version"], "title": title},
        ).get_json()
    assert (
        me.api(
            "POST",
            "/api/v1/me/gap-explanations",
            json={"starts_on": "2025-01-06", "ends_on": "2025-04-30", "reason": "Parental leave"},
        ).status_code
        == 201
    )
    gone = make_entry(me, title="Deleted entry")
    assert me.api("DELETE", f"/api/v1/entries/{gone['id']}?base_version={gone['version']}").status_code in (
        200,
        204,
    )
    session = SupervisionSession(
        supervisor_id=supervisor.id,
        supervisee_id=practitioner.id,
        created_by_id=supervisor.id,
        starts_at=utcnow() - dt.timedelta(days=3),
        duration_minutes=60,
        format="individual",
        agenda="Caseload",
        summary="Talked through the caseload.",
    )
    persist(app, session)
    persist(
        app,
        SupervisionAction(
            session_id=session.id,
            description="Book the neglect course",
            owner_id=practitioner.id,
            due_on=TODAY,
        ),
    )
    return sha


def test_round_trip_keeps_content_versions_and_verifiable_sign_offs(
    app, me, rich_record, make_user, make_client, other_org
):
    first = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    files = unzip(first)
    record = json.loads(files["record.json"])
    assert record["format"] == "cpd-logbook-record"
    assert record["format_version"] == 1
    assert f"evidence/{rich_record}" in files
    by_title = {e["content"]["title"]: e for e in record["entries"]}
    assert [r["content"]["title"] for r in by_title["Final title"]["revisions"]] == [
        "Draft title",
        "Second title",
        "Final title",
    ]
    assert by_title["Deleted entry"]["is_deleted"] is True
    assert len(by_title["Signed study day"]["sign_offs"]) == 1
    assert record["supervision_sessions"][0]["actions"][0]["description"] == "Book the neglect course"
    assert record["gap_explanations"] == [
        {"starts_on": "2025-01-06", "ends_on": "2025-04-30", "reason": "Parental leave"}
    ]

    newcomer = make_user("practitioner", organisation=other_org, name=record["person"]["name"])
    there = make_client(newcomer)
    imported = there.api("POST", "/api/v1/record/import", data=first, content_type="application/zip")
    assert imported.status_code == 201, imported.get_json()
    summary = imported.get_json()
    assert summary["entries"] == 3
    assert summary["sign_offs"] == 1
    assert summary["evidence_files"] == 1
    assert summary["gap_explanations"] == 1
    (moved,) = there.get("/api/v1/me/gap-explanations").get_json()["items"]
    assert (moved["starts_on"], moved["ends_on"], moved["reason"]) == (
        "2025-01-06",
        "2025-04-30",
        "Parental leave",
    )
    assert summary["supervision_sessions"] == 1

    with app.app_context():
        rows = db.session.scalars(select(Entry).where(Entry.owner_id == newcomer.id)).all()
        assert {e.organisation_id for e in rows} == {other_org.id}
        final = next(e for e in rows if e.title == "Final title")
        assert final.version == by_title["Final title"]["version"]
        assert final.created_at.isoformat() == by_title["Final title"]["created_at"]
        sign_offs = db.session.scalars(
            select(SignOff).join(Entry, Entry.id == SignOff.entry_id).where(Entry.owner_id == newcomer.id)
        ).all()
        assert [s.is_imported for s in sign_offs] == [True]
        # The record carried the sign-off's statement, signed with a key this server trusts (the
        # exporting organisation's, on this server): the import keeps it as verified, and it counts.
        verification = verify_sign_off(sign_offs[0], ring=KeyRing.of(app))
        assert verification.problems == []
        assert verification.status == "valid", verification
        assert verification.label.startswith("Imported — signed at Northshire Test, verified with ")
        assert sign_offs[0].import_verification == "verified"
        signed_entry = db.session.get(Entry, sign_offs[0].entry_id)
        assert signed_entry.status == "signed_off"
        assert approved_roles(owner_id=newcomer.id) == {signed_entry.id: {"supervisor"}}
        from logbook.portfolio.service import verification_code_for

        code = verification_code_for(sign_offs[0])
        db.session.commit()
        report = verify_everything(ring=KeyRing.of(app))
        assert report.is_ok, report.problems
        kinds = [e.kind for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        assert kinds[-2:] == ["sign_off.imported", "record.imported"]

    # The public check a printed portfolio points to says where it was signed and by whose key.
    page = there.get(f"/verify/{code}")
    assert page.status_code == 200
    assert "Imported — signed at Northshire Test, verified with" in page.get_data(as_text=True)

    # The imported evidence is the newcomer's to download.
    assert there.get(f"/api/v1/evidence/{rich_record}").status_code == 200

    second = run_job(app, there, there.api("POST", "/api/v1/record/export"))
    again = read_record(second)
    assert again["source"]["organisation"] == other_org.name
    assert all(so["is_imported"] for e in again["entries"] for so in e["sign_offs"])
    assert normalised(again) == normalised(record)

    # Importing the same record twice is refused, with nothing written.
    twice = there.api("POST", "/api/v1/record/import", data=first, content_type="application/zip")
    assert twice.status_code == 409


def test_an_imported_sign_off_stops_verifying_if_its_text_is_altered(
    app, me, rich_record, make_user, make_client, other_org
):
    first = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    newcomer = make_user("practitioner", organisation=other_org)
    assert (
        make_client(newcomer)
        .api("POST", "/api/v1/record/import", data=first, content_type="application/zip")
        .status_code
        == 201
    )
    with app.app_context():
        sign_off = db.session.scalars(
            select(SignOff).join(Entry, Entry.id == SignOff.entry_id).where(Entry.owner_id == newcomer.id)
        ).one()
        from logbook.entries.models import EntryRevision

        revision = db.session.get(EntryRevision, (sign_off.entry_id, sign_off.entry_version))
        revision.content = {**revision.content, "title": "Quietly improved title"}
        db.session.commit()
        assert verify_sign_off(sign_off, ring=KeyRing.of(app)).problems


def _rezip(data: bytes, change) -> bytes:
    files = unzip(data)
    record = json.loads(files["record.json"])
    change(record)
    files["record.json"] = json.dumps(record).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return out.getvalue()


def _tamper_title(record):
    record["entries"][0]["revisions"][0]["content"]["title"] = "Altered"


def _huge_title(record):
    entry = record["entries"][0]
    entry["revisions"] = entry["revisions"][:0]


def _future_version(record):
    record["format_version"] = 99


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_tamper_title, "does not match its hash"),
        (_huge_title, "is not that of its version"),
        (_future_version, "not supported"),
    ],
)
def test_altered_or_foreign_records_are_refused(
    app, me, rich_record, make_user, make_client, other_org, change, reason
):
    first = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    there = make_client(make_user("practitioner", organisation=other_org))
    response = there.api(
        "POST", "/api/v1/record/import", data=_rezip(first, change), content_type="application/zip"
    )
    assert response.status_code == 422
    assert reason in response.get_json()["error"]["fields"]["file"][0]
    with app.app_context():
        assert db.session.query(Entry).filter(Entry.organisation_id == other_org.id).count() == 0


@pytest.mark.parametrize(
    "body", [b"", b"not a zip", b"PK\x03\x04broken", json.dumps({"format": "x"}).encode()]
)
def test_bad_bytes_are_a_422_naming_the_file(me, body):
    response = me.api("POST", "/api/v1/record/import", data=body, content_type="application/zip")
    assert response.status_code == 422
    assert "file" in response.get_json()["error"]["fields"]


def test_a_crafted_record_with_consistent_hashes_but_bad_fields_is_refused(
    app, me, rich_record, make_user, make_client, other_org
):
    """Anyone can compute SHA-256: a record whose hashes agree is checked like any API input."""
    from logbook.exports.record import _revision_hash

    def oversize(record):
        entry = record["entries"][0]
        entry["content"]["title"] = "x" * 5000
        for rev in entry["revisions"]:
            rev["content"]["title"] = "x" * 5000
            rev["content_sha256"] = _revision_hash(entry["hashed_as"], rev["version"], rev["content"])
        entry["sign_offs"] = []

    first = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    there = make_client(make_user("practitioner", organisation=other_org))
    response = there.api(
        "POST", "/api/v1/record/import", data=_rezip(first, oversize), content_type="application/zip"
    )
    assert response.status_code == 422
    assert "title" in response.get_json()["error"]["fields"]["file"][0]


def test_cli_export_and_import(app, rich_record, practitioner, make_user, other_org, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    runner = CliRunner()
    out = tmp_path / "record.zip"
    result = runner.invoke(cli.main, ["export-record", "--user", practitioner.email, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "record.json" in zipfile.ZipFile(out).namelist()

    newcomer = make_user("practitioner", organisation=other_org)
    result = runner.invoke(
        cli.main, ["import-record", str(out), "--organisation", other_org.slug, "--email", newcomer.email]
    )
    assert result.exit_code == 0, result.output
    assert "3 entries, 1 sign-offs" in result.output
    result = runner.invoke(
        cli.main, ["import-record", str(out), "--organisation", other_org.slug, "--email", practitioner.email]
    )
    assert result.exit_code != 0
    assert "No account" in result.output


def test_a_record_cannot_claim_someone_elses_file_by_its_hash(
    app, me, rich_record, make_user, make_client, other_org
):
    victim = make_client(make_user("practitioner", organisation=other_org))
    out = io.BytesIO()
    Image.new("RGB", (5, 5), (0, 90, 200)).save(out, format="PNG")
    secret_file = out.getvalue()
    secret_sha = hashlib.sha256(secret_file).hexdigest()
    assert victim.api("PUT", f"/api/v1/evidence/{secret_sha}", data=secret_file).status_code == 201

    def claim(record):
        record["evidence"][0]["sha256"] = secret_sha

    first = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    attacker = make_client(make_user("practitioner", organisation=other_org))
    response = attacker.api(
        "POST", "/api/v1/record/import", data=_rezip(first, claim), content_type="application/zip"
    )
    assert response.status_code == 422
    assert "not the file this logbook holds" in response.get_json()["error"]["fields"]["file"][0]
    assert attacker.get(f"/api/v1/evidence/{secret_sha}").status_code == 404


def test_evidence_that_is_not_an_accepted_type_is_refused(
    app, me, rich_record, make_user, make_client, other_org
):
    first = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    files = unzip(first)
    record = json.loads(files["record.json"])
    script = b"<script>alert(1)</script>"
    item = record["evidence"][0]
    del files[item["path"]]
    item["stored_sha256"] = hashlib.sha256(script).hexdigest()
    item["path"] = f"evidence/{item['stored_sha256']}"
    item["media_type"] = "image/png"
    files[item["path"]] = script
    files["record.json"] = json.dumps(record).encode()
    body = io.BytesIO()
    with zipfile.ZipFile(body, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    there = make_client(make_user("practitioner", organisation=other_org))
    response = there.api(
        "POST", "/api/v1/record/import", data=body.getvalue(), content_type="application/zip"
    )
    assert response.status_code == 422
    assert "is not a JPEG, PNG" in response.get_json()["error"]["fields"]["file"][0]


def test_evidence_larger_than_the_upload_limit_is_refused(
    app, me, rich_record, make_user, make_client, other_org
):
    first = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    app.config["EVIDENCE_MAX_BYTES"] = 20
    there = make_client(make_user("practitioner", organisation=other_org))
    response = there.api("POST", "/api/v1/record/import", data=first, content_type="application/zip")
    assert response.status_code == 422
    assert "larger than 20 bytes" in response.get_json()["error"]["fields"]["file"][0]


@pytest.mark.parametrize(
    ("gaps", "said"),
    [
        ([{"starts_on": "2025-05-01", "ends_on": "2025-01-01", "reason": "Ill"}], "gap explanation 1"),
        ([{"starts_on": "2025-01-01", "ends_on": "2025-02-01", "reason": ""}], "gap explanation 1"),
        ("not a list", "gap_explanations"),
    ],
)
def test_a_record_with_a_bad_gap_explanation_is_refused_and_nothing_is_written(
    app, me, rich_record, make_user, make_client, other_org, gaps, said
):
    first = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    there = make_client(make_user("practitioner", organisation=other_org))

    def bad(record):
        record["gap_explanations"] = gaps

    response = there.api(
        "POST", "/api/v1/record/import", data=_rezip(first, bad), content_type="application/zip"
    )
    assert response.status_code == 422, response.get_json()
    assert said in response.get_json()["error"]["fields"]["file"][0]
    assert there.get("/api/v1/me/gap-explanations").get_json()["items"] == []
    assert there.get("/api/v1/entries").get_json()["items"] == []
