"""Withdrawing a sign-off (#22): by its signer or an org admin, with a reason; sealed as a signed
statement through the sign-off core, audited, no longer counted by progress, the practitioner told.
Adversaries: another supervisor, the practitioner, another organisation's admin; twice; tampering."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from logbook.audit import service as audit
from logbook.audit.service import verify_chain
from logbook.config import KeyRing
from logbook.extensions import db
from logbook.portfolio.service import verification_code_for
from logbook.supervision import signcore
from logbook.supervision.models import SignOff, SignOffWithdrawal
from tests import factories
from tests.factories import TODAY, make_entry, sign
from tests.helpers import run_job, unzip

REASON = "Signed in error: the study day was cancelled and never took place."


@pytest.fixture
def counted(app, shipped, practitioner, me, boss, supervisor):
    """A social worker's entry of today, signed off by their supervisor: (entry, sign-off)."""
    factories.registration(app, practitioner, "SWE", "social worker", framework_id="swe")
    entry = make_entry(me, start_date=TODAY.isoformat())
    return entry, sign(me, boss, entry, supervisor.id)


def withdraw(client, sign_off_id, reason=REASON):
    return client.api("POST", f"/api/v1/sign-offs/{sign_off_id}/withdraw", json={"reason": reason})


def signed_off_in_current_cycle(client) -> int:
    body = client.get("/api/v1/progress").get_json()
    [person] = body["people"]
    [reg] = person["registrations"]
    current = next(c for c in reg["cycles"] if c["which"] == "current")
    return current["numbers"]["signed_off"]


def test_the_signer_withdraws_and_nothing_counts_it_any_more(counted, me, boss, app, outbox, practitioner):
    entry, sign_off = counted
    assert signed_off_in_current_cycle(me) == 1
    assert me.get("/api/v1/progress/inputs").get_json()["signatures"] == {entry["id"]: ["supervisor"]}
    listed = boss.get(f"/api/v1/entries/{entry['id']}/sign-offs").get_json()["items"]
    assert listed[0]["can_withdraw"] is True
    assert me.get(f"/api/v1/entries/{entry['id']}/sign-offs").get_json()["items"][0]["can_withdraw"] is False

    done = withdraw(boss, sign_off["id"])
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["verification"]["status"] == "withdrawn"
    assert body["verification"]["is_valid"] is False
    assert body["verification"]["label"] == "Withdrawn"
    assert REASON in body["verification"]["reason"]
    assert body["verification"]["withdrawal"]["withdrawn_as"] == "signer"
    assert body["verification"]["withdrawal"]["reason"] == REASON
    assert body["verification"]["problems"] == []  # withdrawn is not tampering
    assert body["can_withdraw"] is False

    # Every surface stops counting it: progress, the phone's inputs, the entry's own status.
    assert signed_off_in_current_cycle(me) == 0
    assert me.get("/api/v1/progress/inputs").get_json()["signatures"] == {}
    now = me.get(f"/api/v1/entries/{entry['id']}").get_json()
    assert now["status"] == "recorded"
    assert now["version"] == sign_off["entry_version"] + 2  # approved, then withdrawn: each a version

    # The practitioner is told, in the app and by email, with the reason.
    notes = me.get("/api/v1/notifications").get_json()["items"]
    [note] = [n for n in notes if n["kind"] == "sign_off_withdrawn"]
    assert note["body"] == REASON
    assert any(REASON in str(m) for m in outbox)

    with app.app_context():
        row = db.session.get(SignOff, uuid.UUID(sign_off["id"]))
        events = audit.events_for(subject_type="sign_off", subject_id=row.id)
        assert [e.kind for e in events] == ["sign_off.approved", "sign_off.withdrawn"]
        assert events[1].data["reason"] == REASON
        assert events[1].actor.startswith("user:")
        assert verify_chain().is_ok
        assert signcore.standing_roles([row.entry_id], ring=KeyRing.of(app)) == {}
        # The withdrawal is itself a signed statement the organisation's key verifies.
        withdrawal = signcore.withdrawal_of(row)
        assert withdrawal is not None
        assert withdrawal.statement.count(".") == 2


def test_the_practitioner_can_ask_again_after_a_withdrawal(counted, me, boss, supervisor):
    entry, sign_off = counted
    assert withdraw(boss, sign_off["id"]).status_code == 200
    fresh = me.get(f"/api/v1/entries/{entry['id']}").get_json()
    again = sign(me, boss, fresh, supervisor.id)
    assert again["verification"]["status"] == "valid"
    assert signed_off_in_current_cycle(me) == 1


