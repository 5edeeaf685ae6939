"""Supervision sessions at year 1 or near 9999 are refused with 422 naming the field: a stored session
at 9999-12-31 23:00 broke both parties' calendar feeds (the time zone code overflowed). The supported
days are 1900-01-01 … 2199-12-31 (logbook/fields.py)."""

import pytest

from logbook.fields import DATE_MESSAGE


@pytest.mark.parametrize(
    "starts_at",
    [
        "9999-12-31T23:00:00+00:00",
        "9999-12-31T23:00:00-05:00",  # in UTC: year 10000
        "0001-01-01T00:00:00+01:00",  # in UTC: year 0
        "0001-01-01T10:00:00+00:00",
        "2200-01-01T10:00:00+00:00",
    ],
)
def test_a_session_outside_the_supported_days_is_a_422_and_the_feeds_still_work(
    make_client, supervisor, practitioner, supervised, starts_at
):
    boss = make_client(supervisor)
    response = boss.api(
        "POST",
        "/api/v1/supervision/sessions",
        json={
            "supervisor_id": str(supervisor.id),
            "supervisee_id": str(practitioner.id),
            "starts_at": starts_at,
            "duration_minutes": 90,
            "format": "individual",
        },
    )
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"] == {"starts_at": [DATE_MESSAGE]}
    feed = boss.api("POST", "/api/v1/supervision/calendar-feed").get_json()
    url = next(v for v in feed.values() if isinstance(v, str) and v.endswith(".ics"))
    assert boss.get(url[url.index("/calendar/") :]).status_code == 200
