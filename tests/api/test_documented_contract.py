"""What the OpenAPI document says is what the API does (issue #17, found by schemathesis): a body
documented as required is required, a boolean is true or false (not 0 or "yes"), and the .ics
downloads are documented as text/calendar, not JSON."""

from __future__ import annotations

import pytest


@pytest.fixture
def admin_client(make_user, make_client):
    return make_client(make_user("practitioner", "org_admin"))


def test_a_missing_body_is_refused_not_read_as_empty(admin_client, practitioner):
    """A registration's PATCH takes any subset of its fields, so an absent body read as {} was a
    change of nothing answered 200; the body is documented as required."""
    made = admin_client.api(
        "POST",
        f"/api/v1/admin/users/{practitioner.id}/registrations",
        json={"regulator": "SWE", "profession": "social worker", "registration_number": "SW123"},
    )
    assert made.status_code == 201, made.get_json()
    url = f"/api/v1/admin/registrations/{made.get_json()['id']}"
    for kwargs in (
        {},
        {"data": b"", "content_type": "application/json"},
        {"data": b"registration_number=X", "content_type": "application/x-www-form-urlencoded"},
    ):
        response = admin_client.api("PATCH", url, **kwargs)
        assert response.status_code == 422, (kwargs, response.get_json())
        assert response.get_json()["error"]["fields"]
    assert admin_client.api("PATCH", url, json={}).status_code == 200  # an empty object is a body
    changed = admin_client.api("PATCH", url, json={"registration_number": "SW999"})
    assert changed.get_json()["registration_number"] == "SW999"


def test_every_documented_body_is_marked_required(app):
    with app.app_context():
        spec = app.extensions["logbook.api"].spec.to_dict()
    bodies = [
        (path, method, op["requestBody"])
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if isinstance(op, dict) and "requestBody" in op
    ]
    assert bodies
    assert all(body.get("required") for _p, _m, body in bodies), [
        (p, m) for p, m, b in bodies if not b.get("required")
    ]


@pytest.mark.parametrize("value", [0, 1, "false", "true", "yes", "", [], {}])
def test_booleans_in_a_body_are_true_or_false_only(admin_client, practitioner, value):
    response = admin_client.api("PATCH", f"/api/v1/admin/users/{practitioner.id}", json={"is_active": value})
    assert response.status_code == 422, response.get_json()
    assert "is_active" in response.get_json()["error"]["fields"]
    assert admin_client.api("GET", f"/api/v1/admin/users/{practitioner.id}").get_json()["is_active"] is True


def test_booleans_in_a_body_still_take_true_and_false(admin_client, make_user):
    someone = make_user("practitioner")
    url = f"/api/v1/admin/users/{someone.id}"
    assert admin_client.api("PATCH", url, json={"is_active": False}).get_json()["is_active"] is False
    assert admin_client.api("PATCH", url, json={"is_active": True}).get_json()["is_active"] is True


def test_query_string_booleans_still_read_true(make_client, practitioner):
    me = make_client(practitioner)
    assert me.get("/api/v1/notifications?unread=true").status_code == 200
    assert me.get("/api/v1/entries?include_deleted=true").status_code == 200


def test_ics_downloads_are_documented_as_text_calendar(app):
    with app.app_context():
        spec = app.extensions["logbook.api"].spec.to_dict()
    ics = [(path, item["get"]) for path, item in spec["paths"].items() if path.endswith("invite.ics")]
    assert len(ics) == 2
    for path, op in ics:
        assert list(op["responses"]["200"]["content"]) == ["text/calendar"], path
