"""Every endpoint with a body answers malformed JSON, wrong types, unknown and missing fields with
400/422 in the error shape — never 500. Endpoints are read from the OpenAPI document, so new ones
are covered automatically."""

import uuid

import pytest

from logbook.app import create_app

WRONG = {
    "string": {"nested": True},
    "integer": "many",
    "number": "lots",
    "boolean": "perhaps",
    "array": "not-a-list",
    "object": ["not", "an", "object"],
}


def _operations():
    app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://"})
    spec = app.extensions["logbook.api"].spec.to_dict()
    ops = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in {"post", "put", "patch"} and "requestBody" in op:
                content = op["requestBody"]["content"]
                if "application/json" not in content:
                    RAW_BODY.append((method.upper(), path))  # bytes: tests/entries/test_evidence_api.py
                    continue
                ref = content["application/json"]["schema"]["$ref"].split("/")[-1]
                ops.append((method.upper(), path, spec["components"]["schemas"][ref]))
    return ops


RAW_BODY: list[tuple[str, str]] = []


OPERATIONS = _operations()


def _url(path):
    return (
        path.replace("{", "").replace("}", "")
        if "{" not in path
        else "/".join(str(uuid.uuid4()) if part.startswith("{") else part for part in path.split("/"))
    )


def _check(response):
    assert response.status_code in {400, 422}, (response.status_code, response.get_data(as_text=True))
    err = response.get_json()["error"]
    assert set(err) >= {"code", "message", "fields"}
    return err


def test_the_spec_lists_body_endpoints():
    assert len(OPERATIONS) >= 10
    # Only the evidence upload, the record import, the staff onboarding file, Leap2A packages and past-CPD
    # spreadsheets take raw bytes; any other non-JSON body must be looked at here (the import's bad bytes:
    # tests/exports/test_record.py; the staff file's: tests/exports/test_staff_import.py; Leap2A's:
    # tests/exports/test_leap2a.py; spreadsheets': tests/exports/test_spreadsheet_import.py).
    assert sorted(RAW_BODY) == [
        ("POST", "/api/v1/admin/staff-import/apply"),
        ("POST", "/api/v1/admin/staff-import/preview"),
        ("POST", "/api/v1/record/import"),
        ("POST", "/api/v1/record/leap2a/apply"),
        ("POST", "/api/v1/record/leap2a/preview"),
        ("POST", "/api/v1/record/spreadsheet/apply"),
        ("POST", "/api/v1/record/spreadsheet/preview"),
        ("PUT", "/api/v1/evidence/{sha256}"),
    ]


@pytest.mark.parametrize(("method", "path", "schema"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_malformed_bodies_never_500(admin_client, method, path, schema):
    url = _url(path)
    client = admin_client
    for raw in ["{not json", "[1, 2", '"just a string"', "null", "[]", "12"]:
        err = _check(client.api(method, url, data=raw, content_type="application/json"))
        assert err["message"]
    err = _check(client.api(method, url, json={"unknown_field_xyz": 1}))
    assert "unknown_field_xyz" in err["fields"]
    required = schema.get("required", [])
    if required and method == "POST":
        err = _check(client.api(method, url, json={}))
        assert set(required) <= set(err["fields"])
    props = schema.get("properties", {})
    wrong = {
        name: WRONG.get(prop.get("type"), 12345) for name, prop in props.items() if not prop.get("readOnly")
    }
    if wrong:
        err = _check(client.api(method, url, json=wrong))
        assert set(err["fields"]) & set(wrong)


def test_login_with_bad_bodies(client):
    _check(client.api("POST", "/api/v1/auth/login", data="{oops", content_type="application/json"))
    err = _check(client.api("POST", "/api/v1/auth/login", json={"email": "not-an-email", "password": "x"}))
    assert "email" in err["fields"]
    err = _check(client.api("POST", "/api/v1/auth/login", json={"email": 5, "password": ["x"]}))
    assert {"email", "password"} <= set(err["fields"])
