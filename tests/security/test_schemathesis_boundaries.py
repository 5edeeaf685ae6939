"""Boundary values through every JSON body and query parameter the OpenAPI document describes, on
whichever engine the suite runs (CI runs it on SQLite and on PostgreSQL): a positive example made by
schemathesis, then each documented field in turn replaced by the edge values of its type. No answer
may be a 5xx (issue #17: outside probes found 500s that only such values reach).

Bounded for CI: one positive example per operation (derandomized), one role that may call nearly
everything (practitioner, supervisor, team manager and org admin at once), every field by its edge
values: a few hundred in-process requests.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

SKIP = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/portfolio")}  # ends the session; ~1 s a PDF

# Edge values by OpenAPI type/format. Each is tagged with what it probes.
STRING = [("empty", ""), ("astral", "\U0001f600" * 3), ("long", "x" * 5000)]
INTEGER = [
    ("zero", 0),
    ("minus-one", -1),
    ("int4-max", 2**31 - 1),
    ("js-safe", 2**53),
    ("js-safe-neg", -(2**53)),
]
INT4_OVER = [("int4-over", 2**31)]
NUMBER = [("zero", 0), ("negative", -0.5), ("huge", 1e300)]
DATE = [("leap", "2024-02-29"), ("epoch", "1970-01-01")]
DATETIME = [("leap", "2024-02-29T12:00:00Z"), ("offset", "2024-06-01T23:30:00+14:00")]
# Values the database or the calendar code cannot hold (issue #17): dates near year 1 and 9999 (the
# calendar and time-zone code overflow), NUL in text (PostgreSQL cannot store it), integers beyond
# int4. The schemas refuse each with a 422 naming the field (logbook/fields.py).
DATE = [*DATE, ("year-1", "0001-01-01"), ("year-9999", "9999-12-31")]
DATETIME = [*DATETIME, ("year-1", "0001-01-01T00:00:00Z"), ("year-9999", "9999-12-31T23:00:00Z")]
STRING = [*STRING, ("nul", "a\x00b")]
INTEGER = INTEGER + INT4_OVER
_BY_FORMAT = {"date": DATE, "date-time": DATETIME, "uuid": [("empty", "")], "email": [("empty", "")]}
_BY_TYPE = {"string": STRING, "integer": INTEGER, "number": NUMBER}


def _edges(schema: dict[str, Any]) -> list[tuple[str, Any]]:
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "string" and fmt in {"binary", "uri", "url"}:
        return []
    if kind == "string" and fmt in _BY_FORMAT:
        return _BY_FORMAT[fmt]
    return _BY_TYPE.get(kind, [])


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return _resolve(spec, schema["allOf"][0])
    return schema


def _fields(spec: dict[str, Any], operation: dict[str, Any]) -> tuple[dict[str, dict], dict[str, dict]]:
    """The documented body properties and query parameters of an operation, with their schemas."""
    body: dict[str, dict] = {}
    content = (operation.get("requestBody") or {}).get("content", {}).get("application/json")
    if content:
        schema = _resolve(spec, content.get("schema", {}))
        body = {
            k: _resolve(spec, v) for k, v in schema.get("properties", {}).items() if not v.get("readOnly")
        }
    query = {
        p["name"]: _resolve(spec, p.get("schema", {}))
        for p in operation.get("parameters", [])
        if p.get("in") == "query"
    }
    return body, query


def _probe(
    operation, body_fields, query_fields, client, headers, failures: list[str], statuses: list[int]
) -> int:
    """One positive example of the operation, then each field replaced by each edge value in turn."""
    key = (operation.method.upper(), operation.path)
    sent = 0

    @settings(
        max_examples=3,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def probe(case):
        nonlocal sent
        variants = []
        if isinstance(case.body, dict):
            for name, field in body_fields.items():
                variants += [("body", name, tag, value) for tag, value in _edges(field)]
        for name, field in query_fields.items():
            variants += [("query", name, tag, value) for tag, value in _edges(field) if value != ""]
        body, query = case.body, case.query
        for where, name, tag, value in variants:
            case.body = {**body, name: value} if where == "body" else body
            case.query = {**(query or {}), name: value} if where == "query" else query
            response = case.call(session=client, headers=headers)
            sent += 1
            statuses.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{key} {where} {name}={tag}: {response.status_code} {response.text[:300]}")

    probe()
    return sent


def test_edge_values_in_every_field_never_give_a_5xx(app, make_user, make_client, team):
    client = make_client(
        make_user("practitioner", "supervisor", "team_manager", "org_admin", team_id=team.id)
    )
    headers = {"X-CSRFToken": client.csrf_token}
    with app.app_context():
        spec = app.extensions["logbook.api"].spec.to_dict()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    statuses: list[int] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        body_fields, query_fields = _fields(spec, spec["paths"][operation.path][operation.method.lower()])
        if body_fields or query_fields:
            sent += _probe(operation, body_fields, query_fields, client, headers, failures, statuses)
    assert sent > 1000
    assert sum(200 <= code < 300 for code in statuses) > 30  # edge values really got stored, not only refused
    assert not failures, "\n".join(failures)
