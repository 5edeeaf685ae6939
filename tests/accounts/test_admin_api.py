"""Org admin API: teams, job roles, CSV import, users, registrations — and who may use it."""

import uuid
from pathlib import Path

import pytest

from logbook.accounts.models import JobRole, Team
from logbook.extensions import db

ROLES_CSV = Path(__file__).resolve().parents[2] / "logbook" / "data" / "job-roles.csv"


# --- access table ------------------------------------------------------------------------------

ADMIN_ENDPOINTS = [
    ("GET", "/api/v1/admin/teams"),
    ("POST", "/api/v1/admin/teams"),
    ("GET", "/api/v1/admin/teams/{team}"),
    ("PATCH", "/api/v1/admin/teams/{team}"),
    ("DELETE", "/api/v1/admin/teams/{team}"),
    ("GET", "/api/v1/admin/job-roles"),
    ("POST", "/api/v1/admin/job-roles"),
    ("POST", "/api/v1/admin/job-roles/import"),
    ("GET", "/api/v1/admin/job-roles/{job_role}"),
    ("PATCH", "/api/v1/admin/job-roles/{job_role}"),
    ("DELETE", "/api/v1/admin/job-roles/{job_role}"),
    ("GET", "/api/v1/admin/users"),
    ("POST", "/api/v1/admin/users"),
    ("GET", "/api/v1/admin/users/{user}"),
    ("PATCH", "/api/v1/admin/users/{user}"),
    ("GET", "/api/v1/admin/users/{user}/registrations"),
    ("POST", "/api/v1/admin/users/{user}/registrations"),
    ("PATCH", "/api/v1/admin/registrations/{registration}"),
    ("DELETE", "/api/v1/admin/registrations/{registration}"),
]

VALID_BODIES = {
    ("POST", "/api/v1/admin/teams"): {"name": "New Team", "service_area": "health"},
    ("PATCH", "/api/v1/admin/teams/{team}"): {"name": "Renamed Team"},
    ("POST", "/api/v1/admin/job-roles"): {
        "name": "Play Therapist",
        "service_area": "health",
        "profession": "play therapist",
    },
    ("POST", "/api/v1/admin/job-roles/import"): {
        "csv": "job_role,service_area,profession,registration_framework\n"
        "Portage Worker,early years,portage,\n"
    },
    ("PATCH", "/api/v1/admin/job-roles/{job_role}"): {"profession": "social worker (child and family)"},
    ("POST", "/api/v1/admin/users"): {
        "email": "new.person@test.example",
        "name": "New Person",
        "password": "Kettle-Orbit-Lantern-42",
        "roles": ["practitioner"],
    },
    ("PATCH", "/api/v1/admin/users/{user}"): {"name": "Renamed Person"},
    ("POST", "/api/v1/admin/users/{user}/registrations"): {
        "regulator": "SWE",
        "profession": "social worker",
        "registration_number": "SW123456",
    },
    ("PATCH", "/api/v1/admin/registrations/{registration}"): {"registration_number": "SW654321"},
}

# role → expected status per method (admin success depends on the method)
EXPECTED = {
    "anonymous": 401,
    "practitioner": 403,
    "supervisor": 403,
    "team_manager": 403,
    "other_org_admin": 404,  # for item URLs; list URLs answer 200 with only their own org's data
}
ADMIN_OK = {"GET": 200, "POST": 201, "PATCH": 200, "DELETE": 204}


@pytest.fixture
def targets(app, org, make_user):
    """An empty team, an unused job role, a user with a registration — all in `org`."""
    with app.app_context():
        team = Team(organisation_id=org.id, name="Target Team", service_area="education")
        role = JobRole(
            organisation_id=org.id, name="Target Role", service_area="education", profession="teacher"
        )
        db.session.add_all([team, role])
        db.session.commit()
        ids = {"team": team.id, "job_role": role.id}
    user = make_user("practitioner")
    ids["user"] = user.id
    from logbook.accounts import service

    with app.app_context():
        reg = service.add_registration(
            organisation_id=org.id, user_id=user.id, data={"regulator": "SWE", "profession": "social worker"}
        )
        db.session.commit()
        ids["registration"] = reg.id
    return ids


