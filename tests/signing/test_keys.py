"""Signing keys: kept in a folder (never the database), made on purpose in production, published as
a JWKS, rotated and marked compromised through `logbook keys`."""

from __future__ import annotations

import json
import stat
import uuid
from dataclasses import replace
from pathlib import Path

from joserfc.jwk import OKPKey
from sqlalchemy import select

from logbook import cli
from logbook.config import KeyRing, may_create_on_first_use
from logbook.extensions import db
from logbook.signing import keys as signing_keys
from logbook.supervision.models import SessionSignOff, SignOff, SignOffRequest
from tests.factories import make_entry, request_from
from tests.sync.device import Device


def without_autocreate(app):
    """The app's key ring as in production: no first key made on first need."""
    app.extensions[KeyRing.EXTENSION] = replace(KeyRing.of(app), autocreate=False)


def _approve(me, boss, entry, supervisor):
    asked = request_from(me, entry, supervisor_id=str(supervisor.id)).get_json()
    return boss.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": asked["entry_version"],
            "content_sha256": asked["content_sha256"],
            "decision": "approved",
        },
    )


def test_without_a_key_and_without_autocreate_a_decision_is_refused_with_the_command_to_run(
    app, org, me, boss, supervisor, runner
):
    without_autocreate(app)  # as in production
    entry = make_entry(me)
    refused = _approve(me, boss, entry, supervisor)
    assert refused.status_code == 503
    error = refused.get_json()["error"]
    assert error["code"] == "signing_key_missing"
    assert f"logbook keys create --organisation {org.slug}" in error["message"]
    with app.app_context():  # nothing half-written: no sign-off, the request still open
        assert db.session.scalars(select(SignOff)).all() == []
        assert db.session.scalar(select(SignOffRequest.state)) == "open"

    made = runner.invoke(cli.main, ["keys", "create", "--organisation", org.slug])
    assert made.exit_code == 0, made.output
    [item] = boss.get("/api/v1/sign-off-requests").get_json()["items"]
    decided = boss.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": "approved",
        },
    )
    assert decided.status_code == 201, decided.get_json()
    assert decided.get_json()["verification"]["status"] == "valid"


def test_production_does_not_make_keys_by_itself():
    assert may_create_on_first_use({"ENV": "production"}) is False
    assert may_create_on_first_use({"ENV": "development"}) is True
    assert may_create_on_first_use({"ENV": "production", "SIGNING_KEY_AUTOCREATE": "true"}) is True
    assert may_create_on_first_use({"ENV": "testing", "SIGNING_KEY_AUTOCREATE": "false"}) is False


def test_the_private_key_is_in_the_key_folder_only(app, signed, client):
    _entry, sign_off = signed
    kid = sign_off["verification"]["kid"]
    folder = Path(app.config["SIGNING_KEYS_DIR"])
    pem = folder / f"{kid}.pem"
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    private_d = json.loads(
        json.dumps(OKPKey.import_key(pem.read_bytes()).as_dict(private=True))
    )["d"]
    with app.app_context():  # no column of any table holds the private key
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()).mappings():
                assert private_d not in json.dumps(dict(row), default=str), table.name
    published = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert [k["kid"] for k in published] == [kid]
    assert "d" not in published[0]
    assert published[0] | {"x": None, "created_at": None} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": None,
        "kid": kid,
        "alg": "Ed25519",
        "use": "sig",
        "org": "northshire-test",
        "status": "active",
        "created_at": None,
    }
    mine = client.get("/.well-known/jwks/northshire-test.json")
    assert mine.status_code == 200
    assert [k["kid"] for k in mine.get_json()["keys"]] == [kid]
    assert client.get("/.well-known/jwks/nobody.json").status_code == 404


