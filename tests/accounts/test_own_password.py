"""One's own password changes only with the current one (issue #17: an org admin could change their
own password through the admin API without it, so a stolen admin session could take the account)."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

NEW = "Kettle-Orbit-Lantern-42"


@pytest.fixture
def admin(make_user):
    return make_user("practitioner", "org_admin")


def test_admin_api_refuses_the_admins_own_password(make_client, admin):
    me = make_client(admin)
    response = me.api("PATCH", f"/api/v1/admin/users/{admin.id}", json={"password": NEW})
    assert response.status_code == 422
    assert "/api/v1/me/password" in response.get_json()["error"]["fields"]["password"][0]
    # nothing changed, and the session still works
    assert me.get("/api/v1/me").status_code == 200
    assert make_client().login(admin.email, PASSWORD).status_code == 200
    assert make_client().login(admin.email, NEW).status_code == 401
    # other changes to oneself still work; and with a password alongside, nothing is half-done
    both = me.api("PATCH", f"/api/v1/admin/users/{admin.id}", json={"name": "Renamed Admin", "password": NEW})
    assert both.status_code == 422
    assert me.get("/api/v1/me").get_json()["name"] == admin.name
    assert (
        me.api("PATCH", f"/api/v1/admin/users/{admin.id}", json={"name": "Renamed Admin"}).status_code == 200
    )


def test_admin_still_sets_other_peoples_passwords(make_client, admin, practitioner):
    me = make_client(admin)
    response = me.api("PATCH", f"/api/v1/admin/users/{practitioner.id}", json={"password": NEW})
    assert response.status_code == 200
    assert make_client().login(practitioner.email, NEW).status_code == 200


def test_own_password_changes_with_the_current_one(make_client, admin):
    me = make_client(admin)
    other_device = make_client(admin)
    wrong = me.api(
        "POST", "/api/v1/me/password", json={"current_password": "not it at all", "new_password": NEW}
    )
    assert wrong.status_code == 422
    assert list(wrong.get_json()["error"]["fields"]) == ["current_password"]
    weak = me.api(
        "POST", "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "password1234"}
    )
    assert weak.status_code == 422
    assert list(weak.get_json()["error"]["fields"]) == ["new_password"]
    assert make_client().login(admin.email, PASSWORD).status_code == 200  # unchanged so far

    done = me.api("POST", "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW})
    assert done.status_code == 200, done.get_json()
    me.csrf_token = done.get_json()["csrf_token"]
    assert me.get("/api/v1/me").status_code == 200  # this browser carries on, with a fresh session
    assert other_device.get("/api/v1/me").status_code == 401  # every other session ended
    assert make_client().login(admin.email, PASSWORD).status_code == 401
    assert make_client().login(admin.email, NEW).status_code == 200


def test_guessing_the_current_password_is_rate_limited(make_client, practitioner):
    me = make_client(practitioner)
    codes = [
        me.api(
            "POST", "/api/v1/me/password", json={"current_password": f"guess {i}", "new_password": NEW}
        ).status_code
        for i in range(7)
    ]
    assert codes == [422] * 5 + [429] * 2  # LOGIN_LIMIT_PER_ACCOUNT: 5 per 15 minutes
    right = me.api("POST", "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW})
    assert right.status_code == 429


def test_anonymous_callers_cannot_change_a_password(client):
    response = client.api(
        "POST", "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW}
    )
    assert response.status_code == 401
