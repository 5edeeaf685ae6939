"""Property: devices of one practitioner and their supervisor, working offline at random — with lost
responses, duplicated and reordered batches and server restarts between commit and response —
converge on the server's state; every mutation applies exactly once; no conflicting edit is lost."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import Organisation, User
from logbook.app import create_app
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.sync.models import SyncMutation
from tests.factories import PASSWORD, PASSWORD_HASH, ApiClient

TODAY = dt.date.today()  # noqa: DTZ011
FIELDS = ("title", "description", "hours", "visibility")
VALUES = {
    "title": st.sampled_from(["Neglect study day", "Attachment workshop", "Learning set", "Shadowing HV"]),
    "description": st.sampled_from(["", "Notes from the phone", "Notes from the laptop", "Longer notes"]),
    "hours": st.sampled_from([Decimal("0.5"), Decimal("1.5"), Decimal("3"), Decimal("7.25")]),
    "visibility": st.sampled_from(["private", "supervisors", "organisation"]),
}


def _wire(name: str, value: Any) -> Any:
    return float(value) if name == "hours" else value


class SimDevice:
    """A model of the PWA's store and outbox: local records, pending mutations, conflicts kept."""

    def __init__(self, http: ApiClient, *, writes: bool) -> None:
        self.http = http
        self.writes = writes
        self.client_id = uuid.uuid4().hex
        self.next_mid = 1
        self.versions: dict[str, int] = {}  # acknowledged server version per record
        self.local: dict[str, dict[str, Any]] = {}  # what the user sees
        self.outbox: list[dict[str, Any]] = []
        self.lost_batches: list[list[dict[str, Any]]] = []
        self.sent: dict[int, dict[str, Any]] = {}
        self.conflicts: list[dict[str, Any]] = []
        self.cursor: str | None = None

    def _queue(self, op: str, rid: str, fields: dict[str, Any], base: int | None) -> None:
        pending = next(
            (
                m
                for m in self.outbox
                if m["id"] == rid and m["op"] in ("create", "update") and m["mutation_id"] not in self.sent
            ),
            None,
        )
        if pending is not None and op == "update":
            # One pending change per record, as the app's outbox does — but only while it is unsent: a
            # sent change may have been applied already, so it is frozen and later edits get a new id.
            pending["fields"].update(fields)
            return
        if op == "update" and base is None:
            base = 1  # edits to a record whose create is still unacknowledged are made against version 1
        mutation = {
            "mutation_id": self.next_mid,
            "entity": "entry",
            "id": rid,
            "op": op,
            "base_version": base,
            "fields": dict(fields),
        }
        self.next_mid += 1
        self.outbox.append(mutation)

    def create(self, title: str) -> None:
        rid = str(uuid.uuid4())
        fields = {"kind": "study_day", "title": title, "start_date": TODAY.isoformat(), "hours": 2.0}
        self.local[rid] = {"title": title, "description": "", "hours": 2.0, "visibility": "private"}
        self._queue("create", rid, fields, None)

    def edit(self, rid: str, name: str, value: Any) -> None:
        self.local[rid][name] = _wire(name, value)
        self._queue("update", rid, {name: _wire(name, value)}, self.versions.get(rid))

    def delete(self, rid: str) -> None:
        if rid not in self.versions or any(m["id"] == rid for m in self.outbox):
            return  # only delete what the server has and nothing is pending for (keeps the model simple)
        del self.local[rid]
        self._queue("delete", rid, {}, self.versions[rid])

    def push(self, *, lose_response: bool) -> None:
        if not self.outbox:
            return
        batch = [dict(m, fields=dict(m["fields"])) for m in self.outbox]
        for m in batch:
            self.sent.setdefault(m["mutation_id"], m)
        response = self.http.api(
            "POST", "/api/v1/sync/push", json={"client_id": self.client_id, "mutations": batch}
        )
        assert response.status_code == 200, response.get_json()
        if lose_response:
            self.lost_batches.append(batch)  # committed on the server; the device never heard
            return
        self._take(response.get_json()["results"])

    def resend_lost(self) -> None:
        if self.lost_batches:
            batch = self.lost_batches.pop(0)  # an old batch, arriving late and out of order
            response = self.http.api(
                "POST", "/api/v1/sync/push", json={"client_id": self.client_id, "mutations": batch}
            )
            assert response.status_code == 200
            assert {r["status"] for r in response.get_json()["results"]} == {"duplicate"}

    def _take(self, results: list[dict[str, Any]]) -> None:
        for result in results:
            mid = result["mutation_id"]
            mutation = next((m for m in self.outbox if m["mutation_id"] == mid), None)
            if mutation is None:
                continue
            self.outbox.remove(mutation)
            status = result["first_status"] if result["status"] == "duplicate" else result["status"]
            rid = mutation["id"]
            if status == "applied":
                self.versions[rid] = result["version"]
            else:
                assert status == "conflict", result
                self.conflicts.append({"mutation": self.sent[mid], "result": result})
                current = result["current"]
                self.versions[rid] = current["version"]
                if current["is_deleted"]:
                    self.local.pop(rid, None)
                else:  # the user sees the server's copy; theirs stays in the conflict list to re-apply
                    self.local[rid] = {n: current[n] for n in FIELDS}
                # a pending change queued meanwhile for this record now rebases on the server copy
                for m in self.outbox:
                    if m["id"] == rid and m["op"] != "create":
                        m["base_version"] = current["version"]

    def pull(self) -> None:
        deadline = time.monotonic() + 30  # pulled again while the server says it held changes back
        while True:
            url = "/api/v1/sync/pull?limit=7" + (f"&cursor={self.cursor}" if self.cursor else "")
            page = self.http.get(url).get_json()
            if page["reset"]:
                self.cursor = None
                continue
            for item in page["items"]:
                rid, pending = item["id"], any(m["id"] == item["id"] for m in self.outbox)
                if item["op"] == "remove" or item["record"]["is_deleted"]:
                    if not pending:
                        self.local.pop(rid, None)
                        self.versions.pop(rid, None)
                    continue
                if not pending:
                    self.versions[rid] = item["version"]
                    self.local[rid] = {n: item["record"][n] for n in FIELDS}
            self.cursor = page["next_cursor"]
            if not page["has_more"] and not (page["withheld"] and time.monotonic() < deadline):
                return


