"""Pages whose URL holds a secret token say `Referrer-Policy: no-referrer`, and the app-wide header
hook keeps it (issue #17: it overwrote it with same-origin, so a link followed from such a page could
carry the token to the next page in Referer)."""

from __future__ import annotations

import re

from tests.factories import entry_data
from tests.helpers import link_token

EXTERNAL = {"name": "Dr Ada Byrne", "email": "ada.byrne@otheragency.example", "registration_body": "HCPC"}


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_password_reset_pages_send_no_referrer(client, practitioner, outbox):
    page = client.get("/forgot-password")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    client.post("/forgot-password", data={"email": practitioner.email, "csrf_token": _csrf(page.text)})
    [mail] = outbox
    path = re.search(r"(/reset-password/[A-Za-z0-9_-]+)", mail.body).group(1)
    form = client.get(path)
    assert form.status_code == 200
    assert form.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/reset-password/made-up-token-0123456789").headers["Referrer-Policy"] == "no-referrer"


def test_external_sign_off_page_sends_no_referrer(make_client, practitioner, outbox):
    me = make_client(practitioner)
    entry = me.api("POST", "/api/v1/entries", json=entry_data()).get_json()
    sent = me.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-off-requests",
        json={"entry_version": entry["version"], "external": EXTERNAL},
    )
    assert sent.status_code == 201, sent.get_json()
    page = make_client().get(f"/sign-off/{link_token(outbox[-1])}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_other_pages_keep_same_origin(client):
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"
    assert client.get("/api/v1/auth/csrf").headers["Referrer-Policy"] == "same-origin"
