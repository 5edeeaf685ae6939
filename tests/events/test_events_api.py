"""The learning offer end to end through the API: publishing, finding, QR check-in (valid, expired,
replayed, tampered, another organisation's), register marking, learning sets, feedback, .ics."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from logbook.accounts.models import User
from logbook.entries.models import Entry
from logbook.events import checkin
from logbook.events.models import EventAttendance
from logbook.extensions import db
from logbook.timeutil import utcnow
from tests.factories import MATERIAL, event_body


@pytest.fixture
def clock(monkeypatch):
    """Set the API's clock (events and sync) to a chosen moment."""

    def _set(at: dt.datetime) -> None:
        monkeypatch.setattr("logbook.api.events.utcnow", lambda: at)
        monkeypatch.setattr("logbook.api.sync.utcnow", lambda: at)

    return _set


def publish(client, **overrides):
    response = client.api("POST", "/api/v1/events", json=event_body(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def code_for(client, event_id):
    response = client.api("GET", f"/api/v1/events/{event_id}/check-in-code")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def check_in_mutation(mutation_id: int, code: str, scanned: dt.datetime) -> dict:
    """An offline check-in as the phone's outbox sends it."""
    return {
        "mutation_id": mutation_id,
        "entity": "event_check_in",
        "id": str(uuid.uuid4()),
        "op": "create",
        "fields": {"code": code, "scanned_at": scanned.isoformat()},
    }


def count(app, model, **where):
    with app.app_context():
        return db.session.query(model).filter_by(**where).count()


def test_only_org_admins_and_facilitators_they_allow_publish(make_client, cast):
    assert make_client(cast.social_worker).api("GET", "/api/v1/events").get_json()["may_publish"] is False
    assert make_client(cast.facilitator).api("GET", "/api/v1/events").get_json()["may_publish"] is True
    assert (
        make_client(cast.social_worker)
        .api("POST", "/api/v1/events", json=event_body(materials=[]))
        .status_code
        == 403
    )
    admin = make_client(cast.admin)
    # Materials must be the publisher's own uploads: the facilitator's slides are not the admin's.
    refused = admin.api("POST", "/api/v1/events", json=event_body())
    assert "materials.0.sha256" in refused.get_json()["error"]["fields"]
    assert admin.api("POST", "/api/v1/events", json=event_body(materials=[])).status_code == 201
    granted = admin.api("POST", "/api/v1/events/facilitators", json={"user_id": str(cast.teacher.id)})
    assert granted.status_code == 200
    assert str(cast.teacher.id) in {p["id"] for p in granted.get_json()["items"]}
    teacher = make_client(cast.teacher)
    assert teacher.api("POST", "/api/v1/events", json=event_body(materials=[])).status_code == 201
    assert admin.api("DELETE", f"/api/v1/events/facilitators/{cast.teacher.id}").status_code == 200
    assert teacher.api("POST", "/api/v1/events", json=event_body(materials=[])).status_code == 403
    # Only admins grant, and only people of their own organisation.
    assert (
        teacher.api("POST", "/api/v1/events/facilitators", json={"user_id": str(cast.teacher.id)}).status_code
        == 403
    )
    outsider = admin.api("POST", "/api/v1/events/facilitators", json={"user_id": str(cast.other_org_user.id)})
    assert outsider.status_code == 422
    assert "user_id" in outsider.get_json()["error"]["fields"]


def test_bad_event_fields_are_named(make_client, cast, other_org):
    fac = make_client(cast.facilitator)
    body = event_body(
        standards=[{"framework": "hcpc", "version": 1, "code": "9"}],
        materials=[{"sha256": "a" * 64, "name": "x.pdf"}],
        target_team_ids=[str(uuid.uuid4())],
        facilitator_ids=[str(cast.other_org_user.id)],
    )
    fields = fac.api("POST", "/api/v1/events", json=body).get_json()["error"]["fields"]
    assert {"standards.0.code", "materials.0.sha256", "target_team_ids.0", "facilitator_ids.0"} <= set(fields)
    bad = fac.api(
        "POST", "/api/v1/events", json=event_body(starts_at=None, duration_minutes=0, kind="supervision")
    )
    assert bad.status_code == 422
    assert {"duration_minutes", "kind"} <= set(bad.get_json()["error"]["fields"])
    naive = fac.api("POST", "/api/v1/events", json={**event_body(), "starts_at": "2026-12-01T10:00:00"})
    assert "starts_at" in naive.get_json()["error"]["fields"]


def test_upcoming_lists_events_meant_for_the_person(make_client, cast):
    fac = make_client(cast.facilitator)
    for_sw = publish(fac, title="For social workers")
    for_team_b = publish(
        fac, title="For team B", target_professions=[], target_team_ids=[str(cast.team_b.id)]
    )
    for_all = publish(fac, title="For everyone", target_professions=[])
    past = publish(fac, title="Last month", starts_at=utcnow() - dt.timedelta(days=30))

    def titles(user):
        items = make_client(user).api("GET", "/api/v1/events").get_json()["items"]
        return {i["title"] for i in items}

    assert titles(cast.social_worker) == {"For social workers", "For everyone"}
    assert titles(cast.teacher) == {"For team B", "For everyone"}
    assert titles(cast.other_org_user) == set()
    # Facilitators see what they run; attendee counts only for them.
    mine = fac.api("GET", "/api/v1/events?scope=facilitating").get_json()["items"]
    assert {i["id"] for i in mine} == {for_sw["id"], for_team_b["id"], for_all["id"], past["id"]}
    assert all(i["attendees"] == 0 and i["is_facilitator"] for i in mine)
    sw_view = make_client(cast.social_worker).api("GET", f"/api/v1/events/{for_all['id']}").get_json()
    assert sw_view["attendees"] is None
    assert not sw_view["is_facilitator"]
    # Another organisation's event is never found.
    assert make_client(cast.other_org_user).api("GET", f"/api/v1/events/{for_all['id']}").status_code == 404


def test_ics_invite(make_client, cast):
    event = publish(make_client(cast.facilitator))
    response = make_client(cast.social_worker).api("GET", event["ics_url"])
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert f"UID:event-{event['id']}@cpd-logbook" in body
    assert "SUMMARY:Trauma-informed practice" in body
    assert "DTSTART" in body
    assert "DTEND" in body
    assert make_client(cast.other_org_user).api("GET", event["ics_url"]).status_code == 404


def test_qr_check_in_makes_one_prefilled_entry(app, make_client, cast):
    fac = make_client(cast.facilitator)
    event = publish(fac)
    shown = code_for(fac, event["id"])
    assert shown["url"] == f"/app/checkin/{shown['code']}"
    svg = fac.api("GET", shown["qr_url"])
    assert svg.status_code == 200
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    sw = make_client(cast.social_worker)
    first = sw.api("POST", "/api/v1/events/check-in", json={"code": shown["code"]})
    assert first.status_code == 200, first.get_json()
    result = first.get_json()
    assert result["created"] is True
    assert result["event_id"] == event["id"]
    assert result["method"] == "qr"
    entry = sw.api("GET", f"/api/v1/entries/{result['entry_id']}").get_json()
    assert entry["kind"] == "bite_size_workshop"
    assert entry["title"] == "Trauma-informed practice"
    assert entry["hours"] == 1.5
    assert entry["start_date"] == utcnow().astimezone(checkin_zone()).date().isoformat()
    assert entry["standards"] == [{"framework": "hcpc", "version": 1, "code": "3"}]
    assert entry["common_core"] == ["1", "4"]
    assert entry["evidence"] == [{"sha256": MATERIAL, "name": "slides.pdf", "caption": "Event materials"}]
    assert entry["details"]["location"] == "Room 2"
    assert entry["visibility"] == "private"
    # The attendee may open the materials now that their entry names them.
    with app.app_context():
        from logbook.entries.evidence import may_download

        today = utcnow().date()
        assert may_download(viewer=db.session.get(User, cast.social_worker.id), sha256=MATERIAL, today=today)
        assert not may_download(viewer=db.session.get(User, cast.teacher.id), sha256=MATERIAL, today=today)
    # Replayed: the same code again, and the facilitator marking them too: the same entry, once.
    again = sw.api("POST", "/api/v1/events/check-in", json={"code": shown["code"]}).get_json()
    assert again == {**result, "created": False}
    marked = fac.api(
        "POST", f"/api/v1/events/{event['id']}/register", json={"user_ids": [str(cast.social_worker.id)]}
    )
    assert marked.get_json()["marked"][0]["entry_id"] == result["entry_id"]
    assert count(app, Entry, owner_id=cast.social_worker.id) == 1
    assert count(app, EventAttendance, event_id=uuid.UUID(event["id"])) == 1
    detail = sw.api("GET", f"/api/v1/events/{event['id']}").get_json()
    assert detail["attended"]
    assert detail["my_entry_id"] == result["entry_id"]


def checkin_zone():
    from logbook.events.service import LOCAL

    return LOCAL


def test_a_code_is_accepted_in_its_window_and_the_next_then_expires(app, make_client, cast, clock):
    start = utcnow().replace(microsecond=0)
    fac = make_client(cast.facilitator)
    event = publish(fac, starts_at=start)
    clock(start)
    code = code_for(fac, event["id"])["code"]
    sw, teacher = make_client(cast.social_worker), make_client(cast.teacher)
    window_end = dt.datetime.fromisoformat(code_for(fac, event["id"])["expires_at"])
    clock(window_end - dt.timedelta(seconds=1))  # still valid: the grace window
    assert sw.api("POST", "/api/v1/events/check-in", json={"code": code}).status_code == 200
    clock(window_end)
    expired = teacher.api("POST", "/api/v1/events/check-in", json={"code": code})
    assert expired.status_code == 422
    assert expired.get_json()["error"]["code"] == "code_expired"
    assert "code" in expired.get_json()["error"]["fields"]
    assert count(app, Entry, owner_id=cast.teacher.id) == 0


def test_tampered_malformed_and_foreign_codes_are_refused(app, make_client, cast, other_org, make_user):
    fac = make_client(cast.facilitator)
    event = publish(fac)
    code = code_for(fac, event["id"])["code"]
    sw = make_client(cast.social_worker)
    tampered = code[:-1] + ("0" if code[-1] != "0" else "1")
    answer = sw.api("POST", "/api/v1/events/check-in", json={"code": tampered})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "invalid_code"
    other_window = code.rsplit("-", 2)
    forged = f"{other_window[0]}-{int(other_window[1]) + 5}-{other_window[2]}"
    assert (
        sw.api("POST", "/api/v1/events/check-in", json={"code": forged}).get_json()["error"]["code"]
        == "invalid_code"
    )
    malformed = sw.api("POST", "/api/v1/events/check-in", json={"code": "hello"})
    assert malformed.status_code == 422
    assert "code" in malformed.get_json()["error"]["fields"]
    # Another organisation's person with this organisation's valid code: as if no such event.
    foreign = make_client(cast.other_org_user).api("POST", "/api/v1/events/check-in", json={"code": code})
    assert foreign.status_code == 404
    # And an event of the other organisation, checked into from here.
    other_admin = make_client(make_user("org_admin", organisation=other_org))
    theirs = other_admin.api("POST", "/api/v1/events", json=event_body(materials=[], standards=[])).get_json()
    their_code = code_for(other_admin, theirs["id"])["code"]
    assert sw.api("POST", "/api/v1/events/check-in", json={"code": their_code}).status_code == 404
    assert count(app, EventAttendance) == 0
    assert count(app, Entry) == 0


def test_only_facilitators_see_the_code_and_qr(make_client, cast):
    fac = make_client(cast.facilitator)
    event = publish(fac)
    shown = code_for(fac, event["id"])
    sw = make_client(cast.social_worker)
    assert sw.api("GET", f"/api/v1/events/{event['id']}/check-in-code").status_code == 403
    assert sw.api("GET", shown["qr_url"]).status_code == 403
    assert (
        make_client(cast.admin).api("GET", f"/api/v1/events/{event['id']}/check-in-code").status_code == 200
    )


def test_codes_are_only_shown_around_the_event(make_client, cast):
    fac = make_client(cast.facilitator)
    later = publish(fac, starts_at=utcnow() + dt.timedelta(days=2))
    closed = fac.api("GET", f"/api/v1/events/{later['id']}/check-in-code")
    assert closed.status_code == 422
    assert closed.get_json()["error"]["code"] == "check_in_closed"


def test_register_marking(app, make_client, cast):
    fac = make_client(cast.facilitator)
    event = publish(fac)
    url = f"/api/v1/events/{event['id']}/register"
    register = fac.api("GET", url).get_json()["items"]
    assert [r["name"] for r in register] == [cast.social_worker.name]  # invited: social workers only
    assert make_client(cast.social_worker).api("GET", url).status_code == 403
    assert (
        make_client(cast.social_worker)
        .api("POST", url, json={"user_ids": [str(cast.teacher.id)]})
        .status_code
        == 403
    )
    refused = fac.api("POST", url, json={"user_ids": [str(cast.teacher.id), str(cast.other_org_user.id)]})
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"user_ids.1"}
    assert count(app, EventAttendance) == 0  # nothing half-done
    marked = fac.api(
        "POST", url, json={"user_ids": [str(cast.teacher.id), str(cast.social_worker.id)]}
    ).get_json()
    assert [m["created"] for m in marked["marked"]] == [True, True]
    assert all(m["method"] == "register" for m in marked["marked"])
    again = fac.api("POST", url, json={"user_ids": [str(cast.teacher.id)]}).get_json()["marked"][0]
    assert again["created"] is False
    assert count(app, Entry, owner_id=cast.teacher.id) == 1
    rows = {r["name"]: r for r in fac.api("GET", url).get_json()["items"]}
    assert rows[cast.teacher.name]["present"]
    assert not rows[cast.teacher.name]["invited"]
    assert rows[cast.social_worker.name]["present"]
    assert rows[cast.social_worker.name]["invited"]


def test_learning_set_meetings_make_entries_for_members_only(app, make_client, cast, make_user):
    fac = make_client(cast.facilitator)
    third = make_user("practitioner")
    made = fac.api(
        "POST",
        "/api/v1/learning-sets",
        json={"name": "Wednesday set", "member_ids": [str(cast.social_worker.id), str(cast.teacher.id)]},
    )
    assert made.status_code == 201, made.get_json()
    set_id = made.get_json()["id"]
    meeting = {"starts_at": utcnow().isoformat(), "duration_minutes": 120}
    url = f"/api/v1/learning-sets/{set_id}/meetings"
    refused = fac.api("POST", url, json={**meeting, "present": [str(cast.social_worker.id), str(third.id)]})
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"present.1"}
    assert count(app, Entry) == 0
    done = fac.api("POST", url, json={**meeting, "present": [str(cast.social_worker.id)]})
    assert done.status_code == 201, done.get_json()
    [mark] = done.get_json()["marked"]
    entry = make_client(cast.social_worker).api("GET", f"/api/v1/entries/{mark['entry_id']}").get_json()
    assert entry["kind"] == "reflective_learning_set"
    assert entry["hours"] == 2.0
    assert entry["includes_peer_reflection"] is True
    assert entry["details"]["set_name"] == "Wednesday set"
    assert count(app, Entry, owner_id=cast.teacher.id) == 0
    assert count(app, Entry, owner_id=third.id) == 0
    event_id = done.get_json()["event"]["id"]
    # A non-member can neither see the meeting nor check in with its code, nor be marked present.
    assert make_client(third).api("GET", f"/api/v1/events/{event_id}").status_code == 404
    code = code_for(fac, event_id)["code"]
    assert make_client(third).api("POST", "/api/v1/events/check-in", json={"code": code}).status_code == 403
    marked = fac.api("POST", f"/api/v1/events/{event_id}/register", json={"user_ids": [str(third.id)]})
    assert marked.status_code == 422
    # The other member checks in by QR later in the meeting: their own entry.
    late = make_client(cast.teacher).api("POST", "/api/v1/events/check-in", json={"code": code}).get_json()
    assert late["created"] is True
    assert count(app, Entry, owner_id=third.id) == 0
    # Members see the set; others do not.
    assert [
        s["name"] for s in make_client(cast.teacher).api("GET", "/api/v1/learning-sets").get_json()["items"]
    ] == ["Wednesday set"]
    assert make_client(third).api("GET", "/api/v1/learning-sets").get_json()["items"] == []