def test_withdrawing_twice_is_a_conflict(counted, boss, admin_client):
    _, sign_off = counted
    assert withdraw(boss, sign_off["id"]).status_code == 200
    for client in (boss, admin_client):
        again = withdraw(client, sign_off["id"], "again")
        assert again.status_code == 409
        assert again.get_json()["error"]["code"] == "already_withdrawn"


def test_who_may_not_withdraw(counted, me, make_user, make_client, other_org, app):
    _, sign_off = counted
    other_supervisor = make_client(make_user("practitioner", "supervisor"))
    colleague = make_client(make_user("practitioner"))
    foreign_admin = make_client(make_user("practitioner", "org_admin", organisation=other_org))
    for outsider in (other_supervisor, colleague, foreign_admin):
        refused = withdraw(outsider, sign_off["id"])
        assert refused.status_code == 404, refused.get_json()
        assert refused.get_json()["error"]["code"] == "not_found"
    own = withdraw(me, sign_off["id"])
    assert own.status_code == 403
    assert (
        make_client()
        .api("POST", f"/api/v1/sign-offs/{sign_off['id']}/withdraw", json={"reason": "x"})
        .status_code
        == 401
    )
    assert withdraw(other_supervisor, uuid.uuid4()).status_code == 404
    with app.app_context():
        assert db.session.scalars(select(SignOffWithdrawal)).all() == []
    assert signed_off_in_current_cycle(me) == 1


def test_an_org_admin_may_withdraw(counted, me, admin_client):
    _, sign_off = counted
    done = withdraw(admin_client, sign_off["id"])
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["verification"]["withdrawal"]["withdrawn_as"] == "org_admin"
    assert signed_off_in_current_cycle(me) == 0


def test_a_reason_is_required_and_a_return_cannot_be_withdrawn(counted, boss, me, supervisor):
    _, sign_off = counted
    for reason in ("", "   "):
        refused = withdraw(boss, sign_off["id"], reason)
        assert refused.status_code in (400, 422), refused.get_json()
        assert "reason" in refused.get_json()["error"]["fields"]
    returned_entry = make_entry(me, title="Returned one", start_date=TODAY.isoformat())
    asked = factories.request_from(me, returned_entry, supervisor_id=str(supervisor.id)).get_json()
    decided = boss.api(
        "POST",
        f"/api/v1/entries/{returned_entry['id']}/sign-offs",
        json={
            "entry_version": asked["entry_version"],
            "content_sha256": asked["content_sha256"],
            "decision": "returned",
            "comment": "Add the date.",
        },
    ).get_json()
    refused = withdraw(boss, decided["id"])
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "not_approved"


def test_a_tampered_or_removed_withdrawal_does_not_verify(counted, boss, app):
    _, sign_off = counted
    assert withdraw(boss, sign_off["id"]).status_code == 200
    with app.app_context():
        row = db.session.get(SignOff, uuid.UUID(sign_off["id"]))
        withdrawal = signcore.withdrawal_of(row)
        withdrawal.reason = "Something else"
        db.session.flush()
        assert signcore.verify(row, ring=KeyRing.of(app)).status == "invalid"
        db.session.rollback()
        row = db.session.get(SignOff, uuid.UUID(sign_off["id"]))
        db.session.delete(signcore.withdrawal_of(row))
        db.session.flush()
        result = signcore.verify(row, ring=KeyRing.of(app))
        assert result.status == "invalid"
        assert "withdrawal record is missing" in result.reason
        db.session.rollback()


def test_the_public_verification_page_says_withdrawn_without_the_reason(counted, boss, app, client):
    _, sign_off = counted
    assert withdraw(boss, sign_off["id"]).status_code == 200
    with app.app_context():
        row = db.session.get(SignOff, uuid.UUID(sign_off["id"]))
        code = verification_code_for(row)
        db.session.commit()
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert "Withdrawn." in page
    assert "Priya Supervisor" in page
    assert REASON not in page


def test_a_withdrawn_sign_off_leaves_a_record_export_without_its_statement(counted, me, boss, app):
    entry, sign_off = counted
    kept = make_entry(me, title="Still signed", start_date=TODAY.isoformat())
    sign(me, boss, kept, sign_off["signer_user_id"])
    assert withdraw(boss, sign_off["id"]).status_code == 200
    record = json.loads(unzip(run_job(app, me, me.api("POST", "/api/v1/record/export")))["record.json"])
    by_entry = {e["id"]: e["sign_offs"] for e in record["entries"]}
    [withdrawn] = by_entry[entry["id"]]
    assert withdrawn["statement"] is None  # an import elsewhere keeps it "Imported, not verified"
    [standing] = by_entry[kept["id"]]
    assert standing["statement"]
