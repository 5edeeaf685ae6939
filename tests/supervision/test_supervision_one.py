"""Supervision is one thing (issue 20): a supervision entry is its session, with both people, actions
carried forward and two-party confirmation, whether logged online or offline (sync); one service
function (sessions.supervision_status) says whether supervision is on track, counting what was held."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from logbook.accounts.models import User
from logbook.extensions import db
from logbook.frameworks import service as frameworks
from logbook.frameworks.engine import add_months_clamped
from logbook.supervision import sessions
from logbook.supervision.models import SupervisionSession
from tests.factories import TODAY, entry_data, supervised_social_worker
from tests.sync.device import Device


def supervision_entry(supervisor=None, days_ago=3, minutes=90, **extra):
    details = {"format": "individual", "duration_minutes": minutes, "agenda": "Caseload"}
    if supervisor is not None:
        details |= {"supervisor_id": str(supervisor.id), "supervisor_name": supervisor.name}
    details |= extra.pop("details", {})
    fields = {
        "kind": "supervision",
        "title": "Supervision",
        "description": "Talked through the Jones family's plan.",
        "start_date": (TODAY - dt.timedelta(days=days_ago)).isoformat(),
        "hours": minutes / 60,
        "details": details,
    }
    return entry_data(**(fields | extra))


@pytest.fixture
def me(make_client, practitioner, supervised):
    return make_client(practitioner)


@pytest.fixture
def boss(make_client, supervisor, supervised):
    return make_client(supervisor)


def the_session(app, entry_id) -> SupervisionSession | None:
    with app.app_context():
        session = sessions.session_of_entry(uuid.UUID(entry_id))
        if session is not None:
            db.session.expunge(session)
        return session


def test_a_logged_supervision_is_the_session_with_both_people(app, me, boss, supervisor, practitioner):
    entry = me.api(
        "POST",
        "/api/v1/entries",
        json=supervision_entry(
            supervisor,
            details={
                "actions": [
                    {"text": "Book the ASYE review", "owner": "me", "due_date": TODAY.isoformat()},
                    {"text": "Share the neglect toolkit", "owner": supervisor.name},
                ]
            },
        ),
    ).get_json()
    session = the_session(app, entry["id"])
    assert session is not None
    assert (session.supervisor_id, session.supervisee_id) == (supervisor.id, practitioner.id)
    assert (session.starts_at.date(), session.duration_minutes) == (
        TODAY - dt.timedelta(days=3),
        90,
    )
    # The supervisee logged it, so their side is confirmed; the supervisor confirms theirs.
    got = boss.get(f"/api/v1/supervision/sessions/{session.id}").get_json()
    assert got["supervisee_confirmed_at"]
    assert not got["supervisor_confirmed_at"]
    owners = {a["description"]: a["owner_id"] for a in got["actions"]}
    assert owners == {
        "Book the ASYE review": str(practitioner.id),
        "Share the neglect toolkit": str(supervisor.id),
    }
    both = boss.api(
        "POST", f"/api/v1/supervision/sessions/{session.id}/confirm", json={"version": got["version"]}
    )
    assert both.get_json()["is_confirmed"] is True
    # The next session of the pair carries the open actions forward.
    later = me.api("POST", "/api/v1/entries", json=supervision_entry(supervisor, days_ago=1)).get_json()
    nxt = boss.get(f"/api/v1/supervision/sessions/{the_session(app, later['id']).id}").get_json()
    assert {a["description"] for a in nxt["carried_forward"]} == set(owners)
    # The status counts it (one session, not two).
    status = me.get("/api/v1/supervision/status").get_json()
    assert status["held_count"] == 2
    assert status["last_held_on"] == (TODAY - dt.timedelta(days=1)).isoformat()


def test_changing_and_deleting_the_entry_changes_and_cancels_the_session(app, me, supervisor):
    entry = me.api("POST", "/api/v1/entries", json=supervision_entry(supervisor)).get_json()
    changed = me.api(
        "PATCH",
        f"/api/v1/entries/{entry['id']}",
        json={"base_version": entry["version"], "details": {**entry["details"], "duration_minutes": 60}},
    ).get_json()
    assert the_session(app, entry["id"]).duration_minutes == 60
    me.api("DELETE", f"/api/v1/entries/{entry['id']}?base_version={changed['version']}")
    assert the_session(app, entry["id"]).is_cancelled is True
    assert me.get("/api/v1/supervision/status").get_json()["held_count"] == 0


def test_no_session_without_a_current_supervisor_but_the_entry_still_counts(app, me, make_user, practitioner):
    stranger = make_user("practitioner", "supervisor", name="Not My Supervisor")
    outside = me.api("POST", "/api/v1/entries", json=supervision_entry(stranger, days_ago=5)).get_json()
    named = me.api(
        "POST", "/api/v1/entries", json=supervision_entry(days_ago=4, details={"supervisor_name": "Dr Out"})
    ).get_json()
    assert the_session(app, outside["id"]) is None
    assert the_session(app, named["id"]) is None
    draft = me.api("POST", "/api/v1/entries", json=supervision_entry(days_ago=2, status="draft"))
    assert draft.status_code == 201
    status = me.get("/api/v1/supervision/status").get_json()
    assert status["held_count"] == 2  # the draft is not supervision held
    assert status["last_held_on"] == (TODAY - dt.timedelta(days=4)).isoformat()
    with app.app_context():
        # Another person cannot make a session for someone else through an entry's supervisor_id.
        assert db.session.query(SupervisionSession).count() == 0


def test_logged_offline_it_becomes_the_session_when_it_syncs(
    app, make_client, practitioner, supervisor, supervised
):
    phone = Device(make_client(practitioner))
    entry_id = uuid.uuid4()
    [result] = phone.push(phone.mutation("create", entry_id, **supervision_entry(supervisor, days_ago=2)))[
        "results"
    ]
    assert result["status"] == "applied", result
    session = the_session(app, str(entry_id))
    assert session is not None
    assert session.supervisee_confirmed_at is not None
    pulled = [i for i in phone.pull_all() if i["entity"] == "supervision_session"]
    assert [i["id"] for i in pulled] == [str(session.id)]
    # The supervisor's phone pulls it too, to confirm.
    theirs = Device(make_client(supervisor))
    assert str(session.id) in {i["id"] for i in theirs.pull_all() if i["entity"] == "supervision_session"}


@pytest.fixture
def social_worker(app, make_user, supervisor):
    with app.app_context():
        frameworks.load_shipped_frameworks()
        db.session.commit()
    person = make_user("practitioner", name="Amara Social Worker")
    supervised_social_worker(app, person, supervisor, link_days=200)
    return person


def test_status_from_the_employers_policy_counts_what_was_held(app, make_client, social_worker, supervisor):
    """90 minutes monthly (sw-supervision): last held, next due a month on, the months missed; a
    60-minute session is held but does not meet the month."""
    client = make_client(social_worker)
    this_month = TODAY.replace(day=1)
    months = [add_months_clamped(this_month, -n) for n in range(1, 7)]  # the last six whole months
    held = {months[0]: 90, months[1]: 60, months[3]: 95, months[5]: 90}
    for month, minutes in held.items():
        day = month + dt.timedelta(days=9)
        body = supervision_entry(supervisor, minutes=minutes, start_date=day.isoformat())
        assert client.api("POST", "/api/v1/entries", json=body).status_code == 201
    status = client.get("/api/v1/supervision/status").get_json()
    assert status["policy_text"] == "90 min monthly"
    assert status["basis"].startswith("sw-supervision")
    last = months[0] + dt.timedelta(days=9)
    assert status["last_held_on"] == last.isoformat()
    assert status["next_due_on"] == add_months_clamped(last, 1).isoformat()
    assert status["is_overdue"] is (add_months_clamped(last, 1) < TODAY)
    missed = {m["from"] for m in status["missed"]}
    assert months[1].isoformat() in missed  # 60 minutes does not meet "at least 90"
    assert months[2].isoformat() in missed
    assert months[4].isoformat() in missed
    assert not {months[0].isoformat(), months[3].isoformat(), months[5].isoformat()} & missed
    # The supervisor's list reads the same rule.
    [row] = make_client(supervisor).get("/api/v1/supervision/due?scope=supervisees").get_json()["items"]
    assert (row["due_on"], row["is_overdue"], row["supervisee_name"]) == (
        status["next_due_on"],
        status["is_overdue"],
        "Amara Social Worker",
    )


def test_seven_logged_supervisions_are_not_overdue(app, make_client, social_worker, supervisor):
    """The issue's case: seven supervision entries and no separate session record."""
    client = make_client(social_worker)
    for n in range(7):
        body = supervision_entry(supervisor, days_ago=5 + 28 * n)
        assert client.api("POST", "/api/v1/entries", json=body).status_code == 201
    status = client.get("/api/v1/supervision/status").get_json()
    assert (status["held_count"], status["is_overdue"]) == (7, False)
    [due] = client.get("/api/v1/supervision/due").get_json()["items"]
    assert due["is_overdue"] is False


def test_status_for_agreement_and_default(app, me, practitioner, supervisor, supervised, boss):
    status = me.get("/api/v1/supervision/status").get_json()
    assert (status["policy_text"], status["basis"], status["frequency_days"]) == (
        "every 42 days (default)",
        "default",
        42,
    )
    boss.api(
        "PUT",
        f"/api/v1/supervision/links/{supervised.id}/agreement",
        json={"frequency_days": 28, "session_minutes": 60},
    )
    status = me.get("/api/v1/supervision/status").get_json()
    assert (status["policy_text"], status["basis"]) == ("60 min monthly", "agreement")
    # started 30 days ago, nothing held: due 28 days after the start, so overdue
    assert status["next_due_on"] == (TODAY - dt.timedelta(days=2)).isoformat()
    assert status["is_overdue"] is True
    assert status["missed"] == []  # only a calendar policy has whole periods to miss
    with app.app_context():
        person = db.session.get(User, practitioner.id)
        assert sessions.supervision_status(person=person, today=TODAY, default_days=42).is_overdue is True
