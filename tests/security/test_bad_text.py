"""JSON may carry lone UTF-16 surrogates ("\\ud800"), which UTF-8 (and so the database) cannot store:
every JSON endpoint refuses them with 422 naming the field, never a 500 (found by schemathesis)."""

from __future__ import annotations

import datetime as dt

LONE = '"Team \\udaf4\\udc7cA\\ud800"'  # a valid pair, then a lone high surrogate


def test_a_lone_surrogate_in_a_field_is_a_422_naming_it(admin_client):
    body = '{"name": LONE, "service_area": "health"}'.replace("LONE", LONE)
    response = admin_client.api("POST", "/api/v1/admin/teams", data=body, content_type="application/json")
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["fields"] == {"name": ["Contains a character that is not valid text."]}
    assert admin_client.get("/api/v1/admin/teams").get_json() == []  # nothing was saved


def test_nested_fields_and_keys_are_named_by_their_path(admin_client):
    start = (dt.date.today() - dt.timedelta(days=1)).isoformat()  # noqa: DTZ011 - relative to today
    body = (
        '{"kind": "study_day", "title": "ok", "hours": 1, "start_date": "START",'
        ' "reflection": {"template": "rolfe", "answers": {"what": LONE}}, "other_professions": ["x", LONE]}'
    ).replace("START", start).replace("LONE", LONE)
    response = admin_client.api("POST", "/api/v1/entries", data=body, content_type="application/json")
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"reflection.answers.what", "other_professions.1"}


def test_valid_surrogate_pairs_are_fine(admin_client):
    body = '{"name": "Team \\ud83d\\ude00", "service_area": "health"}'  # an emoji, escaped
    response = admin_client.api("POST", "/api/v1/admin/teams", data=body, content_type="application/json")
    assert response.status_code == 201
    assert response.get_json()["name"] == "Team \U0001f600"


def test_integers_too_large_to_store_are_a_422_naming_the_field(admin_client):
    """Beyond 2^53 (JavaScript's safe integers) is refused: such numbers overflowed the database's
    integers (a 500 on SQLite before). Checked once for every endpoint (LogbookParser); a field
    stored in a 32-bit column refuses more than 2^31 - 1 itself (logbook/fields.py)."""
    today = dt.date.today().isoformat()  # noqa: DTZ011 - the plausibility window is relative to today
    entry = {"kind": "study_day", "title": "ok", "hours": 1, "start_date": today}
    entry["standards"] = [{"framework": "hcpc", "version": 96859203132264137069583925248, "code": "1"}]
    response = admin_client.api("POST", "/api/v1/entries", json=entry)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields == {"standards.0.version": ["Must be between -2147483648 and 2147483647."]}
    entry["standards"][0]["version"] = 2**31 - 1  # the largest accepted: refused for other reasons only
    response = admin_client.api("POST", "/api/v1/entries", json=entry)
    assert "standards.0.version" not in response.get_json().get("error", {}).get("fields", {})


def test_names_differing_only_by_a_non_ascii_case_are_refused_not_a_500(admin_client):
    """SQLite's lower() folds only ASCII: a repeated "ÒX" got past the duplicate check and hit the
    unique constraint (a 500, found by schemathesis)."""
    team = {"name": "ÒX team", "service_area": "health"}
    first = admin_client.api("POST", "/api/v1/admin/teams", json=team)
    assert first.status_code == 201
    again = admin_client.api("POST", "/api/v1/admin/teams", json=team)
    assert again.status_code == 422
    assert "name" in again.get_json()["error"]["fields"]
