"""Pushes at the same moment, on PostgreSQL: real threads, each request on its own connection.

Two devices push to the same entries at once (a barrier releases them together), while the first
device's batch is also replayed at that moment (a retry after a dropped answer); and two first pushes
of one new device arrive together. Every answer must be applied, duplicate or conflict: never 500
(the revision insert colliding, or the new device row), never 503 (a deadlock between two batches
naming the same two entries in opposite orders). Afterwards the entries' revisions and the change
feed must hold every applied change once, without gaps.

SQLite runs one writer at a time (BEGIN IMMEDIATE), so these races cannot happen there: skipped.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from logbook.accounts.links import SupervisionLink
from logbook.changefeed import Change
from logbook.entries.models import Entry, EntryRevision
from logbook.extensions import db
from logbook.sync.models import SyncClient, SyncMutation
from tests.factories import PASSWORD, ApiClient, persist
from tests.sync.device import Device, entry_fields

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not os.environ.get("LOGBOOK_TEST_DATABASE_URL", "").startswith("postgresql"),
        reason="row locks and concurrent writers need PostgreSQL",
    ),
]

ROUNDS = 20
FIRST_PUSHES = 10


def _http(app, user) -> ApiClient:
    http: ApiClient = app.test_client()  # type: ignore[assignment]
    assert http.login(user.email, PASSWORD).status_code == 200
    return http


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run each call in its own thread, all released at the same moment; their results in order."""
    barrier = threading.Barrier(len(calls))
    answers: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait(timeout=30)
        answers[i] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return answers


def _pushing(http: ApiClient, body: dict[str, Any]) -> Callable[[], tuple[int, Any]]:
    def call() -> tuple[int, Any]:
        response = http.api("POST", "/api/v1/sync/push", json=body)
        return response.status_code, response.get_json()

    return call


def _together(calls: list[tuple[ApiClient, dict[str, Any]]]) -> list[tuple[int, Any]]:
    """Send each body from its own thread, all released at the same moment."""
    return _at_once(*(_pushing(http, body) for http, body in calls))


def _update(mid: int, rid: uuid.UUID, base: int, **fields: Any) -> dict[str, Any]:
    return {
        "mutation_id": mid,
        "entity": "entry",
        "id": str(rid),
        "op": "update",
        "base_version": base,
        "fields": fields,
    }


def _version(http: ApiClient, rid: uuid.UUID) -> int:
    return http.get(f"/api/v1/entries/{rid}").get_json()["version"]


