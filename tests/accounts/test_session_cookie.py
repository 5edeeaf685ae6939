"""The session cookie is set again only by a response that used the session (logbook/accounts/auth.py
SessionCookie). The service worker's precache fetches the shell and every static file in the
background; each answer used to carry the copy of the session its request was sent with, so one
sent before a login and answered after it put the old cookie back and the phone lost the session it
had just started (tests/e2e/test_logout_offline.py failed that way on a busy machine)."""

from __future__ import annotations

import pytest

from logbook.web import shell_assets


def _set_cookie(response) -> list[str]:
    """The session cookies the response sets (the response is closed: a static file's is a file)."""
    response.close()
    return [c for c in response.headers.getlist("Set-Cookie") if c.startswith("logbook_session=")]


@pytest.mark.parametrize("url", ["/", "/app/settings", "/sw.js", "/sw-assets.json", "/manifest.webmanifest"])
def test_the_shell_and_the_worker_leave_the_cookie_alone(client, practitioner, url):
    assert client.login(practitioner.email).status_code == 200
    response = client.get(url)
    assert (response.status_code, _set_cookie(response)) == (200, [])


def test_no_precached_asset_sets_the_cookie(client, practitioner):
    assert client.login(practitioner.email).status_code == 200
    setting = [url for url in shell_assets() if _set_cookie(client.get(url))]
    assert setting == []


def test_the_api_still_slides_the_expiry_and_logout_still_clears_it(client, practitioner):
    assert client.login(practitioner.email).status_code == 200
    assert _set_cookie(client.get("/api/v1/me")) != []  # a request that read the session refreshes it
    logged_out = client.api("POST", "/api/v1/auth/logout")
    assert logged_out.status_code == 204
    [cleared] = _set_cookie(logged_out)
    assert "Expires=Thu, 01 Jan 1970" in cleared