def test_feedback_is_for_attendees_and_shown_to_facilitators_in_aggregate(app, make_client, cast, make_user):
    fac = make_client(cast.facilitator)
    event = publish(fac, target_professions=[])
    url = f"/api/v1/events/{event['id']}/feedback"
    sw = make_client(cast.social_worker)
    assert sw.api("POST", url, json={"rating": 5, "comment": "Great"}).status_code == 403  # not attended
    people = [make_user("practitioner") for _ in range(4)]
    fac.api("POST", f"/api/v1/events/{event['id']}/register", json={"user_ids": [str(p.id) for p in people]})
    for person, rating in zip(people, [5, 4, 4, 2], strict=True):
        assert (
            make_client(person).api("POST", url, json={"rating": rating, "comment": f"c{rating}"}).status_code
            == 200
        )
    assert make_client(people[0]).api("GET", url).status_code == 403  # attendees never see others' feedback
    few = fac.api("GET", url).get_json()
    assert few["suppressed"]
    assert few["responses"] is None
    assert few["mean_rating"] is None
    assert few["comments"] == []
    assert few["by_rating"]["total"] == {"suppressed": True}
    fac.api("POST", f"/api/v1/events/{event['id']}/register", json={"user_ids": [str(cast.social_worker.id)]})
    assert sw.api("POST", url, json={"rating": 5, "comment": "Great"}).status_code == 200
    enough = fac.api("GET", url).get_json()
    assert enough["responses"] == 5
    assert enough["mean_rating"] == 4.0
    assert enough["comments"] == sorted(["Great", "c5", "c4", "c4", "c2"])
    assert enough["by_rating"]["total"] == {"people": 5}
    # The rating cells describe one or two people each: hidden.
    assert all(
        cell == {"suppressed": True} for cell in enough["by_rating"]["cells"][0] if cell != {"people": 0}
    )
    bad = sw.api("POST", url, json={"rating": 6})
    assert bad.status_code == 422
    assert "rating" in bad.get_json()["error"]["fields"]