def test_two_devices_pushing_to_the_same_entries_at_once_never_fail(app, practitioner):
    app.config["SYNC_RATE_LIMIT"] = "100000 per minute"
    app.test_client_class = ApiClient
    phone, laptop, retry = _http(app, practitioner), _http(app, practitioner), _http(app, practitioner)
    x, y = uuid.uuid4(), uuid.uuid4()
    setup = Device(phone)
    setup.push(
        setup.mutation("create", x, **entry_fields(title="X")), setup.mutation("create", y, **entry_fields())
    )
    phone_id, laptop_id = uuid.uuid4().hex, uuid.uuid4().hex
    applied_versions: dict[uuid.UUID, list[int]] = {x: [], y: []}
    for r in range(ROUNDS):
        vx, vy = _version(phone, x), _version(phone, y)
        # The phone changes X then Y; the laptop Y then X (its lower mutation id is Y's): without one
        # lock order for the batch, each would hold one entry and wait for the other.
        mine = {
            "client_id": phone_id,
            "mutations": [
                _update(2 * r + 1, x, vx, title=f"phone {r}"),
                _update(2 * r + 2, y, vy, hours=r + 1),
            ],
        }
        theirs = {
            "client_id": laptop_id,
            "mutations": [
                _update(2 * r + 1, y, vy, description=f"laptop {r}"),
                _update(2 * r + 2, x, vx, title=f"laptop {r}"),
            ],
        }
        answers = _together([(phone, mine), (laptop, theirs), (retry, mine)])  # `retry`: the phone again
        assert [status for status, _ in answers] == [200, 200, 200], (r, answers)
        first, other, again = (body["results"] for _, body in answers)
        # the phone's batch and its replay: one got the real answers, the other "duplicate" of them
        for a, b in zip(first, again, strict=True):
            real, dup = (b, a) if a["status"] == "duplicate" else (a, b)
            assert (dup["status"], dup["first_status"]) == ("duplicate", real["status"]), (r, a, b)
        phone_x, phone_y = (a if a["status"] != "duplicate" else b for a, b in zip(first, again, strict=True))
        laptop_y, laptop_x = other
        # the same field of X from both: exactly one applied, the other a conflict naming it
        assert sorted([phone_x["status"], laptop_x["status"]]) == ["applied", "conflict"], (
            r,
            phone_x,
            laptop_x,
        )
        clash = phone_x if phone_x["status"] == "conflict" else laptop_x
        assert (clash["code"], clash["conflicting_fields"]) == ("edit_conflict", ["title"])
        # different fields of Y: both merge
        assert (phone_y["status"], laptop_y["status"]) == ("applied", "applied"), (r, phone_y, laptop_y)
        for result in (phone_x, laptop_x, phone_y, laptop_y):
            if result["status"] == "applied":
                applied_versions[uuid.UUID(result["id"])].append(result["version"])

    # every version was handed out once, in order, with nothing lost or doubled
    assert sorted(applied_versions[x]) == list(range(2, ROUNDS + 2))
    assert sorted(applied_versions[y]) == list(range(2, 2 * ROUNDS + 2))
    with app.app_context():
        for rid, version in ((x, ROUNDS + 1), (y, 2 * ROUNDS + 1)):
            assert db.session.get(Entry, rid).version == version
            revisions = db.session.scalars(
                select(EntryRevision.version)
                .where(EntryRevision.entry_id == rid)
                .order_by(EntryRevision.version)
            ).all()
            assert revisions == list(range(1, version + 1))
            # one change row per version: the feed carries every change of the entry once
            changes = db.session.scalar(
                select(func.count()).select_from(Change).where(Change.record_id == rid)
            )
            assert changes == version
        merged = db.session.get(Entry, y)
        assert (float(merged.hours), merged.description) == (ROUNDS, f"laptop {ROUNDS - 1}")
        assert db.session.scalar(select(func.count()).select_from(SyncMutation)) == 2 + 4 * ROUNDS
    # a device pulling from the start gets both entries at their last version, as the API shows them
    fresh = Device(_http(app, practitioner))
    pulled = {item["id"]: item for item in fresh.pull_all()}
    for rid in (x, y):
        shown = phone.get(f"/api/v1/entries/{rid}").get_json()
        shown["warnings"] = []
        assert pulled[str(rid)]["version"] == shown["version"]
        assert pulled[str(rid)]["record"] == shown


def test_two_first_pushes_of_a_new_device_at_once(app, practitioner):
    app.config["SYNC_RATE_LIMIT"] = "100000 per minute"
    app.test_client_class = ApiClient
    one, two = _http(app, practitioner), _http(app, practitioner)
    for r in range(FIRST_PUSHES):
        client_id = uuid.uuid4().hex
        rid = uuid.uuid4()
        create = {
            "mutation_id": 1,
            "entity": "entry",
            "id": str(rid),
            "op": "create",
            "fields": entry_fields(title=f"first {r}"),
        }
        # the first push, and the same push again (the answer was slow): both reach the server at once
        answers = _together(
            [
                (one, {"client_id": client_id, "mutations": [create]}),
                (two, {"client_id": client_id, "mutations": [create]}),
            ]
        )
        assert [status for status, _ in answers] == [200, 200], (r, answers)
        statuses = sorted(body["results"][0]["status"] for _, body in answers)
        assert statuses == ["applied", "duplicate"], (r, answers)
        assert all(body["last_mutation_id"] == 1 for _, body in answers)
        with app.app_context():
            assert (
                db.session.scalar(
                    select(func.count()).select_from(SyncClient).where(SyncClient.client_id == client_id)
                )
                == 1
            )
            assert db.session.get(Entry, rid).version == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Entry)) == FIRST_PUSHES


def test_two_devices_creating_one_id_at_once_get_applied_and_a_conflict(app, practitioner):
    """The second insert of the id meets the first one's row: caught inside the mutation's savepoint
    and tried again, it is answered as the conflict it is (not a 500 failing the whole batch)."""
    app.config["SYNC_RATE_LIMIT"] = "100000 per minute"
    app.test_client_class = ApiClient
    one, two = _http(app, practitioner), _http(app, practitioner)
    for r in range(FIRST_PUSHES):
        rid = uuid.uuid4()

        def batch(title: str, rid: uuid.UUID = rid) -> dict[str, Any]:
            create = {
                "mutation_id": 1,
                "entity": "entry",
                "id": str(rid),
                "op": "create",
                "fields": entry_fields(title=title),
            }
            other = {
                "mutation_id": 2,
                "entity": "entry",
                "id": str(uuid.uuid4()),
                "op": "create",
                "fields": entry_fields(),
            }
            return {"client_id": uuid.uuid4().hex, "mutations": [create, other]}

        answers = _together([(one, batch("from one")), (two, batch("from two"))])
        assert [status for status, _ in answers] == [200, 200], (r, answers)
        firsts = sorted((body["results"][0]["status"], body["results"][0].get("code")) for _, body in answers)
        assert firsts == [("applied", None), ("conflict", "duplicate_id")], (r, answers)
        # the rest of each batch was applied all the same
        assert [body["results"][1]["status"] for _, body in answers] == ["applied", "applied"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Entry)) == 3 * FIRST_PUSHES


