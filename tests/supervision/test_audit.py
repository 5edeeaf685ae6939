"""Tamper evidence: direct database edits of entries, revisions, sign-offs or audit events are found,
and `logbook audit verify` names them."""

import uuid

import pytest
from sqlalchemy import select, text, update

from logbook import cli
from logbook.audit.models import AuditEvent
from logbook.audit.service import GENESIS, verify_chain
from logbook.config import KeyRing
from logbook.entries.models import Entry, EntryRevision
from logbook.extensions import db
from logbook.supervision.models import SignOff
from logbook.supervision.signoff import verify_everything
from tests.factories import make_entry, request_from


@pytest.fixture
def signed(make_client, practitioner, supervisor, supervised):
    """An entry signed off by the supervisor: (entry id, sign-off id, signed version)."""
    me, boss = make_client(practitioner), make_client(supervisor)
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id))
    [item] = boss.get("/api/v1/sign-off-requests").get_json()["items"]
    sign_off = boss.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": "approved",
        },
    ).get_json()
    return uuid.UUID(entry["id"]), sign_off["id"], item["entry_version"]


def tamper(app, statement):
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def test_untouched_everything_verifies(app, signed, runner):
    with app.app_context():
        report = verify_everything(ring=KeyRing.of(app))
        assert report.is_ok, report.problems
        assert report.chain.checked == 2  # the request and the sign-off
        first = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq))
        assert first.prev_hash == GENESIS
    result = runner.invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "Audit chain intact: 2 events" in result.output


def test_changed_signed_revision_text_is_found(app, signed, runner):
    entry_id, sign_off_id, version = signed
    with app.app_context():
        revision = db.session.get(EntryRevision, (entry_id, version))
        revision.content = {**revision.content, "description": "Something the supervisor never read."}
        db.session.commit()
    result = runner.invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"sign-off {sign_off_id}" in result.output
    assert f"stored text of version {version} was changed" in result.output


def test_changed_revision_text_and_its_hash_are_found(app, signed):
    from logbook.entries.service import revision_content_hash

    entry_id, _sign_off_id, version = signed
    with app.app_context():
        entry = db.session.get(Entry, entry_id)
        revision = db.session.get(EntryRevision, (entry.id, version))
        revision.content = {**revision.content, "description": "Forged."}
        revision.content_sha256 = revision_content_hash(owner_id=entry.owner_id, revision=revision)
        db.session.commit()
        problems = verify_everything(ring=KeyRing.of(app)).problems
    assert any("is not the text that was signed" in p for p in problems)


def test_changed_live_entry_text_is_found(app, signed, runner):
    entry_id, _, _ = signed
    with app.app_context():
        entry = db.session.get(Entry, entry_id)
        entry_uuid = entry.id
    tamper(app, update(Entry).where(Entry.id == entry_uuid).values(description="Edited in the database."))
    result = runner.invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {entry_uuid}: its current text differs" in result.output


@pytest.mark.parametrize(
    "change",
    [
        {"comment": "Added later"},
        {"decision": "returned"},
        {"signer_name": "Someone Else"},
        {"content_sha256": "a" * 64},
        {"entry_version": 1},
    ],
)
def test_changed_sign_off_row_is_found(app, signed, runner, change):
    _, sign_off_id, _ = signed
    with app.app_context():
        row = db.session.get(SignOff, uuid.UUID(sign_off_id))
        for name, value in change.items():
            setattr(row, name, value)
        db.session.commit()
    result = runner.invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"sign-off {sign_off_id}" in result.output


def test_changed_audit_event_breaks_the_chain_at_that_event(app, signed, runner):
    with app.app_context():
        second = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()[1]
        seq = second.seq
        second.data = {**second.data, "sign_off_sha256": "b" * 64}
        db.session.commit()
        report = verify_chain()
    assert (report.is_ok, report.broken_seq) == (False, seq)
    result = runner.invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"Audit chain BROKEN at event {seq}: its content no longer matches" in result.output


def test_removed_audit_event_is_found(app, signed, runner):
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        seq_after = events[1].seq
        db.session.delete(events[0])
        db.session.commit()
    result = runner.invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at event {seq_after}: does not link" in result.output


def test_removed_sign_off_audit_record_is_found(app, signed):
    _, _sign_off_id, _ = signed
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_event WHERE kind = 'sign_off.approved'"))
        db.session.commit()
        report = verify_everything(ring=KeyRing.of(app))
    assert not report.is_ok
    assert any("no record of this sign-off" in p for p in report.problems)


def test_tampered_sign_off_shows_invalid_in_the_api(app, signed, make_client, practitioner):
    _entry_id, sign_off_id, _ = signed
    with app.app_context():
        row = db.session.get(SignOff, uuid.UUID(sign_off_id))
        row.comment = "Inserted later"
        db.session.commit()
    body = make_client(practitioner).get(f"/api/v1/sign-offs/{sign_off_id}").get_json()
    assert body["verification"]["is_valid"] is False
    assert "the sign-off record was changed after it was made" in body["verification"]["problems"]


def test_changed_confirmed_supervision_record_is_found(
    app, make_client, practitioner, supervisor, supervised, runner
):
    import datetime as dt

    from logbook.supervision.models import SupervisionSession

    me, boss = make_client(practitioner), make_client(supervisor)
    session = boss.api(
        "POST",
        "/api/v1/supervision/sessions",
        json={
            "supervisor_id": str(supervisor.id),
            "supervisee_id": str(practitioner.id),
            "starts_at": dt.datetime.now(dt.UTC).isoformat(),
            "summary": "Agreed plan.",
        },
    ).get_json()
    for client in (me, boss):
        client.api("POST", f"/api/v1/supervision/sessions/{session['id']}/confirm", json={"version": 1})
    assert runner.invoke(cli.main, ["audit", "verify"]).exit_code == 0
    tamper(
        app,
        update(SupervisionSession)
        .where(SupervisionSession.id == uuid.UUID(session["id"]))
        .values(summary="A different plan."),
    )
    result = runner.invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"supervision session {session['id']}: the record differs" in result.output
