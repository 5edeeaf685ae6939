"""Imports never certify themselves: an imported sign-off is verified only by a statement that a key
this server trusts (its own, or one added by `logbook keys trust`) signed, and that says what the
imported sign-off says; otherwise "Imported, not verified", never Valid."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from joserfc import jws
from joserfc.jwk import OKPKey
from sqlalchemy import select

from logbook import cli
from logbook.config import KeyRing
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.portfolio.service import verification_code_for
from logbook.signing import trust
from logbook.signing.statements import TYP, canonical
from logbook.supervision import signcore
from logbook.supervision.models import SignOff
from tests.helpers import run_job, unzip
from tests.signing.helpers import save, verify_page


@pytest.fixture
def imported(app, signed, me, make_user, make_client, other_org):
    """The signed entry's record imported by someone in another organisation: (original sign-off as
    the API showed it, the imported sign-off's id)."""
    _entry, sign_off = signed
    archive = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    newcomer = make_user("practitioner", organisation=other_org)
    done = make_client(newcomer).api(
        "POST", "/api/v1/record/import", data=archive, content_type="application/zip"
    )
    assert done.status_code == 201, done.get_json()
    with app.app_context():
        row = db.session.scalars(
            select(SignOff).join(Entry, Entry.id == SignOff.entry_id).where(Entry.owner_id == newcomer.id)
        ).one()
        assert row.is_imported
        return sign_off, row.id


def _give_statement(app, sign_off_id: uuid.UUID, statement: str | None) -> dict:
    with app.app_context():
        row = db.session.get(SignOff, sign_off_id)
        row.statement = statement
        db.session.commit()
        return signcore.verify(row, ring=KeyRing.of(app)).as_dict()


class Elsewhere:
    """Another organisation's key, as its published JWKS would list it."""

    def __init__(self, status: str = "active") -> None:
        self.key = OKPKey.generate_key("Ed25519", private=True)
        self.kid = self.key.thumbprint()
        self.status = status

    def jwks(self, status: str = "active") -> dict:
        return {
            "keys": [
                {**self.key.as_dict(private=False), "kid": self.kid, "org": "elsewhere", "status": status}
            ]
        }

    def sign(self, payload: dict) -> str:
        payload = payload | {
            "organisation": {"id": str(uuid.uuid4()), "slug": "elsewhere", "name": "Elsewhere Trust"}
        }
        return jws.serialize_compact(
            {"alg": "Ed25519", "kid": self.kid, "typ": TYP},
            canonical(payload),
            self.key,
            algorithms=["Ed25519"],
        )


def _payload(statement: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(statement.split(".")[1] + "=="))


def test_an_import_without_statements_is_not_verified_and_never_valid(app, imported, client):
    _original, row_id = imported
    seen = _give_statement(app, row_id, None)
    assert seen["status"] == "unsigned"
    assert seen["label"] == "Imported, not verified"
    assert seen["is_valid"] is False
    with app.app_context():
        code = verification_code_for(db.session.get(SignOff, row_id))
        db.session.commit()
    page = verify_page(client, code)
    assert "Imported, not verified." in page
    assert "<strong>Valid.</strong>" not in page


def test_an_import_whose_statement_an_own_key_verifies_is_shown_as_signed_there(app, imported, client):
    original, row_id = imported
    seen = _give_statement(app, row_id, original["statement"])
    assert seen["status"] == "valid", seen
    kid = original["verification"]["kid"]
    assert seen["label"] == f"Imported — signed at Northshire Test, verified with {kid}"
    with app.app_context():
        code = verification_code_for(db.session.get(SignOff, row_id))
        db.session.commit()
    assert f"Imported — signed at Northshire Test, verified with {kid}." in verify_page(client, code)


