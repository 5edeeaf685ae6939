"""Sign-off over the API: request, approve, return, resubmit, edit after sign-off, access, NMC roles."""

import uuid

import pytest
from sqlalchemy import select

from logbook.audit.service import verify_chain
from logbook.extensions import db
from logbook.supervision.models import SignOffRequest
from tests import factories
from tests.factories import TODAY, make_entry, request_from

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


def queue(client):
    response = client.get("/api/v1/sign-off-requests?scope=queue")
    assert response.status_code == 200
    return response.get_json()["items"]


def decide(client, item, decision="approved", **extra):
    return client.api(
        "POST",
        f"/api/v1/entries/{item['entry_id']}/sign-offs",
        json={
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": decision,
            **extra,
        },
    )


def get_entry(client, entry_id):
    return client.get(f"/api/v1/entries/{entry_id}").get_json()


def sign_offs(client, entry_id):
    response = client.get(f"/api/v1/entries/{entry_id}/sign-offs")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_request_then_approve(app, me, boss, supervisor, practitioner):
    entry = make_entry(me)
    asked = request_from(me, entry, supervisor_id=str(supervisor.id), message="For my portfolio")
    assert asked.status_code == 201, asked.get_json()
    assert asked.get_json()["entry_version"] == 2
    assert get_entry(me, entry["id"])["status"] == "submitted"

    [item] = queue(boss)
    assert item["message"] == "For my portfolio"
    assert item["requested_by_name"] == practitioner.name  # the queue says whose entry it is
    approved = decide(boss, item, comment="A good record")
    assert approved.status_code == 201, approved.get_json()
    body = approved.get_json()
    assert body["decision"] == "approved"
    assert body["signer_user_id"] == str(supervisor.id)
    assert body["entry_version"] == 2
    assert body["content_sha256"] == item["content_sha256"]
    assert body["verification"] | {"kid": None} == VALID

    now = get_entry(me, entry["id"])
    assert now["status"] == "signed_off"
    assert queue(boss) == []
    [mine] = me.get("/api/v1/sign-off-requests?scope=mine&state=all").get_json()["items"]
    assert mine["state"] == "approved"
    with app.app_context():
        assert verify_chain().is_ok


def test_request_return_edit_resubmit_approve(me, boss, supervisor):
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id))
    [item] = queue(boss)
    returned = decide(boss, item, "returned", comment="Say what you will do differently.")
    assert returned.status_code == 201
    current = get_entry(me, entry["id"])
    assert current["status"] == "returned"

    edited = me.api(
        "PATCH",
        f"/api/v1/entries/{entry['id']}",
        json={
            "base_version": current["version"],
            "impact_on_practice": "I now use the profile at every visit.",
        },
    )
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json()["status"] == "recorded"
    assert request_from(me, edited.get_json(), supervisor_id=str(supervisor.id)).status_code == 201
    [again] = queue(boss)
    assert again["entry_version"] == edited.get_json()["version"] + 1
    assert decide(boss, again).status_code == 201
    history = sign_offs(me, entry["id"])
    assert [s["decision"] for s in history] == ["returned", "approved"]
    # The return was of the text before the edit: it holds, and says the entry changed since.
    assert [s["verification"]["status"] for s in history] == ["changed", "valid"]
    assert all(s["verification"]["problems"] == [] for s in history)
    assert get_entry(me, entry["id"])["status"] == "signed_off"


def test_edit_after_sign_off_makes_an_unsigned_version_and_the_old_sign_off_still_verifies(
    me, boss, supervisor
):
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id))
    [item] = queue(boss)
    assert decide(boss, item).status_code == 201
    signed = get_entry(me, entry["id"])
    edited = me.api(
        "PATCH",
        f"/api/v1/entries/{entry['id']}",
        json={"base_version": signed["version"], "description": "Rewritten after signing."},
    )
    assert edited.status_code == 200
    assert edited.get_json()["status"] == "recorded"
    assert edited.get_json()["version"] == signed["version"] + 1
    [old] = sign_offs(boss, entry["id"])
    assert old["entry_version"] == item["entry_version"]
    # The signature and the signed version still hold; a reader is told the entry moved on since.
    assert old["verification"]["status"] == "changed"
    assert old["verification"]["problems"] == []
    assert boss.get(f"/api/v1/sign-offs/{old['id']}").get_json()["verification"]["status"] == "changed"


def test_a_decision_on_a_version_the_supervisor_did_not_read_is_a_conflict(me, boss, supervisor):
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id))
    [item] = queue(boss)
    me.api(
        "PATCH",
        f"/api/v1/entries/{entry['id']}",
        json={"base_version": item["entry_version"], "description": "Changed while the supervisor read it."},
    )
    stale = decide(boss, item)
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "entry_changed"
    assert f"you saw version {item['entry_version']}" in error["message"]
    assert sign_offs(me, entry["id"]) == []
    assert queue(boss) == []  # waiting for the practitioner to ask again, not for the supervisor


def test_a_wrong_hash_is_a_conflict(me, boss, supervisor):
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id))
    [item] = queue(boss)
    response = decide(boss, {**item, "content_sha256": "0" * 64})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "content_mismatch"


def test_returning_needs_a_comment(me, boss, supervisor):
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id))
    [item] = queue(boss)
    response = decide(boss, item, "returned")
    assert response.status_code == 422
    assert "comment" in response.get_json()["error"]["fields"]


def test_revoked_request_cannot_be_decided(app, me, boss, supervisor):
    entry = make_entry(me)
    asked = request_from(me, entry, supervisor_id=str(supervisor.id)).get_json()
    [item] = queue(boss)
    revoked = me.api("DELETE", f"/api/v1/sign-off-requests/{asked['id']}")
    assert revoked.status_code == 200
    assert revoked.get_json()["state"] == "cancelled"
    assert get_entry(me, entry["id"])["status"] == "recorded"
    assert decide(boss, item).status_code == 409
    assert me.api("DELETE", f"/api/v1/sign-off-requests/{asked['id']}").status_code == 409