def test_an_edit_in_the_browser_and_a_push_at_once_take_turns(app, practitioner):
    """The entries API (PATCH against a version) and a device's push change one entry at the same
    moment: the entry row is locked by whichever reads it first, so the other sees the new version
    (409 stale_version for the browser, a merge for the device) instead of a colliding revision."""
    app.config["SYNC_RATE_LIMIT"] = "100000 per minute"
    app.test_client_class = ApiClient
    browser, phone = _http(app, practitioner), _http(app, practitioner)
    rid = uuid.uuid4()
    device = Device(phone)
    device.push(device.mutation("create", rid, **entry_fields()))
    for r in range(FIRST_PUSHES):
        version = _version(browser, rid)
        body = {
            "client_id": device.client_id,
            "mutations": [device.mutation("update", rid, version, hours=r + 1)],
        }
        patch = {"base_version": version, "title": f"browser {r}"}
        edited, pushed = _at_once(
            lambda patch=patch: browser.api("PATCH", f"/api/v1/entries/{rid}", json=patch).status_code,
            _pushing(phone, body),
        )
        assert edited in (200, 409), (r, edited)
        assert pushed[0] == 200, (r, pushed)
        assert pushed[1]["results"][0]["status"] == "applied", (r, pushed)  # another field: it merges
    with app.app_context():
        entry = db.session.get(Entry, rid)
        revisions = db.session.scalars(
            select(EntryRevision.version).where(EntryRevision.entry_id == rid)
        ).all()
        assert sorted(revisions) == list(range(1, entry.version + 1))


def test_a_session_changed_by_both_people_at_once_is_changed_once(app, practitioner, make_user):
    """The supervisee's phone pushes a change to a supervision session while the supervisor edits it in
    the browser, both against the same version: exactly one wins, the other is told the record changed
    (without the row lock both were saved under the same new version, one silently lost)."""
    app.config["SYNC_RATE_LIMIT"] = "100000 per minute"
    app.test_client_class = ApiClient
    supervisor = make_user("practitioner", "supervisor", name="Priya Supervisor")
    today = dt.date.today()  # noqa: DTZ011
    persist(
        app,
        SupervisionLink(
            supervisor_id=supervisor.id,
            supervisee_id=practitioner.id,
            kind="line",
            starts_on=today - dt.timedelta(days=30),
        ),
    )
    phone, browser = _http(app, practitioner), _http(app, supervisor)
    device = Device(phone)
    sid = uuid.uuid4()
    starts_at = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(14), dt.UTC).isoformat()
    create = {
        "mutation_id": next(device.ids),
        "entity": "supervision_session",
        "id": str(sid),
        "op": "create",
        "fields": {
            "supervisor_id": str(supervisor.id),
            "supervisee_id": str(practitioner.id),
            "starts_at": starts_at,
            "duration_minutes": 60,
            "format": "individual",
            "agenda": "Caseload",
            "summary": "Started",
            "actions": [],
        },
    }
    assert device.push(create)["results"][0]["status"] == "applied"
    for r in range(ROUNDS):
        version = browser.get(f"/api/v1/supervision/sessions/{sid}").get_json()["version"]
        change = {
            "mutation_id": next(device.ids),
            "entity": "supervision_session",
            "id": str(sid),
            "op": "update",
            "base_version": version,
            "fields": {"summary": f"phone {r}"},
        }
        patch = {"base_version": version, "agenda": f"browser {r}"}
        edited, pushed = _at_once(
            lambda patch=patch: (
                browser.api("PATCH", f"/api/v1/supervision/sessions/{sid}", json=patch).status_code
            ),
            _pushing(phone, {"client_id": device.client_id, "mutations": [change]}),
        )
        assert pushed[0] == 200, (r, pushed)
        result = pushed[1]["results"][0]
        outcome = (edited, result["status"])
        assert outcome in {(200, "conflict"), (409, "applied")}, (r, outcome, result)
        if result["status"] == "conflict":
            assert result["code"] == "stale_version"
        after = browser.get(f"/api/v1/supervision/sessions/{sid}").get_json()
        assert after["version"] == version + 1, (r, after["version"])
