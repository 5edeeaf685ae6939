"""Who may call which entries and evidence endpoint: one table of (endpoint, viewer) → status.

Viewers: the owner, another practitioner, the owner's supervisor, another supervisor, the org admin
(metadata only), another organisation's admin, and an anonymous browser. The owner's entry is shared
with the organisation, so every viewer who could ever see it does; a private and a supervisors-only
entry with their own evidence show where the line is drawn.
"""

import hashlib

import pytest

from tests.entries.test_entries_api import base

VIEWERS = [
    "owner",
    "other_practitioner",
    "supervisor",
    "other_supervisor",
    "admin",
    "other_org_admin",
    "anonymous",
]


def pdf(label):
    """A small PDF whose bytes differ by label."""
    return b"%PDF-1.4\n% " + label.encode() + b"\n%%EOF\n"


@pytest.fixture
def world(cast, make_client):
    """Three entries of the owner (private, supervisors, organisation), each with an uploaded PDF."""
    owner = make_client(cast["owner"])
    made = {}
    for visibility in ("private", "supervisors", "organisation"):
        data = pdf(visibility)
        digest = hashlib.sha256(data).hexdigest()
        assert owner.api("PUT", f"/api/v1/evidence/{digest}", data=data).status_code == 201
        entry = owner.api(
            "POST",
            "/api/v1/entries",
            json=base(
                visibility=visibility,
                title=f"{visibility} entry",
                reflection={"template": "rolfe", "answers": {"what": "secret reflection text"}},
                evidence=[{"sha256": digest, "name": "certificate.pdf"}],
            ),
        ).get_json()
        made[visibility] = {"id": entry["id"], "sha256": digest}
    return made


def call(make_client, cast, viewer, method, url, body=None, data=None):
    """Make the request as the viewer."""
    client = make_client() if viewer == "anonymous" else make_client(cast[viewer])
    kwargs = {"json": body} if body is not None else {}
    if data is not None:
        kwargs = {"data": data}
    return client.api(method, url, **kwargs)


# (name, method, url template, body) → expected status per viewer, in VIEWERS order.
# {id}/{sha} name the organisation-visible entry and its file unless the name says otherwise.
TABLE = [
    ("list mine", "GET", "/api/v1/entries", None, [200, 200, 200, 200, 200, 200, 401]),
    (
        "list supervisees",
        "GET",
        "/api/v1/entries?scope=supervisees",
        None,
        [403, 403, 200, 200, 403, 403, 401],
    ),
    (
        "list organisation",
        "GET",
        "/api/v1/entries?scope=organisation",
        None,
        [403, 403, 403, 403, 200, 200, 401],
    ),
    ("create", "POST", "/api/v1/entries", "new", [201, 201, 201, 201, 201, 201, 401]),
    ("read", "GET", "/api/v1/entries/{id}", None, [200, 404, 200, 404, 200, 404, 401]),
    ("read private", "GET", "/api/v1/entries/{private_id}", None, [200, 404, 404, 404, 404, 404, 401]),
    (
        "read supervisors-only",
        "GET",
        "/api/v1/entries/{supervisors_id}",
        None,
        [200, 404, 200, 404, 404, 404, 401],
    ),
    ("update", "PATCH", "/api/v1/entries/{id}", "patch", [200, 404, 404, 404, 404, 404, 401]),
    ("delete", "DELETE", "/api/v1/entries/{id}?base_version=1", None, [200, 404, 404, 404, 404, 404, 401]),
    ("privacy check", "POST", "/api/v1/privacy/check", "text", [200, 200, 200, 200, 200, 200, 401]),
    (
        "reflection templates",
        "GET",
        "/api/v1/reflection-templates",
        None,
        [200, 200, 200, 200, 200, 200, 401],
    ),
    ("download evidence", "GET", "/api/v1/evidence/{sha}", None, [200, 404, 200, 404, 404, 404, 401]),
    (
        "download private evidence",
        "GET",
        "/api/v1/evidence/{private_sha}",
        None,
        [200, 404, 404, 404, 404, 404, 401],
    ),
    (
        "download supervisors-only evidence",
        "GET",
        "/api/v1/evidence/{supervisors_sha}",
        None,
        [200, 404, 200, 404, 404, 404, 401],
    ),
    ("upload evidence", "PUT", "/api/v1/evidence/{new_sha}", "file", [201, 201, 201, 201, 201, 201, 401]),
]
CASES = [
    pytest.param(method, url, body, viewer, statuses[i], id=f"{name}-{viewer}")
    for name, method, url, body, statuses in TABLE
    for i, viewer in enumerate(VIEWERS)
]
NEW_FILE = pdf("new upload")
BODIES = {
    "new": base(title="My own entry"),
    "patch": {"base_version": 1, "title": "Changed"},
    "text": {"text": "Mrs Smith"},
}


@pytest.mark.parametrize(("method", "url", "body", "viewer", "expected"), CASES)
def test_access_table(world, cast, make_client, method, url, body, viewer, expected):
    url = url.format(
        id=world["organisation"]["id"],
        sha=world["organisation"]["sha256"],
        private_id=world["private"]["id"],
        private_sha=world["private"]["sha256"],
        supervisors_id=world["supervisors"]["id"],
        supervisors_sha=world["supervisors"]["sha256"],
        new_sha=hashlib.sha256(NEW_FILE).hexdigest(),
    )
    response = call(
        make_client,
        cast,
        viewer,
        method,
        url,
        body=BODIES.get(body),
        data=NEW_FILE if body == "file" else None,
    )
    assert response.status_code == expected, response.get_data(as_text=True)[:300]
    text = response.get_data(as_text=True)
    if viewer not in {"owner", "supervisor"}:
        # nobody else ever receives reflection text, whatever the endpoint
        assert "secret reflection text" not in text
    if response.status_code >= 400:
        assert set(response.get_json()["error"]) >= {"code", "message", "fields"}


@pytest.mark.parametrize("viewer", ["admin", "other_org_admin"])
def test_metadata_viewers_never_get_reflections_in_lists(world, cast, make_client, viewer):
    items = make_client(cast[viewer]).get("/api/v1/entries?scope=organisation").get_json()["items"]
    expected = ["organisation entry"] if viewer == "admin" else []
    assert [e["title"] for e in items] == expected
    for item in items:
        assert item["access"] == "metadata"
        assert not {"description", "reflection", "evidence", "details", "warnings"} & {
            k for k, v in item.items() if v
        }


def test_supervisor_lists_only_what_was_shared(world, cast, make_client):
    items = make_client(cast["supervisor"]).get("/api/v1/entries?scope=supervisees").get_json()["items"]
    assert sorted(e["title"] for e in items) == ["organisation entry", "supervisors entry"]
    assert all(e["access"] == "supervisor" for e in items)
    assert all(e["reflection"]["answers"]["what"] == "secret reflection text" for e in items)


def test_a_supervisor_loses_access_when_the_entry_is_made_private(world, cast, make_client):
    owner = make_client(cast["owner"])
    entry_id, sha = world["organisation"]["id"], world["organisation"]["sha256"]
    supervisor = make_client(cast["supervisor"])
    assert supervisor.get(f"/api/v1/evidence/{sha}").status_code == 200
    owner.api("PATCH", f"/api/v1/entries/{entry_id}", json={"base_version": 1, "visibility": "private"})
    assert supervisor.get(f"/api/v1/entries/{entry_id}").status_code == 404
    assert supervisor.get(f"/api/v1/evidence/{sha}").status_code == 404