def test_offline_check_in_synced_later_inside_the_window(app, make_client, cast, clock):
    start = utcnow().replace(microsecond=0)
    fac = make_client(cast.facilitator)
    event = publish(fac, starts_at=start)
    clock(start + dt.timedelta(minutes=10))
    code = code_for(fac, event["id"])["code"]
    scanned = start + dt.timedelta(minutes=10, seconds=30)
    clock(start + dt.timedelta(hours=5))  # back online five hours later, long after the code rotated
    phone = make_client(cast.social_worker)
    mutation = check_in_mutation(1, code, scanned)
    body = {"client_id": "phone-abcdefgh", "mutations": [mutation]}
    [result] = phone.api("POST", "/api/v1/sync/push", json=body).get_json()["results"]
    assert result["status"] == "applied", result
    assert result["created"] is True
    assert result["event_id"] == event["id"]
    # The replayed batch is a duplicate; a second scan queued as another mutation finds the same entry.
    [replay] = phone.api("POST", "/api/v1/sync/push", json=body).get_json()["results"]
    assert replay["status"] == "duplicate"
    assert replay["entry_id"] == result["entry_id"]
    second = {**mutation, "mutation_id": 2, "id": str(uuid.uuid4())}
    [twice] = phone.api("POST", "/api/v1/sync/push", json={**body, "mutations": [second]}).get_json()[
        "results"
    ]
    assert twice["status"] == "applied"
    assert twice["created"] is False
    assert twice["entry_id"] == result["entry_id"]
    assert count(app, Entry, owner_id=cast.social_worker.id) == 1
    with app.app_context():
        row = db.session.get(EventAttendance, (uuid.UUID(event["id"]), cast.social_worker.id))
        assert row.method == "qr_offline"
        assert row.scanned_at == scanned
    # The entry reaches the phone through the ordinary pull.
    pulled = phone.api("GET", "/api/v1/sync/pull").get_json()["items"]
    assert [i["id"] for i in pulled] == [result["entry_id"]]
    assert pulled[0]["record"]["kind"] == "bite_size_workshop"


