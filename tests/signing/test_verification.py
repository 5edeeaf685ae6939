"""Verification checks what a reader sees: the statement's signature, the signed revision, and the
live record, in the API, on /verify, in `logbook audit verify`, in the PDF and in `verify-pdf`."""

from __future__ import annotations

import base64
import json
import uuid

from joserfc import jws
from joserfc.jwk import OKPKey
from sqlalchemy import update

from logbook import cli
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.signing.statements import TYP, canonical
from logbook.supervision.models import SignOff
from tests.factories import make_entry, sign
from tests.helpers import attached, export, pdf_text
from tests.portfolio.test_generic import REFLECTION
from tests.signing.helpers import (
    code_of,
    published_keys,
    rewrite_database,
    save,
    sign_off_view,
    verify_page,
    verify_pdf,
)


def _set_statement(app, sign_off_id: str, statement: str) -> None:
    with app.app_context():
        db.session.execute(
            update(SignOff).where(SignOff.id == uuid.UUID(sign_off_id)).values(statement=statement)
        )
        db.session.commit()


def test_a_sign_off_is_a_signed_statement_that_verifies_everywhere(
    app, signed, me, boss, client, runner, tmp_path
):
    entry, sign_off = signed
    assert sign_off["verification"]["status"] == "valid"
    kid = sign_off["verification"]["kid"]
    header = json.loads(base64.urlsafe_b64decode(sign_off["statement"].split(".")[0] + "=="))
    assert header == {"alg": "Ed25519", "kid": kid, "typ": TYP}
    payload = json.loads(base64.urlsafe_b64decode(sign_off["statement"].split(".")[1] + "=="))
    assert payload["subject"] | {"fields": None} == {
        "type": "entry",
        "id": entry["id"],
        "version": sign_off["entry_version"],
        "content_sha256": sign_off["content_sha256"],
        "fields": None,
    }
    assert payload["signer"]["kind"] == "internal"
    assert payload["signer"]["name"] == sign_off["signer_name"]
    assert payload["decision"] == "approved"
    assert payload["organisation"]["slug"] == "northshire-test"

    code = code_of(me, entry["id"])
    assert "<strong>Valid.</strong>" in verify_page(client, code)
    pdf = save(tmp_path, "portfolio.pdf", export(me).data)
    result = verify_pdf(runner, pdf, published_keys(client, tmp_path))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK ")
    assert "1 sign-offs checked, 1 OK, 0 not OK." in result.output
    audit = runner.invoke(cli.main, ["audit", "verify"])
    assert audit.exit_code == 0, audit.output


def test_a_live_row_change_is_reported_by_the_api_verify_and_verify_pdf(
    app, signed, me, boss, client, runner, tmp_path
):
    entry, sign_off = signed
    code = code_of(me, entry["id"])
    with app.app_context():
        db.session.execute(
            update(Entry)
            .where(Entry.id == uuid.UUID(entry["id"]))
            .values(description="A sentence the supervisor never read.")
        )
        db.session.commit()

    seen = sign_off_view(boss, sign_off["id"])["verification"]
    assert seen["status"] == "changed"
    assert seen["is_valid"] is False
    assert "changed outside the app" in seen["reason"]

    page = verify_page(client, code)
    assert "Changed since it was signed." in page
    assert "<strong>Valid.</strong>" not in page

    data = export(me).data
    text = pdf_text(data)
    assert "What the supervisor read." in text  # the document prints what was signed
    assert "never read" not in text
    assert "Changed since it was signed" in text
    result = verify_pdf(runner, save(tmp_path, "p.pdf", data), published_keys(client, tmp_path))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("CHANGED ")
    assert "description" in result.output


