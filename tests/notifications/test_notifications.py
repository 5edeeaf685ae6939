"""Notifications: in-app list and email through the mail interface, on a default schedule people change."""

import datetime as dt

from click.testing import CliRunner

from logbook import cli
from logbook.config import KeyRing
from logbook.extensions import db
from logbook.notifications import service
from logbook.timeutil import utcnow
from tests.factories import TODAY, make_entry, persist, request_from


def kinds(client):
    return [n["kind"] for n in client.get("/api/v1/notifications").get_json()["items"]]


def test_sign_off_events_notify_in_app_and_by_email(app, me, boss, supervisor, practitioner, outbox):
    app.config["PUBLIC_URL"] = "https://cpd.example"
    entry = make_entry(me)
    request_from(me, entry, supervisor_id=str(supervisor.id))
    assert kinds(boss) == ["sign_off_requested"]
    # Emailed as the request commits, not when the cron next runs.
    [asked] = outbox
    assert asked.to == supervisor.email
    assert asked.subject == f"{practitioner.name} asks you to sign off an entry"
    assert f"https://cpd.example/app/entries/{entry['id']}" in asked.body
    [item] = boss.get("/api/v1/sign-off-requests").get_json()["items"]
    boss.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": "returned",
            "comment": "Add impact.",
        },
    )
    [returned] = me.get("/api/v1/notifications?unread=true").get_json()["items"]
    assert returned["kind"] == "sign_off_returned"
    assert returned["body"] == "Add impact."
    assert me.api("POST", f"/api/v1/notifications/{returned['id']}/read").get_json()["read_at"]
    assert me.get("/api/v1/notifications?unread=true").get_json()["items"] == []
    assert boss.api("POST", f"/api/v1/notifications/{returned['id']}/read").status_code == 404

    assert [m.to for m in outbox] == [supervisor.email, practitioner.email]
    assert "Add impact." in outbox[1].body
    assert f"https://cpd.example/app/entries/{entry['id']}" in outbox[1].body  # the route's public URL
    with app.app_context():
        assert service.deliver_email(now=utcnow()) == 0  # each email once: the cron sends nothing again
    assert len(outbox) == 2


def test_an_event_email_that_fails_is_left_for_the_cron(app, me, supervisor, outbox, monkeypatch):
    from logbook import mail

    real = mail.send

    def down(_message):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(mail, "send", down)
    response = request_from(me, make_entry(me), supervisor_id=str(supervisor.id))
    assert response.status_code == 201  # the request itself is recorded
    assert outbox == []
    monkeypatch.setattr(mail, "send", real)
    with app.app_context():
        assert service.deliver_email(now=utcnow()) == 1
        db.session.commit()
    [sent] = outbox
    assert sent.to == supervisor.email


def test_people_change_the_default_schedule(app, me, boss, supervisor, outbox):
    prefs = {p["kind"]: p for p in boss.get("/api/v1/notifications/preferences").get_json()["items"]}
    assert prefs["sign_off_requested"]["is_email"] is True
    assert prefs["supervision_due"]["lead_days"] == 3
    assert all(p["is_default"] for p in prefs.values())
    changed = boss.api(
        "PUT",
        "/api/v1/notifications/preferences",
        json={
            "items": [
                {"kind": "sign_off_requested", "is_email": False},
                {"kind": "action_due", "lead_days": 7},
            ]
        },
    )
    assert changed.status_code == 200, changed.get_json()
    after = {p["kind"]: p for p in changed.get_json()["items"]}
    assert (after["sign_off_requested"]["is_email"], after["sign_off_requested"]["is_default"]) == (
        False,
        False,
    )
    assert after["action_due"]["lead_days"] == 7
    request_from(me, make_entry(me), supervisor_id=str(supervisor.id))
    assert kinds(boss) == ["sign_off_requested"]
    assert outbox == []  # in the app only, as they chose
    with app.app_context():
        assert service.deliver_email(now=utcnow()) == 0
    reset = boss.api(
        "PUT", "/api/v1/notifications/preferences", json={"items": [{"kind": "action_due", "reset": True}]}
    )
    assert {p["kind"]: p for p in reset.get_json()["items"]}["action_due"]["is_default"] is True
    bad = boss.api("PUT", "/api/v1/notifications/preferences", json={"items": [{"kind": "nonsense"}]})
    assert bad.status_code == 422


