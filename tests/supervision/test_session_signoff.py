"""Sign-off of supervision session records: either party asks, the other signs the version (and hash)
they read; the signed record is kept so an old sign-off still verifies after an edit; tampering with
the session row, the kept record or the sign-off row is found by `logbook audit verify`."""

import uuid

import pytest
from sqlalchemy import update

from logbook import cli
from logbook.config import KeyRing
from logbook.extensions import db
from logbook.supervision.models import SessionSignOff, SupervisionSession
from logbook.supervision.signoff import verify_everything
from tests.supervision.test_sessions import record

VALID = {
    "status": "valid",
    "label": "Valid",
    "reason": "",
    "is_valid": True,
    "problems": [],
    "kid": None,
    "is_imported": False,
    "withdrawal": None,
}


def ask(client, session, **extra):
    return client.api(
        "POST",
        f"/api/v1/supervision/sessions/{session['id']}/sign-off-requests",
        json={"session_version": session["version"], **extra},
    )


def decide(client, item, decision="approved", **extra):
    return client.api(
        "POST",
        f"/api/v1/supervision/sessions/{item['session_id']}/sign-offs",
        json={
            "session_version": item["session_version"],
            "content_sha256": item["content_sha256"],
            "decision": decision,
            **extra,
        },
    )


@pytest.fixture
def signed(me, boss, supervisor, practitioner):
    """A session record the practitioner asked the supervisor to sign, signed: (session, sign-off)."""
    session = record(me, supervisor, practitioner, 2, summary="Reviewed the Child in Need plans.")
    assert ask(me, session, message="For my ASYE portfolio").status_code == 201
    [item] = boss.get("/api/v1/supervision/sign-off-requests").get_json()["items"]
    response = decide(boss, item, comment="An accurate record.")
    assert response.status_code == 201, response.get_json()
    return session, response.get_json()


def test_practitioner_asks_supervisor_signs_and_it_verifies(signed, me, boss, supervisor, practitioner):
    session, sign_off = signed
    assert sign_off["signer_user_id"] == str(supervisor.id)
    assert sign_off["session_version"] == session["version"]
    assert sign_off["content_sha256"] == session["content_sha256"]
    assert sign_off["content"]["summary"] == "Reviewed the Child in Need plans."
    assert sign_off["verification"] | {"kid": None} == VALID
    [mine] = me.get("/api/v1/supervision/sign-off-requests?scope=mine&state=all").get_json()["items"]
    assert (mine["state"], mine["signer_name"]) == ("approved", supervisor.name)
    assert boss.get("/api/v1/supervision/sign-off-requests").get_json()["items"] == []  # queue emptied
    listed = me.get(f"/api/v1/supervision/sessions/{session['id']}/sign-offs").get_json()["items"]
    assert [s["id"] for s in listed] == [sign_off["id"]]


def test_either_party_may_ask_and_the_other_signs(me, boss, supervisor, practitioner):
    session = record(boss, supervisor, practitioner, 3, summary="Group case discussion.")
    asked = ask(boss, session)
    assert asked.status_code == 201
    assert asked.get_json()["signer_id"] == str(practitioner.id)
    [item] = me.get("/api/v1/supervision/sign-off-requests").get_json()["items"]
    assert decide(me, item, "returned", comment="Add the action on the CP conference.").status_code == 201


def test_refusals(me, boss, make_client, make_user, supervisor, practitioner):
    session = record(me, supervisor, practitioner, 4)
    outsider = make_client(make_user("practitioner", "supervisor"))
    assert ask(outsider, session).status_code == 404  # not a party: looks missing
    assert ask(me, {**session, "version": 7}).status_code == 409
    item = {"session_id": session["id"], "session_version": 1, "content_sha256": session["content_sha256"]}
    nobody = decide(boss, item)
    assert (nobody.status_code, nobody.get_json()["error"]["code"]) == (409, "not_requested")
    assert ask(me, session).status_code == 201
    assert decide(me, item).status_code == 409  # the asker cannot sign their own request
    assert decide(outsider, item).status_code == 404
    no_comment = decide(boss, item, "returned")
    assert no_comment.status_code == 422
    assert "comment" in no_comment.get_json()["error"]["fields"]
    wrong_hash = decide(boss, {**item, "content_sha256": "a" * 64})
    assert wrong_hash.get_json()["error"]["code"] == "content_mismatch"
    # The record changes after the supervisor read it: no signature on text they did not see.
    me.api(
        "PATCH", f"/api/v1/supervision/sessions/{session['id']}", json={"base_version": 1, "summary": "New"}
    )
    changed = decide(boss, item, request_id=None)
    assert changed.status_code == 409
    assert boss.get("/api/v1/supervision/sign-off-requests").get_json()["items"] == []


def test_edit_after_sign_off_keeps_the_old_sign_off_verifiable(app, signed, me):
    session, _ = signed
    edited = me.api(
        "PATCH",
        f"/api/v1/supervision/sessions/{session['id']}",
        json={"base_version": session["version"], "summary": "Reviewed plans; added the LADO referral."},
    ).get_json()
    assert edited["version"] == session["version"] + 1
    [kept] = me.get(f"/api/v1/supervision/sessions/{session['id']}/sign-offs").get_json()["items"]
    # The signature and the kept record still hold; the reader is told the record moved on since.
    assert kept["verification"]["status"] == "changed"
    assert kept["verification"]["problems"] == []
    assert "changed after it was signed" in kept["verification"]["reason"]
    assert kept["content"]["summary"] == "Reviewed the Child in Need plans."
    with app.app_context():
        assert verify_everything(ring=KeyRing.of(app)).is_ok


def tamper(app, statement):
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def test_tampering_with_the_signed_session_row_is_named(app, signed, runner):
    session, sign_off = signed
    tamper(
        app,
        update(SupervisionSession)
        .where(SupervisionSession.id == uuid.UUID(session["id"]))
        .values(summary="Nothing of concern was discussed."),
    )
    result = runner.invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"session sign-off {sign_off['id']}" in result.output
    assert "changed outside the app after it was signed" in result.output


def test_tampering_with_the_sign_off_row_or_its_kept_record_is_named(app, signed, me, runner):
    session, sign_off = signed
    tamper(
        app,
        update(SessionSignOff)
        .where(SessionSignOff.id == uuid.UUID(sign_off["id"]))
        .values(comment="Signed without reading."),
    )
    [seen] = me.get(f"/api/v1/supervision/sessions/{session['id']}/sign-offs").get_json()["items"]
    assert "the sign-off record was changed after it was made" in seen["verification"]["problems"]
    tamper(
        app,
        update(SessionSignOff)
        .where(SessionSignOff.id == uuid.UUID(sign_off["id"]))
        .values(content={**sign_off["content"], "summary": "Rewritten."}),
    )
    result = runner.invoke(cli.main, ["audit", "verify"])
    assert result.exit_code == 1
    assert "was changed after signing" in result.output
    assert f"session sign-off {sign_off['id']}" in result.output
