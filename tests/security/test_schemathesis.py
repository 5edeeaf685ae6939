"""Schemathesis (a tool nobody here wrote) generates requests from /api/v1/openapi.json and sends them
in-process, logged in as each role: no response may be a 5xx, and every response must match what the
OpenAPI document says (status code listed, content type, body schema, headers).

Bounded and deterministic for CI: hypothesis is derandomized (the same examples every run, no example
database), each operation gets LOGBOOK_SCHEMATHESIS_EXAMPLES examples (default 6), and every role runs
on a freshly emptied database (the `app` fixture).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# Raw-bytes uploads (a ZIP of a record to import) are sent like application/octet-stream.
schemathesis.serializer.alias("application/zip", "application/octet-stream")
EXAMPLES = int(os.environ.get("LOGBOOK_SCHEMATHESIS_EXAMPLES", "6"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Operations that end the caller's session would turn the rest of the run into 401s; they are
# exercised by tests/accounts. The PDF export costs ~1 s a document, so it gets two examples.
SKIP = {("POST", "/api/v1/auth/logout")}
FEWER = {("POST", "/api/v1/portfolio"): 2}
ROLES = {
    "anonymous": None,
    "practitioner": ("practitioner",),
    "supervisor": ("practitioner", "supervisor"),
    "team_manager": ("team_manager",),
    "org_admin": ("org_admin",),
}


def _describe(key, response, case, err) -> str:
    return f"{key} -> {response.status_code}: {str(err)[:500]}\n  reproduce: {case.as_curl_command()}"


def _run(operation, client, headers) -> list[str]:
    """Generate and send this operation's examples; the failures found, as text."""
    failures: list[str] = []
    key = (operation.method.upper(), operation.path)

    @settings(
        max_examples=FEWER.get(key, EXAMPLES),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case):
        response = case.call(session=client, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:  # several checks failed on one response
            failures.extend(_describe(key, response, case, err) for err in group.exceptions)
        except Failure as err:
            failures.append(_describe(key, response, case, err))

    check()
    return failures


@pytest.mark.parametrize("role", list(ROLES))
def test_the_api_conforms_to_its_openapi_document(app, make_user, make_client, team, role):
    roles = ROLES[role]
    client = make_client(make_user(*roles, team_id=team.id) if roles else None)
    headers = {"X-CSRFToken": client.csrf_token or client.get("/api/v1/auth/csrf").get_json()["csrf_token"]}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        operations += 1
        failures += _run(operation, client, headers)
    assert operations >= 60
    assert not failures, "\n".join(failures)
