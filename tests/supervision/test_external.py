"""External signers: a single-use, expiring, revocable emailed link that reaches only its entry."""

import datetime as dt

import pytest
from sqlalchemy import select

from logbook.extensions import db
from logbook.supervision.models import ExternalSignOffLink, SignOff
from logbook.supervision.requests import token_hash
from tests.factories import make_entry, request_from
from tests.helpers import csrf_from, link_token

EXTERNAL = {"name": "Dr Ada Byrne", "email": "ada.byrne@otheragency.example", "registration_body": "HCPC"}
FORM = {
    "name": "Dr Ada Byrne",
    "role": "Clinical psychologist, CAMHS",
    "registration_body": "HCPC",
    "registration_number": "PYL12345",
    "decision": "approved",
    "comment": "Accurate and reflective.",
}


@pytest.fixture
def me(make_client, practitioner):
    return make_client(practitioner)


@pytest.fixture
def sent(me, outbox):
    """An entry, and the external link its owner sent (entry, request, token)."""
    entry = make_entry(me, title="Joint visit with CAMHS")
    response = request_from(me, entry, external=EXTERNAL)
    assert response.status_code == 201, response.get_json()
    return entry, response.get_json(), link_token(outbox[-1])


def submit(client, token, **overrides):
    page = client.get(f"/sign-off/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    form = {**FORM, "csrf_token": csrf_from(html), **overrides}
    form.setdefault("content_sha256", _hash_in(html))
    return client.post(f"/sign-off/{token}", data=form)


def _hash_in(html):
    import re

    return re.search(r'name="content_sha256" value="([0-9a-f]{64})"', html).group(1)


def test_email_carries_the_only_copy_of_the_token(app, sent, outbox):
    _entry, request, token = sent
    [mail] = outbox
    assert mail.to == EXTERNAL["email"]
    assert "expires" in mail.body
    assert token not in str(request)
    with app.app_context():
        link = db.session.scalar(select(ExternalSignOffLink))
        assert link.token_sha256 == token_hash(token) != token
        assert link.expires_at - link.created_at == dt.timedelta(days=7)


def test_link_used_once(app, client, sent, make_client):
    _entry, _, token = sent
    page = client.get(f"/sign-off/{token}")
    html = page.get_data(as_text=True)
    assert "Joint visit with CAMHS" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert "<script" not in html.lower()
    assert "style=" not in html.lower()
    done = submit(client, token)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "decision is recorded" in done.get_data(as_text=True)
    with app.app_context():
        sign_off = db.session.scalar(select(SignOff))
        assert (sign_off.signer_name, sign_off.registration_number, sign_off.external_email) == (
            "Dr Ada Byrne",
            "PYL12345",
            EXTERNAL["email"],
        )
        assert sign_off.signer_user_id is None
        signed_on = sign_off.signed_at.strftime("%-d %B %Y")
    reused = make_client().get(f"/sign-off/{token}")
    assert reused.status_code == 410
    # Opened again, the used link says when and by whom it was signed (not "Nothing has been signed").
    again = reused.get_data(as_text=True)
    assert f"Signed on {signed_on} by Dr Ada Byrne." in again
    assert "Nothing has been signed" not in again


def test_link_reused_by_posting_again_is_refused(app, client, sent):
    _, _, token = sent
    page = client.get(f"/sign-off/{token}").get_data(as_text=True)
    form = {**FORM, "csrf_token": csrf_from(page), "content_sha256": _hash_in(page)}
    assert client.post(f"/sign-off/{token}", data=form).status_code == 200
    assert client.post(f"/sign-off/{token}", data=form).status_code == 410
    with app.app_context():
        assert len(db.session.scalars(select(SignOff)).all()) == 1


def test_expired_link_is_refused(app, client, sent):
    _, _, token = sent
    with app.app_context():
        link = db.session.scalar(select(ExternalSignOffLink))
        link.expires_at = link.created_at - dt.timedelta(seconds=1)
        db.session.commit()
    response = client.get(f"/sign-off/{token}")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_revoked_link_is_refused(client, sent, me):
    _, request, token = sent
    assert me.api("DELETE", f"/api/v1/sign-off-requests/{request['id']}").status_code == 200
    response = client.get(f"/sign-off/{token}")
    assert response.status_code == 410
    assert "withdrawn" in response.get_data(as_text=True)


def test_guessed_links_are_refused_and_rate_limited(app, client, sent):
    _, _, token = sent
    app.config["EXTERNAL_SIGNOFF_FAILURE_LIMIT"] = "3 per hour"
    for i in range(3):
        assert client.get(f"/sign-off/guess-{i}-{'x' * 30}").status_code == 404
    assert client.get("/sign-off/guess-again").status_code == 429
    # Even the real link waits now, from this address: guessing cannot continue.
    assert client.get(f"/sign-off/{token}").status_code == 429


def test_the_link_reaches_only_its_entry(client, me, sent):
    entry, _, token = sent
    other = make_entry(me, title="Private reflection on a hard week", visibility="private")
    html = client.get(f"/sign-off/{token}").get_data(as_text=True)
    assert other["title"] not in html
    # The link is not a session: the API stays closed to its holder.
    assert client.get(f"/api/v1/entries/{entry['id']}").status_code == 401
    assert client.get(f"/api/v1/entries/{other['id']}").status_code == 401


@pytest.mark.parametrize(
    ("body", "number"),
    [("SWE", "12345"), ("NMC", "12345678"), ("GMC", "12345"), ("TEACHERS", "AB12345"), ("HCPC", "12345")],
)
def test_registration_number_must_fit_the_body(app, client, sent, body, number):
    _, _, token = sent
    response = submit(client, token, registration_body=body, registration_number=number)
    assert response.status_code == 422
    assert "registration_number-error" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(ExternalSignOffLink)).used_at is None