@pytest.mark.parametrize(
    ("scan_offset", "push_offset", "code"),
    [
        (dt.timedelta(minutes=20), dt.timedelta(hours=1), "code_expired"),  # scanned after the code's window
        (dt.timedelta(minutes=10), dt.timedelta(minutes=1), "clock_ahead"),  # phone clock in the future
        (dt.timedelta(minutes=1), dt.timedelta(hours=80), "too_late"),  # more than 72 h on the phone
    ],
    ids=["outside-window", "clock-ahead", "too-late"],
)
def test_offline_check_in_outside_the_rules_is_rejected(
    app, make_client, cast, clock, scan_offset, push_offset, code
):
    start = utcnow().replace(microsecond=0)
    fac = make_client(cast.facilitator)
    event = publish(fac, starts_at=start)
    clock(start)
    shown = code_for(fac, event["id"])["code"]
    clock(start + push_offset)
    mutation = {
        "mutation_id": 1,
        "entity": "event_check_in",
        "id": str(uuid.uuid4()),
        "op": "create",
        "fields": {"code": shown, "scanned_at": (start + scan_offset).isoformat()},
    }
    body = {"client_id": "phone-abcdefgh", "mutations": [mutation]}
    [result] = (
        make_client(cast.social_worker).api("POST", "/api/v1/sync/push", json=body).get_json()["results"]
    )
    assert result["status"] == "rejected", result
    assert result["code"] == code, result
    assert count(app, Entry) == 0


