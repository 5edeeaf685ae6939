"""A phone or browser talking to the scale-out profile over HTTP, through HAProxy, like the PWA:
CSRF token, login, JSON API. Each answer's X-Served-By header (set by HAProxy) says which app
server answered; `pin` sends the requests to one server on purpose (X-Logbook-Server)."""

from __future__ import annotations

import collections
from typing import Any

import requests

from tests.factories import PASSWORD


class Web:
    """One browser profile: its own cookies and CSRF token."""

    def __init__(self, base: str, *, pin: str | None = None) -> None:
        self.base = base
        self.pin = pin
        self.http = requests.Session()
        self.csrf: str | None = None
        self.served = collections.Counter()

    def request(self, method: str, path: str, *, pin: str | None = None, **kwargs: Any) -> requests.Response:
        """Send one request (CSRF token on state-changing ones); counts who served it."""
        headers = dict(kwargs.pop("headers", {}) or {})
        server = pin or self.pin
        if server:
            headers["X-Logbook-Server"] = server
        if method.upper() not in {"GET", "HEAD", "OPTIONS"} and "X-CSRFToken" not in headers:
            if self.csrf is None:
                self.csrf = self.request("GET", "/api/v1/auth/csrf", pin=pin).json()["csrf_token"]
            headers["X-CSRFToken"] = self.csrf
        kwargs.setdefault("timeout", 60)
        response = self.http.request(method, self.base + path, headers=headers, **kwargs)
        response.get_json = response.json  # type: ignore[attr-defined] - read like Flask's test responses
        self.served[response.headers.get("X-Served-By", "?")] += 1
        if server and response.headers.get("X-Served-By") not in {server, None}:
            raise AssertionError(f"asked for {server}, served by {response.headers.get('X-Served-By')}")
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.request(method, path, **kwargs)

    def login(self, email: str, password: str = PASSWORD, **kwargs: Any) -> requests.Response:
        """Log in; keeps the new CSRF token."""
        response = self.api(
            "POST", "/api/v1/auth/login", json={"email": email, "password": password}, **kwargs
        )
        if response.status_code == 200:
            self.csrf = response.json()["csrf_token"]
        return response


def logged_in(base: str, email: str, *, pin: str | None = None) -> Web:
    """A browser logged in as the person with this email."""
    web = Web(base, pin=pin)
    response = web.login(email)
    assert response.status_code == 200, response.text
    return web
