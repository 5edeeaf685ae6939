"""The pull writes its answer's JSON itself (stored JSON columns spliced as stored, logbook/sync/
service.py). Every pulled record must read exactly as the record's own API shows it: compared after
parsing both answers' bytes, for every synced entity, as the owner and as a supervisor."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

from sqlalchemy import select, update

from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks.models import FrameworkVersion
from logbook.frameworks.service import load_shipped_frameworks
from tests.factories import TODAY, make_entry, request_from, supervision_session


def pulled(client, *wanted: tuple[str, str]) -> dict[tuple[str, str], dict]:
    """Every upsert of a full pull, by (entity, id), parsed from the answer's bytes. On PostgreSQL
    rows of transactions still running anywhere on the server are withheld, not lost (the xmin
    horizon is cluster-wide, docs/sync.md): pull on, a little while, until `wanted` arrived."""
    out: dict[tuple[str, str], dict] = {}
    cursor, deadline = None, time.monotonic() + 60
    while True:
        response = client.get("/api/v1/sync/pull?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200
        assert response.mimetype == "application/json"
        page = json.loads(response.get_data())
        assert not page["reset"]
        for item in page["items"]:
            if item["op"] == "upsert":
                out[(item["entity"], item["id"])] = item["record"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            if set(wanted) <= set(out) or time.monotonic() > deadline:
                return out
            time.sleep(0.2)


def shown(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data())


def _tag(app) -> dict:
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
        fv = db.session.scalars(select(FrameworkVersion).order_by(FrameworkVersion.framework_id)).first()
        return {"framework": fv.framework_id, "version": fv.version, "code": fv.standard_codes[0]}


def test_every_pulled_entry_equals_the_entries_api_for_owner_and_supervisor(app, me, boss):
    tag = _tag(app)
    full = make_entry(
        me,
        kind="supervision",
        title="Supervision — “quotes”, ünïcode and \\ backslash \U0001f600",
        description='Line one\nline two\t"quoted" </script>',
        hours=1.25,
        end_date=TODAY.isoformat(),
        start_date=(TODAY - dt.timedelta(days=1)).isoformat(),
        reflection={"template": "rolfe", "answers": {"what": "Ä", "so_what": "B\u2028", "now_what": "C"}},
        impact_on_practice="I ask sooner.",
        impact_on_people="Families hear one plan.",
        ways_of_knowing=["experiential", "practical"],
        other_professions=["health visitor"],
        standards=[tag],
        common_core=["3"],
        evidence=[{"sha256": "a" * 64, "name": "notes é.jpg", "caption": "Whiteboard"}],
        details={
            "format": "individual",
            "supervisor_name": "Priya Shah",
            "duration_minutes": 90,
            "agenda": "Caseload",
            "actions": [{"text": "Read the toolkit", "owner": "me", "due_date": TODAY.isoformat()}],
        },
    )
    plain = make_entry(me, hours=6, title="Whole hours, no end date")
    private = make_entry(me, visibility="private", title="Mine only")
    with app.app_context():  # a timestamp with no microseconds (isoformat drops them)
        db.session.execute(
            update(Entry)
            .where(Entry.id == uuid.UUID(plain["id"]))
            .values(updated_at=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
        )
        db.session.commit()

    mine = pulled(me, *(("entry", e["id"]) for e in (full, plain, private)))
    for entry in (full, plain, private):
        expected = shown(me, f"/api/v1/entries/{entry['id']}")
        expected["warnings"] = []  # the pull never computes warnings; the device asks while typing
        assert mine[("entry", entry["id"])] == expected
    assert mine[("entry", plain["id"])]["updated_at"] == "2026-01-02T03:04:05+00:00"

    theirs = pulled(boss, *(("entry", e["id"]) for e in (full, plain)))
    assert ("entry", private["id"]) not in theirs
    for entry in (full, plain):
        expected = shown(boss, f"/api/v1/entries/{entry['id']}")
        expected["warnings"] = []
        assert expected["access"] == "supervisor"
        assert theirs[("entry", entry["id"])] == expected


def test_stored_items_with_keys_the_wire_form_does_not_have_are_cut_like_the_api(app, me):
    """Spliced only where the stored form is the wire form: a tag or evidence item stored with an
    extra key (an older writer, an import) is cut to the documented keys, as EntrySchema does."""
    tag = _tag(app)
    entry = make_entry(me, standards=[tag], evidence=[{"sha256": "b" * 64, "name": "n", "caption": "c"}])
    with app.app_context():
        db.session.execute(
            update(Entry)
            .where(Entry.id == uuid.UUID(entry["id"]))
            .values(
                standards=[{**tag, "title": "extra"}],
                evidence=[{"sha256": "b" * 64, "name": "n", "caption": "c", "size": 3}],
            )
        )
        db.session.commit()
    record = pulled(me, ("entry", entry["id"]))[("entry", entry["id"])]
    expected = shown(me, f"/api/v1/entries/{entry['id']}")
    expected["warnings"] = []
    assert record == expected
    assert record["standards"] == [tag]
    assert record["evidence"] == [{"sha256": "b" * 64, "name": "n", "caption": "c"}]


def test_a_pulled_gap_explanation_equals_its_api(me):
    body = {"starts_on": "2026-01-01", "ends_on": "2026-02-01", "reason": "Parental leave — “Ä”"}
    made = me.api("POST", "/api/v1/me/gap-explanations", json=body)
    assert made.status_code == 201, made.get_json()
    gid = made.get_json()["id"]
    assert pulled(me, ("gap_explanation", gid))[("gap_explanation", gid)] == shown(
        me, f"/api/v1/me/gap-explanations/{gid}"
    )


def test_a_pulled_supervision_session_holds_the_sessions_api_answer(app, me, boss, practitioner, supervisor):
    """SessionRecord is the sessions API's Session plus the parties' names and the sign-off request."""
    session = supervision_session(app, supervisor, supervisor, practitioner, notes="Caseload — ü")
    for client in (me, boss):
        key = ("supervision_session", str(session.id))
        record = pulled(client, key)[key]
        api = shown(client, f"/api/v1/supervision/sessions/{session.id}")
        assert {k: record[k] for k in api} == api
        assert set(record) - set(api) == {"supervisor_name", "supervisee_name", "sign_off_request"}


def test_a_pulled_sign_off_request_holds_what_the_requests_api_shows(me, boss, supervisor):
    entry = make_entry(me)
    response = request_from(me, entry, supervisor_id=str(supervisor.id), message="Please — ü")
    assert response.status_code == 201, response.get_json()
    rid = response.get_json()["id"]
    for client, scope in ((me, "mine"), (boss, "queue")):
        record = pulled(client, ("sign_off_request", rid))[("sign_off_request", rid)]
        listed = {i["id"]: i for i in shown(client, f"/api/v1/sign-off-requests?scope={scope}")["items"]}[rid]
        common = set(record) & set(listed)
        assert {"id", "entry_id", "entry_version", "content_sha256", "state", "message"} <= common
        assert {k: record[k] for k in common} == {k: listed[k] for k in common}