def _reset(app) -> tuple[User, User]:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        org = Organisation(name="Sim", slug=f"sim-{uuid.uuid4().hex[:6]}")
        db.session.add(org)
        db.session.flush()
        people = [
            User(
                organisation_id=org.id,
                email=f"{role}-{uuid.uuid4().hex[:6]}@sim.example",
                name=role.title(),
                password_hash=PASSWORD_HASH,
                is_practitioner=True,
                is_supervisor=role == "supervisor",
            )
            for role in ("practitioner", "supervisor")
        ]
        db.session.add_all(people)
        db.session.flush()
        db.session.add(
            SupervisionLink(
                supervisor_id=people[1].id,
                supervisee_id=people[0].id,
                kind="line",
                starts_on=TODAY - dt.timedelta(days=10),
            )
        )
        db.session.commit()
        for p in people:
            db.session.refresh(p)
        db.session.expunge_all()
        return people[0], people[1]


def _client_for(app, email: str) -> ApiClient:
    app.test_client_class = ApiClient
    http: ApiClient = app.test_client()  # type: ignore[assignment]
    assert http.login(email, PASSWORD).status_code == 200
    return http


@pytest.fixture
def apps_made():
    """The apps a test makes, their pools closed afterwards even when it fails (a pool left to the
    garbage collector closes its connections with psycopg's ResourceWarning on PostgreSQL)."""
    made: list = []
    yield made
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def _restart(old_app, devices: list[SimDevice], config: dict[str, Any], made: list):
    """A new application process on the same database: devices keep their cookies and go on."""
    new_app = create_app(config)
    made.append(new_app)
    new_app.test_client_class = ApiClient
    for device in devices:
        cookie = device.http.get_cookie("logbook_session")
        http: ApiClient = new_app.test_client()  # type: ignore[assignment]
        http.set_cookie("logbook_session", cookie.value)
        http.csrf_token = device.http.csrf_token
        device.http = http
    with old_app.app_context():
        db.engine.dispose()
    return new_app


