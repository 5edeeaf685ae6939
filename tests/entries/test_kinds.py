"""Every kind of entry: valid with its own fields, and refused field by field when anything is wrong."""

import datetime as dt

import pytest

from logbook.entries.schemas import DETAILS_BY_KIND
from logbook.frameworks.kinds import KINDS
from tests.entries.test_entries_api import VALID_DETAILS, base

TODAY = dt.date.today()  # noqa: DTZ011 - the API's plausibility window is relative to today
LONG = "x" * 10_001

# Refused for every kind: (case, change to the entry, field named in the error).
COMMON_INVALID = [
    ("negative hours", {"hours": -2}, "hours"),
    ("absurd hours", {"hours": 100}, "hours"),
    ("hours as words", {"hours": "three"}, "hours"),
    ("hours as a list", {"hours": [1]}, "hours"),
    ("end before start", {"start_date": "2026-03-10", "end_date": "2026-03-09"}, "end_date"),
    ("date not a date", {"start_date": "yesterday"}, "start_date"),
    (
        "unknown standard code",
        {"standards": [{"framework": "hcpc", "version": 2, "code": "99"}]},
        "standards.0.code",
    ),
    (
        "wrong framework version",
        {"standards": [{"framework": "swe", "version": 3, "code": "4.2"}]},
        "standards.0.version",
    ),
    ("title over the limit", {"title": "t" * 201}, "title"),
    ("description over the limit", {"description": LONG}, "description"),
    ("impact over the limit", {"impact_on_practice": "i" * 5001}, "impact_on_practice"),
    (
        "reflection over the limit",
        {"reflection": {"template": "free", "answers": {"text": LONG}}},
        "reflection.answers.text",
    ),
    ("participatory as text", {"is_participatory": "sometimes"}, "is_participatory"),
    ("professions not a list", {"other_professions": "nurse"}, "other_professions"),
    ("common core area unknown", {"common_core": ["9"]}, "common_core.0"),
    ("details not an object", {"details": ["x"]}, "details"),
]


@pytest.mark.parametrize(("case", "change", "field"), COMMON_INVALID, ids=[c[0] for c in COMMON_INVALID])
def test_every_kind_refuses_bad_common_fields(make_client, practitioner, frameworks, case, change, field):
    client = make_client(practitioner)  # one login for all kinds: argon2 is slow on purpose
    wrong = {}
    for kind in KINDS:
        data = base(kind, details=VALID_DETAILS[kind]) | change
        response = client.api("POST", "/api/v1/entries", json=data)
        fields = (response.get_json().get("error") or {}).get("fields", {})
        if response.status_code != 422 or not any(f == field or f.startswith(field + ".") for f in fields):
            wrong[kind] = (response.status_code, fields)
    assert wrong == {}


def test_every_kind_has_a_details_schema_and_a_default_template(make_client, practitioner):
    assert set(DETAILS_BY_KIND) == set(KINDS) == set(VALID_DETAILS)
    templates = make_client(practitioner).get("/api/v1/reflection-templates").get_json()
    assert set(templates["default_for_kind"]) == set(KINDS)
    assert set(templates["templates"]) == {"rolfe", "gibbs", "free"}
    assert [p["label"] for p in templates["templates"]["rolfe"]["prompts"]] == [
        "What?",
        "So what?",
        "Now what?",
    ]
    assert len(templates["templates"]["gibbs"]["prompts"]) == 6


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_with_everything_filled_in(make_client, practitioner, frameworks, kind):
    data = base(
        kind,
        details=VALID_DETAILS[kind],
        end_date=(TODAY - dt.timedelta(days=2)).isoformat(),
        hours=7,
        is_participatory=True,
        description="What the day covered.",
        reflection={
            "template": "gibbs",
            "answers": {"description": "d", "feelings": "f", "analysis": "a", "action_plan": "p"},
        },
        impact_on_practice="I now use the toolkit at every visit.",
        impact_on_people="Families get clearer plans.",
        ways_of_knowing=["propositional", "experiential", "practical", "presentational"],
        other_professions=["health visitor", "teacher"],
        standards=[
            {"framework": "hcpc", "version": 2, "code": "6"},
            {"framework": "swe", "version": 1, "code": "4.2"},
        ],
        common_core=["1", "2", "6"],
        visibility="supervisors",
    )
    response = make_client(practitioner).api("POST", "/api/v1/entries", json=data)
    assert response.status_code == 201, response.get_json()
    entry = response.get_json()
    for name in ("ways_of_knowing", "other_professions", "standards", "common_core", "visibility"):
        assert entry[name] == data[name]
    assert entry["details"] == {**VALID_DETAILS[kind], **_defaults(kind)}
    assert entry["hours"] == 7.0
    assert entry["is_participatory"] is True


def _defaults(kind):
    """Defaults a kind's details schema fills in."""
    if kind == "supervision":
        return {"actions": [{**VALID_DETAILS[kind]["actions"][0], "is_done": False}]}
    return {}


