"""The admin area's endpoints: people filtered and invited, deactivation (login and sessions refused,
records kept), the organisation's registrations, frameworks by whom they apply to, the audit trail,
and the staff export by service area or organisation. Who else is refused: tests/security/."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from logbook.accounts.models import JobRole, Organisation, Registration, Team, User
from logbook.audit import service as audit
from logbook.extensions import db
from logbook.sso.service import save_provider
from logbook.timeutil import utcnow
from tests.factories import PASSWORD, persist


@pytest.fixture(autouse=True)
def _settings(app):
    app.config.update(MAIL_URL="memory://", JOBS_RUNNER="inline")


@pytest.fixture
def outbox(app) -> list:
    return app.extensions.setdefault("logbook.outbox", [])


@pytest.fixture
def staff(app, org, make_user):
    """Two teams in two service areas, a job role, and people with registrations."""
    care = Team(organisation_id=org.id, name="Care Team", service_area="social_care")
    health = Team(organisation_id=org.id, name="Health Team", service_area="health")
    role = JobRole(
        organisation_id=org.id, name="Nurse", service_area="health", profession="nurse", usual_regulator="NMC"
    )
    persist(app, care, health, role)
    nia = make_user("practitioner", name="Nia Nurse", team_id=health.id, job_role_id=role.id)
    sam = make_user("practitioner", "supervisor", name="Sam Social", team_id=care.id)
    old = make_user("practitioner", name="Olly Old", team_id=care.id, is_active=False)
    persist(
        app,
        Registration(user_id=nia.id, regulator="NMC", profession="nurse", framework_id="nmc"),
        Registration(user_id=sam.id, regulator="SWE", profession="social worker", framework_id="swe"),
    )
    return {"care": care, "health": health, "role": role, "nia": nia, "sam": sam, "old": old}


def _names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [u["name"] for u in response.get_json()]


def test_people_filters(admin_client, staff):
    get = lambda q: _names(admin_client.api("GET", f"/api/v1/admin/users{q}"))  # noqa: E731
    assert get("?q=nurse") == ["Nia Nurse"]
    assert get("?q=NIA") == ["Nia Nurse"]
    assert get("?q=%25") == []  # a LIKE wildcard is a literal character
    assert get(f"?team_id={staff['care'].id}") == ["Olly Old", "Sam Social"]
    assert get(f"?team_id={staff['care'].id}&active=true") == ["Sam Social"]
    assert get(f"?job_role_id={staff['role'].id}") == ["Nia Nurse"]
    assert get("?regulator=SWE") == ["Sam Social"]
    assert get("?role=supervisor") == ["Sam Social"]
    assert get(f"?team_id={uuid.uuid4()}") == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?role=wizard", "role"),
        ("?regulator=XYZ", "regulator"),
        ("?team_id=nope", "team_id"),
        ("?active=maybe", "active"),
    ],
)
def test_people_filters_refuse_bad_values_by_name(admin_client, query, field):
    response = admin_client.api("GET", f"/api/v1/admin/users{query}")
    assert response.status_code == 422
    assert field in str(response.get_json()["error"]["fields"])


def _link(mail) -> str:
    match = re.search(r"https?://[^/\s]+(/reset-password/[A-Za-z0-9_-]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_invited_person_sets_a_password_and_logs_in(app, admin_client, client, outbox, staff):
    response = admin_client.api(
        "POST",
        "/api/v1/admin/users/invite",
        json={"email": "New.Starter@Test.example", "name": "New Starter", "team_id": str(staff["care"].id)},
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["team"]["name"] == "Care Team"
    assert "password" not in response.get_json()
    [mail] = outbox
    assert mail.to == "new.starter@test.example"
    assert "account" in mail.subject  # the one invitation email (accounts/invitations.py)
    assert f"{app.config['INVITATION_DAYS']} days" in mail.body
    # nobody knows the password until the person chooses one
    assert client.login("new.starter@test.example", "").status_code in (401, 422)
    link = _link(mail)
    page = client.get(link)
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    form = {"password": "Kettle-Orbit-Lantern-42", "confirm": "Kettle-Orbit-Lantern-42"}
    if token:
        form["csrf_token"] = token.group(1)
    done = client.post(link, data=form)
    assert done.status_code == 200, done.get_data(as_text=True)[:500]
    assert client.login("new.starter@test.example", "Kettle-Orbit-Lantern-42").status_code == 200
    # the link works once
    assert client.get(link).status_code == 404


def test_invite_refuses_a_taken_email_naming_the_field(admin_client, outbox, staff):
    response = admin_client.api(
        "POST", "/api/v1/admin/users/invite", json={"email": staff["nia"].email, "name": "Twin"}
    )
    assert response.status_code == 422
    assert "email" in response.get_json()["error"]["fields"]
    assert outbox == []
    missing = admin_client.api("POST", "/api/v1/admin/users/invite", json={"email": "x@test.example"})
    assert missing.status_code == 422
    assert "name" in missing.get_json()["error"]["fields"]


def test_invitation_resent_and_not_for_a_deactivated_person(app, admin_client, outbox, staff):
    again = admin_client.api("POST", f"/api/v1/admin/users/{staff['sam'].id}/invitation")
    assert again.status_code == 202
    assert again.get_json()["expires_in_days"] == app.config["INVITATION_DAYS"]
    assert len(outbox) == 1
    assert outbox[0].to == staff["sam"].email
    gone = admin_client.api("POST", f"/api/v1/admin/users/{staff['old'].id}/invitation")
    assert gone.status_code == 404
    assert len(outbox) == 1


def test_deactivated_person_is_logged_out_refused_and_keeps_their_records(
    app, admin_client, make_client, client, staff
):
    nia = staff["nia"]
    phone = make_client(nia)
    assert phone.api("GET", "/api/v1/me").status_code == 200
    off = admin_client.api("PATCH", f"/api/v1/admin/users/{nia.id}", json={"is_active": False})
    assert off.status_code == 200
    assert off.get_json()["is_active"] is False
    assert phone.api("GET", "/api/v1/me").status_code == 401  # the open session ended
    assert client.login(nia.email, PASSWORD).status_code == 401  # and no new one starts
    with app.app_context():  # the person and their registrations stay
        kept = db.session.get(User, nia.id)
        assert kept is not None
        assert [r.regulator for r in kept.registrations] == ["NMC"]
    listed = admin_client.api("GET", "/api/v1/admin/users?active=false").get_json()
    assert nia.email in [u["email"] for u in listed]
    on = admin_client.api("PATCH", f"/api/v1/admin/users/{nia.id}", json={"is_active": True})
    assert on.status_code == 200
    assert client.login(nia.email, PASSWORD).status_code == 200


def test_organisation_registrations(admin_client, staff, make_user, other_org, app):
    stranger = make_user("practitioner", organisation=other_org)
    persist(app, Registration(user_id=stranger.id, regulator="NMC", profession="nurse"))
    rows = admin_client.api("GET", "/api/v1/admin/registrations").get_json()
    assert [(r["user"]["name"], r["regulator"]) for r in rows] == [
        ("Nia Nurse", "NMC"),
        ("Sam Social", "SWE"),
    ]
    only = admin_client.api("GET", "/api/v1/admin/registrations?regulator=SWE").get_json()
    assert [r["user"]["name"] for r in only] == ["Sam Social"]
    bad = admin_client.api("GET", "/api/v1/admin/registrations?regulator=nope")
    assert bad.status_code == 422
    assert "regulator" in bad.get_json()["error"]["fields"]


def test_frameworks_say_whom_they_apply_to(app, admin_client, staff):
    with app.app_context():
        from logbook.frameworks.service import load_shipped_frameworks

        load_shipped_frameworks()
        db.session.commit()
    rows = {f["id"]: f for f in admin_client.api("GET", "/api/v1/admin/frameworks").get_json()}
    assert rows["nmc"]["people"] == 1
    assert rows["nmc"]["job_roles"] == ["Nurse"]
    assert rows["swe"]["people"] == 1
    assert rows["swe"]["job_roles"] == []
    assert rows["hcpc"]["people"] == 0
    policy = rows["sw-supervision"]
    assert policy["kind"] == "supervision_policy"
    assert "SWE" in policy["applies_to"]["regulators"]
    assert policy["people"] >= 1


def test_framework_upload_errors_carry_line_numbers(admin_client):
    text = "format: 1\nid: local\nversion: 1\nname: Local\nkind: registration\nregulator: NOPE\n"
    response = admin_client.api("POST", "/api/v1/frameworks", json={"text": text, "filename": "local.yaml"})
    assert response.status_code == 422
    problems = response.get_json()["error"]["problems"]
    assert {"line": 6, "path": "regulator"}.items() <= next(
        p for p in problems if p["path"] == "regulator"
    ).items()


def _event(app, actor: str, kind: str, subject_type: str = "thing", when: dt.datetime | None = None) -> int:
    with app.app_context():
        event = audit.append_event(
            kind=kind,
            actor=actor,
            subject_type=subject_type,
            subject_id=uuid.uuid4(),
            data={"n": 1},
            now=when or utcnow(),
        )
        db.session.commit()
        return event.seq


def test_audit_trail_is_the_organisations_paginated_and_filtered(
    app, admin_client, admin, staff, make_user, other_org
):
    stranger = make_user("org_admin", organisation=other_org)
    old = utcnow() - dt.timedelta(days=10)
    mine = [_event(app, f"user:{staff['sam'].id}", "sign_off.approved", when=old)]
    mine += [
        _event(app, f"user:{admin.id}", f"registration_proposal.{k}")
        for k in ("confirmed", "rejected", "confirmed")
    ]
    theirs = _event(app, f"user:{stranger.id}", "sign_off.approved")
    _event(app, "external:someone@elsewhere.example", "external_link.used", "sign_off_request")  # not ours
    first = admin_client.api("GET", "/api/v1/admin/audit?limit=2").get_json()
    assert [e["seq"] for e in first["items"]] == mine[::-1][:2]
    assert first["items"][0]["actor_name"] == admin.name
    assert first["items"][0]["actor_kind"] == "person"
    second = admin_client.api("GET", f"/api/v1/admin/audit?limit=2&before={first['next_before']}").get_json()
    assert [e["seq"] for e in second["items"]] == mine[::-1][2:]
    assert second["next_before"] is None
    assert theirs not in [e["seq"] for e in first["items"] + second["items"]]
    assert first["kinds"] == [
        "registration_proposal.confirmed",
        "registration_proposal.rejected",
        "sign_off.approved",
    ]
    by_kind = admin_client.api("GET", "/api/v1/admin/audit?kind=registration_proposal").get_json()
    assert len(by_kind["items"]) == 3
    by_actor = admin_client.api("GET", f"/api/v1/admin/audit?actor_id={staff['sam'].id}").get_json()
    assert [e["seq"] for e in by_actor["items"]] == mine[:1]
    since = (utcnow() - dt.timedelta(days=1)).date().isoformat()
    recent = admin_client.api("GET", f"/api/v1/admin/audit?date_from={since}").get_json()
    assert len(recent["items"]) == 3
    for query, field in (
        ("limit=0", "limit"),
        ("kind=DROP%20TABLE", "kind"),
        ("date_from=yesterday", "date_from"),
    ):
        bad = admin_client.api("GET", f"/api/v1/admin/audit?{query}")
        assert bad.status_code == 422, query
        assert field in bad.get_json()["error"]["fields"], query


def test_staff_export_by_service_area_and_organisation(admin_client, staff):
    area = admin_client.api("POST", "/api/v1/exports/staff", json={"service_area": "health"})
    assert area.status_code == 202, area.get_json()
    whole = admin_client.api("POST", "/api/v1/exports/staff", json={"organisation": True})
    assert whole.status_code == 202, whole.get_json()
    both = admin_client.api(
        "POST", "/api/v1/exports/staff", json={"organisation": True, "team_id": str(staff["care"].id)}
    )
    assert both.status_code == 422
    assert "team_id" in both.get_json()["error"]["fields"]
    empty = admin_client.api("POST", "/api/v1/exports/staff", json={"service_area": "send"})
    assert empty.status_code == 422
    assert "service_area" in empty.get_json()["error"]["fields"]
    bad = admin_client.api("POST", "/api/v1/exports/staff", json={"service_area": "moon"})
    assert bad.status_code == 422
    assert "service_area" in bad.get_json()["error"]["fields"]


def test_another_organisations_admin_sees_none_of_it(app, admin, staff, make_user, make_client, other_org):
    """Lists answer 200 to every admin, each with their own organisation only; ids of ours are 404."""
    _event(app, f"user:{staff['sam'].id}", "sign_off.approved")
    theirs = make_client(make_user("org_admin", organisation=other_org))
    ours = {str(u.id) for u in (admin, staff["nia"], staff["sam"], staff["old"])}
    people = theirs.api("GET", f"/api/v1/admin/users?team_id={staff['care'].id}").get_json()
    assert people == []
    everyone = theirs.api("GET", "/api/v1/admin/users").get_json()
    assert not ours & {u["id"] for u in everyone}
    assert theirs.api("GET", "/api/v1/admin/registrations").get_json() == []
    assert theirs.api("GET", f"/api/v1/admin/audit?actor_id={staff['sam'].id}").get_json()["items"] == []
    assert theirs.api("GET", "/api/v1/admin/audit").get_json()["items"] == []
    frameworks = theirs.api("GET", "/api/v1/admin/frameworks").get_json()
    assert all(f["people"] == 0 for f in frameworks)
    assert theirs.api("POST", f"/api/v1/admin/users/{staff['nia'].id}/invitation").status_code == 404
    assert (
        theirs.api("PATCH", f"/api/v1/admin/users/{staff['nia'].id}", json={"is_active": False}).status_code
        == 404
    )
    job = theirs.api("POST", "/api/v1/exports/staff", json={"organisation": True})
    assert job.status_code == 202
    with app.app_context():
        from logbook.jobs.models import Job

        params = db.session.get(Job, uuid.UUID(job.get_json()["id"])).params
        assert not ours & set(params["user_ids"])


def test_invitation_of_an_organisation_using_single_sign_on_points_at_its_sign_in(
    app, admin_client, client, outbox, staff, org
):
    """An organisation that signs its people in with OpenID Connect invites them to that sign-in:
    the email carries /auth/oidc/login?organisation=SLUG and no set-a-password link is made."""
    with app.app_context():
        save_provider(
            organisation=db.session.get(Organisation, org.id),
            data={
                "issuer": "https://login.example.org/tenant/v2.0",
                "client_id": "cpd-logbook",
                "client_secret_env": "LOGBOOK_OIDC_SECRET_TEST",
                "email_domains": ["test.example"],
            },
            allow_http=False,
            actor="test",
            now=utcnow(),
        )
        db.session.commit()
    response = admin_client.api(
        "POST", "/api/v1/admin/users/invite", json={"email": "sso.new@test.example", "name": "SSO Starter"}
    )
    assert response.status_code == 201, response.get_json()
    [mail] = outbox
    assert f"/auth/oidc/login?organisation={org.slug}" in mail.body
    assert "/reset-password/" not in mail.body
