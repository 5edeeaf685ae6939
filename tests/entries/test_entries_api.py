"""Entries over the API: every kind, validation, versions, tombstones, listing, visibility."""

import datetime as dt
import uuid

import pytest

from logbook.extensions import db

TODAY = dt.date.today()  # noqa: DTZ011 - the API's plausibility window is relative to today


def base(kind="study_day", **extra):
    """A valid entry of a kind with the least it needs."""
    data = {
        "kind": kind,
        "title": "Attachment and trauma-informed practice",
        "start_date": (TODAY - dt.timedelta(days=3)).isoformat(),
        "hours": 3.5,
    }
    data.update(extra)
    return data


VALID_DETAILS = {
    "supervision": {
        "format": "individual",
        "supervisor_name": "Priya Shah",
        "duration_minutes": 90,
        "agenda": "Caseload, wellbeing, learning",
        "actions": [{"text": "Read the neglect toolkit", "owner": "me", "due_date": "2026-12-01"}],
    },
    "appraisal": {
        "reviewer_name": "Gareth Evans",
        "objectives": [{"text": "Complete ASYE", "status": "met"}],
    },
    "study_day": {"provider": "Research in Practice"},
    "course": {"provider": "University", "has_certificate": True},
    "bite_size_workshop": {},
    "team_study_day": {"location": "Town Hall"},
    "reflective_learning_set": {"set_name": "Neglect learning set", "facilitator": "Fiona Campbell"},
    "conference": {"provider": "BASW"},
    "shadowing": {"profession_shadowed": "health visitor", "team_shadowed": "0-19 service"},
    "reading": {"source": "Munro (2011) The Munro Review of Child Protection"},
    "peer_reflection": {"peer_name": "Tom Bradley", "peer_role": "Social worker"},
    "practice_feedback": {
        "source": "parent_carer",
        "summary": "Felt listened to",
        "what_changed": "More visits",
    },
    "reflective_account": {
        "nature_of_activity": "Workshop",
        "what_did_you_learn": "Safe sleep advice",
        "how_did_you_change_or_improve": "Use the new leaflet",
        "code_themes": ["preserve_safety"],
    },
    "reflective_discussion": {"partner_name": "Ruth Adebayo", "partner_nmc_pin": "98Y0552E"},
    "practice_hours": {"registration": "nurse", "setting": "Community 0-19 service"},
    "other": {},
}


@pytest.mark.parametrize("kind", list(VALID_DETAILS))
def test_every_kind_with_valid_details(make_client, practitioner, kind):
    client = make_client(practitioner)
    response = client.api("POST", "/api/v1/entries", json=base(kind, details=VALID_DETAILS[kind]))
    assert response.status_code == 201, response.get_json()
    entry = response.get_json()
    assert entry["kind"] == kind
    assert entry["version"] == 1
    assert entry["access"] == "owner"
    assert entry["is_participatory"] is (kind not in {"reading", "reflective_account", "practice_hours"})
    assert entry["reflection"]["template"] in {"rolfe", "gibbs", "free"}


