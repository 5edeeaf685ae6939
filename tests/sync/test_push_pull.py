"""Push and pull: every result type and edge of the sync contract (DESIGN §4)."""

import datetime as dt
import uuid

from sqlalchemy import func, select

from logbook.accounts.links import SupervisionLink
from logbook.entries.models import Entry
from logbook.extensions import db
from tests import factories
from tests.factories import TODAY
from tests.sync.device import entry_fields


def count_entries(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Entry))


def test_create_then_pull(device, practitioner):
    phone = device(practitioner)
    rid = uuid.uuid4()
    out = phone.push(phone.mutation("create", rid, **entry_fields()))
    assert out["results"] == [
        {"mutation_id": 1, "id": str(rid), "entity": "entry", "status": "applied", "version": 1}
    ]
    assert out["last_mutation_id"] == 1
    items = phone.pull_all()
    assert [(i["id"], i["op"], i["version"]) for i in items] == [(str(rid), "upsert", 1)]
    assert items[0]["record"]["title"] == "Neglect toolkit study day"
    assert phone.pull_all() == []  # nothing new after the cursor


def test_replaying_a_batch_or_a_prefix_changes_nothing(app, device, practitioner):
    phone = device(practitioner)
    batch = [phone.mutation("create", uuid.uuid4(), **entry_fields(title=f"E{i}")) for i in range(3)]
    first = phone.push(*batch)
    assert [r["status"] for r in first["results"]] == ["applied"] * 3
    again = phone.push(*batch)
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    assert [r["first_status"] for r in again["results"]] == ["applied"] * 3
    assert [r["version"] for r in again["results"]] == [1, 1, 1]
    prefix = phone.push(*batch[:2])
    assert [r["status"] for r in prefix["results"]] == ["duplicate"] * 2
    assert count_entries(app) == 3


def test_a_batch_applies_in_mutation_id_order_whatever_order_it_lists_them(device, practitioner):
    phone = device(practitioner)
    m1, m2, m3 = (phone.mutation("create", uuid.uuid4(), **entry_fields()) for _ in range(3))
    out = phone.push(m3, m1, m2)
    assert [(r["mutation_id"], r["status"]) for r in out["results"]] == [
        (1, "applied"),
        (2, "applied"),
        (3, "applied"),
    ]
    assert out["last_mutation_id"] == 3
    # a device's first push may start anywhere (its store may have numbered changes before)
    other = device(practitioner)
    other.ids = iter(range(500, 510))
    assert other.push(other.mutation("create", uuid.uuid4(), **entry_fields()))["last_mutation_id"] == 500


def test_an_unseen_change_older_than_the_devices_last_is_out_of_order(app, device, practitioner):
    phone = device(practitioner)
    rid = uuid.uuid4()
    phone.push(phone.mutation("create", rid, **entry_fields(title="Made")))
    older = phone.mutation("update", rid, 1, title="First thought")  # 2: held up on the way
    newer = phone.mutation("update", rid, 1, title="Second thought")  # 3: arrives first
    assert phone.push(newer)["results"][0]["status"] == "applied"
    out = phone.push(older)
    result = out["results"][0]
    assert (result["status"], result["code"]) == ("rejected", "out_of_order")
    assert result["errors"] == {"mutation_id": ["is not after 3, the last change received from this device"]}
    assert out["last_mutation_id"] == 3
    shown = phone.client.get(f"/api/v1/entries/{rid}").get_json()
    assert (shown["title"], shown["version"]) == ("Second thought", 2)  # not silently overwritten
    # the answer is kept like any other: the same change again is a duplicate of it
    again = phone.push(older)["results"][0]
    assert (again["status"], again["first_status"], again["code"]) == (
        "duplicate",
        "rejected",
        "out_of_order",
    )
    # what the app really does never meets the rule: a batch retried after a lost answer, a prefix of
    # it, or a batch with the unanswered changes first and new ones after
    batch = [phone.mutation("update", rid, 2, description=f"Note {i}") for i in range(3)]
    assert [r["status"] for r in phone.push(*batch[:2])["results"]] == ["applied", "applied"]
    retried = phone.push(*batch)["results"]
    assert [r["status"] for r in retried] == ["duplicate", "duplicate", "applied"]
    assert [r["status"] for r in phone.push(batch[0])["results"]] == ["duplicate"]
    # another device's numbering is its own
    laptop = device(practitioner)
    assert laptop.push(laptop.mutation("update", rid, 5, hours=2))["results"][0]["status"] == "applied"