def test_offline_check_in_with_bad_fields_is_rejected_naming_them(make_client, cast):
    phone = make_client(cast.social_worker)
    mutations = [
        {"mutation_id": 1, "entity": "event_check_in", "id": str(uuid.uuid4()), "op": "create", "fields": {}},
        {
            "mutation_id": 2,
            "entity": "event_check_in",
            "id": str(uuid.uuid4()),
            "op": "update",
            "base_version": 1,
            "fields": {},
        },
        {
            "mutation_id": 3,
            "entity": "event_check_in",
            "id": str(uuid.uuid4()),
            "op": "create",
            "fields": {"code": "x", "scanned_at": "2026-01-01T10:00:00"},
        },
    ]
    body = {"client_id": "phone-abcdefgh", "mutations": mutations}
    results = phone.api("POST", "/api/v1/sync/push", json=body).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 3
    assert {"code", "scanned_at"} <= set(results[0]["errors"])
    assert "op" in results[1]["errors"]
    assert "scanned_at" in results[2]["errors"]  # no time zone


def test_hours_round_to_quarter_hours():
    from logbook.events.service import hours_for

    assert [str(hours_for(m)) for m in (5, 20, 45, 50, 90, 420)] == [
        "0.25",
        "0.25",
        "0.75",
        "0.75",
        "1.50",
        "7.00",
    ]


