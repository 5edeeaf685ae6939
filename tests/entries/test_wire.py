"""The entry list answers without marshmallow's dump (logbook/wire.py: the same dump, worked out once
per schema): it must answer byte for byte what EntrySchema's dump answered, for every kind, every
viewer (owner, supervisor, metadata) and the stored values marshmallow would cut or convert."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from flask import jsonify
from sqlalchemy import select

from logbook.accounts.models import User
from logbook.entries import service
from logbook.entries.models import Entry
from logbook.entries.schemas import EntryPageSchema, EntrySchema
from logbook.extensions import db
from logbook.wire import dumper
from tests.entries.test_entries_api import VALID_DETAILS, base

EVIDENCE = "ab" * 32


@pytest.fixture
def many(app, me, practitioner):
    """An entry of every kind, one with identifying text, and stored values the schema converts."""
    for kind, details in VALID_DETAILS.items():
        made = me.api("POST", "/api/v1/entries", json=base(kind, details=details, title=f"A {kind}"))
        assert made.status_code == 201, made.get_json()
    me.api(
        "POST",
        "/api/v1/entries",
        json=base(
            reflection={
                "template": "rolfe",
                "answers": {"what": "Visited Mrs Smith at CR2 6XH about her son."},
            },
            impact_on_practice="NHS number 943 476 5919",
            visibility="supervisors",
            end_date=(dt.date.today() - dt.timedelta(days=1)).isoformat(),  # noqa: DTZ011 - as the API's
        ),
    )
    with app.app_context():
        odd = db.session.scalars(select(Entry).where(Entry.owner_id == practitioner.id)).first()
        # what marshmallow cuts (keys the nested schemas do not declare) or converts (hours, dates)
        odd.standards = [{"framework": "swe", "version": 2, "code": "4.1", "note": "cut"}, {"code": "3"}]
        odd.evidence = [{"sha256": EVIDENCE, "name": "a.pdf", "caption": "", "size": 5}]
        odd.hours = Decimal("2.25")
        odd.ways_of_knowing = ["research", "practice"]
        odd.visibility = "organisation"
        db.session.commit()


def _views(app, user_id, scope):
    viewer = db.session.get(User, user_id)
    return service.list_entries(viewer=viewer, filters={"scope": scope, "limit": 200}, today=dt.date.today())  # noqa: DTZ011


def test_the_compiled_dump_is_marshmallows_for_every_entry_and_viewer(app, many, practitioner, supervisor):
    with app.app_context():
        views = _views(app, practitioner.id, "mine")[0]
        assert len(views) == len(VALID_DETAILS) + 1
        dump = dumper(EntrySchema)
        for view in views:
            for access in (service.OWNER, service.SUPERVISOR, service.METADATA):
                data = service.present(service.EntryView(view.entry, access))
                assert dump(data) == EntrySchema().dump(data)
        assert any(service.present(v)["warnings"] for v in views)
        assert dump({"id": None, "standards": None, "unknown": 1}) == EntrySchema().dump(
            {"id": None, "standards": None, "unknown": 1}
        )


@pytest.mark.parametrize(
    ("who", "scope"), [("me", "mine"), ("boss", "supervisees"), ("admin_client", "organisation")]
)
def test_the_entry_list_answers_byte_for_byte_what_the_schema_dump_answered(app, many, request, who, scope):
    client = request.getfixturevalue(who)
    response = client.get(f"/api/v1/entries?scope={scope}&limit=5")
    assert response.status_code == 200
    body = response.get_json()
    assert body["items"]
    pages = [response.get_data()]
    cursor = body["next_cursor"]
    while cursor:
        page = client.get(f"/api/v1/entries?scope={scope}&limit=5&cursor={cursor}")
        pages.append(page.get_data())
        cursor = page.get_json()["next_cursor"]
    # the same pages, dumped by marshmallow as the endpoint did before
    user_id = uuid.UUID(client.get("/api/v1/me").get_json()["id"])
    expected, cursor = [], None
    with app.test_request_context():
        viewer = db.session.get(User, user_id)
        while True:
            filters = {"scope": scope, "limit": 5} | ({"cursor": cursor} if cursor else {})
            views, cursor = service.list_entries(viewer=viewer, filters=filters, today=dt.date.today())  # noqa: DTZ011
            page = {"items": [service.present(v) for v in views], "next_cursor": cursor}
            expected.append(jsonify(EntryPageSchema().dump(page)).get_data())
            assert dumper(EntryPageSchema)(page) == EntryPageSchema().dump(page)
            if not cursor:
                break
    assert pages == expected