@pytest.mark.parametrize(
    "role", ["anonymous", "practitioner", "supervisor", "team_manager", "org_admin", "other_org_admin"]
)
@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_admin_access_table(role, method, path, targets, make_user, make_client, other_org):
    url = path.format(**{k: str(v) for k, v in targets.items()})
    if role == "anonymous":
        client = make_client()
    elif role == "other_org_admin":
        client = make_client(make_user("org_admin", organisation=other_org))
    else:
        client = make_client(make_user(role))
    body = VALID_BODIES.get((method, path))
    response = client.api(method, url, json=body) if body is not None else client.api(method, url)
    if role == "org_admin":
        expected = ADMIN_OK[method]
        if path.endswith("/import"):
            expected = 200
    elif role == "other_org_admin" and "{" not in path:
        expected = ADMIN_OK[method] if method != "POST" or not path.endswith("/import") else 200
    else:
        expected = EXPECTED[role]
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected >= 400:
        assert set(response.get_json()["error"]) >= {"code", "message", "fields"}


def test_other_org_admin_lists_only_their_own(app, targets, make_user, make_client, other_org):
    other_admin = make_user("org_admin", organisation=other_org)
    client = make_client(other_admin)
    for url in ("/api/v1/admin/teams", "/api/v1/admin/job-roles"):
        assert client.get(url).get_json() == []
    users = client.get("/api/v1/admin/users").get_json()
    assert [u["email"] for u in users] == [other_admin.email]  # only themself


# --- behaviour -------------------------------------------------------------------------------


def test_team_crud_and_duplicate_names(admin_client):
    created = admin_client.api(
        "POST", "/api/v1/admin/teams", json={"name": "Early Help West", "service_area": "early_help"}
    )
    assert created.status_code == 201
    team_id = created.get_json()["id"]
    dup = admin_client.api(
        "POST", "/api/v1/admin/teams", json={"name": "early help west", "service_area": "early_help"}
    )
    assert dup.status_code == 422
    assert "name" in dup.get_json()["error"]["fields"]
    patched = admin_client.api("PATCH", f"/api/v1/admin/teams/{team_id}", json={"service_area": "send"})
    assert patched.get_json()["service_area"] == "send"
    assert admin_client.api("DELETE", f"/api/v1/admin/teams/{team_id}").status_code == 204
    assert admin_client.get(f"/api/v1/admin/teams/{team_id}").status_code == 404


def test_team_with_members_cannot_be_deleted(admin_client, make_user, team):
    make_user("practitioner", team_id=team.id)
    response = admin_client.api("DELETE", f"/api/v1/admin/teams/{team.id}")
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "team_not_empty"


def test_import_the_reference_services_74_roles_twice(admin_client):
    text = ROLES_CSV.read_text(encoding="utf-8")
    first = admin_client.api("POST", "/api/v1/admin/job-roles/import", json={"csv": text})
    assert first.status_code == 200
    assert first.get_json() == {"created": 74, "updated": 0}
    second = admin_client.api("POST", "/api/v1/admin/job-roles/import", json={"csv": text})
    assert second.get_json() == {"created": 0, "updated": 74}
    roles = admin_client.get("/api/v1/admin/job-roles").get_json()
    assert len(roles) == 74
    hv = next(r for r in roles if r["name"] == "Health Visitor")
    assert (hv["service_area"], hv["profession"], hv["usual_regulator"]) == (
        "health",
        "health visitor",
        "NMC",
    )
    sw = next(r for r in roles if r["name"] == "Children's Social Worker")
    assert sw["usual_regulator"] == "SWE"


def test_import_reports_every_bad_line_and_imports_nothing(admin_client):
    text = (
        "job_role,service_area,profession,registration_framework\n"
        "Family Support Worker,early help,family support worker,\n"  # line 2 fine
        ",early help,family support worker,\n"  # line 3: no name
        "Play Worker,playground,play worker,\n"  # line 4: bad area
        "Nurse,health,nurse,Nursing Council of Mars\n"  # line 5: bad regulator
        "Family Support Worker,early help,family support worker,\n"  # line 6: repeats line 2
        "Extra,health,nurse,NMC,surplus\n"  # line 7: too many columns
    )
    response = admin_client.api("POST", "/api/v1/admin/job-roles/import", json={"csv": text})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"line 3", "line 4", "line 5", "line 6", "line 7"}
    assert "job_role is empty" in fields["line 3"]
    assert "playground" in fields["line 4"][0]
    assert "repeats line 2" in fields["line 6"][0]
    assert admin_client.get("/api/v1/admin/job-roles").get_json() == []