def test_a_rejected_mutation_does_not_block_the_rest(app, device, practitioner):
    phone = device(practitioner)
    bad = phone.mutation("create", uuid.uuid4(), **entry_fields(hours=-2, title=""))
    good = phone.mutation("create", uuid.uuid4(), **entry_fields())
    out = phone.push(bad, good)
    assert out["results"][0]["status"] == "rejected"
    assert {"hours", "title"} <= set(out["results"][0]["errors"])
    assert out["results"][1]["status"] == "applied"
    assert count_entries(app) == 1


def test_stale_version_on_a_different_field_merges(device, practitioner):
    phone, laptop = device(practitioner), device(practitioner)
    rid = uuid.uuid4()
    phone.push(phone.mutation("create", rid, **entry_fields()))
    assert laptop.push(laptop.mutation("update", rid, 1, hours=7))["results"][0]["version"] == 2
    out = phone.push(phone.mutation("update", rid, 1, title="Neglect toolkit (Graded Care Profile 2)"))
    assert out["results"][0]["status"] == "applied"
    assert out["results"][0]["version"] == 3
    record = phone.client.get(f"/api/v1/entries/{rid}").get_json()
    assert (record["title"], record["hours"]) == ("Neglect toolkit (Graded Care Profile 2)", 7.0)


def test_same_field_on_two_devices_is_a_conflict_with_both_texts(device, practitioner):
    phone, laptop = device(practitioner), device(practitioner)
    rid = uuid.uuid4()
    phone.push(phone.mutation("create", rid, **entry_fields(description="first")))
    laptop.push(laptop.mutation("update", rid, 1, description="written on the laptop"))
    out = phone.push(phone.mutation("update", rid, 1, description="written on the phone", hours=5))
    result = out["results"][0]
    assert result["status"] == "conflict"
    assert result["code"] == "edit_conflict"
    assert result["conflicting_fields"] == ["description"]
    assert result["yours"]["description"] == "written on the phone"
    assert result["current"]["description"] == "written on the laptop"
    assert result["current"]["version"] == 2
    # nothing of the conflicting mutation was applied, not even the non-clashing field
    assert phone.client.get(f"/api/v1/entries/{rid}").get_json()["hours"] == 6.0


def test_same_value_on_both_sides_is_not_a_conflict(device, practitioner):
    phone, laptop = device(practitioner), device(practitioner)
    rid = uuid.uuid4()
    phone.push(phone.mutation("create", rid, **entry_fields()))
    laptop.push(laptop.mutation("update", rid, 1, title="Same"))
    assert phone.push(phone.mutation("update", rid, 1, title="Same"))["results"][0]["status"] == "applied"


def test_delete_against_an_edited_entry_is_a_conflict_and_edit_of_deleted_too(device, practitioner):
    phone, laptop = device(practitioner), device(practitioner)
    rid = uuid.uuid4()
    phone.push(phone.mutation("create", rid, **entry_fields()))
    laptop.push(laptop.mutation("update", rid, 1, title="Edited on laptop"))
    deleted = phone.push(phone.mutation("delete", rid, 1))["results"][0]
    assert (deleted["status"], deleted["conflicting_fields"]) == ("conflict", ["title"])
    assert phone.push(phone.mutation("delete", rid, 2))["results"][0]["status"] == "applied"
    edit = laptop.push(laptop.mutation("update", rid, 2, hours=1))["results"][0]
    assert (edit["status"], edit["code"]) == ("conflict", "deleted")
    tomb = [i for i in laptop.pull_all() if i["id"] == str(rid)]
    assert tomb[-1]["record"]["is_deleted"] is True


