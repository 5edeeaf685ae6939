"""progress.entry_facts reads the driver's own values (issue 24: no SQLAlchemy result processing on
the progress path) and must still hand the engine the same facts on SQLite and PostgreSQL: dates as
dates, hours as two-place Decimals, flags as bools, JSON parsed, ids as the engine's text."""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select

from logbook import progress
from logbook.accounts.models import User
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks import engine
from tests import factories


def test_facts_from_raw_rows_have_the_engines_types(app, practitioner):
    made = factories.entry(
        app,
        practitioner,
        title="Study day",
        start_date="2026-03-02",
        hours=7.5,
    )
    with app.app_context():
        row = db.session.get(Entry, made.id)
        row.end_date = dt.date(2026, 3, 4)
        row.standards = [{"framework": "swe", "version": 2, "code": "4.1"}]
        row.impact_on_practice = "I now plan visits differently."
        db.session.commit()
        rows = progress.core_rows(select(*progress.ENTRY_COLUMNS).where(Entry.id == made.id))
        [fact] = progress.entry_facts(rows)
    assert fact.owner_id == practitioner.id
    assert isinstance(fact.owner_id, uuid.UUID)
    assert fact.id == str(made.id)  # the text the engine reports, hyphens and all
    assert (fact.start_date, fact.end_date) == (dt.date(2026, 3, 2), dt.date(2026, 3, 4))
    assert fact.hours == Decimal("7.50")
    assert str(fact.hours) == "7.50"
    assert fact.standards == [{"framework": "swe", "version": 2, "code": "4.1"}]
    assert fact.details is None  # only supervision sessions' details are read
    assert fact.has_impact is True
    flags = (fact.is_participatory, fact.includes_peer_reflection, fact.is_deleted)
    assert all(type(v) is bool for v in flags)


def test_signatures_are_asked_by_uuid_and_answered_by_the_facts_text_id(app, practitioner):
    made = factories.entry(app, practitioner, title="Signed")
    with app.app_context():
        db.session.get(Entry, made.id).status = "signed_off"
        db.session.commit()
        asked = []

        def signatures(ids):
            asked.extend(ids)
            return {made.id: frozenset({"supervisor"})}

        rows = progress.core_rows(select(*progress.ENTRY_COLUMNS).where(Entry.id == made.id))
        [fact] = progress.entry_facts(rows, signatures)
    assert asked == [made.id]
    assert fact.signed_roles == frozenset({"supervisor"})


def test_with_signatures_every_other_entry_stands_unsigned_and_is_not_asked_about(app, practitioner):
    signed = factories.entry(app, practitioner, title="Signed")
    deleted = factories.entry(app, practitioner, title="Signed, then deleted")
    plain = factories.entry(app, practitioner, title="Recorded")
    with app.app_context():
        db.session.get(Entry, signed.id).status = "signed_off"
        gone = db.session.get(Entry, deleted.id)
        gone.status, gone.is_deleted = "signed_off", True
        db.session.commit()
        asked = []

        def signatures(ids):
            asked.extend(ids)
            return {signed.id: frozenset({"supervisor"}), deleted.id: frozenset({"supervisor"})}

        query = select(*progress.ENTRY_COLUMNS).where(Entry.owner_id == practitioner.id)
        with_roles = {f.id: f for f in progress.entry_facts(progress.core_rows(query), signatures)}
        without = {f.id: f for f in progress.entry_facts(progress.core_rows(query))}
    assert asked == [signed.id]  # only a signed-off entry that is not deleted is checked
    assert with_roles[str(signed.id)].signed_roles == frozenset({"supervisor"})
    assert with_roles[str(deleted.id)].signed_roles == frozenset()
    assert with_roles[str(plain.id)].signed_roles == frozenset()
    assert {f.signed_roles for f in without.values()} == {None}  # the status decides
    # otherwise the same facts, and every one of the engine's types
    assert {k: f._replace(signed_roles=None) for k, f in with_roles.items()} == without
    fields = len(engine.EntryFacts._fields)
    assert all(type(f) is engine.EntryFacts and len(f) == fields for f in without.values())


def test_progress_leaves_the_garbage_collector_as_it_found_it(app, practitioner):
    factories.entry(app, practitioner, title="Counted")
    with app.app_context():
        viewer = db.session.get(User, practitioner.id)
        assert gc.isenabled()
        with_gc = progress.progress_for(viewer=viewer, today=factories.TODAY)
        assert gc.isenabled()  # paused for the rows and the evaluation only
        gc.disable()
        try:
            assert progress.progress_for(viewer=viewer, today=factories.TODAY) == with_gc
            assert not gc.isenabled()  # someone else's pause is left alone
        finally:
            gc.enable()
        paused = []

        def fails():
            with progress._without_gc():
                paused.append(not gc.isenabled())
                raise ZeroDivisionError

        with pytest.raises(ZeroDivisionError):
            fails()
        assert paused == [True]
        assert gc.isenabled()  # resumed after an error too
