"""The generic portfolio PDF: structure, sign-off codes, verification, privacy, access."""

from __future__ import annotations

import io
import re
import uuid

from pypdf import PdfReader

from logbook.entries.models import EntryRevision
from logbook.extensions import db
from tests.factories import make_entry, sign
from tests.helpers import export, pdf_text

CODE = re.compile(r"Verification code ([A-Z2-9]{5}-[A-Z2-9]{5})")
REFLECTION = {"template": "free", "answers": {"text": "Secretly I found the case very hard."}}


def test_structure_codes_and_verification(app, me, boss, client, supervisor):
    signed = make_entry(me, title="Neglect toolkit study day", reflection=REFLECTION)
    signed_off = sign(me, boss, signed, supervisor.id)
    make_entry(me, title="Unsigned reading", kind="course", hours=1.5)

    response = export(me)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for heading in ("CPD portfolio", "Contents", "Summary", "Activities in date order", "Page 1 of"):
        assert heading in text
    assert "Neglect toolkit study day" in text
    assert "Unsigned reading" in text
    assert "Priya Supervisor" in text
    codes = CODE.findall(text)
    assert len(codes) == 1  # one signed entry, one code

    page = client.get(f"/verify/{codes[0]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Valid." in html
    assert "Neglect toolkit study day" in html
    assert "Priya Supervisor" in html
    assert "Secretly" not in html  # title, date, signer and validity only
    assert "graded care profile" not in html
    assert client.get(f"/verify/{codes[0].lower().replace('-', '')}").status_code == 200

    # Someone edits the signed text directly in the database: the code no longer verifies.
    with app.app_context():
        rev = db.session.get(EntryRevision, (uuid.UUID(signed["id"]), signed_off["entry_version"]))
        rev.content = {**rev.content, "description": "Something else entirely."}
        db.session.commit()
    html = client.get(f"/verify/{codes[0]}").get_data(as_text=True)
    assert "Not valid." in html


def test_reflections_only_when_chosen(me):
    make_entry(me, title="Hard case", reflection=REFLECTION)
    assert "Secretly" not in pdf_text(export(me).data)
    assert "Secretly" in pdf_text(export(me, include_reflections=True).data)


def test_only_the_callers_own_entries(make_client, make_user, me):
    make_entry(me, title="Mine")
    other = make_client(make_user("practitioner"))
    make_entry(other, title="Somebody else's day", visibility="organisation")
    text = pdf_text(export(me).data)
    assert "Mine" in text
    assert "Somebody else" not in text


def test_anonymous_is_refused(client):
    response = client.api("POST", "/api/v1/portfolio", json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "not_authenticated"


def test_unknown_code(client):
    assert client.get("/verify/ABCDE-23456").status_code == 404
    assert client.get("/verify/not-a-code").status_code == 404


def test_verify_page_is_strict(client):
    response = client.get("/verify/ABCDE-23456")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script" not in response.get_data(as_text=True)
    assert "style=" not in response.get_data(as_text=True)


def test_empty_period(me):
    response = export(me, date_from="2020-01-01", date_to="2019-01-01")
    assert response.status_code == 422
    assert "date_from" in response.get_json()["error"]["fields"]


def test_running_header_and_edit_warning(me, boss, supervisor, practitioner):
    entry = make_entry(me, title="Signed then edited")
    sign(me, boss, entry, supervisor.id)
    for i in range(12):  # enough to run onto a second page of activities
        make_entry(me, title=f"Filler {i}", description="Some words. " * 40)
    text = pdf_text(export(me).data)
    assert "Changed since it was signed" not in text  # signing changes the status, not the text

    current = me.get(f"/api/v1/entries/{entry['id']}").get_json()
    edited = me.api(
        "PATCH",
        f"/api/v1/entries/{entry['id']}",
        json={"base_version": current["version"], "description": "Rewritten after signing."},
    )
    assert edited.status_code == 200, edited.get_json()
    data = export(me).data
    # The document prints what was signed and marks the later change.
    assert "Changed since it was signed" in pdf_text(data)
    assert "The text above is the text that was signed" in pdf_text(data)
    assert "Rewritten after signing." not in pdf_text(data)

    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 3
    second = reader.pages[1].extract_text()
    assert practitioner.name in second
    assert "CPD portfolio" in second
    assert f"Page 2 of {len(reader.pages)}" in second


def test_unknown_codes_are_rate_limited(app, client):
    app.config["VERIFY_MISS_LIMIT"] = "3 per hour"
    for _ in range(3):
        assert client.get("/verify/ABCDE-23456").status_code == 404
    assert client.get("/verify/ABCDE-23456").status_code == 429


def test_verify_form_sends_the_typed_code_to_its_page(client):
    page = client.get("/verify")
    assert page.status_code == 200
    assert 'name="code"' in page.get_data(as_text=True)
    response = client.get("/verify?code=abcde-23456")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/verify/ABCDE23456")


def test_a_sign_off_keeps_its_code(app, me, boss, supervisor):
    sign(me, boss, make_entry(me, title="Printed twice"), supervisor.id)
    first = CODE.findall(pdf_text(export(me).data))
    assert first == CODE.findall(pdf_text(export(me).data))


def test_a_clashing_random_code_is_drawn_again(app, me, boss, supervisor, monkeypatch):
    import itertools

    from logbook.portfolio import service

    sign(me, boss, make_entry(me, title="First"), supervisor.id)
    picks = itertools.chain(["A"] * 20, itertools.cycle("BCD"))  # the second code repeats the first
    monkeypatch.setattr(service.secrets, "choice", lambda _alphabet: next(picks))
    [first] = CODE.findall(pdf_text(export(me).data))
    sign(me, boss, make_entry(me, title="Second"), supervisor.id)
    codes = CODE.findall(pdf_text(export(me).data))
    assert first == "AAAAA-AAAAA"
    assert len(set(codes)) == 2
