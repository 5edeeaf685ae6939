"""Supervisor assignments: the admin API assigns and ends supervision (history kept, audited), and
ending one takes the former supervisor's access away from their next sync."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from click.testing import CliRunner

from logbook import cli
from logbook.accounts.links import SupervisionLink
from logbook.audit.models import AuditEvent
from logbook.audit.service import verify_chain
from logbook.extensions import db
from tests.sync.device import Device, entry_fields

TODAY = dt.date.today()  # noqa: DTZ011 - the API's "today" is the server's UTC date, as here
URL = "/api/v1/admin/supervision-assignments"


def _assign(client, supervisor, supervisee, **extra):
    body = {
        "supervisor_id": str(supervisor.id),
        "supervisee_id": str(supervisee.id),
        "kind": "professional",
        "starts_on": (TODAY - dt.timedelta(days=10)).isoformat(),
        **extra,
    }
    return client.api("POST", URL, json=body)


@pytest.fixture
def device(make_client):
    """A device logged in as a user, pulling like the PWA (tests/sync/conftest.py)."""
    return lambda user: Device(make_client(user))


@pytest.fixture
def people(make_user):
    return {
        "sup": make_user("practitioner", "supervisor", name="Sam Supervisor"),
        "pe": make_user("practitioner", name="Pat Educator"),  # no supervisor role yet
        "a": make_user("practitioner", name="Alex Practitioner"),
    }


def test_assign_several_supervisors_with_agreement_then_end_keeps_history(app, admin_client, people):
    first = _assign(admin_client, people["sup"], people["a"], frequency_days=28, session_minutes=60)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["status"] == "current"
    assert (body["frequency_days"], body["session_minutes"]) == (28, 60)
    assert body["kind_label"] == "Internal supervisor"
    second = _assign(admin_client, people["pe"], people["a"], kind="practice_educator")
    assert second.status_code == 201, second.get_json()
    line = _assign(admin_client, people["sup"], people["a"], kind="line")  # same person, another role
    assert line.status_code == 201, line.get_json()

    listed = admin_client.get(f"{URL}?person_id={people['a'].id}").get_json()["items"]
    assert sorted(i["kind"] for i in listed) == ["line", "practice_educator", "professional"]
    # the practice educator was given the supervisor role by the assignment
    me = admin_client.get(f"/api/v1/admin/users/{people['pe'].id}").get_json()
    assert "supervisor" in me["roles"]

    ended = admin_client.api("POST", f"{URL}/{body['id']}/end", json={})
    assert ended.status_code == 200, ended.get_json()
    assert ended.get_json()["status"] == "ended"
    assert ended.get_json()["ends_on"] == (TODAY - dt.timedelta(days=1)).isoformat()
    again = admin_client.api("POST", f"{URL}/{body['id']}/end", json={})
    assert again.status_code == 409
    history = admin_client.get(f"{URL}?status=ended").get_json()["items"]
    assert [i["id"] for i in history] == [body["id"]]  # kept, not deleted
    with app.app_context():
        kinds = [
            e.kind
            for e in db.session.query(AuditEvent).order_by(AuditEvent.seq)
            if e.subject_type == "supervision_link"
        ]
        assert kinds == ["supervision_link.assigned"] * 3 + ["supervision_link.ended"]
        assert verify_chain().is_ok


def test_refusals(admin_client, people, make_user, other_org, make_client):
    self_sup = _assign(admin_client, people["sup"], people["sup"])
    assert self_sup.status_code == 422
    assert "supervisor_id" in self_sup.get_json()["error"]["fields"]
    stranger = make_user("practitioner", "supervisor", organisation=other_org)
    assert _assign(admin_client, stranger, people["a"]).status_code == 404
    assert _assign(admin_client, people["sup"], stranger).status_code == 404
    assert _assign(admin_client, people["sup"], people["a"]).status_code == 201
    # the same supervisor in the same role, overlapping dates
    overlap = _assign(admin_client, people["sup"], people["a"], starts_on=TODAY.isoformat())
    assert overlap.status_code == 409
    assert overlap.get_json()["error"]["code"] == "assignment_overlaps"
    bad_dates = _assign(
        admin_client, people["pe"], people["a"], ends_on=(TODAY - dt.timedelta(days=20)).isoformat()
    )
    assert bad_dates.status_code == 422
    assert "ends_on" in bad_dates.get_json()["error"]["fields"]
    unknown_kind = _assign(admin_client, people["pe"], people["a"], kind="mentor")
    assert unknown_kind.status_code == 422
    # a non-admin, even a supervisor, cannot assign or end
    sup_client = make_client(people["sup"])
    assert _assign(sup_client, people["sup"], people["pe"]).status_code == 403
    assert sup_client.get(URL).status_code == 403
    # another organisation's admin sees none of it and cannot end it
    link_id = admin_client.get(URL).get_json()["items"][0]["id"]
    other_admin = make_client(make_user("org_admin", organisation=other_org))
    assert other_admin.get(URL).get_json()["items"] == []
    assert other_admin.api("POST", f"{URL}/{link_id}/end", json={}).status_code == 404


def test_a_later_assignment_after_the_first_ended_is_allowed(admin_client, people):
    first = _assign(
        admin_client, people["sup"], people["a"], ends_on=(TODAY - dt.timedelta(days=5)).isoformat()
    )
    assert first.status_code == 201
    later = _assign(
        admin_client, people["sup"], people["a"], starts_on=(TODAY - dt.timedelta(days=4)).isoformat()
    )
    assert later.status_code == 201, later.get_json()


def test_ending_removes_the_supervisees_records_from_the_former_supervisors_next_sync(
    app, admin_client, people, device
):
    supervisor, practitioner = people["sup"], people["a"]
    link = _assign(admin_client, supervisor, practitioner).get_json()
    phone, sup = device(practitioner), device(supervisor)
    shared = uuid.uuid4()
    phone.push(phone.mutation("create", shared, **entry_fields(visibility="supervisors")))
    asked = phone.client.api(
        "POST",
        f"/api/v1/entries/{shared}/sign-off-requests",
        json={"entry_version": 1, "supervisor_id": str(supervisor.id)},
    )
    assert asked.status_code == 201, asked.get_json()
    assert {i["entity"] for i in sup.pull_all()} == {"entry", "sign_off_request"}
    assert len(sup.client.get("/api/v1/sign-off-requests").get_json()["items"]) == 1
    assert sup.client.get(f"/api/v1/entries/{shared}").status_code == 200

    assert admin_client.api("POST", f"{URL}/{link['id']}/end", json={}).status_code == 200

    # the supervisor's device is told to start again (its cursor's scope changed) ...
    answer = sup.client.get(f"/api/v1/sync/pull?cursor={sup.cursor}").get_json()
    assert answer["reset"] is True
    # ... and the full pull no longer holds the entry, so the phone drops it (tests/js/sync.test.js:
    # "a cursor reset pulls everything again, forgets what the server no longer sends")
    sup.cursor = None
    after = sup.pull_all()
    assert [i for i in after if i["op"] == "upsert"] == []  # nothing of the supervisee's is sent
    assert {(i["entity"], i["op"]) for i in after} <= {("sign_off_request", "remove")}  # told to drop
    assert sup.client.get(f"/api/v1/entries/{shared}").status_code == 404
    # the sign-off queue and the supervisor's people list forget them too
    assert sup.client.get("/api/v1/sign-off-requests").get_json()["items"] == []
    decision = sup.client.api(
        "POST",
        f"/api/v1/entries/{shared}/sign-offs",
        json={"entry_version": 1, "content_sha256": "0" * 64, "decision": "approved"},
    )
    assert decision.status_code == 404  # a former supervisor cannot sign off any more
    people_now = sup.client.get("/api/v1/supervision/people").get_json()
    assert people_now["supervisees"] == []


def test_cli_assign_and_end(app, people, org, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    runner = CliRunner()
    out = runner.invoke(
        cli.main,
        [
            "assign-supervisor",
            "--organisation",
            org.slug,
            "--supervisor",
            people["sup"].email,
            "--supervisee",
            people["a"].email,
            "--role",
            "line",
            "--frequency-days",
            "30",
            "--session-minutes",
            "45",
        ],
    )
    assert out.exit_code == 0, out.output
    with app.app_context():
        link = db.session.query(SupervisionLink).one()
        assert (link.kind, link.starts_on, link.ends_on) == ("line", TODAY, None)
    listed = runner.invoke(cli.main, ["supervisors", "--organisation", org.slug])
    assert listed.exit_code == 0, listed.output
    assert "Sam Supervisor" in listed.output
    assert "Line manager as supervisor" in listed.output
    ended = runner.invoke(cli.main, ["end-supervision", str(link.id), "--organisation", org.slug])
    assert ended.exit_code == 0, ended.output
    refused = runner.invoke(cli.main, ["end-supervision", str(link.id), "--organisation", org.slug])
    assert refused.exit_code == 1
    assert "already ended" in refused.output
    with app.app_context():
        assert db.session.query(SupervisionLink).one().ends_on == TODAY - dt.timedelta(days=1)
