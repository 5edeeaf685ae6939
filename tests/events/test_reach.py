"""Insights of the learning offer: reach (attended / invited and did not) by profession and team,
hours delivered, feedback; with the same small-number suppression as every insight view."""

from __future__ import annotations

import datetime as dt

import pytest

from logbook.timeutil import utcnow
from tests.factories import event_body


@pytest.fixture
def offer(app, make_client, make_user, cast):
    """Last week: a workshop for social workers (4 of 6 attended, 2 did not); a study day for team B
    (the teacher attended). Next week: a workshop for everyone (not counted: it has not happened)."""
    fac = make_client(cast.facilitator)
    sws = [cast.social_worker] + [
        make_user("practitioner", team_id=cast.team_a.id, job_role_id=cast.social_worker.job_role_id)
        for _ in range(5)
    ]
    past = utcnow() - dt.timedelta(days=7)
    workshop = fac.api("POST", "/api/v1/events", json=event_body(starts_at=past, materials=[])).get_json()
    study_day = fac.api(
        "POST",
        "/api/v1/events",
        json=event_body(
            starts_at=past,
            kind="team_study_day",
            duration_minutes=360,
            target_professions=[],
            target_team_ids=[str(cast.team_b.id)],
            materials=[],
        ),
    ).get_json()
    fac.api(
        "POST",
        "/api/v1/events",
        json=event_body(starts_at=utcnow() + dt.timedelta(days=7), target_professions=[]),
    )
    fac.api(
        "POST", f"/api/v1/events/{workshop['id']}/register", json={"user_ids": [str(u.id) for u in sws[:4]]}
    )
    fac.api("POST", f"/api/v1/events/{study_day['id']}/register", json={"user_ids": [str(cast.teacher.id)]})
    for person, rating in zip(sws[:4], [5, 4, 4, 3], strict=True):
        make_client(person).api("POST", f"/api/v1/events/{workshop['id']}/feedback", json={"rating": rating})
    return {"social_workers": sws}


def view(client, name):
    response = client.api("GET", f"/api/v1/insights/{name}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def cell(data, row, column):
    return data["cells"][data["rows"].index(row)][data["columns"].index(column)]


def test_reach_by_profession_and_team(app, make_client, cast, offer):
    app.config["INSIGHTS_MIN_CELL"] = 1
    admin = make_client(cast.admin)
    data = view(admin, "reach-profession")
    assert data["columns"] == ["attended", "invited_not_attended"]
    assert cell(data, "social worker", "attended") == {"people": 4, "attendances": 4}
    assert cell(data, "social worker", "invited_not_attended") == {"people": 2, "attendances": 0}
    assert cell(data, "teacher", "attended") == {"people": 1, "attendances": 1}
    assert data["total"] == {"people": 7, "attendances": 5}
    by_team = view(admin, "reach-team")
    assert cell(by_team, "Team A", "invited_not_attended")["people"] == 2
    assert cell(by_team, "Team B", "attended")["people"] == 1


def test_hours_delivered_and_feedback(app, make_client, cast, offer):
    app.config["INSIGHTS_MIN_CELL"] = 1
    admin = make_client(cast.admin)
    hours = view(admin, "event-hours-profession")
    assert hours["columns"] == ["bite_size_workshop", "team_study_day"]
    assert cell(hours, "social worker", "bite_size_workshop") == {"hours": 6.0, "attendances": 4, "people": 4}
    assert cell(hours, "teacher", "team_study_day") == {"hours": 6.0, "attendances": 1, "people": 1}
    fb = view(admin, "event-feedback")
    assert cell(fb, "bite_size_workshop", "4") == {"responses": 2, "people": 2}
    assert fb["overall_statistics"] == {"mean_rating": 4.0}


def test_reach_is_suppressed_like_every_view(app, make_client, cast, offer):
    app.config["INSIGHTS_MIN_CELL"] = 5
    data = view(make_client(cast.admin), "reach-profession")
    assert cell(data, "social worker", "invited_not_attended") == {"suppressed": True}
    assert cell(data, "teacher", "attended") == {"suppressed": True}
    assert data["total"] == {"people": 7, "attendances": 5}
    fb = view(make_client(cast.admin), "event-feedback")
    assert fb["overall_statistics"] == {"mean_rating": None}  # 4 answers: fewer than 5 people
    assert all(c == {"suppressed": True} for c in fb["cells"][0] if c != {"responses": 0, "people": 0})


def test_only_admins_and_managers_see_reach(make_client, cast, offer):
    assert make_client(cast.facilitator).api("GET", "/api/v1/insights/reach-profession").status_code == 403