def _sign_off(app, rid):
    """Stand-in for a supervisor's sign-off: status changes and the version moves on."""
    from logbook.entries import service
    from logbook.timeutil import utcnow

    with app.app_context():
        entry = db.session.get(Entry, rid)
        entry.status = "signed_off"
        entry.version += 1
        service._snapshot(entry, utcnow())
        db.session.commit()


def test_edit_made_before_a_sign_off_is_a_conflict(app, device, practitioner):
    phone = device(practitioner)
    rid = uuid.uuid4()
    phone.push(phone.mutation("create", rid, **entry_fields()))
    _sign_off(app, rid)
    result = phone.push(phone.mutation("update", rid, 1, hours=2))["results"][0]
    assert (result["status"], result["code"]) == ("conflict", "signed_off")
    assert "signed off" in result["message"]
    with app.app_context():
        assert db.session.get(Entry, rid).status == "signed_off"
    # editing the signed version knowingly makes a new version that needs signing again
    again = phone.push(phone.mutation("update", rid, 2, hours=2))["results"][0]
    assert (again["status"], again["version"]) == ("applied", 3)
    with app.app_context():
        assert db.session.get(Entry, rid).status == "recorded"


def test_another_users_record_is_rejected_without_leaking(device, practitioner, make_user):
    owner = device(practitioner)
    rid = uuid.uuid4()
    owner.push(owner.mutation("create", rid, **entry_fields(title="Owner's secret title")))
    intruder = device(make_user("practitioner"))
    for mutation in (
        intruder.mutation("update", rid, 1, title="Mine now"),
        intruder.mutation("delete", rid, 1),
        intruder.mutation("create", rid, **entry_fields()),
    ):
        result = intruder.push(mutation)["results"][0]
        assert result["status"] == "rejected"
        assert result["code"] == "not_found"
        assert "secret" not in str(result)
    assert owner.client.get(f"/api/v1/entries/{rid}").get_json()["version"] == 1
    assert intruder.pull_all() == []


