"""A push checks each new entry before writing anything and writes the batch's checked entries, with
their links, revisions and change-feed rows, in one INSERT per table (logbook/sync/service.py push,
_write_checked); every other mutation is applied on its own in its savepoint as before, after what
came before it in the batch was written. These tests hold the batched path to the one-by-one path:
the same rows, the same answers, the same feed order, a refusal leaving nothing behind, and a clash
found only when the batch is written answered as it would have been; and they hold the number of
SQL statements of a push of new entries from growing with the number of entries."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app
from sqlalchemy import event, select

from logbook.accounts.models import User
from logbook.changefeed import Change
from logbook.config import KeyRing, PushSettings
from logbook.entries.models import Entry, EntryEvidence, EntryRevision, EntryStandard
from logbook.extensions import db
from logbook.sync import service
from logbook.sync.models import SyncClient, SyncMutation
from logbook.sync.schemas import PushSchema
from tests.factories import TODAY
from tests.sync.device import entry_fields

TAG = {"framework": "hcpc", "version": 1, "code": "3"}
NOW = dt.datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)


def _mutation(mid: int, op: str, rid: uuid.UUID, base_version: int | None = None, **fields: Any):
    return {
        "mutation_id": mid,
        "entity": "entry",
        "id": str(rid),
        "op": op,
        "base_version": base_version,
        "fields": fields,
    }


def _mixed_batch(ids: list[uuid.UUID], theirs: uuid.UUID) -> list[dict[str, Any]]:
    """Creates (shared, private, with tags and evidence) around a refused create in the middle, an
    update and a delete of entries made earlier in the same batch, the same id created twice, and
    an id that is another person's entry."""
    a, b, c, d, e, f = ids
    return [
        _mutation(1, "create", a, **entry_fields(title="A", visibility="supervisors", standards=[TAG])),
        _mutation(
            2, "create", b, **entry_fields(title="B", evidence=[{"sha256": "b" * 64, "name": "b.jpg"}])
        ),
        _mutation(3, "create", c, **entry_fields(title="C", hours=-2)),  # refused: no rows at all
        _mutation(4, "create", d, **entry_fields(title="D", status="draft", visibility="organisation")),
        _mutation(5, "update", a, base_version=1, title="A changed", visibility="private"),
        _mutation(6, "create", e, **entry_fields(title="E", ways_of_knowing=["practical"])),
        _mutation(7, "create", b, **entry_fields(title="B again")),  # duplicate_id conflict
        _mutation(8, "delete", d, base_version=1),
        _mutation(9, "create", theirs, **entry_fields(title="Not mine")),  # rejected as not found
        _mutation(10, "create", f, **entry_fields(title="F", visibility="organisation")),
    ]


def _rows(model: Any, where: Any, order: Any) -> list[dict[str, Any]]:
    table = model.__table__
    return [dict(r._mapping) for r in db.session.execute(select(table).where(where).order_by(*order))]


def _outcome(user_id: uuid.UUID, client_id: str, ids: list[uuid.UUID], batch: list[dict[str, Any]]):
    """Push the batch in a transaction of its own and read back every row it made; rolled back."""
    app_user = db.session.get(User, user_id)
    settings = PushSettings.from_config(current_app.config, ring=KeyRing.of(current_app))
    statements: list[str] = []
    with _counting(statements):
        # as the API hands the batch over: loaded by its schema
        loaded = PushSchema().load({"client_id": client_id, "mutations": batch})
        answer = service.push(
            user=app_user, client_id=client_id, mutations=loaded["mutations"], now=NOW, settings=settings
        )
    changes = _rows(Change, Change.record_id.in_(ids), [Change.seq])
    out = {
        "answer": answer,
        "entries": _rows(Entry, Entry.id.in_(ids), [Entry.id]),
        "revisions": _rows(
            EntryRevision, EntryRevision.entry_id.in_(ids), [EntryRevision.entry_id, EntryRevision.version]
        ),
        "standards": _rows(EntryStandard, EntryStandard.entry_id.in_(ids), [EntryStandard.entry_id]),
        "evidence": _rows(EntryEvidence, EntryEvidence.entry_id.in_(ids), [EntryEvidence.entry_id]),
        # the feed in the order a pull reads it, without what differs between two transactions
        "feed": [(r["entity"], r["record_id"], r["owner_id"], r["is_shared"]) for r in changes],
        "stored": _rows(SyncMutation, SyncMutation.client_id == client_id, [SyncMutation.mutation_id]),
        "last": db.session.get(SyncClient, client_id).last_mutation_id,
    }
    txids = {r["txid"] for r in changes if r["owner_id"] == user_id}  # this transaction's
    db.session.rollback()
    return out, txids, len(statements)