ACTIONS = [
    "create",
    "edit",
    "edit",
    "edit",
    "delete",
    "push",
    "push_lost",
    "resend",
    "pull",
    "restart",
    "resolve",
]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_devices_converge(app, apps_made, data):  # noqa: PLR0912 - one branch per simulated action
    practitioner, supervisor = _reset(app)
    config = {k: app.config[k] for k in ("ENV", "DATABASE_URL", "SECRET_KEY", "EVIDENCE_URL")}
    config["SYNC_RATE_LIMIT"] = "100000 per minute"
    current = create_app(config)
    apps_made.append(current)
    phones = [SimDevice(_client_for(current, practitioner.email), writes=True) for _ in range(2)]
    sup = SimDevice(_client_for(current, supervisor.email), writes=False)
    devices = [*phones, sup]
    for _ in range(data.draw(st.integers(min_value=5, max_value=30), label="steps")):
        action = data.draw(st.sampled_from(ACTIONS), label="action")
        device = data.draw(
            st.sampled_from(phones if action in {"create", "edit", "delete", "resolve"} else devices)
        )
        if action == "create":
            device.create(data.draw(VALUES["title"]))
        elif action == "edit" and device.local:
            rid = data.draw(st.sampled_from(sorted(device.local)))
            name = data.draw(st.sampled_from(FIELDS))
            device.edit(rid, name, data.draw(VALUES[name]))
        elif action == "delete" and device.local:
            device.delete(data.draw(st.sampled_from(sorted(device.local))))
        elif action in {"push", "push_lost"}:
            device.push(lose_response=action == "push_lost")
        elif action == "resend":
            device.resend_lost()
        elif action == "pull":
            device.pull()
        elif action == "restart":
            current = _restart(current, devices, config, apps_made)
        elif action == "resolve" and device.conflicts:
            # the user keeps their own text: re-apply "yours" on the server's current copy
            conflict = device.conflicts[0]
            rid, yours = conflict["mutation"]["id"], conflict["result"].get("yours", {})
            if rid in device.local:
                for name, value in yours.items():
                    if name in FIELDS:
                        device.edit(rid, name, Decimal(value) if name == "hours" else value)
    # quiesce: every device delivers everything (late lost batches too), then everyone pulls
    for device in devices:
        while device.lost_batches:
            device.resend_lost()
        for _ in range(10):
            device.push(lose_response=False)
            if not device.outbox:
                break
        assert device.outbox == []
    for device in devices:
        device.pull()

    with current.app_context():
        entries = {str(e.id): e for e in db.session.scalars(select(Entry))}
        live = {
            rid: {
                "title": e.title,
                "description": e.description,
                "hours": float(e.hours),
                "visibility": e.visibility,
            }
            for rid, e in entries.items()
            if not e.is_deleted
        }
        shared = {rid: v for rid, v in live.items() if v["visibility"] != "private"}
        for phone in phones:
            assert phone.local == live
        assert sup.local == shared
        # exactly once: one stored result per (device, mutation id) sent; one entry per applied create
        for device in phones:
            stored = db.session.scalar(
                select(func.count())
                .select_from(SyncMutation)
                .where(SyncMutation.client_id == device.client_id)
            )
            assert stored == len(device.sent)
        creates = [m for d in phones for m in d.sent.values() if m["op"] == "create"]
        assert len(entries) == len(creates)
        # no conflicting edit is lost: the device kept exactly what it had sent
        for device in phones:
            for conflict in device.conflicts:
                sent = conflict["mutation"]["fields"]
                for name, value in conflict["result"].get("yours", {}).items():
                    expected = f"{Decimal(str(sent[name])):.2f}" if name == "hours" else sent[name]
                    assert value == expected
        db.session.remove()  # give the connection back before closing the pool
        db.engine.dispose()