def test_schedule_reminds_of_overdue_supervision_and_due_actions_once(
    app, me, boss, supervisor, practitioner, monkeypatch, admin_client
):
    start = dt.datetime.combine(TODAY - dt.timedelta(days=60), dt.time(10), dt.UTC).isoformat()
    session = boss.api(
        "POST",
        "/api/v1/supervision/sessions",
        json={"supervisor_id": str(supervisor.id), "supervisee_id": str(practitioner.id), "starts_at": start},
    ).get_json()
    boss.api(
        "POST",
        f"/api/v1/supervision/sessions/{session['id']}/actions",
        json={
            "description": "Book the ASYE review",
            "owner_id": str(practitioner.id),
            "due_on": TODAY.isoformat(),
        },
    )
    monkeypatch.setattr(cli, "_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["notifications", "run"])
    assert result.exit_code == 0, result.output
    assert sorted(kinds(me)) == ["action_due", "supervision_due"]
    assert kinds(boss) == ["supervision_due"]
    titles = [n["title"] for n in me.get("/api/v1/notifications").get_json()["items"]]
    assert "Your supervision is overdue" in titles
    [digest] = admin_client.get("/api/v1/notifications").get_json()["items"]
    assert digest["title"] == "Supervision is overdue for 1 person in your organisation"
    again = CliRunner().invoke(cli.main, ["notifications", "run"])
    assert "Reminders created: 0." in again.output
    assert len(kinds(me)) == 2


def test_turned_off_kind_is_not_recorded(app, me, boss, supervisor):
    boss.api(
        "PUT",
        "/api/v1/notifications/preferences",
        json={"items": [{"kind": "sign_off_requested", "is_in_app": False, "is_email": False}]},
    )
    request_from(me, make_entry(me), supervisor_id=str(supervisor.id))
    assert kinds(boss) == []


def test_requirement_at_risk_and_renewal_window_from_the_engine(app, make_user, make_client, monkeypatch):
    """The engine's verdicts become notifications (the engine itself is tested in tests/frameworks)."""
    from logbook import progress, reminders
    from logbook.accounts.models import Registration

    person = make_user("practitioner")
    persist(
        app, Registration(user_id=person.id, regulator="HCPC", profession="speech and language therapist")
    )
    window = TODAY + dt.timedelta(days=10)

    def fake_progress(user, rows, compiled, today):
        return {
            "registrations": [
                {
                    "registration_id": "r1",
                    "cycles": [
                        {
                            "which": "previous",
                            "status": "not_met",
                            "ends_on": "2020-01-01",
                            "framework": {"name": "x"},
                        },
                        {
                            "which": "current",
                            "status": "at_risk",
                            "ends_on": (TODAY + dt.timedelta(days=40)).isoformat(),
                            "framework": {"name": "HCPC standards of CPD"},
                            "reminders": [
                                {
                                    "id": "window_opens",
                                    "title": "Renewal window opens",
                                    "date": window.isoformat(),
                                },
                                {
                                    "id": "far",
                                    "title": "Far away",
                                    "date": (TODAY + dt.timedelta(days=200)).isoformat(),
                                },
                            ],
                        },
                    ],
                }
            ]
        }

    monkeypatch.setattr(progress, "person_progress", fake_progress)
    with app.app_context():
        made = reminders.run_schedule(
            today=TODAY, now=utcnow(), default_supervision_days=42, ring=KeyRing.of(app)
        )
        db.session.commit()
        assert (
            reminders.run_schedule(
                today=TODAY, now=utcnow(), default_supervision_days=42, ring=KeyRing.of(app)
            )
            == 0
        )
    assert made == 2
    titles = {
        n["kind"]: n["title"] for n in make_client(person).get("/api/v1/notifications").get_json()["items"]
    }
    assert titles["requirement_at_risk"] == "HCPC standards of CPD: requirements at risk"
    assert titles["renewal_window"].startswith("HCPC standards of CPD: Renewal window opens on")
