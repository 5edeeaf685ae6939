"""Offline sign-off: a decision made on the supervisor's device arrives as a sync mutation."""

import uuid

import pytest

from tests.factories import make_entry, request_from
from tests.sync.device import Device


@pytest.fixture
def device(make_client):
    """Factory: a device logged in as a user (as in tests/sync)."""
    return lambda user: Device(make_client(user))


def sign_off_mutation(device, item, decision="approved", **fields):
    return {
        "mutation_id": next(device.ids),
        "entity": "sign_off",
        "id": str(uuid.uuid4()),
        "op": "create",
        "fields": {
            "entry_id": item["entry_id"],
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": decision,
            **fields,
        },
    }


@pytest.fixture
def asked(make_client, practitioner, supervisor, supervised):
    """A practitioner's client and the request waiting in the supervisor's queue."""
    me = make_client(practitioner)
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id))
    return me, entry


def test_offline_approval_applies_once(device, supervisor, asked):
    me, entry = asked
    phone = device(supervisor)
    [item] = phone.client.get("/api/v1/sign-off-requests").get_json()["items"]
    mutation = sign_off_mutation(phone, item, comment="Signed on the train")
    [result] = phone.push(mutation)["results"]
    assert result["status"] == "applied", result
    assert result["entity"] == "sign_off"
    assert result["entry_version"] == item["entry_version"]
    [again] = phone.push(mutation)["results"]
    assert (again["status"], again["first_status"]) == ("duplicate", "applied")
    [sign_off] = me.get(f"/api/v1/entries/{entry['id']}/sign-offs").get_json()["items"]
    assert sign_off["id"] == mutation["id"]
    assert sign_off["verification"]["is_valid"] is True
    # The owner's devices learn of it like any change (the feed itself is tested in tests/sync; on
    # PostgreSQL it may withhold a just-committed change briefly, so this reads the entry directly).
    assert me.get(f"/api/v1/entries/{entry['id']}").get_json()["status"] == "signed_off"
    assert phone.client.get(f"/api/v1/entries/{entry['id']}").get_json()["status"] == "signed_off"


def test_offline_decision_on_a_changed_entry_is_a_conflict(device, supervisor, asked):
    me, entry = asked
    phone = device(supervisor)
    [item] = phone.client.get("/api/v1/sign-off-requests").get_json()["items"]
    # While the supervisor's phone is offline, the practitioner edits the entry.
    edited = me.api(
        "PATCH",
        f"/api/v1/entries/{entry['id']}",
        json={"base_version": item["entry_version"], "description": "Changed meanwhile."},
    )
    assert edited.status_code == 200
    [result] = phone.push(sign_off_mutation(phone, item))["results"]
    assert result["status"] == "conflict"
    assert result["code"] == "entry_changed"
    assert f"you saw version {item['entry_version']}" in result["message"]
    assert result["version"] == edited.get_json()["version"]
    assert me.get(f"/api/v1/entries/{entry['id']}/sign-offs").get_json()["items"] == []


def test_offline_decision_with_a_hash_of_other_text_is_a_conflict(device, supervisor, asked):
    phone = device(supervisor)
    [item] = phone.client.get("/api/v1/sign-off-requests").get_json()["items"]
    [result] = phone.push(sign_off_mutation(phone, {**item, "content_sha256": "c" * 64}))["results"]
    assert (result["status"], result["code"]) == ("conflict", "content_mismatch")


def test_offline_decision_by_someone_who_does_not_supervise_is_rejected(device, make_user, asked):
    _, entry = asked
    outsider = device(make_user("supervisor"))
    item = {"entry_id": entry["id"], "entry_version": 2, "content_sha256": "d" * 64}
    [result] = outsider.push(sign_off_mutation(outsider, item))["results"]
    assert (result["status"], result["code"]) == ("rejected", "not_found")


def test_offline_sign_off_must_be_a_create_with_valid_fields(device, supervisor, asked):
    phone = device(supervisor)
    [item] = phone.client.get("/api/v1/sign-off-requests").get_json()["items"]
    update = {**sign_off_mutation(phone, item), "op": "update", "base_version": 1}
    bad = sign_off_mutation(phone, item, decision="maybe")
    results = phone.push(update, bad)["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"]
    assert "decision" in results[1]["errors"]