@contextmanager
def _counting(statements: list[str]) -> Iterator[None]:
    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_batched_push_writes_what_the_one_by_one_push_wrote(
    app, practitioner, make_user, make_client, shipped, monkeypatch
):
    """The same batch through both paths, in two transactions rolled back: every entry, link,
    revision, feed row (in feed order, one txid for the batch), stored answer and answer equal."""
    other = make_user("practitioner", name="Someone Else")
    theirs = uuid.uuid4()
    assert (
        make_client(other)
        .api(
            "POST",
            "/api/v1/sync/push",
            json={
                "client_id": uuid.uuid4().hex,
                "mutations": [_mutation(1, "create", theirs, **entry_fields())],
            },
        )
        .status_code
        == 200
    )
    ids = [uuid.uuid4() for _ in range(6)]
    batch = _mixed_batch(ids, theirs)
    client_id = uuid.uuid4().hex
    with app.app_context():
        batched, batched_txids, batched_statements = _outcome(
            practitioner.id, client_id, [*ids, theirs], batch
        )
        # The one-by-one path: no create is checked ahead, each is applied in its savepoint.
        monkeypatch.setattr(service, "_check_new_entry", lambda *args: None)
        one_by_one, txids, statements = _outcome(practitioner.id, client_id, [*ids, theirs], batch)
    assert batched == one_by_one
    assert len(batched_txids) == len(txids) == 1  # one transaction, one txid (0 on SQLite)
    statuses = [(r["status"], r.get("code")) for r in batched["answer"]["results"]]
    assert statuses == [
        ("applied", None),
        ("applied", None),
        ("rejected", "validation_failed"),
        ("applied", None),
        ("applied", None),
        ("applied", None),
        ("conflict", "duplicate_id"),
        ("applied", None),
        ("rejected", "not_found"),
        ("applied", None),
    ]
    a, b, c, d, e, f = ids
    # the other person's entry's change (made first), then the batch's in mutation order
    assert [row[1] for row in batched["feed"]] == [theirs, a, b, d, a, e, d, f]
    assert c not in {r["entry_id"] for r in batched["revisions"]}
    assert batched_statements < statements


def test_a_refused_create_in_the_middle_leaves_only_the_others_rows_and_feed(app, device, practitioner):
    """Through the API: 21 new entries, the 11th refused by its checks. Exactly the 20 others have an
    entry, one revision and one feed row each, the feed in mutation order under one txid, and a pull
    hands them over in that order."""
    phone = device(practitioner)
    ids = [uuid.uuid4() for _ in range(21)]
    refused = ids[10]
    batch = [
        phone.mutation("create", rid, **entry_fields(title=f"Entry {n}", hours=-1 if rid == refused else 2))
        for n, rid in enumerate(ids)
    ]
    results = phone.push(*batch)["results"]
    assert [r["status"] for r in results] == ["applied"] * 10 + ["rejected"] + ["applied"] * 10
    assert results[10]["errors"]
    accepted = [rid for rid in ids if rid != refused]
    with app.app_context():
        assert set(db.session.scalars(select(Entry.id).where(Entry.id.in_(ids)))) == set(accepted)
        revisions = db.session.execute(
            select(EntryRevision.entry_id, EntryRevision.version).where(EntryRevision.entry_id.in_(ids))
        ).all()
        assert sorted(revisions) == sorted((rid, 1) for rid in accepted)
        feed = db.session.execute(
            select(Change.record_id, Change.txid, Change.seq)
            .where(Change.record_id.in_(ids))
            .order_by(Change.seq)
        ).all()
        assert [row.record_id for row in feed] == accepted
        assert len({row.txid for row in feed}) == 1
        assert [row.seq for row in feed] == sorted({row.seq for row in feed})  # one each, increasing
    # On PostgreSQL rows of transactions still running anywhere on the server are withheld (the xmin
    # horizon is cluster-wide, docs/sync.md): pull on, a little while.
    pulled: list[str] = []
    deadline = time.monotonic() + 60
    while len(pulled) < len(accepted) and time.monotonic() < deadline:
        pulled += [item["id"] for item in phone.pull_all()]
        time.sleep(0.2)
    assert pulled == [str(rid) for rid in accepted]


