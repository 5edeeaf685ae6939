"""The insights API: access table, JSON and CSV shapes, suppression, filters and bad input."""

from __future__ import annotations

import csv
import io

import pytest

from logbook.accounts.models import Team, User
from logbook.extensions import db
from tests.insights.cast import SECRET

URL = "/api/v1/insights/learning-mix-profession"


def _manage(app, user, team_id):
    with app.app_context():
        person = db.session.get(User, user.id)
        person.managed_teams.append(db.session.get(Team, team_id))
        db.session.commit()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 401),
        ("practitioner", 403),
        ("supervisor", 403),
        ("team_manager", 403),  # manages no team
        ("org_admin", 200),
    ],
)
@pytest.mark.parametrize("suffix", ["", ".csv"])
def test_access_table(client, make_client, make_user, known_org, role, expected, suffix):
    browser = client if role is None else make_client(make_user(role))
    response = browser.get(URL + suffix)
    assert response.status_code == expected
    if expected != 200:
        assert response.get_json()["error"]["code"] in {"not_authenticated", "forbidden"}


def test_json_view_shows_suppressed_cells_and_echoes_filters(make_client, admin, known_org):
    body = make_client(admin).get(URL + f"?team_id={known_org.team_b}&date_from=2026-01-01").get_json()
    assert body["threshold"] == 5
    assert body["filters"] == {"team_id": str(known_org.team_b), "date_from": "2026-01-01"}
    assert body["columns"] == ["nurse"]
    course = body["cells"][body["rows"].index("course")]
    assert course == [{"suppressed": True}]
    assert body["total"] == {"suppressed": True}  # 4 nurses in all


def test_the_threshold_comes_from_config(app, make_client, admin, known_org):
    app.config["INSIGHTS_MIN_CELL"] = 1
    body = make_client(admin).get(URL).get_json()
    assert body["threshold"] == 1
    assert body["suppressed_count"] == 0
    assert body["cells"][body["rows"].index("course")][0] == {"entries": 4, "hours": 4.0, "people": 4}


def test_csv_has_the_same_numbers_with_suppressed_cells_marked(make_client, admin, known_org):
    response = make_client(admin).get(URL + ".csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["learning-mix-profession", "nurse entries", "nurse hours", "nurse people"]
    course = next(r for r in rows if r[0] == "course")
    assert course[1:4] == ["<5", "<5", "<5"]
    assert course[-3:] == ["10", "16.0", "10"]  # the true row total
    assert rows[-1][0] == "total"
    assert SECRET not in response.get_data(as_text=True)


def test_a_team_manager_sees_only_their_team(app, make_client, make_user, known_org):
    manager = make_user("team_manager")
    _manage(app, manager, known_org.team_a)
    body = make_client(manager).get("/api/v1/insights/equity-profession").get_json()
    assert body["rows"] == ["social worker"]
    assert body["total"] == {"people": 7}
    body = (
        make_client(manager).get(f"/api/v1/insights/equity-profession?team_id={known_org.team_b}").get_json()
    )
    assert body["rows"] == []


def test_another_organisations_admin_sees_none_of_ours(make_client, make_user, other_org, known_org):
    theirs = make_user("org_admin", organisation=other_org)
    body = make_client(theirs).get("/api/v1/insights/equity-profession").get_json()
    assert body["total"] == {"suppressed": True}  # one person: their own stranger
    assert body["rows"] == ["unspecified"]


@pytest.mark.parametrize(
    "query",
    [
        "date_from=yesterday",
        "team_id=not-a-uuid",
        "service_area=moon",
        "date_from=2026-05-01&date_to=2026-04-01",
    ],
)
def test_bad_filters_are_422(make_client, admin, query):
    response = make_client(admin).get(f"{URL}?{query}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]


def test_unknown_view_is_404(make_client, admin):
    assert make_client(admin).get("/api/v1/insights/salaries").status_code == 404
    assert make_client(admin).get("/api/v1/insights/salaries.csv").status_code == 404


@pytest.mark.parametrize(
    "view",
    [
        "learning-mix-profession",
        "learning-mix-team",
        "equity-profession",
        "equity-service-area",
        "common-core",
        "cross-professional-shadowing",
        "cross-professional-joint",
        "trends",
        "compliance",
        "supervision",
    ],
)
def test_every_view_answers_json_and_csv_without_free_text(make_client, admin, known_org, view):
    browser = make_client(admin)
    for suffix in ("", ".csv"):
        response = browser.get(f"/api/v1/insights/{view}{suffix}")
        assert response.status_code == 200
        assert SECRET not in response.get_data(as_text=True)


def test_options_list_the_views_and_the_callers_own_filters(make_client, make_user, admin, known_org, app):
    body = make_client(admin).get("/api/v1/insights").get_json()
    assert [v["id"] for v in body["views"]][:2] == ["learning-mix-profession", "learning-mix-team"]
    assert all(v["title"] for v in body["views"])
    assert [t["name"] for t in body["teams"]] == ["Team A", "Team B"]
    assert [r["name"] for r in body["job_roles"]] == ["School Nurse", "Social Worker"]
    assert body["professions"] == ["nurse", "social worker"]
    assert "social_care" in body["service_areas"]
    manager = make_user("team_manager")
    _manage(app, manager, known_org.team_b)
    mine = make_client(manager).get("/api/v1/insights").get_json()
    assert mine["teams"] == [{"id": str(known_org.team_b), "name": "Team B"}]
    assert [r["name"] for r in mine["job_roles"]] == ["School Nurse"]
    assert mine["professions"] == ["nurse"]


@pytest.mark.parametrize("role", ["practitioner", "supervisor", "team_manager"])
def test_options_refuse_everyone_else(make_client, make_user, role):
    response = make_client(make_user(role)).get("/api/v1/insights")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
