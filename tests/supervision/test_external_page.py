"""The external signer's page shows what is being confirmed (kind details, standards in words, the
reflection, the evidence through the link only), speaks plain English, and a used link says who signed."""

import re

import pytest

from logbook.extensions import db
from logbook.frameworks import service as frameworks
from tests.entries.test_evidence_api import PDF, png, put, sha
from tests.factories import make_entry, request_from
from tests.helpers import csrf_from, link_token
from tests.supervision.test_external import EXTERNAL, FORM


@pytest.fixture
def me(make_client, practitioner):
    return make_client(practitioner)


@pytest.fixture
def sent(app, me, outbox):
    """An entry with a certificate, standards and a reflection, sent to an external signer."""
    with app.app_context():
        frameworks.load_shipped_frameworks()
        db.session.commit()
    assert put(me, PDF, name="certificate.pdf").status_code in (200, 201)
    entry = make_entry(
        me,
        title="Joint visit with CAMHS",
        details={"provider": "Northshire CAMHS", "has_certificate": True},
        standards=[{"framework": "hcpc", "version": 1, "code": "3"}],
        reflection={"template": "gibbs", "answers": {"description": "We met the family together."}},
        evidence=[{"sha256": sha(PDF), "name": "certificate.pdf", "caption": "Attendance certificate"}],
    )
    response = request_from(me, entry, external=EXTERNAL)
    assert response.status_code == 201, response.get_json()
    return entry, link_token(outbox[-1])


def test_page_shows_what_is_being_confirmed(client, sent):
    _entry, token = sent
    html = client.get(f"/sign-off/{token}").get_data(as_text=True)
    assert "Study day" in html  # the kind in words
    assert "Northshire CAMHS" in html
    assert "Certificate" in html
    assert "HCPC 3</strong>: Seek to ensure that CPD has contributed to the quality of practice" in html
    assert "We met the family together." in html
    assert f"/sign-off/{token}/evidence/{sha(PDF)}" in html
    assert "Open certificate.pdf" in html
    # The fingerprint is shortened, the full value one tap away; radio buttons sit inside their labels.
    assert re.search(r'<code class="fingerprint">[0-9a-f]{12}…</code>', html)
    assert re.search(r'<label class="choice" for="approve"><input type="radio" id="approve"', html)


def test_evidence_only_through_a_working_link_and_only_that_entrys_files(me, make_client, sent, outbox):
    _entry, token = sent
    stranger = make_client()
    got = stranger.get(f"/sign-off/{token}/evidence/{sha(PDF)}")
    assert got.status_code == 200
    assert got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["Cache-Control"] == "no-store"
    # A file the owner uploaded but did not attach to this entry is not reachable through the link.
    other = png()
    assert put(me, other, name="private.png").status_code in (200, 201)
    assert stranger.get(f"/sign-off/{token}/evidence/{sha(other)}").status_code == 404
    assert stranger.get(f"/sign-off/{'x' * 43}/evidence/{sha(PDF)}").status_code == 404
    assert stranger.get(f"/sign-off/{token}/evidence/not-a-hash").status_code == 404
    # Once the link is used, its files are gone with it.
    page = stranger.get(f"/sign-off/{token}").get_data(as_text=True)
    hashed = re.search(r'name="content_sha256" value="([0-9a-f]{64})"', page).group(1)
    done = stranger.post(
        f"/sign-off/{token}", data={**FORM, "csrf_token": csrf_from(page), "content_sha256": hashed}
    )
    assert done.status_code == 200
    assert stranger.get(f"/sign-off/{token}/evidence/{sha(PDF)}").status_code == 410


def test_another_entrys_link_does_not_reach_this_entrys_file(me, make_client, sent, outbox):
    """Two links of the same practitioner: each reaches only its own entry's files."""
    plain = make_entry(me, title="Reading on neglect", kind="reading", details={"source": "NSPCC"})
    assert request_from(me, plain, external=EXTERNAL).status_code == 201
    other_token = link_token(outbox[-1])
    assert make_client().get(f"/sign-off/{other_token}/evidence/{sha(PDF)}").status_code == 404


def test_errors_are_plain_english(client, sent):
    _entry, token = sent
    page = client.get(f"/sign-off/{token}").get_data(as_text=True)
    hashed = re.search(r'name="content_sha256" value="([0-9a-f]{64})"', page).group(1)
    form = {
        **FORM,
        "role": "",
        "registration_number": "",
        "csrf_token": csrf_from(page),
        "content_sha256": hashed,
    }
    refused = client.post(f"/sign-off/{token}", data=form)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Enter your role" in html
    assert "Enter your registration number" in html
    assert "Length must be" not in html
    assert "Missing data" not in html
    bad = client.post(
        f"/sign-off/{token}",
        data={
            **form,
            "role": "Practice educator",
            "registration_number": "12",
            "decision": "returned",
            "comment": " ",
        },
    ).get_data(as_text=True)
    assert "The registration number is not a valid" in bad
    bad = client.post(
        f"/sign-off/{token}",
        data={
            **form,
            "role": "Practice educator",
            "decision": "returned",
            "comment": " ",
            "registration_number": FORM["registration_number"],
        },
    ).get_data(as_text=True)
    assert "Say what needs changing when you return the record" in bad
