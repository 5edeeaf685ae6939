"""Security headers on every response (pages, API, static files, errors) and the session cookie's flags.

Every GET route of the app is requested, as an anonymous browser and logged in, over HTTP and HTTPS;
whatever the status (200, 401, 404...), the response carries a CSP without inline script that forbids
framing, nosniff, a referrer policy, and HSTS exactly when the request came over HTTPS.
"""

from __future__ import annotations

import re
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

import logbook
from logbook.config import build_config
from tests.factories import PASSWORD

TEMPLATES = Path(logbook.__file__).parent / "templates"


def _urls(app) -> list[str]:
    """One concrete URL per GET route (placeholders filled with made-up values), and two errors."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()):
            continue
        values = {}
        for name, converter in rule._converters.items():
            kind = type(converter).__name__
            values[name] = (
                uuid.uuid4()
                if kind == "UUIDConverter"
                else "app/main.js"
                if rule.endpoint == "static"
                else "made-up-value"
            )
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **values))
    return [*sorted(set(urls)), "/no-such-page", "/api/v1/no-such-endpoint"]


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in csp.split(";")) if part}


def _check_headers(response, *, https: bool) -> None:
    h = response.headers
    csp = _directives(h.get("Content-Security-Policy", ""))
    assert csp.get("script-src") == ["'self'"], h.get("Content-Security-Policy")  # no inline, no eval
    assert csp.get("object-src") == ["'none'"]
    assert csp.get("frame-ancestors") == ["'none'"]
    assert csp.get("base-uri") == ["'none'"]
    assert "'unsafe-inline'" not in " ".join(csp.get("style-src", []))
    assert h.get("X-Content-Type-Options") == "nosniff"
    assert h.get("X-Frame-Options") == "DENY"
    assert h.get("Referrer-Policy") in {"same-origin", "no-referrer"}
    if https:
        assert h.get("Strict-Transport-Security", "").startswith("max-age=31536000")
    else:
        assert "Strict-Transport-Security" not in h  # over plain HTTP it would be ignored or lock a dev host


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("logged_in", [False, True], ids=["anonymous", "logged-in"])
def test_every_route_sends_the_security_headers(app, make_client, practitioner, https, logged_in):
    client = make_client(practitioner if logged_in else None)
    base = "https://localhost" if https else "http://localhost"
    urls = _urls(app)
    assert len(urls) > 30
    statuses = set()
    for url in urls:
        response = client.get(url, base_url=base)
        statuses.add(response.status_code)
        _check_headers(response, https=https)
        if url.startswith("/api/"):
            assert response.headers.get("Cache-Control") in {"no-store", "private, no-store", "no-cache"}
    # errors too: a refused write (CSRF), a wrong method
    for response in (
        client.post("/api/v1/entries", json={}, base_url=base),
        client.delete("/api/v1/me", base_url=base),
    ):
        statuses.add(response.status_code)
        _check_headers(response, https=https)
    assert {200, 404, 405} <= statuses


def test_no_template_has_inline_script_or_event_handlers():
    for path in TEMPLATES.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
            assert "src=" in tag, f"{path.name}: inline <script> (the CSP would block it)"
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.IGNORECASE), f"{path.name}: inline handler"
        assert "javascript:" not in html.lower(), path.name


def _session_cookie(response) -> dict[str, str | bool]:
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        if "logbook_session" in cookie:
            morsel = cookie["logbook_session"]
            return {**dict(morsel), "secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"])}
    raise AssertionError("no session cookie set")


def test_session_cookie_is_httponly_and_samesite(client, practitioner):
    response = client.login(practitioner.email)
    assert response.status_code == 200
    cookie = _session_cookie(response)
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["secure"] is False  # development/testing over http://localhost


def test_session_cookie_is_secure_in_production(app, client, practitioner):
    production = build_config(
        "/tmp/instance",  # noqa: S108 - not written to; only the derived settings are read
        {"ENV": "production", "SECRET_KEY": "x" * 40, "PUBLIC_URL": "https://cpd.example.org"},
        environ={},
    )
    assert production["SESSION_COOKIE_SECURE"] is True
    app.config["SESSION_COOKIE_SECURE"] = production["SESSION_COOKIE_SECURE"]
    https = "https://localhost"
    token = client.get("/api/v1/auth/csrf", base_url=https).get_json()["csrf_token"]
    response = client.post(
        "/api/v1/auth/login",
        json={"email": practitioner.email, "password": PASSWORD},
        # over HTTPS flask-wtf also checks the Referer is this site (same-origin policy: the PWA sends it)
        headers={"X-CSRFToken": token, "Referer": https + "/"},
        base_url=https,
    )
    assert response.status_code == 200
    cookie = _session_cookie(response)
    assert (cookie["secure"], cookie["httponly"], cookie["samesite"]) == (True, True, "Lax")