def test_code_windows():
    at = dt.datetime(2026, 11, 25, 10, 0, 30, tzinfo=dt.UTC)
    event_id = uuid.uuid4()
    issued = checkin.issue(secret_key="k", event_secret="s", event_id=event_id, now=at)
    assert issued.valid_from <= at < issued.next_at
    assert issued.expires_at - issued.next_at == dt.timedelta(
        seconds=checkin.ROTATE_SECONDS * checkin.GRACE_WINDOWS
    )
    parsed = checkin.parse(issued.code)
    checkin.verify(
        parsed=parsed,
        secret_key="k",
        event_secret="s",
        scanned_at=issued.expires_at - dt.timedelta(seconds=1),
    )
    from logbook.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        checkin.verify(parsed=parsed, secret_key="k", event_secret="other", scanned_at=at)
    with pytest.raises(ValidationFailed):
        checkin.verify(
            parsed=parsed,
            secret_key="k",
            event_secret="s",
            scanned_at=issued.valid_from - dt.timedelta(seconds=1),
        )


def test_the_short_code_is_typed_instead_of_scanning(app, make_client, cast, clock):
    """What the facilitator's screen shows under the QR: eight characters, typed with or without the
    dash, in either case, with O for 0 or I/L for 1; the same one entry as a scan."""
    start = utcnow().replace(microsecond=0)
    fac = make_client(cast.facilitator)
    event = publish(fac, starts_at=start)
    clock(start)
    shown = code_for(fac, event["id"])
    short = shown["short_code"]
    assert len(short) == 9
    assert short[4] == "-"
    assert checkin.normalise_short(short) == short.replace("-", "")
    typed = short.replace("-", " ").lower().replace("0", "o").replace("1", "l")
    sw = make_client(cast.social_worker)
    first = sw.api("POST", "/api/v1/events/check-in", json={"code": typed})
    assert first.status_code == 200, first.get_json()
    result = first.get_json()
    assert result["created"] is True
    assert result["event_id"] == event["id"]
    assert result["method"] == "qr"
    # The scanned long code afterwards: the same entry.
    again = sw.api("POST", "/api/v1/events/check-in", json={"code": shown["code"]}).get_json()
    assert again == {**result, "created": False}
    # Good in the next window too (the grace window), like the QR; then expired.
    window_end = dt.datetime.fromisoformat(shown["expires_at"])
    clock(window_end - dt.timedelta(seconds=1))
    teacher = make_client(cast.teacher)
    late = teacher.api("POST", "/api/v1/events/check-in", json={"code": short})
    assert late.status_code == 200, late.get_json()
    assert count(app, Entry, owner_id=cast.teacher.id) == 1
    clock(window_end)
    admin = make_client(cast.admin)
    expired = admin.api("POST", "/api/v1/events/check-in", json={"code": short})
    assert expired.status_code == 422
    assert expired.get_json()["error"]["code"] == "code_expired"
    assert count(app, Entry, owner_id=cast.admin.id) == 0