# Refused per kind: (kind, details, field named in the error).
KIND_INVALID = [
    ("supervision", {}, "details.format"),
    ("supervision", {"format": "one-to-one"}, "details.format"),
    ("supervision", {"format": "group", "duration_minutes": 0}, "details.duration_minutes"),
    ("supervision", {"format": "group", "duration_minutes": "long"}, "details.duration_minutes"),
    ("supervision", {"format": "peer", "agenda": LONG}, "details.agenda"),
    ("supervision", {"format": "peer", "actions": [{"owner": "me"}]}, "details.actions"),
    ("supervision", {"format": "peer", "actions": [{"text": "x", "due_date": "soon"}]}, "details.actions"),
    ("supervision", {"format": "peer", "supervisor_id": "not-a-uuid"}, "details.supervisor_id"),
    ("appraisal", {}, "details.reviewer_name"),
    ("appraisal", {"reviewer_name": "G", "objectives": "grow"}, "details.objectives"),
    ("appraisal", {"reviewer_name": "G", "objectives": [{"text": ""}]}, "details.objectives"),
    ("appraisal", {"reviewer_name": "G", "review_notes": LONG}, "details.review_notes"),
    ("study_day", {"provider": "p" * 201}, "details.provider"),
    ("course", {"has_certificate": "maybe"}, "details.has_certificate"),
    ("bite_size_workshop", {"location": "l" * 201}, "details.location"),
    ("team_study_day", {"speaker": "x"}, "details.speaker"),
    ("conference", {"provider": 12}, "details.provider"),
    ("reflective_learning_set", {}, "details.set_name"),
    ("reflective_learning_set", {"set_name": ""}, "details.set_name"),
    ("shadowing", {}, "details.profession_shadowed"),
    ("shadowing", {"profession_shadowed": "SLT", "team_shadowed": "t" * 201}, "details.team_shadowed"),
    ("reading", {}, "details.source"),
    ("reading", {"source": "s" * 1001}, "details.source"),
    ("peer_reflection", {"peer_name": "Tom"}, "details.peer_role"),
    ("peer_reflection", {"peer_role": "SW"}, "details.peer_name"),
    ("practice_feedback", {"summary": "x"}, "details.source"),
    ("practice_feedback", {"source": "colleague"}, "details.summary"),
    ("practice_feedback", {"source": "colleague", "summary": LONG}, "details.summary"),
    (
        "practice_feedback",
        {"source": "manager", "summary": "x", "what_changed": LONG},
        "details.what_changed",
    ),
    (
        "reflective_account",
        {"nature_of_activity": "a", "what_did_you_learn": "b", "how_did_you_change_or_improve": "c"},
        "details.code_themes",
    ),
    (
        "reflective_account",
        {
            "nature_of_activity": "a",
            "what_did_you_learn": "b",
            "how_did_you_change_or_improve": "c",
            "code_themes": ["be_nice"],
        },
        "details.code_themes",
    ),
    (
        "reflective_account",
        {"nature_of_activity": "a", "what_did_you_learn": "b", "code_themes": ["preserve_safety"]},
        "details.how_did_you_change_or_improve",
    ),
    ("reflective_discussion", {"partner_name": "Ruth"}, "details.partner_nmc_pin"),
    (
        "reflective_discussion",
        {"partner_name": "Ruth", "partner_nmc_pin": "98Y0552"},
        "details.partner_nmc_pin",
    ),
    ("reflective_discussion", {"partner_nmc_pin": "98Y0552E"}, "details.partner_name"),
    ("practice_hours", {"setting": "Clinic"}, "details.registration"),
    ("practice_hours", {"registration": "doctor", "setting": "Clinic"}, "details.registration"),
    ("practice_hours", {"registration": "midwife"}, "details.setting"),
    (
        "practice_hours",
        {"registration": "nurse", "setting": "C", "organisation": "o" * 501},
        "details.organisation",
    ),
    ("other", {"anything": "x"}, "details.anything"),
]


@pytest.mark.parametrize(
    ("kind", "details", "field"), KIND_INVALID, ids=[f"{k}-{f}" for k, _, f in KIND_INVALID]
)
def test_each_kind_refuses_bad_fields_of_its_own(make_client, practitioner, kind, details, field):
    response = make_client(practitioner).api("POST", "/api/v1/entries", json=base(kind, details=details))
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields


def test_every_kind_has_invalid_cases_of_its_own():
    assert {k for k, _, _ in KIND_INVALID} == set(KINDS)


def test_unknown_kind_is_refused(make_client, practitioner):
    response = make_client(practitioner).api("POST", "/api/v1/entries", json=base("juggling"))
    assert response.status_code == 422
    assert "kind" in response.get_json()["error"]["fields"]


def test_changing_kind_checks_the_new_kinds_fields(make_client, practitioner):
    client = make_client(practitioner)
    entry = client.api("POST", "/api/v1/entries", json=base("study_day")).get_json()
    url = f"/api/v1/entries/{entry['id']}"
    refused = client.api("PATCH", url, json={"base_version": 1, "kind": "shadowing"})
    assert refused.status_code == 422
    assert "details.profession_shadowed" in refused.get_json()["error"]["fields"]
    changed = client.api(
        "PATCH",
        url,
        json={"base_version": 1, "kind": "shadowing", "details": {"profession_shadowed": "paediatric OT"}},
    )
    assert changed.status_code == 200
    assert changed.get_json()["details"] == {"profession_shadowed": "paediatric OT"}


@pytest.mark.parametrize(
    ("kind", "template"),
    [
        ("supervision", "rolfe"),
        ("reflective_learning_set", "gibbs"),
        ("peer_reflection", "gibbs"),
        ("appraisal", "free"),
    ],
)
def test_a_new_entry_starts_with_its_kinds_template(make_client, practitioner, kind, template):
    entry = make_client(practitioner).api(
        "POST", "/api/v1/entries", json=base(kind, details=VALID_DETAILS[kind])
    )
    assert entry.get_json()["reflection"] == {"template": template, "answers": {}}
