"""A device that pushes mutations and pulls changes like the PWA, checking every answer against the
OpenAPI document's schemas; the fields of a minimal valid entry."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

from logbook.entries.schemas import EntrySchema, GapExplanationSchema
from logbook.sync.schemas import (
    PullItemSchema,
    PushResultItemSchema,
    SessionRecordSchema,
    SignOffRequestRecordSchema,
)
from tests.factories import TODAY


def entry_fields(**extra: Any) -> dict[str, Any]:
    """The fields of a minimal valid entry."""
    fields = {
        "kind": "study_day",
        "title": "Neglect toolkit study day",
        "start_date": TODAY.isoformat(),
        "hours": 6,
    }
    fields.update(extra)
    return fields


class Device:
    """One browser profile: a client id, an increasing mutation id, and a pull cursor."""

    def __init__(self, client) -> None:
        self.client = client
        self.client_id = uuid.uuid4().hex
        self.ids = itertools.count(1)
        self.cursor: str | None = None

    def mutation(self, op: str, record_id, base_version=None, **fields) -> dict[str, Any]:
        """Build the next mutation (does not send it)."""
        return {
            "mutation_id": next(self.ids),
            "entity": "entry",
            "id": str(record_id),
            "op": op,
            "base_version": base_version,
            "fields": fields,
        }

    def push(self, *mutations, expect: int = 200):
        """Send a batch; returns the results list."""
        response = self.client.api(
            "POST", "/api/v1/sync/push", json={"client_id": self.client_id, "mutations": list(mutations)}
        )
        assert response.status_code == expect, response.get_json()
        if expect == 200:
            check_push_answer(response.get_json())
        return response.get_json()

    def pull_all(self) -> list[dict[str, Any]]:
        """Pull every page after the cursor, and again while the server says it held changes back (as
        the phone does: on PostgreSQL another transaction on the cluster may hold the horizon)."""
        items = []
        deadline = time.monotonic() + 30
        while True:
            url = "/api/v1/sync/pull?limit=50" + (f"&cursor={self.cursor}" if self.cursor else "")
            page = self.client.get(url).get_json()
            if page["reset"]:
                self.cursor = None
                continue
            for item in page["items"]:
                check_pull_item(item)
            items += page["items"]
            self.cursor = page["next_cursor"]
            if not page["has_more"] and not (page.get("withheld") and time.monotonic() < deadline):
                return items


# What the OpenAPI document says each pulled record holds, by entity.
RECORD_SCHEMAS = {
    "entry": EntrySchema,
    "sign_off_request": SignOffRequestRecordSchema,
    "supervision_session": SessionRecordSchema,
    "gap_explanation": GapExplanationSchema,
}


def check_push_answer(answer: dict[str, Any]) -> None:
    """Every key of every result is one the OpenAPI document names (PushResultItem)."""
    documented = set(PushResultItemSchema().fields)
    for result in answer.get("results", []):
        assert set(result) <= documented, f"undocumented result keys: {set(result) - documented}"


def check_pull_item(item: dict[str, Any]) -> None:
    """A pulled item has the documented keys; its record exactly the documented fields of its entity."""
    assert set(item) <= set(PullItemSchema().fields), item.keys()
    assert ("record" in item) == (item["op"] == "upsert"), item
    if "record" in item:
        documented = set(RECORD_SCHEMAS[item["entity"]]().fields)
        assert set(item["record"]) == documented, (
            f"{item['entity']}: undocumented {set(item['record']) - documented}, "
            f"missing {documented - set(item['record'])}"
        )
