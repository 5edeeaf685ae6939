"""One's own registrations (the phone's Registrations screen): list, add, change; nobody else's."""

from __future__ import annotations

from logbook.accounts.models import Registration
from logbook.extensions import db


def test_a_person_adds_and_changes_their_own_registration(make_client, practitioner, app):
    me = make_client(practitioner)
    before = me.get("/api/v1/me/registrations").get_json()
    added = me.api(
        "POST",
        "/api/v1/me/registrations",
        json={
            "regulator": "SWE",
            "profession": "Social worker",
            "registration_number": "SW123456",
            "renewal_date": "2027-11-30",
        },
    )
    assert added.status_code == 201, added.get_json()
    reg = added.get_json()
    assert reg["framework_id"] == "swe"  # the framework follows the regulator
    changed = me.api("PATCH", f"/api/v1/me/registrations/{reg['id']}", json={"renewal_date": "2028-11-30"})
    assert changed.status_code == 200
    assert changed.get_json()["renewal_date"] == "2028-11-30"
    assert changed.get_json()["registration_number"] == "SW123456"
    listed = me.get("/api/v1/me/registrations").get_json()
    assert len(listed) == len(before) + 1
    assert any(r["id"] == reg["id"] for r in me.get("/api/v1/me").get_json()["registrations"])


def test_bad_input_names_the_field_and_writes_nothing(make_client, practitioner, app):
    me = make_client(practitioner)
    with app.app_context():
        count = db.session.query(Registration).count()
    for body, field in (
        ({"regulator": "NOPE", "profession": "x"}, "regulator"),
        ({"regulator": "HCPC", "profession": ""}, "profession"),
        (
            {
                "regulator": "HCPC",
                "profession": "x",
                "registered_since": "2026-01-01",
                "renewal_date": "2025-01-01",
            },
            "renewal_date",
        ),
        ({"regulator": "HCPC", "profession": "x", "framework_id": "teachers"}, "framework_id"),
    ):
        response = me.api("POST", "/api/v1/me/registrations", json=body)
        assert response.status_code == 422, body
        assert field in response.get_json()["error"]["fields"], response.get_json()
    with app.app_context():
        assert db.session.query(Registration).count() == count


def test_the_regulator_and_framework_are_not_changed_by_their_holder(make_client, practitioner):
    me = make_client(practitioner)
    reg = me.api(
        "POST", "/api/v1/me/registrations", json={"regulator": "HCPC", "profession": "OT"}
    ).get_json()
    response = me.api("PATCH", f"/api/v1/me/registrations/{reg['id']}", json={"regulator": "NMC"})
    assert response.status_code == 422
    response = me.api("PATCH", f"/api/v1/me/registrations/{reg['id']}", json={"framework_id": "nmc"})
    assert response.status_code == 422


def test_another_persons_registration_is_not_found(make_client, practitioner, make_user):
    other = make_user("practitioner")
    theirs = (
        make_client(other)
        .api("POST", "/api/v1/me/registrations", json={"regulator": "HCPC", "profession": "OT"})
        .get_json()
    )
    response = make_client(practitioner).api(
        "PATCH", f"/api/v1/me/registrations/{theirs['id']}", json={"registration_number": "X1"}
    )
    assert response.status_code == 404
    assert make_client(other).get("/api/v1/me/registrations").get_json()[0]["registration_number"] is None