def test_a_new_request_supersedes_the_open_one(app, me, supervisor):
    entry = make_entry(me)
    first = request_from(me, entry, supervisor_id=str(supervisor.id)).get_json()
    current = get_entry(me, entry["id"])
    second = request_from(me, current, supervisor_id=str(supervisor.id)).get_json()
    with app.app_context():
        states = {r.id.hex: r.state for r in db.session.scalars(select(SignOffRequest))}
    assert states == {first["id"].replace("-", ""): "superseded", second["id"].replace("-", ""): "open"}


def test_request_validation(me, supervisor, make_user):
    entry = make_entry(me)
    stranger = make_user("supervisor")
    cases = [
        ({"supervisor_id": str(stranger.id)}, 422),
        ({}, 422),
        ({"supervisor_id": str(supervisor.id), "external": {"name": "A", "email": "a@b.example"}}, 422),
        ({"supervisor_id": str(supervisor.id), "entry_version": 99}, 409),
    ]
    for body, status in cases:
        response = me.api(
            "POST",
            f"/api/v1/entries/{entry['id']}/sign-off-requests",
            json={"entry_version": entry["version"], **body},
        )
        assert response.status_code == status, (body, response.get_json())
    draft = make_entry(me, status="draft")
    assert request_from(me, draft, supervisor_id=str(supervisor.id)).status_code == 422


def test_private_entry_is_shared_with_supervisors_when_sign_off_is_requested(me, boss, supervisor):
    entry = make_entry(me, visibility="private")
    assert request_from(me, entry, supervisor_id=str(supervisor.id)).status_code == 201
    assert get_entry(me, entry["id"])["visibility"] == "supervisors"
    assert boss.get(f"/api/v1/entries/{entry['id']}").status_code == 200


# --- access table ----------------------------------------------------------------------------

ACCESS = [
    # who tries to decide, expected status
    ("the addressed supervisor", 201),
    ("the practitioner themself", 403),
    ("a supervisor who does not supervise them", 404),
    ("another supervisor of theirs, not asked", 409),
    ("a colleague without the supervisor role", 404),
    ("a supervisor in another organisation", 404),
]


@pytest.mark.parametrize(("who", "expected"), ACCESS)
def test_who_may_sign(app, who, expected, me, practitioner, supervisor, make_user, make_client, other_org):
    entry = make_entry(me)
    asked = request_from(me, entry, supervisor_id=str(supervisor.id)).get_json()
    item = {
        "entry_id": entry["id"],
        "entry_version": asked["entry_version"],
        "content_sha256": asked["content_sha256"],
    }
    if who == "the addressed supervisor":
        actor = supervisor
    elif who == "the practitioner themself":
        actor = practitioner
    elif who == "another supervisor of theirs, not asked":
        actor = make_user("supervisor")
        factories.supervise(app, actor, practitioner, kind="clinical", starts_on=TODAY)
    elif who == "a colleague without the supervisor role":
        actor = make_user("practitioner")
    elif who == "a supervisor in another organisation":
        actor = make_user("supervisor", organisation=other_org)
    else:
        actor = make_user("supervisor")
    response = decide(make_client(actor), item)
    assert response.status_code == expected, response.get_json()


def test_queue_is_for_supervisors_only(make_client, practitioner):
    assert make_client(practitioner).get("/api/v1/sign-off-requests?scope=queue").status_code == 403


def test_sign_offs_are_hidden_from_people_who_cannot_see_the_entry(
    me, boss, supervisor, make_user, make_client
):
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id))
    [item] = queue(boss)
    sign_off = decide(boss, item).get_json()
    outsider = make_client(make_user("supervisor"))
    assert outsider.get(f"/api/v1/entries/{entry['id']}/sign-offs").status_code == 404
    assert outsider.get(f"/api/v1/sign-offs/{sign_off['id']}").status_code == 404


# --- NMC roles -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "number", "expected"),
    [
        (None, None, 422),
        ("NMC", "not-a-pin", 422),
        ("HCPC", "SL12345", 422),  # the reflective discussion partner must be an NMC registrant
        ("NMC", "12a3456e", 201),
    ],
)
def test_reflective_discussion_partner_signs_with_an_nmc_pin(me, boss, supervisor, body, number, expected):
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id), signer_role="reflective_discussion_partner")
    [item] = queue(boss)
    extra = {k: v for k, v in {"registration_body": body, "registration_number": number}.items() if v}
    response = decide(boss, item, **extra)
    assert response.status_code == expected, response.get_json()
    if expected == 201:
        assert response.get_json()["signer_role"] == "reflective_discussion_partner"
        assert response.get_json()["registration_number"] == "12A3456E"


def test_approved_roles_count_only_the_current_signed_text(app, me, boss, supervisor, practitioner):
    from logbook.supervision.signoff import approved_roles

    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id), signer_role="reflective_discussion_partner")
    [item] = queue(boss)
    assert decide(boss, item, registration_body="NMC", registration_number="12A3456E").status_code == 201
    with app.app_context():
        assert approved_roles(owner_id=practitioner.id) == {
            uuid.UUID(entry["id"]): {"reflective_discussion_partner"}
        }
    signed = get_entry(me, entry["id"])
    me.api(
        "PATCH", f"/api/v1/entries/{entry['id']}", json={"base_version": signed["version"], "title": "Edited"}
    )
    with app.app_context():
        assert approved_roles(owner_id=practitioner.id) == {}
