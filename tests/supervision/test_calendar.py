"""Calendar: a secret, revocable iCalendar feed per person and a single invite, read by two parsers."""

import datetime as dt

import icalendar
import pytest
import vobject

from tests.factories import TODAY


@pytest.fixture
def sessions(boss, supervisor, practitioner):
    made = []
    for days in (7, -7):
        start = dt.datetime.combine(TODAY - dt.timedelta(days=days), dt.time(14, 30), dt.UTC)
        response = boss.api(
            "POST",
            "/api/v1/supervision/sessions",
            json={
                "supervisor_id": str(supervisor.id),
                "supervisee_id": str(practitioner.id),
                "starts_at": start.isoformat(),
                "duration_minutes": 90,
                "location": "Room 2, Civic Centre",
                "summary": "Confidential: discussed a child protection plan.",
            },
        )
        assert response.status_code == 201
        made.append(response.get_json())
    return made


def feed_url(client):
    response = client.api("POST", "/api/v1/supervision/calendar-feed")
    assert response.status_code == 200
    return response.get_json()["url"].removeprefix("http://localhost")


def test_feed_parses_with_two_readers_and_uids_are_stable(client, boss, sessions, practitioner, make_client):
    url = feed_url(boss)
    first = client.get(url)
    assert first.status_code == 200
    assert first.mimetype == "text/calendar"
    body = first.get_data()
    assert b"child protection" not in body  # the record stays in the app

    cal = icalendar.Calendar.from_ical(body)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2
    uids = sorted(str(e["UID"]) for e in events)
    assert uids == sorted(f"supervision-{s['id']}@cpd-logbook" for s in sessions)
    starts = sorted(e.decoded("DTSTART") for e in events)
    assert starts[0] == dt.datetime.combine(TODAY - dt.timedelta(days=7), dt.time(14, 30), dt.UTC)
    assert all(e.decoded("DTEND") - e.decoded("DTSTART") == dt.timedelta(minutes=90) for e in events)

    other = vobject.readOne(body.decode())
    assert sorted(v.uid.value for v in other.vevent_list) == uids
    assert {v.location.value for v in other.vevent_list} == {"Room 2, Civic Centre"}

    # The same UIDs on every fetch, and in the supervisee's own feed.
    again = icalendar.Calendar.from_ical(client.get(url).get_data())
    assert sorted(str(e["UID"]) for e in again.walk("VEVENT")) == uids
    theirs = icalendar.Calendar.from_ical(client.get(feed_url(make_client(practitioner))).get_data())
    assert sorted(str(e["UID"]) for e in theirs.walk("VEVENT")) == uids


def test_feed_url_is_revocable(client, boss, sessions):
    url = feed_url(boss)
    assert client.get(url).status_code == 200
    newer = feed_url(boss)
    assert client.get(url).status_code == 404  # a new URL replaces the old one
    assert client.get(newer).status_code == 200
    assert boss.api("DELETE", "/api/v1/supervision/calendar-feed").status_code == 200
    assert client.get(newer).status_code == 404
    assert client.get("/calendar/guessed-token.ics").status_code == 404


def test_single_invite_download(boss, sessions):
    response = boss.get(f"/api/v1/supervision/sessions/{sessions[0]['id']}/invite.ics")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    cal = icalendar.Calendar.from_ical(response.get_data())
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == f"supervision-{sessions[0]['id']}@cpd-logbook"
    assert str(cal["METHOD"]) == "PUBLISH"
    parsed = vobject.readOne(response.get_data(as_text=True))
    assert parsed.vevent.uid.value == str(event["UID"])
    assert len(parsed.vevent.contents["attendee"]) == 2
