"""A pull tells the device when the horizon held changes back (PostgreSQL: docs/sync.md), so the phone
pulls again shortly instead of saying "All synced" without a change another device just committed."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from sqlalchemy import text

from logbook.extensions import db
from tests.sync.device import entry_fields

ON_POSTGRES = os.environ.get("LOGBOOK_TEST_DATABASE_URL", "").startswith("postgresql")


def _page(phone) -> dict:
    url = "/api/v1/sync/pull?limit=50" + (f"&cursor={phone.cursor}" if phone.cursor else "")
    page = phone.client.get(url).get_json()
    phone.cursor = page["next_cursor"]
    return page


def _settled(phone) -> tuple[list[dict], dict]:
    """Pull as the phone does: again while the answer says changes were held back (on PostgreSQL a
    transaction of another test run on the same cluster may hold the horizon for a moment)."""
    deadline = time.monotonic() + 30
    items: list[dict] = []
    while True:
        page = _page(phone)
        items += page["items"]
        if not (page["has_more"] or page["withheld"]) or time.monotonic() > deadline:
            return items, page


def test_a_pull_with_nothing_held_back_says_so(device, practitioner):
    phone = device(practitioner)
    phone.push(phone.mutation("create", uuid.uuid4(), **entry_fields()))
    items, last = _settled(phone)
    assert len(items) == 1
    assert last["withheld"] is False
    again = _page(phone)
    assert (again["items"], again["has_more"], again["withheld"]) == ([], False, False)


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="the horizon is PostgreSQL's (SQLite serialises writers)")
def test_a_change_behind_a_running_transaction_is_withheld_and_said_to_be(app, device, practitioner):
    phone = device(practitioner)
    other = device(practitioner)
    phone.push(phone.mutation("create", uuid.uuid4(), **entry_fields(title="First")))
    assert [i["record"]["title"] for i in _settled(phone)[0]] == ["First"]

    with app.app_context():
        holder = db.engine.connect()
        try:
            holder.execute(
                text("SELECT pg_current_xact_id()")
            )  # a running transaction: the horizon stops here
            made = uuid.uuid4()
            other.push(other.mutation("create", made, **entry_fields(title="Second")))
            held = _page(phone)
            assert held["items"] == []  # committed, but newer than a transaction still running
            assert held["withheld"] is True  # ... and the phone is told to pull again
            assert held["has_more"] is False
        finally:
            holder.rollback()
            holder.close()
    # Once it has ended the change is served.
    items, last = _settled(phone)
    assert [(i["id"], i["record"]["title"]) for i in items] == [(str(made), "Second")]
    assert last["withheld"] is False