def test_a_wrong_or_foreign_short_code_is_not_valid_and_repeated_refusals_are_limited(
    app, make_client, cast, other_org, make_user
):
    fac = make_client(cast.facilitator)
    event = publish(fac)
    short = code_for(fac, event["id"])["short_code"]
    sw = make_client(cast.social_worker)
    wrong = ("A" if short[0] != "A" else "B") + short[1:]
    answer = sw.api("POST", "/api/v1/events/check-in", json={"code": wrong})
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == "invalid_code"
    assert "code" in answer.get_json()["error"]["fields"]
    # Another organisation's person typing this organisation's live code: not valid (nothing found).
    foreign = make_client(cast.other_org_user).api("POST", "/api/v1/events/check-in", json={"code": short})
    assert foreign.status_code == 422
    assert foreign.get_json()["error"]["code"] == "invalid_code"
    assert count(app, EventAttendance) == 0
    # Refusals are limited per person (guessing); the person's own good code still works before that.
    app.config["CHECK_IN_FAILURE_LIMIT"] = "3 per 10 minutes"
    guesser = make_client(cast.teacher)
    statuses = [
        guesser.api("POST", "/api/v1/events/check-in", json={"code": "ZZZZ-ZZZZ"}).status_code
        for _ in range(4)
    ]
    assert statuses == [422, 422, 422, 429]
    assert sw.api("POST", "/api/v1/events/check-in", json={"code": short}).status_code == 200


def test_a_short_code_typed_offline_is_checked_at_the_scan_time(app, make_client, cast, clock):
    start = utcnow().replace(microsecond=0)
    fac = make_client(cast.facilitator)
    event = publish(fac, starts_at=start)
    clock(start + dt.timedelta(minutes=10))
    short = code_for(fac, event["id"])["short_code"]
    clock(start + dt.timedelta(hours=3))  # back online long after
    phone = make_client(cast.social_worker)

    def push(mutation_id, scanned):
        body = {"client_id": "phone-shortcode", "mutations": [check_in_mutation(mutation_id, short, scanned)]}
        [result] = phone.api("POST", "/api/v1/sync/push", json=body).get_json()["results"]
        return result

    late = push(1, start + dt.timedelta(minutes=30))  # typed twenty minutes after it was shown
    assert late["status"] == "rejected"
    assert late["code"] == "code_expired"
    result = push(2, start + dt.timedelta(minutes=10, seconds=20))
    assert result["status"] == "applied", result
    assert result["event_id"] == event["id"]
    with app.app_context():
        row = db.session.get(EventAttendance, (uuid.UUID(event["id"]), cast.social_worker.id))
        assert row.method == "qr_offline"


def test_short_codes():
    at = dt.datetime(2026, 11, 25, 10, 0, 30, tzinfo=dt.UTC)
    event_id = uuid.uuid4()
    issued = checkin.issue(secret_key="k", event_secret="s", event_id=event_id, now=at)
    short = issued.short.replace("-", "")
    assert short == checkin.short_code(
        secret_key="k", event_secret="s", event_id=event_id, window=issued.window
    )
    assert set(short) <= set(checkin.CROCKFORD)
    assert short != checkin.short_code(
        secret_key="k", event_secret="t", event_id=event_id, window=issued.window
    )
    assert short != checkin.short_code(
        secret_key="k", event_secret="s", event_id=event_id, window=issued.window + 1
    )
    assert checkin.short_windows(at) == (issued.window, issued.window - 1)
    assert checkin.normalise_short(" k7pd-3qxm ") == "K7PD3QXM"
    assert checkin.normalise_short("ilo0 abcd") == "1100ABCD"
    for bad in ("", "K7PD-3QX", "K7PD-3QXMM", "K7PD-3QXU", "hello"):
        assert checkin.normalise_short(bad) is None