def test_keys_commands(app, org, other_org, runner):
    made = runner.invoke(cli.main, ["keys", "create", "--organisation", org.slug])
    assert made.exit_code == 0, made.output
    again = runner.invoke(cli.main, ["keys", "create", "--organisation", org.slug])
    assert again.exit_code == 1
    assert "already has an active key" in again.output
    assert runner.invoke(cli.main, ["keys", "create", "--organisation", "no-such-org"]).exit_code == 1
    rotated = runner.invoke(cli.main, ["keys", "rotate", "--organisation", org.slug])
    assert rotated.exit_code == 0, rotated.output
    with app.app_context():
        records = signing_keys.list_keys(ring=KeyRing.of(app))
    assert [r.status for r in records] == ["retired", "active"]
    listed = runner.invoke(cli.main, ["keys", "list"])
    assert all(r.kid in listed.output for r in records)
    compromised = runner.invoke(cli.main, ["keys", "compromise", "--", records[1].kid])
    assert compromised.exit_code == 0, compromised.output
    assert not (Path(app.config["SIGNING_KEYS_DIR"]) / f"{records[1].kid}.pem").exists()
    assert runner.invoke(cli.main, ["keys", "compromise", "--", records[1].kid]).exit_code == 1
    assert runner.invoke(cli.main, ["keys", "compromise", "made-up"]).exit_code == 1
    jwks = json.loads(runner.invoke(cli.main, ["keys", "jwks"]).output)
    assert [k["status"] for k in jwks["keys"]] == ["retired", "compromised"]


def test_a_session_sign_off_is_a_signed_statement_through_the_same_core(
    app, make_client, supervisor, practitioner, supervised
):
    from logbook.signing.statements import check
    from tests.supervision.test_session_signoff import ask, decide
    from tests.supervision.test_sessions import record

    me, boss = make_client(practitioner), make_client(supervisor)
    session = record(me, supervisor, practitioner, 2, summary="Reviewed the plans.")
    asked = ask(me, session)
    assert asked.status_code == 201, asked.get_json()
    decided = decide(boss, asked.get_json())
    assert decided.status_code == 201, decided.get_json()
    body = decided.get_json()
    assert body["verification"]["status"] == "valid"
    with app.app_context():
        row = db.session.get(SessionSignOff, uuid.UUID(body["id"]))
        checked = check(row.statement, signing_keys.jwks(ring=KeyRing.of(app))["keys"])
        assert checked.ok
        assert checked.payload["subject"]["type"] == "supervision_session"
        assert checked.payload["subject"]["content_sha256"] == row.content_sha256
        # A made-up signature is refused here too.
        head, payload, _sig = row.statement.split(".")
        row.statement = f"{head}.{payload}.{'A' * 86}"
        db.session.commit()
    [seen] = me.get(f"/api/v1/supervision/sessions/{session['id']}/sign-offs").get_json()["items"]
    assert seen["verification"]["status"] == "invalid"
    assert "signature does not match" in seen["verification"]["reason"]


def test_a_sign_off_pushed_offline_without_a_key_is_kept_for_a_retry(app, org, me, boss, supervisor, runner):
    without_autocreate(app)
    entry = make_entry(me)
    asked = request_from(me, entry, supervisor_id=str(supervisor.id)).get_json()
    phone = Device(boss)
    mutation = {
        "mutation_id": 1,
        "entity": "sign_off",
        "id": str(uuid.uuid4()),
        "op": "create",
        "fields": {
            "entry_id": entry["id"],
            "entry_version": asked["entry_version"],
            "content_sha256": asked["content_sha256"],
            "decision": "approved",
        },
    }
    refused = phone.client.api(
        "POST", "/api/v1/sync/push", json={"client_id": phone.client_id, "mutations": [mutation]}
    )
    assert refused.status_code == 503
    assert refused.get_json()["error"]["code"] == "signing_key_missing"
    assert runner.invoke(cli.main, ["keys", "create", "--organisation", org.slug]).exit_code == 0
    retried = phone.client.api(
        "POST", "/api/v1/sync/push", json={"client_id": phone.client_id, "mutations": [mutation]}
    )
    assert retried.status_code == 200, retried.get_json()
    assert retried.get_json()["results"][0]["status"] == "applied"