def test_an_id_taken_after_the_look_up_is_answered_as_one_by_one(app, device, practitioner, monkeypatch):
    """Another transaction creates an id between the batch's look-up and the batch's write (here
    the look-up is made to miss an entry that exists): the write fails, is rolled back, and each
    checked create is applied on its own, so that one is a duplicate_id conflict and the others are
    applied, with one revision and one feed row each, in mutation order."""
    phone = device(practitioner)
    taken = uuid.uuid4()
    assert (
        phone.push(phone.mutation("create", taken, **entry_fields(title="First")))["results"][0]["status"]
        == "applied"
    )
    lock_records = service._lock_records
    monkeypatch.setattr(service, "_lock_records", lambda mutations: lock_records(mutations) - {taken})
    before, after = uuid.uuid4(), uuid.uuid4()
    results = phone.push(
        phone.mutation("create", before, **entry_fields(title="Before")),
        phone.mutation("create", taken, **entry_fields(title="Second")),
        phone.mutation("create", after, **entry_fields(title="After")),
    )["results"]
    assert [(r["status"], r.get("code")) for r in results] == [
        ("applied", None),
        ("conflict", "duplicate_id"),
        ("applied", None),
    ]
    assert results[1]["current"]["title"] == "First"
    with app.app_context():
        assert db.session.get(Entry, taken).title == "First"
        assert db.session.get(Entry, taken).version == 1
        revisions = db.session.execute(
            select(EntryRevision.entry_id).where(EntryRevision.entry_id.in_([before, taken, after]))
        ).scalars()
        assert sorted(revisions) == sorted([before, taken, after])
        feed = db.session.scalars(
            select(Change.record_id).where(Change.record_id.in_([before, taken, after])).order_by(Change.seq)
        ).all()
        assert feed == [taken, before, after]


def _push_statements(app, phone, n: int) -> int:
    batch = [
        phone.mutation(
            "create",
            uuid.uuid4(),
            **entry_fields(title=f"Entry {i}", start_date=(TODAY - dt.timedelta(days=i)).isoformat()),
        )
        for i in range(n)
    ]
    statements: list[str] = []
    with app.app_context(), _counting(statements):
        results = phone.push(*batch)["results"]
    assert [r["status"] for r in results] == ["applied"] * n
    return len(statements)


def test_a_push_of_new_entries_takes_a_few_statements_however_many_there_are(app, device, practitioner):
    """About 7 statements per mutation before batching (a savepoint, the entry, its revision, its
    change, the release, …): now the statements of a push of new entries hardly grow with their
    number (the log-in, the device's row, the look-ups and one INSERT per table)."""
    phone = device(practitioner)
    _push_statements(app, phone, 3)  # the device's first push makes its row
    few, many = _push_statements(app, phone, 10), _push_statements(app, phone, 60)
    assert many < 7 * 60 / 10, (few, many)
    assert many - few < (60 - 10) / 10, (few, many)
