"""Asking for sign-off offline: the request is a sync mutation ("sign_off_request"), checked like the
API's; the request's state (open, returned with comment, signed) reaches both people's devices."""

from __future__ import annotations

import uuid

import pytest

from tests.factories import make_entry
from tests.sync.device import Device


@pytest.fixture
def device(make_client):
    """Factory: a device logged in as a user (as in tests/sync)."""
    return lambda user: Device(make_client(user))


def request_mutation(device, entry, request_id=None, **fields):
    """The mutation the PWA queues when the practitioner taps "Request sign-off"."""
    return {
        "mutation_id": next(device.ids),
        "entity": "sign_off_request",
        "id": str(request_id or uuid.uuid4()),
        "op": "create",
        "fields": {"entry_id": entry["id"], "entry_version": entry["version"], **fields},
    }


def requests_in(items):
    return {i["id"]: i for i in items if i["entity"] == "sign_off_request"}


def test_request_made_offline_reaches_the_supervisors_queue_and_both_devices(
    device, practitioner, supervisor, supervised, outbox
):
    phone = device(practitioner)
    entry = make_entry(phone.client)
    mutation = request_mutation(phone, entry, supervisor_id=str(supervisor.id), message="For my appraisal")
    [result] = phone.push(mutation)["results"]
    assert result["status"] == "applied", result
    assert result["entry_version"] == entry["version"] + 1  # "submitted" is a new version
    assert phone.client.get(f"/api/v1/entries/{entry['id']}").get_json()["status"] == "submitted"
    assert [m.to for m in outbox] == [supervisor.email]  # emailed once the push committed

    boss = device(supervisor)
    [queued] = boss.client.get("/api/v1/sign-off-requests").get_json()["items"]
    assert queued["id"] == mutation["id"]
    assert queued["message"] == "For my appraisal"

    mine = requests_in(phone.pull_all())[mutation["id"]]
    assert mine["op"] == "upsert"
    assert mine["record"]["state"] == "open"
    assert mine["record"]["supervisor_name"] == supervisor.name
    assert mine["record"]["decision"] is None
    theirs = requests_in(boss.pull_all())[mutation["id"]]
    assert theirs["record"]["requested_by_name"] == practitioner.name

    # The supervisor returns it with a comment: the practitioner's device learns state and comment.
    decided = boss.client.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": queued["entry_version"],
            "content_sha256": queued["content_sha256"],
            "decision": "returned",
            "comment": "Add what you will do differently.",
        },
    )
    assert decided.status_code == 201, decided.get_json()
    mine = requests_in(phone.pull_all())[mutation["id"]]["record"]
    assert mine["state"] == "returned"
    assert mine["decision"]["decision"] == "returned"
    assert mine["decision"]["comment"] == "Add what you will do differently."
    assert requests_in(boss.pull_all())[mutation["id"]]["record"]["state"] == "returned"


def test_request_to_someone_who_does_not_supervise_you_is_rejected(
    device, practitioner, make_user, supervised
):
    phone = device(practitioner)
    entry = make_entry(phone.client)
    stranger = make_user("practitioner", "supervisor")
    [result] = phone.push(request_mutation(phone, entry, supervisor_id=str(stranger.id)))["results"]
    assert (result["status"], result["code"]) == ("rejected", "validation_failed")
    assert "supervisor_id" in result["errors"]
    assert phone.client.get(f"/api/v1/entries/{entry['id']}").get_json()["status"] == "recorded"
    assert requests_in(phone.pull_all()) == {}


def test_request_for_an_entry_changed_since_is_a_conflict(device, practitioner, supervisor, supervised):
    phone = device(practitioner)
    entry = make_entry(phone.client)
    # Another device of the practitioner's edits the entry while this phone is offline.
    edited = phone.client.api(
        "PATCH",
        f"/api/v1/entries/{entry['id']}",
        json={"base_version": entry["version"], "description": "Edited on the laptop."},
    )
    assert edited.status_code == 200
    [result] = phone.push(request_mutation(phone, entry, supervisor_id=str(supervisor.id)))["results"]
    assert (result["status"], result["code"]) == ("conflict", "stale_version")
    assert result["version"] == edited.get_json()["version"]
    assert device(supervisor).client.get("/api/v1/sign-off-requests").get_json()["items"] == []


