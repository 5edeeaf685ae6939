"""Values the database or the calendar code cannot hold are refused at the schema with 422 naming the
field (logbook/fields.py, one place every input schema shares), never a 500: NUL in text (PostgreSQL's
text cannot hold it), in the `q` search parameter and in an insights filter; integers beyond a 32-bit
column; days outside the supported range 1900-01-01 … 2199-12-31. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from logbook import fields

TODAY = dt.date.today()  # noqa: DTZ011 - the entries API's plausibility window is relative to today


def _entry(**overrides):
    body = {"kind": "study_day", "title": "Safeguarding update", "hours": 1, "start_date": TODAY.isoformat()}
    body.update(overrides)
    return body


@pytest.fixture
def me(make_client, practitioner):
    return make_client(practitioner)


def test_nul_in_a_text_field_is_a_422_naming_it(admin_client, me):
    team = admin_client.api(
        "POST", "/api/v1/admin/teams", json={"name": "Team\u0000A", "service_area": "health"}
    )
    assert team.status_code == 422
    assert team.get_json()["error"]["fields"] == {"name": ["Must not contain the NUL character."]}
    assert admin_client.get("/api/v1/admin/teams").get_json() == []
    entry = me.api("POST", "/api/v1/entries", json=_entry(title="a\u0000b", other_professions=["x\u0000"]))
    assert entry.status_code == 422
    assert set(entry.get_json()["error"]["fields"]) == {"title", "other_professions.0"}
    # in a free-form object too (a reflection's answers), named by its path
    answers = me.api(
        "POST",
        "/api/v1/entries",
        json=_entry(reflection={"template": "rolfe", "answers": {"what": "\u0000"}}),
    )
    assert answers.status_code == 422
    assert "reflection.answers.what" in answers.get_json()["error"]["fields"]
    assert me.get("/api/v1/entries").get_json()["items"] == []


def test_nul_in_the_search_parameter_is_a_422(me):
    response = me.get("/api/v1/entries?q=smith%00")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"q": ["Must not contain the NUL character."]}
    assert me.get("/api/v1/entries?q=smith").status_code == 200


def test_nul_in_an_insights_filter_is_a_422(admin_client):
    response = admin_client.get("/api/v1/insights/activity_by_team?profession=social%00worker")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"] == {"profession": ["Must not contain the NUL character."]}


@pytest.mark.parametrize("version", [2**31, 2**53, -(2**31) - 1])
def test_an_integer_beyond_a_32_bit_column_is_a_422_naming_it(me, version):
    body = _entry(standards=[{"framework": "hcpc", "version": version, "code": "1"}])
    response = me.api("POST", "/api/v1/entries", json=body)
    assert response.status_code == 422
    reasons = response.get_json()["error"]["fields"]["standards.0.version"]
    assert any("2147483647" in r or "9007199254740992" in r for r in reasons), reasons


def test_the_largest_32_bit_version_is_not_refused_for_its_size(me):
    body = _entry(standards=[{"framework": "hcpc", "version": 2**31 - 1, "code": "1"}])
    response = me.api("POST", "/api/v1/entries", json=body)
    fields_ = response.get_json().get("error", {}).get("fields", {})
    assert not any("2147483647" in r for r in fields_.get("standards.0.version", []))
    assert response.status_code in {201, 422}


@pytest.mark.parametrize("as_of", ["0003-01-01", "0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"])
def test_progress_as_of_outside_the_supported_days_is_a_422(me, as_of):
    response = me.get(f"/api/v1/progress?as_of={as_of}")
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"as_of": [fields.DATE_MESSAGE]}


@pytest.mark.parametrize("as_of", ["1900-01-01", "2199-12-31"])
def test_progress_as_of_at_the_edges_of_the_supported_days_answers(me, as_of):
    assert me.get(f"/api/v1/progress?as_of={as_of}").status_code == 200


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_entry_dated_outside_the_supported_days_is_a_422(me, day):
    response = me.api("POST", "/api/v1/entries", json=_entry(start_date=day))
    assert response.status_code == 422
    assert fields.DATE_MESSAGE in response.get_json()["error"]["fields"]["start_date"]


def _push(client, *fields_list):
    import uuid

    mutations = [
        {"mutation_id": n, "entity": "entry", "op": "create", "id": str(uuid.uuid4()), "fields": f}
        for n, f in enumerate(fields_list, start=1)
    ]
    return client.api(
        "POST", "/api/v1/sync/push", json={"client_id": str(uuid.uuid4()), "mutations": mutations}
    )


def test_a_synced_entry_dated_year_1_is_rejected_naming_the_field(me):
    """Mutation fields are loaded by the same schemas inside the sync service."""
    response = _push(me, _entry(start_date="0001-01-01"), _entry(start_date="9999-12-31"))
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["rejected", "rejected"], results
    assert [r["errors"] for r in results] == [{"start_date": [fields.DATE_MESSAGE]}] * 2
    assert me.get("/api/v1/entries").get_json()["items"] == []


def test_nul_anywhere_in_a_push_is_a_422_naming_the_field(me):
    response = _push(me, _entry(), _entry(title="x\u0000"))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {"mutations.1.fields.title": [fields.NUL_MESSAGE]}
    assert me.get("/api/v1/entries").get_json()["items"] == []


def test_every_schema_uses_the_storable_fields():
    """A schema written with marshmallow's own fields would let these values through again."""
    root = Path(fields.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        # fields.py defines the storable fields; wire.py defines no schema, it reads the field types of
        # existing schemas to reproduce their dump (the entry list).
        if path.name not in {"fields.py", "wire.py"}
        and re.search(r"^from marshmallow import .*\bfields\b", path.read_text(encoding="utf-8"), re.M)
    ]
    assert offenders == []


def test_nul_in_an_imported_record_is_a_422_naming_the_file(me):
    import io
    import json
    import zipfile

    record = {
        "format": "cpd-logbook-record",
        "format_version": 1,
        "exported_at": "2026-01-01T00:00:00+00:00",
        "source": {"organisation": "Elsewhere\u0000"},
        "person": {"registrations": []},
        "entries": [],
        "evidence": [],
        "supervision_sessions": [],
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("record.json", json.dumps(record))
    response = me.api("POST", "/api/v1/record/import", data=buffer.getvalue(), content_type="application/zip")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"]["file"] == [
        f"record.json: source.organisation: {fields.NUL_MESSAGE}"
    ]