def test_import_with_wrong_header(admin_client):
    response = admin_client.api("POST", "/api/v1/admin/job-roles/import", json={"csv": "name,area\nX,Y\n"})
    assert response.status_code == 422
    assert "missing column" in response.get_json()["error"]["fields"]["line 1"][0]


def test_create_user_with_team_role_and_registration(admin_client, team, job_role):
    response = admin_client.api(
        "POST",
        "/api/v1/admin/users",
        json={
            "email": "  Amara.Okafor@Test.Example ",
            "name": "Amara Okafor",
            "password": "Kettle-Orbit-Lantern-42",
            "roles": ["practitioner", "supervisor"],
            "team_id": str(team.id),
            "job_role_id": str(job_role.id),
        },
    )
    assert response.status_code == 422  # leading/trailing spaces are not a valid email
    response = admin_client.api(
        "POST",
        "/api/v1/admin/users",
        json={
            "email": "Amara.Okafor@Test.Example",
            "name": "Amara Okafor",
            "password": "Kettle-Orbit-Lantern-42",
            "roles": ["practitioner", "supervisor"],
            "team_id": str(team.id),
            "job_role_id": str(job_role.id),
        },
    )
    assert response.status_code == 201, response.get_json()
    user = response.get_json()
    assert user["email"] == "amara.okafor@test.example"
    assert user["roles"] == ["practitioner", "supervisor"]
    assert user["team"]["name"] == "Assessment Team"
    reg = admin_client.api(
        "POST",
        f"/api/v1/admin/users/{user['id']}/registrations",
        json={
            "regulator": "SWE",
            "profession": "social worker",
            "registration_number": "SW104587",
            "registered_since": "2019-12-02",
            "renewal_date": "2026-11-30",
        },
    )
    assert reg.status_code == 201
    assert reg.get_json()["framework_id"] == "swe"
    bad = admin_client.api(
        "PATCH", f"/api/v1/admin/registrations/{reg.get_json()['id']}", json={"renewal_date": "2018-01-01"}
    )
    assert bad.status_code == 422
    assert "renewal_date" in bad.get_json()["error"]["fields"]


def test_create_user_refuses_weak_password_and_duplicate_email(admin_client, admin):
    weak = admin_client.api(
        "POST",
        "/api/v1/admin/users",
        json={"email": "x@test.example", "name": "X Person", "password": "password1234"},
    )
    assert weak.status_code == 422
    assert "too common" in weak.get_json()["error"]["fields"]["password"][0]
    dup = admin_client.api(
        "POST",
        "/api/v1/admin/users",
        json={"email": admin.email, "name": "Copy", "password": "Kettle-Orbit-Lantern-42"},
    )
    assert dup.status_code == 422
    assert "email" in dup.get_json()["error"]["fields"]


def test_cannot_use_another_orgs_team(admin_client, app, other_org):
    with app.app_context():
        foreign = Team(organisation_id=other_org.id, name="Foreign", service_area="health")
        db.session.add(foreign)
        db.session.commit()
        foreign_id = foreign.id
    response = admin_client.api(
        "POST",
        "/api/v1/admin/users",
        json={
            "email": "y@test.example",
            "name": "Y Person",
            "password": "Kettle-Orbit-Lantern-42",
            "team_id": str(foreign_id),
        },
    )
    assert response.status_code == 404


def test_admin_cannot_demote_or_deactivate_themself(admin_client, admin):
    response = admin_client.api("PATCH", f"/api/v1/admin/users/{admin.id}", json={"roles": ["practitioner"]})
    assert response.status_code == 422
    response = admin_client.api("PATCH", f"/api/v1/admin/users/{admin.id}", json={"is_active": False})
    assert response.status_code == 422


def test_deactivating_a_user_ends_their_sessions(admin_client, make_client, practitioner):
    theirs = make_client(practitioner)
    assert theirs.get("/api/v1/me").status_code == 200
    response = admin_client.api("PATCH", f"/api/v1/admin/users/{practitioner.id}", json={"is_active": False})
    assert response.status_code == 200
    assert theirs.get("/api/v1/me").status_code == 401


def test_unknown_ids_are_404_with_error_shape(admin_client):
    response = admin_client.get(f"/api/v1/admin/users/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert admin_client.get("/api/v1/admin/users/not-a-uuid").status_code == 404