def test_client_id_of_another_user_is_refused(device, practitioner, make_user):
    first = device(practitioner)
    first.push(first.mutation("create", uuid.uuid4(), **entry_fields()))
    second = device(make_user("practitioner"))
    second.client_id = first.client_id
    response = second.client.api(
        "POST",
        "/api/v1/sync/push",
        json={
            "client_id": first.client_id,
            "mutations": [second.mutation("create", uuid.uuid4(), **entry_fields())],
        },
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "client_of_another_user"


def test_limits_give_413(app, device, practitioner):
    phone = device(practitioner)
    too_many = [phone.mutation("create", uuid.uuid4(), **entry_fields()) for _ in range(501)]
    response = phone.client.api(
        "POST", "/api/v1/sync/push", json={"client_id": phone.client_id, "mutations": too_many}
    )
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    app.config["SYNC_MAX_BODY_BYTES"] = 1000
    big = phone.mutation("create", uuid.uuid4(), **entry_fields(description="x" * 2000))
    response = phone.client.api(
        "POST", "/api/v1/sync/push", json={"client_id": phone.client_id, "mutations": [big]}
    )
    assert response.status_code == 413


def test_push_is_rate_limited_per_user(app, device, practitioner):
    app.config["SYNC_RATE_LIMIT"] = "2 per minute"
    phone = device(practitioner)
    phone.push()
    phone.push()
    response = phone.client.api(
        "POST", "/api/v1/sync/push", json={"client_id": phone.client_id, "mutations": []}
    )
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"


def test_bad_mutations_are_422(device, practitioner):
    phone = device(practitioner)
    for mutation in (
        {"mutation_id": 0, "entity": "entry", "id": str(uuid.uuid4()), "op": "create"},
        {"mutation_id": 1, "entity": "spaceship", "id": str(uuid.uuid4()), "op": "create"},
        {"mutation_id": 1, "entity": "entry", "id": "nope", "op": "create"},
        {"mutation_id": 1, "entity": "entry", "id": str(uuid.uuid4()), "op": "update"},
    ):
        response = phone.client.api(
            "POST", "/api/v1/sync/push", json={"client_id": phone.client_id, "mutations": [mutation]}
        )
        assert response.status_code == 422, mutation
    dup = [phone.mutation("create", uuid.uuid4(), **entry_fields()) for _ in range(2)]
    dup[1]["mutation_id"] = dup[0]["mutation_id"]
    response = phone.client.api(
        "POST", "/api/v1/sync/push", json={"client_id": phone.client_id, "mutations": dup}
    )
    assert response.status_code == 422


# --- pull ------------------------------------------------------------------------------------


def test_pull_pages_without_gaps_and_includes_tombstones(device, practitioner):
    phone = device(practitioner)
    ids = [uuid.uuid4() for _ in range(25)]
    phone.push(*[phone.mutation("create", rid, **entry_fields(title=f"E{i}")) for i, rid in enumerate(ids)])
    phone.push(phone.mutation("delete", ids[0], 1))
    pages, cursor = [], None
    while True:
        url = "/api/v1/sync/pull?limit=10" + (f"&cursor={cursor}" if cursor else "")
        page = phone.client.get(url).get_json()
        pages.append(page)
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert [p["has_more"] for p in pages] == [True, True, False]
    seen = [i["id"] for p in pages for i in p["items"]]
    assert set(seen) == {str(r) for r in ids}
    assert pages[-1]["items"][-1]["record"]["is_deleted"] is True


def test_supervisor_pulls_shared_entries_and_removals(app, device, practitioner, make_user):
    supervisor = make_user("supervisor")
    factories.supervise(app, supervisor, practitioner)
    phone, sup = device(practitioner), device(supervisor)
    shared, private = uuid.uuid4(), uuid.uuid4()
    phone.push(
        phone.mutation("create", shared, **entry_fields(visibility="supervisors")),
        phone.mutation("create", private, **entry_fields(visibility="private")),
    )
    items = sup.pull_all()
    assert [(i["id"], i["op"], i["record"]["access"]) for i in items] == [
        (str(shared), "upsert", "supervisor")
    ]
    phone.push(phone.mutation("update", shared, 1, visibility="private"))
    assert [(i["id"], i["op"]) for i in sup.pull_all()] == [(str(shared), "remove")]
    # someone unrelated pulls nothing of it
    assert device(make_user("supervisor")).pull_all() == []


def test_cursor_of_another_user_tampered_or_stale_scope_resets(app, device, practitioner, make_user):
    phone = device(practitioner)
    phone.push(phone.mutation("create", uuid.uuid4(), **entry_fields()))
    phone.pull_all()
    other = device(make_user("supervisor"))
    stolen = other.client.get(f"/api/v1/sync/pull?cursor={phone.cursor}").get_json()
    assert stolen["reset"] is True
    assert stolen["items"] == []
    tampered = phone.client.get(f"/api/v1/sync/pull?cursor={phone.cursor[:-2]}xx").get_json()
    assert tampered["reset"] is True
    # becoming someone's supervisor changes what you may see: your cursor resets so you get it all
    other.pull_all()
    with app.app_context():
        db.session.add(
            SupervisionLink(
                supervisor_id=uuid.UUID(other.client.get("/api/v1/me").get_json()["id"]),
                supervisee_id=practitioner.id,
                kind="line",
                starts_on=TODAY - dt.timedelta(days=1),
            )
        )
        db.session.commit()
    assert other.client.get(f"/api/v1/sync/pull?cursor={other.cursor}").get_json()["reset"] is True


def test_epoch_change_resets_every_cursor(app, device, practitioner):
    phone = device(practitioner)
    phone.pull_all()
    app.config["SYNC_EPOCH"] = 2
    assert phone.client.get(f"/api/v1/sync/pull?cursor={phone.cursor}").get_json()["reset"] is True


def test_anonymous_sync_is_401(client):
    assert client.get("/api/v1/sync/pull").status_code == 401
    assert (
        client.api("POST", "/api/v1/sync/push", json={"client_id": "abcdefgh", "mutations": []}).status_code
        == 401
    )


def test_a_devices_own_earlier_change_never_conflicts_with_its_later_one(device, practitioner):
    phone, laptop = device(practitioner), device(practitioner)
    rid = uuid.uuid4()
    phone.push(phone.mutation("create", rid, **entry_fields()))
    # two changes to the same field, both made offline against version 1, sent in one batch
    out = phone.push(
        phone.mutation("update", rid, 1, title="First thought"),
        phone.mutation("update", rid, 1, title="Second thought"),
    )
    assert [r["status"] for r in out["results"]] == ["applied", "applied"]
    # but another device's change to that field since version 1 is still a conflict
    result = laptop.push(laptop.mutation("update", rid, 1, title="Laptop thought"))["results"][0]
    assert (result["status"], result["conflicting_fields"]) == ("conflict", ["title"])
    assert phone.client.get(f"/api/v1/entries/{rid}").get_json()["title"] == "Second thought"


def test_pull_access_agrees_with_entry_access_rules(app, practitioner, make_user, org, other_org):
    """The pull computes access without a query per record; it must match entries.access_level()
    for every record a device can pull: own, a supervisee's in each visibility/status/deleted state."""
    import itertools

    from logbook.accounts.models import User
    from logbook.entries import service as entries
    from logbook.sync.service import _pull_access

    supervisor = make_user("supervisor")
    demoted = make_user("supervisor")
    with app.app_context():
        for sup in (supervisor, demoted):
            db.session.add(
                SupervisionLink(
                    supervisor_id=sup.id,
                    supervisee_id=practitioner.id,
                    kind="line",
                    starts_on=TODAY - dt.timedelta(days=30),
                )
            )
        db.session.get(User, demoted.id).is_supervisor = False  # lost the role, link still there
        db.session.commit()
        states = itertools.product(
            ("private", "supervisors", "organisation"), ("draft", "recorded", "signed_off"), (False, True)
        )
        checked = 0
        for visibility, status, deleted in states:
            entry = Entry(
                id=uuid.uuid4(),
                owner_id=practitioner.id,
                organisation_id=org.id,
                kind="study_day",
                title="t",
                start_date=TODAY,
                hours=1,
                is_participatory=True,
                visibility=visibility,
                status=status,
                is_deleted=deleted,
            )
            for viewer_id in (practitioner.id, supervisor.id, demoted.id):
                viewer = db.session.get(User, viewer_id)
                supervisees = {practitioner.id} if viewer_id != practitioner.id else set()
                expected = entries.access_level(viewer=viewer, entry=entry, today=TODAY)
                assert _pull_access(viewer, entry, supervisees) == expected, (visibility, status, deleted)
                checked += 1
        assert checked == 54


def test_pulled_record_is_the_entry_as_the_api_shows_it(app, device, practitioner):
    """The pull builds records without marshmallow; they must equal the entries API's output for an
    entry with every part filled in (tags, evidence, reflection, kind details, dates)."""
    from logbook.frameworks.models import FrameworkVersion
    from logbook.frameworks.service import load_shipped_frameworks

    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
        fv = db.session.scalars(select(FrameworkVersion).order_by(FrameworkVersion.framework_id)).first()
        tag = {"framework": fv.framework_id, "version": fv.version, "code": fv.standard_codes[0]}
    phone = device(practitioner)
    rid = uuid.uuid4()
    fields = entry_fields(
        kind="supervision",
        description="Notes",
        hours=1.5,
        end_date=TODAY.isoformat(),
        start_date=(TODAY - dt.timedelta(days=1)).isoformat(),
        reflection={"template": "rolfe", "answers": {"what": "A", "so_what": "B", "now_what": "C"}},
        impact_on_practice="I ask sooner.",
        impact_on_people="Families hear one plan.",
        ways_of_knowing=["experiential", "practical"],
        other_professions=["health visitor"],
        standards=[tag],
        common_core=["3"],
        evidence=[{"sha256": "a" * 64, "name": "notes.jpg", "caption": "Whiteboard"}],
        visibility="supervisors",
        details={
            "format": "individual",
            "supervisor_name": "Priya Shah",
            "duration_minutes": 90,
            "agenda": "Caseload",
            "actions": [{"text": "Read the toolkit", "owner": "me", "due_date": TODAY.isoformat()}],
        },
    )
    out = phone.push(phone.mutation("create", rid, **fields))
    assert out["results"][0]["status"] == "applied", out
    pulled = phone.pull_all()[0]["record"]
    shown = phone.client.get(f"/api/v1/entries/{rid}").get_json()
    shown["warnings"] = []  # the pull never computes warnings; the device asks while typing
    assert pulled == shown
    assert pulled["standards"] == [tag]
    assert pulled["evidence"][0]["caption"] == "Whiteboard"


def test_a_reused_mutation_id_with_other_content_is_rejected_not_swallowed(app, device, practitioner):
    phone = device(practitioner)
    rid = uuid.uuid4()
    first = phone.mutation("create", rid, **entry_fields(title="Original"))
    phone.push(first)
    # the same id again with the same content: a true replay, answered with the first result
    assert phone.push(first)["results"][0]["status"] == "duplicate"
    # the same id with different content: a client bug that would lose the edit silently
    changed = dict(first, fields=entry_fields(title="Edited after the response was lost"))
    result = phone.push(changed)["results"][0]
    assert result["status"] == "rejected"
    assert result["code"] == "mutation_id_reused"
    assert "request_sha256" not in result
    with app.app_context():
        assert db.session.get(Entry, rid).title == "Original"


def _raw_push(phone, text: str):
    """Send JSON text as written (numbers spelt as the device spells them)."""
    response = phone.client.api(
        "POST", "/api/v1/sync/push", data=text, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"][0]


def _create_text(client_id: str, rid, hours: str, *, keys_reversed: bool = False) -> str:
    fields = [
        '"kind": "study_day"',
        '"title": "Spelt differently"',
        f'"start_date": "{TODAY.isoformat()}"',
        f'"hours": {hours}',
    ]
    if keys_reversed:
        fields.reverse()
    body = ", ".join(fields)
    mutation = f'{{"mutation_id": 1, "entity": "entry", "id": "{rid}", "op": "create", "fields": {{{body}}}}}'
    return f'{{"client_id": "{client_id}", "mutations": [{mutation}]}}'


def test_a_retry_with_numbers_written_differently_is_the_same_change(app, device, practitioner):
    phone = device(practitioner)
    rid = uuid.uuid4()
    assert _raw_push(phone, _create_text(phone.client_id, rid, "2"))["status"] == "applied"
    # 2.0, 2e0 and 20E-1 are the number 2; key order carries no meaning (RFC 8785 canonical JSON)
    for spelling in ("2.0", "2e0", "20E-1"):
        again = _raw_push(phone, _create_text(phone.client_id, rid, spelling, keys_reversed=True))
        assert (again["status"], again["first_status"], again["version"]) == ("duplicate", "applied", 1)
    # another number is another change under a used id
    reused = _raw_push(phone, _create_text(phone.client_id, rid, "2.5"))
    assert (reused["status"], reused["code"]) == ("rejected", "mutation_id_reused")
    assert count_entries(app) == 1


def test_results_stored_with_the_old_digest_still_answer_retries(app, device, practitioner):
    """A mutation answered before canonical digests (its result holds the SHA-256 of Python's dump of
    the parsed mutation, `request_sha256`) is still recognised when the device retries it."""
    import hashlib
    import json

    from logbook.sync.models import SyncMutation

    phone = device(practitioner)
    rid = uuid.uuid4()
    fields = entry_fields(title="Sent before the upgrade")
    mutation = phone.mutation("create", rid, **fields)
    phone.push(mutation)
    old = {"entity": "entry", "id": rid, "op": "create", "base_version": None, "fields": fields}
    old_digest = hashlib.sha256(json.dumps(old, sort_keys=True, default=str).encode()).hexdigest()
    with app.app_context():
        row = db.session.get(SyncMutation, (phone.client_id, 1))
        result = {k: v for k, v in row.result.items() if k != "request_jcs_sha256"}
        row.result = {**result, "request_sha256": old_digest}
        db.session.commit()
    again = phone.push(mutation)["results"][0]
    assert (again["status"], again["first_status"]) == ("duplicate", "applied")
    assert "request_sha256" not in again
    changed = phone.push(dict(mutation, fields=entry_fields(title="Edited")))["results"][0]
    assert (changed["status"], changed["code"]) == ("rejected", "mutation_id_reused")
