"""Supervision sessions: both parties confirm, actions carry forward until closed, overdue supervision."""

import datetime as dt

from logbook.accounts.links import SupervisionLink
from tests import factories
from tests.factories import TODAY, persist


def at(days_ago: int, hour: int = 10) -> str:
    return dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(hour), dt.UTC).isoformat()


def record(client, supervisor, practitioner, days_ago, **extra):
    response = client.api(
        "POST",
        "/api/v1/supervision/sessions",
        json={
            "supervisor_id": str(supervisor.id),
            "supervisee_id": str(practitioner.id),
            "starts_at": at(days_ago),
            "duration_minutes": 90,
            "format": "individual",
            "agenda": "Caseload; ASYE portfolio",
            **extra,
        },
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_both_parties_confirm_and_a_change_needs_confirming_again(me, boss, supervisor, practitioner):
    session = record(boss, supervisor, practitioner, 1, summary="Discussed the Smith family's plan.")
    url = f"/api/v1/supervision/sessions/{session['id']}"
    first = boss.api("POST", f"{url}/confirm", json={"version": 1}).get_json()
    assert first["supervisor_confirmed_at"]
    assert not first["is_confirmed"]
    both = me.api("POST", f"{url}/confirm", json={"version": 1}).get_json()
    assert both["is_confirmed"] is True
    changed = me.api(
        "PATCH", url, json={"base_version": 1, "summary": "Discussed a family's plan."}
    ).get_json()
    assert changed["version"] == 2
    assert (changed["is_confirmed"], changed["supervisor_confirmed_at"]) == (False, None)
    stale = boss.api("POST", f"{url}/confirm", json={"version": 1})
    assert stale.status_code == 409


def test_actions_carry_forward_until_closed(me, boss, supervisor, practitioner):
    first = record(boss, supervisor, practitioner, 30)
    action = boss.api(
        "POST",
        f"/api/v1/supervision/sessions/{first['id']}/actions",
        json={
            "description": "Read the neglect toolkit",
            "owner_id": str(practitioner.id),
            "due_on": TODAY.isoformat(),
        },
    )
    assert action.status_code == 201, action.get_json()
    action = action.get_json()
    second = record(me, supervisor, practitioner, 2)
    assert [a["id"] for a in second["carried_forward"]] == [action["id"]]
    assert [a["id"] for a in me.get("/api/v1/supervision/actions").get_json()["items"]] == [action["id"]]
    closed = me.api(
        "POST", f"/api/v1/supervision/actions/{action['id']}/close", json={"session_id": second["id"]}
    )
    assert closed.get_json()["closed_in_session_id"] == second["id"]
    # Still shown in the session where it was closed, but not carried any further.
    assert [
        a["id"] for a in me.get(f"/api/v1/supervision/sessions/{second['id']}").get_json()["carried_forward"]
    ] == [action["id"]]
    third = record(me, supervisor, practitioner, 1)
    assert third["carried_forward"] == []
    assert me.get("/api/v1/supervision/actions").get_json()["items"] == []


def test_sessions_are_only_for_the_two_people(make_user, make_client, boss, supervisor, practitioner):
    session = record(boss, supervisor, practitioner, 1)
    outsider = make_client(make_user("supervisor"))
    assert outsider.get(f"/api/v1/supervision/sessions/{session['id']}").status_code == 404
    assert outsider.get(f"/api/v1/supervision/sessions/{session['id']}/invite.ics").status_code == 404
    response = outsider.api(
        "POST",
        "/api/v1/supervision/sessions",
        json={"supervisor_id": str(supervisor.id), "supervisee_id": str(practitioner.id), "starts_at": at(1)},
    )
    assert response.status_code == 403
    stranger = make_user("practitioner")
    unlinked = boss.api(
        "POST",
        "/api/v1/supervision/sessions",
        json={"supervisor_id": str(supervisor.id), "supervisee_id": str(stranger.id), "starts_at": at(1)},
    )
    assert unlinked.status_code == 422
    bad_owner = boss.api(
        "POST",
        f"/api/v1/supervision/sessions/{session['id']}/actions",
        json={"description": "x", "owner_id": str(stranger.id)},
    )
    assert bad_owner.status_code == 422


def test_supervision_overdue_for_practitioner_supervisor_and_admin(
    app, me, boss, supervisor, practitioner, supervised, admin_client
):
    record(boss, supervisor, practitioner, 50)
    [mine] = me.get("/api/v1/supervision/due?scope=me").get_json()["items"]
    assert mine["is_overdue"] is True
    assert mine["frequency_days"] == 42
    assert mine["basis"] == "default"
    [theirs] = boss.get("/api/v1/supervision/due?scope=supervisees").get_json()["items"]
    assert theirs["supervisee_id"] == str(practitioner.id)
    assert theirs["is_overdue"] is True
    [org] = admin_client.get("/api/v1/supervision/due?scope=organisation").get_json()["items"]
    assert org["is_overdue"] is True
    assert me.get("/api/v1/supervision/due?scope=organisation").status_code == 403

    agreed = boss.api(
        "PUT",
        f"/api/v1/supervision/links/{supervised.id}/agreement",
        json={
            "frequency_days": 90,
            "session_minutes": 90,
            "recorded_where": "Summary here; case notes in the case record.",
        },
    )
    assert agreed.status_code == 200, agreed.get_json()
    [mine] = me.get("/api/v1/supervision/due?scope=me").get_json()["items"]
    assert (mine["is_overdue"], mine["basis"], mine["frequency_days"]) == (False, "agreement", 90)


def test_a_recent_session_is_not_overdue(me, boss, supervisor, practitioner):
    record(boss, supervisor, practitioner, 3)
    [mine] = me.get("/api/v1/supervision/due").get_json()["items"]
    assert mine["is_overdue"] is False
    assert mine["last_session_on"] == (TODAY - dt.timedelta(days=3)).isoformat()


def test_social_worker_policy_from_the_frameworks(app, make_user, make_client, supervisor):
    """SWE registrants follow the shipped social-work supervision policy (monthly) when it is loaded."""
    from logbook.accounts.models import Registration
    from logbook.extensions import db
    from logbook.frameworks import service as frameworks

    with app.app_context():
        frameworks.load_shipped_frameworks()
        db.session.commit()
    social_worker = make_user("practitioner")
    persist(
        app,
        Registration(
            user_id=social_worker.id, regulator="SWE", profession="social worker", framework_id="swe"
        ),
        SupervisionLink(
            supervisor_id=supervisor.id,
            supervisee_id=social_worker.id,
            kind="line",
            starts_on=TODAY - dt.timedelta(days=40),
        ),
    )
    [due] = make_client(social_worker).get("/api/v1/supervision/due").get_json()["items"]
    assert due["basis"].startswith("sw-supervision")
    assert due["frequency_days"] <= 31
    assert due["is_overdue"] is True


def test_newly_qualified_social_worker_is_due_fortnightly(app, make_user, make_client, supervisor):
    from logbook.accounts.models import Registration
    from logbook.extensions import db
    from logbook.frameworks import service as frameworks

    with app.app_context():
        frameworks.load_shipped_frameworks()
        db.session.commit()
    nqsw = make_user("practitioner")
    persist(
        app,
        Registration(
            user_id=nqsw.id,
            regulator="SWE",
            profession="social worker",
            framework_id="swe",
            registered_since=TODAY - dt.timedelta(days=100),
        ),
        SupervisionLink(supervisor_id=supervisor.id, supervisee_id=nqsw.id, kind="line", starts_on=TODAY),
    )
    [due] = make_client(nqsw).get("/api/v1/supervision/due").get_json()["items"]
    assert due["frequency_days"] == 14
    assert due["is_overdue"] is False


def test_a_policy_without_a_frequency_leaves_the_default(app, make_user, make_client, supervisor):
    """Early years: supervision is required but the EYFS sets no frequency, so the default applies."""
    from logbook.accounts.models import JobRole
    from logbook.extensions import db
    from logbook.frameworks import service as frameworks

    with app.app_context():
        frameworks.load_shipped_frameworks()
        db.session.commit()
    role = JobRole(
        organisation_id=supervisor.organisation_id,
        name="Nursery practitioner",
        service_area="early_years",
        profession="early years practitioner",
    )
    persist(app, role)
    worker = make_user("practitioner", job_role_id=role.id)
    factories.supervise(app, supervisor, worker, starts_on=TODAY)
    [due] = make_client(worker).get("/api/v1/supervision/due").get_json()["items"]
    assert (due["frequency_days"], due["basis"]) == (42, "default")