INVALID = [
    ("hours", {"hours": -1}, "hours"),
    ("zero hours", {"hours": 0}, "hours"),
    ("absurd hours", {"hours": 25}, "hours"),
    ("hours over days", {"hours": 49, "start_date": "2026-01-05", "end_date": "2026-01-06"}, "hours"),
    ("end before start", {"start_date": "2026-01-05", "end_date": "2026-01-04"}, "end_date"),
    ("year 1900", {"start_date": "1900-01-01"}, "start_date"),
    ("far future", {"start_date": (TODAY + dt.timedelta(days=800)).isoformat()}, "start_date"),
    ("hours as text", {"hours": "three"}, "hours"),
    ("title too long", {"title": "x" * 201}, "title"),
    ("empty title", {"title": ""}, "title"),
    ("description too long", {"description": "x" * 10_001}, "description"),
    ("unknown kind", {"kind": "juggling"}, "kind"),
    ("bad visibility", {"visibility": "everyone"}, "visibility"),
    ("bad way of knowing", {"ways_of_knowing": ["telepathic"]}, "ways_of_knowing.0"),
    (
        "unknown standard code",
        {"standards": [{"framework": "hcpc", "version": 1, "code": "6"}]},
        "standards.0.code",
    ),
    (
        "wrong framework version",
        {"standards": [{"framework": "hcpc", "version": 9, "code": "1"}]},
        "standards.0.version",
    ),
    (
        "unknown framework",
        {"standards": [{"framework": "gmc", "version": 1, "code": "1"}]},
        "standards.0.framework",
    ),
    (
        "reflection prompt not in template",
        {"reflection": {"template": "rolfe", "answers": {"feelings": "x"}}},
        "reflection.answers.feelings",
    ),
    ("unknown template", {"reflection": {"template": "haiku", "answers": {}}}, "reflection.template"),
    ("status signed_off by owner", {"status": "signed_off"}, "status"),
    ("bad evidence hash", {"evidence": [{"sha256": "abc"}]}, "evidence.0.sha256"),
    (
        "details of another kind",
        {"kind": "shadowing", "details": {"peer_name": "X"}},
        "details.profession_shadowed",
    ),
    (
        "bad NMC PIN",
        {"kind": "reflective_discussion", "details": {"partner_name": "A", "partner_nmc_pin": "123"}},
        "details.partner_nmc_pin",
    ),
    (
        "feedback source",
        {"kind": "practice_feedback", "details": {"source": "cat", "summary": "x"}},
        "details.source",
    ),
    ("supervision format missing", {"kind": "supervision", "details": {}}, "details.format"),
    (
        "supervision minutes absurd",
        {"kind": "supervision", "details": {"format": "group", "duration_minutes": 10_000}},
        "details.duration_minutes",
    ),
    (
        "appraisal objective status",
        {
            "kind": "appraisal",
            "details": {"reviewer_name": "A", "objectives": [{"text": "x", "status": "vibes"}]},
        },
        "details.objectives",
    ),
    ("unknown field", {"colour": "blue"}, "colour"),
]