def test_another_organisations_key_verifies_only_once_trusted(app, imported, runner, tmp_path):
    original, row_id = imported
    elsewhere = Elsewhere()
    statement = elsewhere.sign(_payload(original["statement"]))
    seen = _give_statement(app, row_id, statement)
    assert seen["label"] == "Imported, not verified"
    assert "is not trusted here" in seen["reason"]

    jwks_file = save(tmp_path, "elsewhere.json", json.dumps(elsewhere.jwks()).encode())
    trusted = runner.invoke(cli.main, ["keys", "trust", str(jwks_file), "--organisation", "elsewhere"])
    assert trusted.exit_code == 0, trusted.output
    seen = _give_statement(app, row_id, statement)
    assert seen["status"] == "valid"
    assert seen["label"] == f"Imported — signed at Elsewhere Trust, verified with {elsewhere.kid}"
    assert elsewhere.kid in runner.invoke(cli.main, ["keys", "list"]).output

    # The other organisation reports the key compromised: trusting its new JWKS turns it off.
    save(tmp_path, "elsewhere.json", json.dumps(elsewhere.jwks("compromised")).encode())
    assert runner.invoke(cli.main, ["keys", "trust", str(jwks_file)]).exit_code == 0
    seen = _give_statement(app, row_id, statement)
    assert seen["label"] == "Imported, not verified"
    assert "compromised" in seen["reason"]

    assert runner.invoke(cli.main, ["keys", "untrust", "--", elsewhere.kid]).exit_code == 0
    assert runner.invoke(cli.main, ["keys", "untrust", "--", elsewhere.kid]).exit_code == 1


def test_a_trusted_statement_about_something_else_does_not_verify_the_import(app, imported, runner, tmp_path):
    original, row_id = imported
    elsewhere = Elsewhere()
    jwks_file = save(tmp_path, "elsewhere.json", json.dumps(elsewhere.jwks()).encode())
    assert runner.invoke(cli.main, ["keys", "trust", str(jwks_file)]).exit_code == 0
    payload = _payload(original["statement"])
    for changed in (
        {"subject": {**payload["subject"], "content_sha256": "0" * 64}},
        {"signer": {**payload["signer"], "name": "Somebody Else"}},
        {"decision": "returned"},
        {"signed_at": "2020-01-01T00:00:00+00:00"},
    ):
        seen = _give_statement(app, row_id, elsewhere.sign(payload | changed))
        assert seen["label"] == "Imported, not verified", changed
        assert "differs from its statement" in seen["reason"]


def test_trust_refuses_private_keys_and_mismatched_kids(app):
    elsewhere = Elsewhere()
    with app.app_context():
        private = {
            "keys": [{**elsewhere.key.as_dict(private=True), "kid": elsewhere.kid, "org": "elsewhere"}]
        }
        with pytest.raises(ValueError, match="private key"):
            trust.trust_keys(private, ring=KeyRing.of(app))
        wrong = {"keys": [{**elsewhere.key.as_dict(private=False), "kid": "made-up", "org": "elsewhere"}]}
        with pytest.raises(ValueError, match="does not match its kid"):
            trust.trust_keys(wrong, ring=KeyRing.of(app))
        with pytest.raises(ValueError, match="no Ed25519 public key"):
            trust.trust_keys({"keys": []}, ring=KeyRing.of(app))
        assert trust.trusted_keys(ring=KeyRing.of(app)) == []


def test_the_export_side_gives_the_statement_and_its_kid(app, signed):
    _entry, sign_off = signed
    with app.app_context():
        row = db.session.get(SignOff, uuid.UUID(sign_off["id"]))
        assert trust.exported_statement(row) == {
            "statement": sign_off["statement"],
            "kid": sign_off["verification"]["kid"],
        }


def test_a_record_files_sign_off_is_checked_against_its_own_claims(app, signed, org):
    _entry, sign_off = signed
    claims = {
        "statement": sign_off["statement"],
        "entry_version": sign_off["entry_version"],
        "content_sha256": sign_off["content_sha256"],
        "decision": sign_off["decision"],
        "signer_name": sign_off["signer_name"],
        "signed_at": sign_off["signed_at"],
    }
    with app.app_context():
        verdict = trust.check_record_sign_off(claims, ring=KeyRing.of(app))
        assert verdict.verified, verdict.reason
        assert verdict.kid == sign_off["verification"]["kid"]
        assert verdict.organisation == "Northshire Test"
        for forged in (
            {"statement": None},
            {"statement": sign_off["statement"][:-4] + "AAAA"},
            {"signer_name": "Somebody Else"},
            {"signed_at": "yesterday"},
            {"signed_at": "2026-01-01T00:00:00"},  # no time zone
        ):
            assert not trust.check_record_sign_off(claims | forged, ring=KeyRing.of(app)).verified, forged
        assert trust.record_signing(org.slug, ring=KeyRing.of(app)) == {
            "organisation": org.slug,
            "kids": [sign_off["verification"]["kid"]],
            "jwks": "/.well-known/jwks.json",
        }