def test_duplicate_request_is_applied_once(device, practitioner, supervisor, supervised):
    phone = device(practitioner)
    entry = make_entry(phone.client)
    mutation = request_mutation(phone, entry, supervisor_id=str(supervisor.id))
    [first] = phone.push(mutation)["results"]
    [again] = phone.push(mutation)["results"]  # the response was lost; the phone sends it again
    assert (again["status"], again["first_status"]) == ("duplicate", "applied")
    # The same request id under a new mutation id (e.g. a restored backup) is not a second request.
    reused = {
        **mutation,
        "mutation_id": next(phone.ids),
        "fields": {**mutation["fields"], "entry_version": first["entry_version"]},
    }
    [clash] = phone.push(reused)["results"]
    assert (clash["status"], clash["code"]) == ("conflict", "duplicate_id")
    assert len(device(supervisor).client.get("/api/v1/sign-off-requests").get_json()["items"]) == 1


def test_request_for_someone_elses_entry_looks_missing(
    device, practitioner, make_user, supervisor, supervised
):
    owner = device(practitioner)
    entry = make_entry(owner.client)
    intruder = device(make_user("practitioner"))
    [result] = intruder.push(request_mutation(intruder, entry, supervisor_id=str(supervisor.id)))["results"]
    assert (result["status"], result["code"]) == ("rejected", "not_found")


def test_external_signer_requested_offline_gets_a_single_use_link(device, practitioner, outbox):
    phone = device(practitioner)
    entry = make_entry(phone.client)
    external = {"name": "Dr Ruth Mensah", "email": "ruth@clinic.example", "registration_body": "GMC"}
    [result] = phone.push(request_mutation(phone, entry, external=external))["results"]
    assert result["status"] == "applied", result
    [mail] = outbox
    assert mail.to == "ruth@clinic.example"
    assert "/sign-off/" in mail.body
    token = mail.body.split("/sign-off/")[1].split()[0]
    page = phone.client.get(f"/sign-off/{token}")
    assert page.status_code == 200
    assert entry["title"] in page.get_data(as_text=True)
    record = requests_in(phone.pull_all())[result["id"]]["record"]
    assert (record["external_name"], record["state"]) == ("Dr Ruth Mensah", "open")


def test_request_mutation_must_be_a_valid_create(device, practitioner, supervisor, supervised):
    phone = device(practitioner)
    entry = make_entry(phone.client)
    update = {
        **request_mutation(phone, entry, supervisor_id=str(supervisor.id)),
        "op": "update",
        "base_version": 1,
    }
    both = request_mutation(
        phone, entry, supervisor_id=str(supervisor.id), external={"name": "X", "email": "x@example.org"}
    )
    bad = request_mutation(phone, entry, supervisor_id="not-a-uuid")
    results = phone.push(update, both, bad)["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected"]
    assert "op" in results[0]["errors"]
    assert "supervisor_id" in results[1]["errors"]
    assert "supervisor_id" in results[2]["errors"]


def test_people_lists_current_supervisors_and_supervisees(make_client, practitioner, supervisor, supervised):
    mine = make_client(practitioner).get("/api/v1/supervision/people").get_json()
    assert mine["supervisors"] == [{"id": str(supervisor.id), "name": supervisor.name, "kinds": ["line"]}]
    assert mine["supervisees"] == []
    theirs = make_client(supervisor).get("/api/v1/supervision/people").get_json()
    assert [p["id"] for p in theirs["supervisees"]] == [str(practitioner.id)]
    assert make_client().get("/api/v1/supervision/people").status_code == 401
