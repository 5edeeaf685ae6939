"""A batch is applied mutation by mutation, a mutation that writes before it may still be refused
inside its own SAVEPOINT, while the look-ups are made once for the whole batch (logbook/sync/service.py
push): one mutation refused after it had already written its entry, revision and change-feed row
rolls back alone; the rest land."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import func, select

from logbook.changefeed import Change
from logbook.entries.models import Entry, EntryRevision
from logbook.errors import ValidationFailed
from logbook.extensions import db
from logbook.supervision import sessions
from logbook.sync.models import SyncMutation
from tests.sync.device import entry_fields

POISON = "Refused after writing"


def test_one_refused_mutation_in_a_batch_of_many_rolls_back_alone(app, device, practitioner, monkeypatch):
    original = sessions.session_for_entry

    def refuse_late(*, actor, entry, now):
        # Called by the entry applier after the entry, its revision and its change were written.
        if entry.title == POISON:
            assert db.session.get(Entry, entry.id) is not None  # it had been written
            raise ValidationFailed("Refused late.", fields={"title": ["refused late"]})
        return original(actor=actor, entry=entry, now=now)

    monkeypatch.setattr(sessions, "session_for_entry", refuse_late)
    # The poisoned entries take the path of an entry that may make a supervision session: written
    # in its own savepoint, then the session made from it (the others are checked first and
    # written together at the end of the batch: tests/sync/test_push_batching.py).
    is_session_entry = sessions.is_session_entry
    monkeypatch.setattr(
        sessions,
        "is_session_entry",
        lambda *, actor, entry: entry.title == POISON or is_session_entry(actor=actor, entry=entry),
    )
    phone = device(practitioner)
    ids = [uuid.uuid4() for _ in range(40)]
    poisoned = {ids[0], ids[17], ids[39]}  # first, middle and last of the batch
    mutations = [
        phone.mutation("create", rid, **entry_fields(title=POISON if rid in poisoned else f"Entry {n}"))
        for n, rid in enumerate(ids)
    ]
    out = phone.push(*mutations)["results"]
    status = {uuid.UUID(r["id"]): r["status"] for r in out}
    assert {rid for rid, s in status.items() if s == "rejected"} == poisoned
    assert all(status[rid] == "applied" for rid in ids if rid not in poisoned)

    with app.app_context():
        stored = set(db.session.scalars(select(Entry.id).where(Entry.id.in_(ids))))
        assert stored == set(ids) - poisoned
        revised = set(
            db.session.scalars(select(EntryRevision.entry_id).where(EntryRevision.entry_id.in_(ids)))
        )
        assert revised == set(ids) - poisoned
        fed = list(db.session.scalars(select(Change.record_id).where(Change.record_id.in_(ids))))
        assert sorted(fed) == sorted(set(ids) - poisoned)  # one change each, none for the refused
        answers = db.session.scalar(
            select(func.count()).select_from(SyncMutation).where(SyncMutation.client_id == phone.client_id)
        )
        assert answers == len(ids)  # every answer stored, refusals included (a retry is a duplicate)

    # The batch again: every answer a duplicate of the first, nothing written twice.
    again = phone.push(*mutations)["results"]
    assert [r["status"] for r in again] == ["duplicate"] * len(ids)
    assert {uuid.UUID(r["id"]): r["first_status"] for r in again} == status
    # On PostgreSQL rows of transactions still running anywhere on the server are withheld, not
    # lost (the xmin horizon is cluster-wide, docs/sync.md): pull on, a little while.
    landed = {str(rid) for rid in set(ids) - poisoned}
    pulled: set[str] = set()
    deadline = time.monotonic() + 60
    while not landed <= pulled and time.monotonic() < deadline:
        pulled |= {item["id"] for item in phone.pull_all()}
        time.sleep(0.2)
    assert pulled == landed