@pytest.mark.parametrize(
    ("body", "number"),
    [
        ("SWE", "SW123456"),
        ("NMC", "12A3456E"),
        ("GMC", "1234567"),
        ("TEACHERS", "RP 12/34567"),
        ("HCPC", "sl 12345"),
    ],
)
def test_valid_registration_numbers(client, sent, body, number):
    _, _, token = sent
    assert submit(client, token, registration_body=body, registration_number=number).status_code == 200


def test_missing_csrf_token_is_refused(client, sent):
    _, _, token = sent
    response = client.post(f"/sign-off/{token}", data=FORM)
    assert response.status_code == 403


def test_an_entry_changed_after_the_link_was_sent_cannot_be_signed(app, client, me, sent):
    entry, request, token = sent
    page = client.get(f"/sign-off/{token}").get_data(as_text=True)
    edited = me.api(
        "PATCH",
        f"/api/v1/entries/{entry['id']}",
        json={"base_version": request["entry_version"], "description": "Changed after sending."},
    )
    assert edited.status_code == 200
    form = {**FORM, "csrf_token": csrf_from(page), "content_sha256": _hash_in(page)}
    response = client.post(f"/sign-off/{token}", data=form)
    assert response.status_code == 410
    assert "changed after this link was sent" in response.get_data(as_text=True)
    assert client.get(f"/sign-off/{token}").status_code == 410
    with app.app_context():
        assert db.session.scalars(select(SignOff)).all() == []


def test_a_form_hash_that_is_not_the_current_text_is_refused(app, client, sent):
    _, _, token = sent
    response = submit(client, token, content_sha256="f" * 64)
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalars(select(SignOff)).all() == []


def test_external_return_lets_the_practitioner_edit_and_resend(app, client, me, sent, outbox, make_client):
    entry, _, token = sent
    assert submit(client, token, decision="returned", comment="Add the outcome.").status_code == 200
    current = me.get(f"/api/v1/entries/{entry['id']}").get_json()
    assert current["status"] == "returned"
    edited = me.api(
        "PATCH",
        f"/api/v1/entries/{entry['id']}",
        json={"base_version": current["version"], "impact_on_people": "x"},
    ).get_json()
    assert request_from(me, edited, external=EXTERNAL).status_code == 201
    assert submit(make_client(), link_token(outbox[-1])).status_code == 200
    assert me.get(f"/api/v1/entries/{entry['id']}").get_json()["status"] == "signed_off"
