"""The frameworks API (listing, standards, uploads) and GET /api/v1/progress with its access rules."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import Registration, Team
from logbook.entries.models import Entry
from tests.factories import persist
from tests.frameworks.test_definition import GOOD


def test_frameworks_need_a_login(client, shipped):
    assert client.get("/api/v1/frameworks").status_code == 401
    assert client.get("/api/v1/progress").status_code == 401


def test_list_frameworks_and_standards_for_tagging(make_client, practitioner, shipped):
    client = make_client(practitioner)
    listed = {f["id"]: f for f in client.get("/api/v1/frameworks").get_json()}
    assert set(listed) == {
        "hcpc",
        "swe",
        "nmc",
        "teachers",
        "common-core",
        "sw-supervision",
        "eyfs-supervision",
    }
    assert (listed["swe"]["version"], listed["swe"]["versions"], listed["swe"]["owner"]) == (
        3,
        [1, 2, 3],
        "shipped",
    )
    assert listed["sw-supervision"]["kind"] == "supervision_policy"
    swe = client.get("/api/v1/frameworks/swe").get_json()
    assert swe["version"] == 3
    assert {"code": "4.2", "parent": "4"}.items() <= next(
        s for s in swe["standards"] if s["code"] == "4.2"
    ).items()
    assert [r["id"] for r in swe["requirements"]] == [
        "cpd_records",
        "peer_reflection",
        "impact_described",
        "standard_4_coverage",
    ]
    old = client.get("/api/v1/frameworks/swe?version=1").get_json()
    assert [r["id"] for r in old["requirements"]] == ["cpd_records", "standard_4_coverage"]
    hcpc = client.get("/api/v1/frameworks/hcpc").get_json()
    assert hcpc["profile"]["sections"][0]["max_words"] == 500
    assert client.get("/api/v1/frameworks/gmc").status_code == 404
    assert client.get("/api/v1/frameworks/swe?version=7").status_code == 404


def test_org_admin_uploads_a_framework(
    admin_client, make_client, practitioner, make_user, other_org, shipped
):
    created = admin_client.api(
        "POST", "/api/v1/frameworks", json={"filename": "integrated.yaml", "text": GOOD}
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["id"], body["version"], body["owner"]) == ("local-iw", 1, "organisation")
    # colleagues can tag against it; other organisations never see it
    assert make_client(practitioner).get("/api/v1/frameworks/local-iw").status_code == 200
    outsider = make_client(make_user("org_admin", organisation=other_org))
    assert outsider.get("/api/v1/frameworks/local-iw").status_code == 404
    # the same version with different content is refused
    changed = admin_client.api(
        "POST",
        "/api/v1/frameworks",
        json={"filename": "integrated.yaml", "text": GOOD.replace("target: 2", "target: 5")},
    )
    assert changed.status_code == 409
    assert changed.get_json()["error"]["code"] == "framework_version_exists"


def test_a_bad_upload_names_the_line(admin_client, shipped):
    response = admin_client.api(
        "POST",
        "/api/v1/frameworks",
        json={"filename": "integrated.yaml", "text": GOOD.replace('parent: "1"', 'parent: "9"')},
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_framework_file"
    assert error["file"] == "integrated.yaml"
    assert error["problems"] == [
        {"line": 10, "path": "standards.1.parent", "reason": "“9” is not the code of a standard in this file"}
    ]
    assert error["fields"] == {
        "standards.1.parent": ["integrated.yaml:10: “9” is not the code of a standard in this file"]
    }


def test_only_org_admins_upload(make_client, practitioner, shipped):
    response = make_client(practitioner).api(
        "POST", "/api/v1/frameworks", json={"filename": "x.yaml", "text": GOOD}
    )
    assert response.status_code == 403


# --- progress --------------------------------------------------------------------------------


def _entry(person, day, **fields):
    return Entry(
        id=uuid.uuid4(),
        owner_id=person.id,
        organisation_id=person.organisation_id,
        kind=fields.pop("kind", "course"),
        title=fields.pop("title", f"Course on {day}"),
        start_date=dt.date.fromisoformat(day),
        hours=Decimal(fields.pop("hours", "2.5")),
        is_participatory=fields.pop("is_participatory", True),
        **fields,
    )


def test_progress_for_the_caller(app, make_client, practitioner, shipped):
    registration = Registration(
        user_id=practitioner.id,
        regulator="SWE",
        profession="social worker",
        registration_number="SW123456",
        framework_id="swe",
    )
    persist(
        app,
        registration,
        _entry(practitioner, "2025-12-01", includes_peer_reflection=True),
        _entry(practitioner, "2026-02-01", kind="reading"),
    )
    body = make_client(practitioner).get("/api/v1/progress?as_of=2026-03-01").get_json()
    assert body["as_of"] == "2026-03-01"
    (person,) = body["people"]
    assert (person["user_id"], person["name"]) == (str(practitioner.id), practitioner.name)
    (reg,) = person["registrations"]
    assert reg["registration_id"] == str(registration.id)
    assert (reg["regulator"], reg["profession"], reg["registration_number"]) == (
        "SWE",
        "social worker",
        "SW123456",
    )
    assert reg["framework"] == {
        "id": "swe",
        "version": 3,
        "name": "Social Work England professional standards and CPD",
    }
    current, previous = reg["cycles"]
    assert (current["which"], current["starts_on"], current["ends_on"], current["status"]) == (
        "current",
        "2025-12-01",
        "2026-11-30",
        "met",
    )
    assert (previous["which"], previous["status"]) == ("previous", "not_met")
    rule = current["rules"][0]
    assert set(rule) >= {"id", "title", "status", "value", "target", "unit", "missing"}
    assert current["numbers"]["hours"] == 5.0
    assert {"label": "Renewal window opens", "date": "2026-09-01"}.items() <= current["dates"][0].items()
    assert [p["framework"]["id"] for p in person["policies"]] == ["sw-supervision"]


@pytest.fixture
def people(app, org, other_org, make_user):
    """A practitioner, their supervisor, another supervisor, a team manager of their team and of another
    team, an org admin, and an admin of another organisation."""
    team, elsewhere = (
        Team(organisation_id=org.id, name="Assessment", service_area="social_care"),
        Team(organisation_id=org.id, name="Early Years", service_area="early_years"),
    )
    persist(app, team, elsewhere)
    cast = {
        "practitioner": make_user("practitioner", team_id=team.id),
        "supervisor": make_user("practitioner", "supervisor"),
        "other_supervisor": make_user("supervisor"),
        "team_manager": make_user("team_manager", team_id=team.id),
        "other_team_manager": make_user("team_manager", team_id=elsewhere.id),
        "org_admin": make_user("org_admin"),
        "outside_admin": make_user("org_admin", organisation=other_org),
    }
    persist(
        app,
        SupervisionLink(
            supervisor_id=cast["supervisor"].id,
            supervisee_id=cast["practitioner"].id,
            kind="line",
            starts_on=dt.date(2025, 1, 1),
        ),
    )
    from logbook.accounts.models import team_manager

    with app.app_context():
        from logbook.extensions import db

        db.session.execute(
            team_manager.insert(),
            [
                {"user_id": cast["team_manager"].id, "team_id": team.id},
                {"user_id": cast["other_team_manager"].id, "team_id": elsewhere.id},
            ],
        )
        db.session.commit()
    return cast


@pytest.mark.parametrize(
    ("viewer", "status"),
    [
        ("practitioner", 200),
        ("supervisor", 200),
        ("other_supervisor", 404),
        ("team_manager", 200),
        ("other_team_manager", 404),
        ("org_admin", 200),
        ("outside_admin", 404),
    ],
)
def test_who_may_see_a_persons_progress(make_client, people, shipped, viewer, status):
    target = people["practitioner"]
    response = make_client(people[viewer]).get(f"/api/v1/progress?user_id={target.id}")
    assert response.status_code == status
    if status == 200:
        assert [p["user_id"] for p in response.get_json()["people"]] == [str(target.id)]


@pytest.mark.parametrize(
    ("viewer", "scope", "expected"),
    [
        ("supervisor", "supervisees", ["practitioner"]),
        ("other_supervisor", "supervisees", []),
        ("team_manager", "team", ["practitioner", "team_manager"]),
        ("practitioner", "organisation", None),
        ("org_admin", "me", ["org_admin"]),
    ],
)
def test_progress_for_a_group(make_client, people, shipped, viewer, scope, expected):
    response = make_client(people[viewer]).get(f"/api/v1/progress?scope={scope}")
    if expected is None:
        assert response.status_code == 404
        return
    ids = {p["user_id"] for p in response.get_json()["people"]}
    assert ids == {str(people[name].id) for name in expected}


def test_org_admin_sees_the_whole_organisation(make_client, people, shipped):
    body = make_client(people["org_admin"]).get("/api/v1/progress?scope=organisation").get_json()
    inside = {str(p.id) for name, p in people.items() if name != "outside_admin"}
    assert {p["user_id"] for p in body["people"]} == inside


def test_a_groups_progress_comes_in_pages(make_client, people, shipped):
    client = make_client(people["org_admin"])
    first = client.get("/api/v1/progress?scope=organisation&limit=4").get_json()
    assert (len(first["people"]), first["next_offset"]) == (4, 4)
    second = client.get("/api/v1/progress?scope=organisation&limit=4&offset=4").get_json()
    assert second["next_offset"] is None
    names = [p["name"] for p in first["people"] + second["people"]]
    assert len(names) == 6
    assert names == sorted(names)
    assert client.get("/api/v1/progress?scope=organisation&limit=501").status_code == 422