def test_a_full_database_rewrite_is_caught_by_verify_and_verify_pdf(
    app, signed, me, boss, client, runner, tmp_path
):
    entry, sign_off = signed
    code = code_of(me, entry["id"])
    rewrite_database(app, sign_off["id"], title="A grander study day")
    # The database is consistent with itself: only the signature can tell.
    seen = sign_off_view(boss, sign_off["id"])["verification"]
    assert seen["status"] == "invalid"
    assert "differs from its signed statement" in seen["reason"]
    page = verify_page(client, code)
    assert "Not valid." in page
    assert "<strong>Valid.</strong>" not in page

    pdf = save(tmp_path, "p.pdf", export(me).data)
    result = verify_pdf(runner, pdf, published_keys(client, tmp_path))
    assert result.exit_code == 1, result.output
    assert result.output.startswith("FAIL ")
    assert "'title' is not what was signed" in result.output


def test_removing_the_statement_in_a_rewrite_never_leaves_valid(app, signed, me, client, runner, tmp_path):
    entry, sign_off = signed
    code = code_of(me, entry["id"])
    rewrite_database(app, sign_off["id"], title="A grander study day", drop_statement=True)
    page = verify_page(client, code)
    assert "Not signed." in page
    assert "<strong>Valid.</strong>" not in page
    result = verify_pdf(runner, save(tmp_path, "p.pdf", export(me).data), published_keys(client, tmp_path))
    assert result.exit_code == 1
    assert "there is no signed statement" in result.output


def test_old_sign_offs_verify_after_a_rotation(
    app, org, signed, me, boss, supervisor, client, runner, tmp_path
):
    _entry, first = signed
    rotated = runner.invoke(cli.main, ["keys", "rotate", "--organisation", org.slug])
    assert rotated.exit_code == 0, rotated.output
    later = sign(me, boss, make_entry(me, title="Later study day"), supervisor.id)
    assert later["verification"]["status"] == "valid"
    assert later["verification"]["kid"] != first["verification"]["kid"]
    assert sign_off_view(boss, first["id"])["verification"]["status"] == "valid"

    jwks = client.get("/.well-known/jwks.json").get_json()["keys"]
    status = {k["kid"]: k["status"] for k in jwks}
    assert status == {first["verification"]["kid"]: "retired", later["verification"]["kid"]: "active"}
    result = verify_pdf(runner, save(tmp_path, "p.pdf", export(me).data), published_keys(client, tmp_path))
    assert result.exit_code == 0, result.output
    assert "2 sign-offs checked, 2 OK" in result.output


def test_a_compromised_key_turns_its_statements_into_cannot_be_confirmed(
    app, signed, me, boss, client, runner, tmp_path
):
    entry, sign_off = signed
    code = code_of(me, entry["id"])
    kid = sign_off["verification"]["kid"]
    marked = runner.invoke(cli.main, ["keys", "compromise", "--", kid])
    assert marked.exit_code == 0, marked.output
    seen = sign_off_view(boss, sign_off["id"])["verification"]
    assert seen["status"] == "unconfirmed"
    assert "compromised" in seen["reason"]
    page = verify_page(client, code)
    assert "Cannot be confirmed." in page
    assert "<strong>Valid.</strong>" not in page
    [key] = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert key["status"] == "compromised"
    result = verify_pdf(runner, save(tmp_path, "p.pdf", export(me).data), published_keys(client, tmp_path))
    assert result.exit_code == 1
    assert result.output.startswith("UNCONFIRMED ")
    audit = runner.invoke(cli.main, ["audit", "verify"])
    assert audit.exit_code == 1
    assert "compromised" in audit.output


def _forged(payload: dict, kid: str | None = None) -> str:
    key = OKPKey.generate_key("Ed25519", private=True)
    header = {"alg": "Ed25519", "kid": kid or key.thumbprint(), "typ": TYP}
    return jws.serialize_compact(header, canonical(payload), key, algorithms=["Ed25519"])


def _payload(token: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))


def test_a_statement_signed_by_an_unknown_key_is_refused(app, signed, me, boss, client, runner, tmp_path):
    entry, sign_off = signed
    code = code_of(me, entry["id"])
    _set_statement(app, sign_off["id"], _forged(_payload(sign_off["statement"])))
    seen = sign_off_view(boss, sign_off["id"])["verification"]
    assert seen["status"] == "invalid"
    assert "unknown key" in seen["reason"]
    assert "<strong>Valid.</strong>" not in verify_page(client, code)
    result = verify_pdf(runner, save(tmp_path, "p.pdf", export(me).data), published_keys(client, tmp_path))
    assert result.exit_code == 1
    assert "unknown key" in result.output


