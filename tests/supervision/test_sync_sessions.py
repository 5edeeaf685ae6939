"""Supervision sessions offline: recorded, changed, confirmed and signed off as sync mutations, and
pulled by both people's devices (and by nobody else's)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from tests.factories import TODAY
from tests.sync.device import Device


@pytest.fixture
def device(make_client):
    """Factory: a device logged in as a user (as in tests/sync)."""
    return lambda user: Device(make_client(user))


def starts(days_ago: int) -> str:
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(14), dt.UTC).isoformat()


def mutation(device, entity, op="create", record_id=None, base_version=None, **fields):
    return {
        "mutation_id": next(device.ids),
        "entity": entity,
        "id": str(record_id or uuid.uuid4()),
        "op": op,
        "base_version": base_version,
        "fields": fields,
    }


def sessions_in(items):
    return {i["id"]: i for i in items if i["entity"] == "supervision_session"}


@pytest.fixture
def recorded(device, practitioner, supervisor, supervised):
    """The practitioner records a session with two agreed actions on their phone."""
    phone = device(practitioner)
    action_ids = [str(uuid.uuid4()), str(uuid.uuid4())]
    create = mutation(
        phone,
        "supervision_session",
        supervisor_id=str(supervisor.id),
        supervisee_id=str(practitioner.id),
        starts_at=starts(7),
        duration_minutes=60,
        format="individual",
        agenda="Caseload review",
        summary="Talked through the Jones family's plan.",
        actions=[
            {"id": action_ids[0], "description": "Book the ASYE review", "owner_id": str(practitioner.id)},
            {
                "id": action_ids[1],
                "description": "Share the neglect toolkit",
                "owner_id": str(supervisor.id),
                "due_on": (TODAY + dt.timedelta(days=7)).isoformat(),
            },
        ],
    )
    [result] = phone.push(create)["results"]
    assert result["status"] == "applied", result
    return phone, create, action_ids


def test_session_recorded_offline_reaches_both_devices_with_its_actions(
    recorded, device, supervisor, practitioner, make_user
):
    phone, create, action_ids = recorded
    mine = sessions_in(phone.pull_all())[create["id"]]["record"]
    assert mine["summary"] == "Talked through the Jones family's plan."
    assert mine["supervisor_name"] == supervisor.name
    assert sorted(a["id"] for a in mine["actions"]) == sorted(action_ids)
    boss = device(supervisor)
    theirs = sessions_in(boss.pull_all())[create["id"]]["record"]
    assert theirs["version"] == 1
    assert {a["description"] for a in theirs["actions"]} == {
        "Book the ASYE review",
        "Share the neglect toolkit",
    }
    outsider = device(make_user("practitioner", "supervisor"))
    assert sessions_in(outsider.pull_all()) == {}
    # The API sees the same session.
    assert boss.client.get(f"/api/v1/supervision/sessions/{create['id']}").status_code == 200


def test_changes_confirmations_and_carried_actions_sync(recorded, device, supervisor, practitioner):
    phone, create, action_ids = recorded
    boss = device(supervisor)
    # The next session: the open actions of the first are carried forward.
    later = mutation(
        boss,
        "supervision_session",
        supervisor_id=str(supervisor.id),
        supervisee_id=str(practitioner.id),
        starts_at=starts(1),
    )
    assert boss.push(later)["results"][0]["status"] == "applied"
    carried = sessions_in(phone.pull_all())[later["id"]]["record"]["carried_forward"]
    assert sorted(a["id"] for a in carried) == sorted(action_ids)
    # The supervisor closes one action in the later session and both confirm the first record.
    close = mutation(
        boss, "supervision_session", "update", later["id"], base_version=1, close_actions=[action_ids[1]]
    )
    edit = mutation(phone, "supervision_session", "update", create["id"], base_version=1, summary="Amended.")
    assert boss.push(close)["results"][0]["status"] == "applied"
    assert phone.push(edit)["results"][0]["version"] == 2
    stale = mutation(boss, "supervision_session", "update", create["id"], base_version=1, agenda="Other")
    [conflict] = boss.push(stale)["results"]
    assert (conflict["status"], conflict["code"]) == ("conflict", "stale_version")
    for dev in (phone, boss):
        [ok] = dev.push(mutation(dev, "supervision_session_confirm", session_id=create["id"], version=2))[
            "results"
        ]
        assert ok["status"] == "applied", ok
    first = sessions_in(phone.pull_all())[create["id"]]["record"]
    assert (first["summary"], first["is_confirmed"]) == ("Amended.", True)
    closed = [a["id"] for a in first["actions"] if a["closed_at"]]
    assert closed == [action_ids[1]]
    still_carried = sessions_in(boss.pull_all())[later["id"]]["record"]["carried_forward"]
    # closed in the later session: shown there as dealt with; the other stays open
    assert {a["id"]: bool(a["closed_at"]) for a in still_carried} == {
        action_ids[0]: False,
        action_ids[1]: True,
    }


def test_session_sign_off_through_sync(recorded, device, supervisor):
    phone, create, _ = recorded
    boss = device(supervisor)
    ask = mutation(phone, "session_sign_off_request", session_id=create["id"], session_version=1)
    assert phone.push(ask)["results"][0]["status"] == "applied"
    record = sessions_in(boss.pull_all())[create["id"]]["record"]
    request = record["sign_off_request"]
    assert (request["state"], request["signer_id"]) == ("open", str(supervisor.id))
    decision = mutation(
        boss,
        "session_sign_off",
        session_id=create["id"],
        session_version=request["session_version"],
        content_sha256=record["content_sha256"],
        decision="approved",
        request_id=request["id"],
    )
    [result] = boss.push(decision)["results"]
    assert result["status"] == "applied", result
    mine = sessions_in(phone.pull_all())[create["id"]]["record"]["sign_off_request"]
    assert mine["state"] == "approved"
    assert mine["decision"]["signer_name"] == supervisor.name
    [signed] = phone.client.get(f"/api/v1/supervision/sessions/{create['id']}/sign-offs").get_json()["items"]
    assert signed["id"] == decision["id"]
    assert signed["verification"]["is_valid"] is True


def test_refusals(recorded, device, make_user, practitioner, supervisor):
    phone, create, _ = recorded
    stranger = make_user("practitioner", "supervisor")
    outsider = device(stranger)
    [hidden] = outsider.push(
        mutation(outsider, "supervision_session", "update", create["id"], base_version=1, summary="x")
    )["results"]
    assert (hidden["status"], hidden["code"]) == ("rejected", "not_found")
    unlinked = mutation(
        outsider,
        "supervision_session",
        supervisor_id=str(stranger.id),
        supervisee_id=str(practitioner.id),
        starts_at=starts(2),
    )
    [refused] = outsider.push(unlinked)["results"]
    assert refused["status"] == "rejected"
    assert "supervisor_id" in refused["errors"]
    delete = mutation(phone, "supervision_session", "delete", create["id"], base_version=1)
    bad = mutation(
        phone,
        "supervision_session",
        supervisor_id=str(supervisor.id),
        supervisee_id=str(practitioner.id),
        starts_at="not a date",
        format="walk",
    )
    again = {**create, "mutation_id": next(phone.ids)}
    results = phone.push(delete, bad, again)["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected", "conflict"]
    assert {"starts_at", "format"} <= set(results[1]["errors"])
    assert results[2]["code"] == "duplicate_id"
