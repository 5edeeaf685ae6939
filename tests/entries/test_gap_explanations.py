"""Gap explanations (#19): HCPC asks registrants to explain breaks in their CPD. A practitioner writes
the days and the reason; an explanation covering every day of a gap means the gap rule no longer
counts it as at risk; only the owner ever reads it; it syncs like entries."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid

from logbook.accounts.models import Registration
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks import engine
from logbook.frameworks.service import load_shipped_frameworks
from tests.factories import persist
from tests.frameworks.fakes import FakeRegistration, entry
from tests.sync.device import Device

D = dt.date.fromisoformat
SLT = FakeRegistration("HCPC", "Speech and Language Therapist", "hcpc")
REASON = "Maternity leave after the birth of my daughter"


def _gap_rule(frameworks, entries, today, explained=()):
    result = engine.progress(
        registrations=[SLT], entries=entries, frameworks=frameworks, today=D(today), explained=list(explained)
    )
    current = next(c for c in result["registrations"][0][1]["cycles"] if c["which"] == "current")
    return current, next(r for r in current["rules"] if r["id"] == "continuous_record")


def test_an_explanation_covering_every_day_of_a_gap_takes_the_rule_off_at_risk(engine_frameworks):
    # No CPD from 11 Nov 2025 to 10 Feb 2026 (three months): at risk until the break is explained.
    entries = [entry("course", "2025-10-01"), entry("reading", "2025-11-10")]
    _, rule = _gap_rule(engine_frameworks, entries, "2026-02-10")
    assert rule["status"] == "at_risk"
    covering = (D("2025-11-11"), D("2026-02-28"), "x1")
    cycle, rule = _gap_rule(engine_frameworks, entries, "2026-02-10", [covering])
    assert rule["status"] == "met"
    assert rule["value"] == 0
    assert rule["missing"] == ""
    assert rule["gaps"] == [
        {"from": "2025-11-11", "to": "2026-02-10", "explained": True, "explanation_ids": ["x1"]}
    ]
    assert cycle["numbers"]["gaps"] == rule["gaps"]  # the gap is still listed, with its explanation


def test_two_explanations_that_meet_cover_a_gap_but_one_day_left_out_does_not(engine_frameworks):
    entries = [entry("course", "2025-10-01"), entry("reading", "2025-11-10")]
    joined = [(D("2025-11-11"), D("2025-12-31"), "a"), (D("2026-01-01"), D("2026-02-10"), "b")]
    assert _gap_rule(engine_frameworks, entries, "2026-02-10", joined)[1]["status"] == "met"
    holed = [(D("2025-11-11"), D("2025-12-30"), "a"), (D("2026-01-01"), D("2026-02-10"), "b")]
    _, rule = _gap_rule(engine_frameworks, entries, "2026-02-10", holed)
    assert rule["status"] == "at_risk"
    assert rule["gaps"][0]["explained"] is False
    assert rule["gaps"][0]["explanation_ids"] == ["a", "b"]
    # An explanation ending before today does not explain the days after it (the gap goes on).
    _, rule = _gap_rule(engine_frameworks, entries, "2026-03-10", [(D("2025-11-11"), D("2026-02-10"), "c")])
    assert rule["status"] == "at_risk"


# --- API ------------------------------------------------------------------------------------


def _hcpc_practitioner(app, make_user):
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    person = make_user("practitioner")
    persist(
        app,
        Registration(
            user_id=person.id,
            regulator="HCPC",
            profession="speech and language therapist",
            framework_id="hcpc",
        ),
        *[
            Entry(
                id=uuid.uuid4(),
                owner_id=person.id,
                organisation_id=person.organisation_id,
                kind="course",
                title="Dysphagia course",
                start_date=D(day),
                hours=3,
                is_participatory=True,
            )
            for day in ("2025-10-01", "2025-11-10")
        ],
    )
    return person


def _gap_status(client, day="2026-02-10"):
    person = client.get(f"/api/v1/progress?as_of={day}").get_json()["people"][0]
    current = next(c for c in person["registrations"][0]["cycles"] if c["which"] == "current")
    return next(r for r in current["rules"] if r["id"] == "continuous_record")["status"]


def test_explaining_a_gap_through_the_api_changes_progress(app, make_user, make_client):
    person = _hcpc_practitioner(app, make_user)
    client = make_client(person)
    assert _gap_status(client) == "at_risk"
    made = client.api(
        "POST",
        "/api/v1/me/gap-explanations",
        json={"starts_on": "2025-11-11", "ends_on": "2026-02-28", "reason": REASON},
    )
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["version"] == 1
    assert body["reason"] == REASON
    assert _gap_status(client) == "met"
    listed = client.get("/api/v1/me/gap-explanations").get_json()["items"]
    assert [x["id"] for x in listed] == [body["id"]]
    # Shortened so that it no longer covers the gap: at risk again.
    changed = client.api(
        "PATCH",
        f"/api/v1/me/gap-explanations/{body['id']}",
        json={"base_version": 1, "ends_on": "2026-01-31"},
    )
    assert changed.status_code == 200
    assert changed.get_json()["version"] == 2
    assert _gap_status(client) == "at_risk"
    stale = client.api(
        "PATCH", f"/api/v1/me/gap-explanations/{body['id']}", json={"base_version": 1, "reason": "x"}
    )
    assert stale.status_code == 409
    assert stale.get_json()["error"]["code"] == "stale_version"
    gone = client.api("DELETE", f"/api/v1/me/gap-explanations/{body['id']}", query_string={"base_version": 2})
    assert gone.status_code == 200
    assert gone.get_json()["is_deleted"] is True
    assert client.get("/api/v1/me/gap-explanations").get_json()["items"] == []


def test_bad_explanations_are_refused_by_field(app, make_user, make_client):
    client = make_client(make_user("practitioner"))
    for body, field in (
        ({"starts_on": "2026-03-01", "ends_on": "2026-02-01", "reason": "Ill"}, "ends_on"),
        ({"starts_on": "2026-01-01", "ends_on": "2026-02-01", "reason": ""}, "reason"),
        ({"starts_on": "2026-01-01", "ends_on": "2026-02-01", "reason": "x" * 2001}, "reason"),
        ({"starts_on": "1066-01-01", "ends_on": "2026-02-01", "reason": "Ill"}, "starts_on"),
        ({"ends_on": "2026-02-01", "reason": "Ill"}, "starts_on"),
    ):
        answer = client.api("POST", "/api/v1/me/gap-explanations", json=body)
        assert answer.status_code == 422, (body, answer.get_json())
        assert field in answer.get_json()["error"]["fields"], answer.get_json()


def test_the_reason_is_never_logged(app, make_user, make_client, caplog):
    client = make_client(make_user("practitioner"))
    with caplog.at_level(logging.DEBUG):
        made = client.api(
            "POST",
            "/api/v1/me/gap-explanations",
            json={"starts_on": "2025-11-11", "ends_on": "2026-02-28", "reason": REASON},
        )
        client.api("PATCH", f"/api/v1/me/gap-explanations/{made.get_json()['id']}", json={"base_version": 0})
    assert made.status_code == 201
    assert REASON not in caplog.text


# --- sync -----------------------------------------------------------------------------------


def _pulled_explanations(device: Device, until) -> list[dict]:
    """The device's pulled gap explanations. On PostgreSQL rows of transactions still running
    anywhere on the server (the xmin horizon is cluster-wide, docs/sync.md) are withheld, not lost:
    keep pulling, a little while, until they arrive."""
    items: list[dict] = []
    deadline = time.monotonic() + 60
    while True:
        items += [i for i in device.pull_all() if i["entity"] == "gap_explanation"]
        if until(items) or time.monotonic() > deadline:
            return items
        time.sleep(0.2)


def _mutation(device: Device, op, record_id, base_version=None, **fields):
    return {**device.mutation(op, record_id, base_version, **fields), "entity": "gap_explanation"}


def test_a_gap_explained_on_a_phone_syncs_and_counts(app, make_user, make_client):
    person = _hcpc_practitioner(app, make_user)
    phone = Device(make_client(person))
    other = Device(make_client(make_user("practitioner")))
    gap_id = uuid.uuid4()
    create = _mutation(phone, "create", gap_id, starts_on="2025-11-11", ends_on="2026-02-28", reason=REASON)
    (result,) = phone.push(create)["results"]
    assert result["status"] == "applied"
    assert result["version"] == 1
    assert phone.push(create)["results"][0]["status"] == "duplicate"
    assert _gap_status(phone.client) == "met"
    pulled = _pulled_explanations(phone, lambda items: items)
    assert pulled == [
        {
            "entity": "gap_explanation",
            "id": str(gap_id),
            "op": "upsert",
            "version": 1,
            "record": pulled[0]["record"],
        }
    ]
    assert pulled[0]["record"]["reason"] == REASON
    # Another person can neither change nor delete it, nor see it in their feed: "not found".
    for attempt in (
        _mutation(other, "update", gap_id, 1, reason="mine now"),
        _mutation(other, "delete", gap_id, 1),
        _mutation(other, "create", gap_id, starts_on="2025-11-11", ends_on="2026-02-28", reason="x"),
    ):
        (answer,) = other.push(attempt)["results"]
        assert answer["status"] == "rejected", answer
        assert answer["code"] == "not_found", answer
    assert not [i for i in other.pull_all() if i["entity"] == "gap_explanation"]
    # An edit made against an old version is a conflict carrying the server's copy.
    (changed,) = phone.push(_mutation(phone, "update", gap_id, 1, ends_on="2026-01-31"))["results"]
    assert changed["status"] == "applied"
    assert changed["version"] == 2
    (stale,) = phone.push(_mutation(phone, "update", gap_id, 1, reason="Ill"))["results"]
    assert stale["status"] == "conflict"
    assert stale["code"] == "stale_version"
    assert stale["current"]["version"] == 2
    (bad,) = phone.push(_mutation(phone, "update", gap_id, 2, ends_on="2020-01-01"))["results"]
    assert bad["status"] == "rejected"
    assert "ends_on" in bad["errors"]
    (deleted,) = phone.push(_mutation(phone, "delete", gap_id, 2))["results"]
    assert deleted["status"] == "applied"
    assert deleted["version"] == 3
    pulled = _pulled_explanations(phone, lambda items: any(i["record"]["is_deleted"] for i in items))
    assert pulled[-1]["version"] == 3
    assert pulled[-1]["record"]["is_deleted"] is True
    assert _gap_status(phone.client) == "at_risk"