def test_a_made_up_signature_is_refused(app, signed, me, boss, client, runner, tmp_path):
    entry, sign_off = signed
    code = code_of(me, entry["id"])
    kid = sign_off["verification"]["kid"]
    # Signed by another key but claiming our kid; then a signature of random bytes.
    for statement in (
        _forged(_payload(sign_off["statement"]), kid=kid),
        sign_off["statement"].rsplit(".", 1)[0]
        + "."
        + base64.urlsafe_b64encode(bytes(64)).decode().rstrip("="),
    ):
        _set_statement(app, sign_off["id"], statement)
        seen = sign_off_view(boss, sign_off["id"])["verification"]
        assert seen["status"] == "invalid"
        assert "signature does not match" in seen["reason"]
        assert "<strong>Valid.</strong>" not in verify_page(client, code)
        result = verify_pdf(
            runner, save(tmp_path, "p.pdf", export(me).data), published_keys(client, tmp_path)
        )
        assert result.exit_code == 1
        assert "signature does not match" in result.output


def test_verify_pdf_with_keys_from_elsewhere_refuses(app, signed, me, runner, tmp_path):
    pdf = save(tmp_path, "p.pdf", export(me).data)
    other = OKPKey.generate_key("Ed25519", private=True)
    jwks = {"keys": [{**other.as_dict(private=False), "kid": other.thumbprint(), "org": "northshire-test"}]}
    result = verify_pdf(runner, pdf, save(tmp_path, "other.json", json.dumps(jwks).encode()))
    assert result.exit_code == 1
    assert "unknown key" in result.output


def test_a_tampered_attachment_is_caught_by_verify_pdf(app, signed, me, client, runner, tmp_path):
    import io

    import pikepdf

    data = export(me).data
    with pikepdf.open(io.BytesIO(data)) as pdf:
        context = json.loads(pdf.attachments["portfolio.json"].get_file().read_bytes())
        [entry] = context["entries"]
        entry["title"] = entry["sign_offs"][0]["signed_content"]["title"] = "A grander study day"
        del pdf.attachments["portfolio.json"]
        pdf.attachments["portfolio.json"] = pikepdf.AttachedFileSpec(pdf, json.dumps(context).encode())
        out = io.BytesIO()
        pdf.save(out)
    result = verify_pdf(runner, save(tmp_path, "p.pdf", out.getvalue()), published_keys(client, tmp_path))
    assert result.exit_code == 1
    assert "'title' is not what was signed" in result.output


def test_verify_pdf_refuses_a_file_that_is_not_a_portfolio(runner, tmp_path):
    keys = save(tmp_path, "k.json", b'{"keys": []}')
    result = verify_pdf(runner, save(tmp_path, "x.pdf", b"%PDF-1.4 not really"), keys)
    assert result.exit_code == 1
    assert "not a readable PDF" in result.output


def test_reflections_stay_out_of_the_attached_signed_text_unless_printed(
    app, me, boss, supervisor, client, runner, tmp_path
):
    entry = make_entry(
        me,
        reflection={
            **REFLECTION,
            "answers": dict.fromkeys(REFLECTION["answers"], "A private thought about a family."),
        },
    )
    sign(me, boss, entry, supervisor.id)
    data = export(me).data
    [so] = attached(data)["entries"][0]["sign_offs"]
    assert "reflection" not in so["signed_content"]
    assert "private thought" not in json.dumps(attached(data))
    result = verify_pdf(runner, save(tmp_path, "p.pdf", data), published_keys(client, tmp_path))
    assert result.exit_code == 0, result.output
    with_reflections = export(me, include_reflections=True).data
    [so] = attached(with_reflections)["entries"][0]["sign_offs"]
    assert "reflection" in so["signed_content"]
    result = verify_pdf(runner, save(tmp_path, "r.pdf", with_reflections), published_keys(client, tmp_path))
    assert result.exit_code == 0, result.output