@pytest.mark.parametrize(("case", "change", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_entries_are_refused_by_field(
    app, make_client, practitioner, frameworks, case, change, field
):
    client = make_client(practitioner)
    data = base(**change)
    response = client.api("POST", "/api/v1/entries", json=data)
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields
    with app.app_context():  # nothing half-written
        assert db.session.execute(db.text("SELECT count(*) FROM entry")).scalar() == 0


def test_tags_against_an_older_framework_version_are_kept(make_client, practitioner, frameworks):
    client = make_client(practitioner)
    tags = [
        {"framework": "hcpc", "version": 1, "code": "2"},
        {"framework": "hcpc", "version": 2, "code": "6"},
    ]
    entry = client.api("POST", "/api/v1/entries", json=base(standards=tags)).get_json()
    assert entry["standards"] == tags
    listed = client.get("/api/v1/entries?standard=hcpc:2").get_json()["items"]
    assert [e["id"] for e in listed] == [entry["id"]]
    assert client.get("/api/v1/entries?standard=hcpc:3").get_json()["items"] == []


def test_client_chosen_id_and_duplicate(make_client, practitioner):
    client = make_client(practitioner)
    ident = str(uuid.uuid4())
    assert client.api("POST", "/api/v1/entries", json=base(id=ident)).get_json()["id"] == ident
    again = client.api("POST", "/api/v1/entries", json=base(id=ident, title="Other"))
    assert again.status_code == 409
    assert client.get(f"/api/v1/entries/{ident}").get_json()["title"] == base()["title"]


def test_update_with_versions_and_stale_conflict(make_client, practitioner):
    client = make_client(practitioner)
    entry = client.api("POST", "/api/v1/entries", json=base()).get_json()
    url = f"/api/v1/entries/{entry['id']}"
    first = client.api("PATCH", url, json={"base_version": 1, "hours": 4})
    assert first.status_code == 200
    assert (first.get_json()["version"], first.get_json()["hours"]) == (2, 4.0)
    stale = client.api("PATCH", url, json={"base_version": 1, "title": "Lost edit?"})
    assert stale.status_code == 409
    err = stale.get_json()["error"]
    assert err["code"] == "stale_version"
    assert err["current"]["version"] == 2
    assert err["current"]["hours"] == 4.0
    missing = client.api("PATCH", url, json={"title": "No version"})
    assert missing.status_code == 422
    assert "base_version" in missing.get_json()["error"]["fields"]
    # a partial change is checked as a whole entry: 30 hours in one day is refused
    assert client.api("PATCH", url, json={"base_version": 2, "hours": 30}).status_code == 422


def test_delete_is_a_tombstone(make_client, practitioner):
    client = make_client(practitioner)
    entry = client.api("POST", "/api/v1/entries", json=base()).get_json()
    url = f"/api/v1/entries/{entry['id']}"
    assert client.api("DELETE", url + "?base_version=7").status_code == 409
    gone = client.api("DELETE", url + "?base_version=1")
    assert gone.status_code == 200
    assert gone.get_json()["is_deleted"] is True
    assert gone.get_json()["version"] == 2
    assert client.get("/api/v1/entries").get_json()["items"] == []
    with_deleted = client.get("/api/v1/entries?include_deleted=true").get_json()["items"]
    assert [e["id"] for e in with_deleted] == [entry["id"]]
    assert client.api("PATCH", url, json={"base_version": 2, "title": "x"}).status_code == 409


def test_listing_filters_search_and_cursor_pages(make_client, practitioner):
    client = make_client(practitioner)
    for i in range(7):
        day = (TODAY - dt.timedelta(days=i)).isoformat()
        kind = "reading" if i % 2 else "supervision"
        details = VALID_DETAILS[kind]
        client.api(
            "POST",
            "/api/v1/entries",
            json=base(
                kind,
                start_date=day,
                title=f"Entry {i}",
                details=details,
                reflection={"template": "rolfe", "answers": {"what": f"note {i} graphene"}},
            ),
        )
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/entries?limit=3" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [e["title"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"Entry {i}" for i in range(7)]
    assert {e["kind"] for e in client.get("/api/v1/entries?kind=reading").get_json()["items"]} == {"reading"}
    found = client.get("/api/v1/entries?q=note 3 GRAPHENE").get_json()["items"]
    assert [e["title"] for e in found] == ["Entry 3"]
    window = client.get(
        f"/api/v1/entries?date_from={(TODAY - dt.timedelta(days=2)).isoformat()}&date_to={TODAY.isoformat()}"
    ).get_json()["items"]
    assert len(window) == 3
    assert client.get("/api/v1/entries?cursor=!!!").status_code == 422


def test_identifying_data_warnings_on_save_and_while_typing(make_client, practitioner):
    client = make_client(practitioner)
    entry = client.api(
        "POST",
        "/api/v1/entries",
        json=base(
            reflection={
                "template": "rolfe",
                "answers": {"what": "Visited Mrs Smith at CR2 6XH about her son."},
            },
        ),
    ).get_json()
    kinds = {(w["field"], w["kind"]) for w in entry["warnings"]}
    assert ("reflection.answers.what", "titled_name") in kinds
    assert ("reflection.answers.what", "postcode") in kinds
    typed = client.api("POST", "/api/v1/privacy/check", json={"text": "NHS number 943 476 5919"}).get_json()
    assert [w["kind"] for w in typed["warnings"]] == ["nhs_number"]


# --- visibility --------------------------------------------------------------------------------


READ_EXPECTED = {
    # visibility → viewer → expected status (and access level when 200)
    "private": {
        "owner": (200, "owner"),
        "other_practitioner": 404,
        "supervisor": 404,
        "other_supervisor": 404,
        "team_manager": 404,
        "admin": 404,
        "other_org_admin": 404,
        "anonymous": 401,
    },
    "supervisors": {
        "owner": (200, "owner"),
        "other_practitioner": 404,
        "supervisor": (200, "supervisor"),
        "other_supervisor": 404,
        "team_manager": 404,
        "admin": 404,
        "other_org_admin": 404,
        "anonymous": 401,
    },
    "organisation": {
        "owner": (200, "owner"),
        "other_practitioner": 404,
        "supervisor": (200, "supervisor"),
        "other_supervisor": 404,
        "team_manager": (200, "metadata"),
        "admin": (200, "metadata"),
        "other_org_admin": 404,
        "anonymous": 401,
    },
}
VIEWERS = [
    "owner",
    "other_practitioner",
    "supervisor",
    "other_supervisor",
    "team_manager",
    "admin",
    "other_org_admin",
    "anonymous",
]


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("visibility", list(READ_EXPECTED))
def test_read_access_table(cast, make_client, visibility, viewer):
    owner_client = make_client(cast["owner"])
    entry = owner_client.api(
        "POST",
        "/api/v1/entries",
        json=base(
            visibility=visibility,
            description="Private narrative about a family",
            reflection={"template": "rolfe", "answers": {"what": "secret reflection text"}},
        ),
    ).get_json()
    client = make_client() if viewer == "anonymous" else make_client(cast[viewer])
    response = client.get(f"/api/v1/entries/{entry['id']}")
    expected = READ_EXPECTED[visibility][viewer]
    status, level = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status_code == status
    body = response.get_data(as_text=True)
    if level:
        assert response.get_json()["access"] == level
    if level == "metadata":
        assert "secret reflection text" not in body
        assert "Private narrative" not in body
        assert response.get_json()["title"] == entry["title"]
    if status != 200:
        assert "secret reflection text" not in body


WRITE_CALLS = [
    ("PATCH", "/api/v1/entries/{id}", {"base_version": 1, "title": "Hijacked"}),
    ("DELETE", "/api/v1/entries/{id}?base_version=1", None),
]


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize(("method", "url", "body"), WRITE_CALLS)
def test_only_the_owner_changes_an_entry(cast, make_client, viewer, method, url, body):
    owner_client = make_client(cast["owner"])
    entry = owner_client.api("POST", "/api/v1/entries", json=base(visibility="organisation")).get_json()
    client = make_client() if viewer == "anonymous" else make_client(cast[viewer])
    response = client.api(method, url.format(id=entry["id"]), json=body)
    expected = 200 if viewer == "owner" else 401 if viewer == "anonymous" else 404
    assert response.status_code == expected
    if viewer != "owner":
        assert owner_client.get(f"/api/v1/entries/{entry['id']}").get_json()["version"] == 1


def test_drafts_stay_with_the_owner(cast, make_client):
    owner_client = make_client(cast["owner"])
    entry = owner_client.api("POST", "/api/v1/entries", json=base(visibility="organisation", status="draft"))
    for viewer in ("supervisor", "admin"):
        assert make_client(cast[viewer]).get(f"/api/v1/entries/{entry.get_json()['id']}").status_code == 404


@pytest.mark.parametrize(
    ("viewer", "scope", "expected"),
    [
        ("supervisor", "supervisees", {"supervisors", "organisation"}),
        ("other_supervisor", "supervisees", set()),
        ("admin", "organisation", {"organisation"}),
        ("team_manager", "organisation", {"organisation"}),
        ("other_org_admin", "organisation", set()),
        ("other_practitioner", "organisation", 403),
        ("other_practitioner", "supervisees", 403),
        ("other_practitioner", "mine", set()),
    ],
)
def test_list_scopes(cast, make_client, viewer, scope, expected):
    owner_client = make_client(cast["owner"])
    for visibility in ("private", "supervisors", "organisation"):
        owner_client.api(
            "POST",
            "/api/v1/entries",
            json=base(visibility=visibility, title=visibility, description="narrative"),
        )
    response = make_client(cast[viewer]).get(f"/api/v1/entries?scope={scope}")
    if expected == 403:
        assert response.status_code == 403
        return
    items = response.get_json()["items"]
    assert {e["visibility"] for e in items} == expected
    if viewer in {"admin", "team_manager"}:
        assert all("description" not in e and "reflection" not in e for e in items)
        assert client_search_hits(make_client(cast[viewer]), "narrative") == 0


def client_search_hits(client, text):
    """How many organisation-scope entries a free-text search finds (metadata viewers: titles only)."""
    return len(client.get(f"/api/v1/entries?scope=organisation&q={text}").get_json()["items"])


def test_listing_by_status_and_visibility(make_client, practitioner):
    client = make_client(practitioner)
    for title, visibility, status in [
        ("draft private", "private", "draft"),
        ("recorded org", "organisation", "recorded"),
        ("recorded sup", "supervisors", "recorded"),
    ]:
        client.api("POST", "/api/v1/entries", json=base(title=title, visibility=visibility, status=status))

    def titles(query):
        return sorted(e["title"] for e in client.get(f"/api/v1/entries?{query}").get_json()["items"])

    assert titles("status=draft") == ["draft private"]
    assert titles("status=recorded") == ["recorded org", "recorded sup"]
    assert titles("visibility=organisation") == ["recorded org"]
    assert titles("visibility=supervisors&status=draft") == []
    assert client.get("/api/v1/entries?status=lost").status_code == 422