# --- through the record file: export, (re-sign), import ----------------------------------------


def _import(app, make_user, make_client, organisation, archive: bytes):
    """Import a record ZIP as a new practitioner of `organisation`: (user, their imported sign-off)."""
    newcomer = make_user("practitioner", organisation=organisation)
    done = make_client(newcomer).api(
        "POST", "/api/v1/record/import", data=archive, content_type="application/zip"
    )
    assert done.status_code == 201, done.get_json()
    with app.app_context():
        row = db.session.scalars(
            select(SignOff).join(Entry, Entry.id == SignOff.entry_id).where(Entry.owner_id == newcomer.id)
        ).one()
        db.session.expunge(row)
    return newcomer, row, done.get_json()


def _counted(app, user) -> dict:
    from logbook.supervision.signoff import approved_roles

    with app.app_context():
        return approved_roles(owner_id=user.id)


def test_an_exported_record_carries_its_statements_and_imports_as_verified(
    app, signed, me, make_user, make_client, other_org
):
    """A record moved between organisations keeps its sign-off as verified, and counted, because the
    statement it carries verifies with a key this server trusts (here: its own)."""
    _entry, original = signed
    archive = run_job(app, me, me.api("POST", "/api/v1/record/export"))
    record = json.loads(unzip(archive)["record.json"])
    [sign_off] = record["entries"][0]["sign_offs"]
    assert sign_off["statement"] == original["statement"]
    assert sign_off["kid"] == original["verification"]["kid"]
    assert record["signing"]["kids"] == [original["verification"]["kid"]]

    newcomer, row, answer = _import(app, make_user, make_client, other_org, archive)
    assert answer["sign_offs_verified"] == 1
    assert row.import_verification == "verified"
    assert row.import_kid == original["verification"]["kid"]
    assert row.import_organisation == "Northshire Test"
    assert _counted(app, newcomer) == {row.entry_id: {"supervisor"}}


def test_a_statement_from_an_untrusted_organisation_imports_unverified_until_trusted(
    app, signed, me, make_user, make_client, other_org, runner, tmp_path
):
    """The same record re-signed by an organisation this server does not trust: imported, not verified,
    not counted. Once an operator trusts that organisation's published key, a new import verifies."""
    import io
    import zipfile

    _entry, _original = signed
    files = unzip(run_job(app, me, me.api("POST", "/api/v1/record/export")))
    record = json.loads(files["record.json"])
    elsewhere = Elsewhere()
    [sign_off] = record["entries"][0]["sign_offs"]
    sign_off["statement"] = elsewhere.sign(_payload(sign_off["statement"]))
    sign_off["kid"] = elsewhere.kid
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, json.dumps(record) if name == "record.json" else data)
    forged = buffer.getvalue()

    first, row, answer = _import(app, make_user, make_client, other_org, forged)
    assert answer["sign_offs_not_verified"] == 1
    assert row.import_verification == "unverified"
    assert _counted(app, first) == {}

    jwks_file = save(tmp_path, "elsewhere.json", json.dumps(elsewhere.jwks()).encode())
    assert runner.invoke(cli.main, ["keys", "trust", str(jwks_file)]).exit_code == 0
    second, row, answer = _import(app, make_user, make_client, other_org, forged)
    assert answer["sign_offs_verified"] == 1
    assert (row.import_verification, row.import_kid, row.import_organisation) == (
        "verified",
        elsewhere.kid,
        "Elsewhere Trust",
    )
    assert _counted(app, second) == {row.entry_id: {"supervisor"}}
