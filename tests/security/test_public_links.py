"""Links that leave the request are built from LOGBOOK_PUBLIC_URL only (logbook/urls.py), never from the
caller's `Host` or `X-Forwarded-Host`: otherwise `Host: attacker.example` on a password-reset request
mails the real user a real token on the attacker's site (issue #17)."""

from __future__ import annotations

import re
import uuid

import pytest
from flask import Flask

from logbook.app import create_app
from logbook.config import DEV_PUBLIC_URL
from logbook.errors import ValidationFailed
from logbook.extensions import db
from tests.factories import PASSWORD, TODAY, app_config, entry_data, persist
from tests.helpers import link_token
from tests.sync.device import Device

PUBLIC = "https://cpd.example.org"
ATTACKER = "attacker.example"
# The two ways a caller names a host (as test-client keyword arguments): the Host header itself, and
# (behind the trusted proxy, PROXY_FIX on)
# X-Forwarded-Host, which ProxyFix turns into the request's host.
EXTERNAL = {"name": "Dr Ada Byrne", "email": "ext@partner.example", "registration_body": "HCPC"}
HOSTILE = [
    pytest.param(
        {"base_url": f"http://{ATTACKER}"}, id="host"
    ),  # the test client sends Host: attacker.example
    pytest.param(
        {"headers": {"X-Forwarded-Host": ATTACKER, "X-Forwarded-For": "203.0.113.9"}}, id="x-forwarded-host"
    ),
]


@pytest.fixture(params=[PUBLIC, None], ids=["configured", "default"])
def app(request, database_url, tmp_path):
    """The suite's app, with PROXY_FIX on (so X-Forwarded-Host is honoured as the request's host), with
    LOGBOOK_PUBLIC_URL set, and unset (development/testing then use DEV_PUBLIC_URL)."""
    application = create_app(
        {**app_config(database_url, tmp_path), "PROXY_FIX": True, "PUBLIC_URL": request.param}
    )
    assert application.config["PUBLIC_URL"] == (request.param or DEV_PUBLIC_URL)
    application.config["MAIL_URL"] = "memory://"
    yield application

    # As the suite's own app fixture does: a job still running holds a connection of this app's pool.
    runner = application.extensions.get("logbook.job_runner")
    if runner is not None and hasattr(runner, "shutdown"):
        runner.shutdown()
    with application.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def base(app: Flask) -> str:
    """Where every link must point."""
    return app.config["PUBLIC_URL"]


@pytest.fixture
def outbox(app: Flask) -> list:
    return app.extensions.setdefault("logbook.outbox", [])


def _urls(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def _only_public(text: str, base: str) -> None:
    urls = _urls(text)
    assert urls, text
    assert all(u.startswith(base + "/") for u in urls), urls
    assert ATTACKER not in text


def _hostile(make_client, user, hostile):
    """A browser that logs in and works with the hostile header on every request (the cookie is then
    set for, and sent to, whatever host the header names)."""
    client = make_client()
    headers = hostile.get("headers", {})
    base = {"base_url": hostile["base_url"]} if "base_url" in hostile else {}
    token = client.get("/api/v1/auth/csrf", headers=headers, **base).get_json()["csrf_token"]
    response = client.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": PASSWORD},
        headers={**headers, "X-CSRFToken": token},
        **base,
    )
    assert response.status_code == 200, response.get_json()
    client.csrf_token = response.get_json()["csrf_token"]
    original = client.api

    def api(method, url, **kwargs):
        return original(method, url, headers={**headers, **kwargs.pop("headers", {})}, **base, **kwargs)

    client.api = api
    return client


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_the_forwarded_host_really_reaches_the_app(app, client):
    """The premise of the X-Forwarded-Host cases: with PROXY_FIX on, the app sees the attacker's host."""
    seen = {}

    @app.get("/_host_probe")
    def _probe():
        from flask import request

        seen["host"] = request.host
        return "ok"

    client.get("/_host_probe", headers={"X-Forwarded-Host": ATTACKER})
    assert seen["host"] == ATTACKER


@pytest.mark.parametrize("headers", HOSTILE)
def test_password_reset_link_points_at_the_configured_host(client, practitioner, outbox, base, headers):
    page = client.get("/forgot-password", **headers)
    assert page.status_code == 200
    response = client.post(
        "/forgot-password",
        data={"email": practitioner.email, "csrf_token": _csrf(page.text)},
        **headers,
    )
    assert response.status_code == 200
    [mail] = outbox
    assert mail.to == practitioner.email
    _only_public(mail.body, base)
    assert re.search(re.escape(base) + r"/reset-password/[A-Za-z0-9_-]+", mail.body)


@pytest.mark.parametrize("headers", HOSTILE)
def test_external_sign_off_link_points_at_the_configured_host(
    make_client, practitioner, outbox, base, headers
):
    me = _hostile(make_client, practitioner, headers)
    entry = me.api("POST", "/api/v1/entries", json=entry_data()).get_json()
    response = me.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-off-requests",
        json={
            "entry_version": entry["version"],
            "external": EXTERNAL,
        },
    )
    assert response.status_code == 201, response.get_json()
    [mail] = outbox
    _only_public(mail.body, base)
    assert f"{base}/sign-off/{link_token(mail)}" in mail.body


@pytest.mark.parametrize("headers", HOSTILE)
def test_sign_off_request_made_offline_emails_the_configured_host(
    app, make_client, practitioner, make_user, outbox, base, headers
):
    """The sync path (supervision/sync.py) builds the same link while applying a pushed mutation."""
    from logbook.accounts.links import SupervisionLink

    boss = make_user("practitioner", "supervisor")
    import datetime as dt

    persist(
        app,
        SupervisionLink(
            supervisor_id=boss.id,
            supervisee_id=practitioner.id,
            kind="line",
            starts_on=TODAY - dt.timedelta(30),
        ),
    )
    phone = Device(_hostile(make_client, practitioner, headers))
    entry = phone.client.api("POST", "/api/v1/entries", json=entry_data()).get_json()
    mutation = {
        "mutation_id": next(phone.ids),
        "entity": "sign_off_request",
        "id": str(uuid.uuid4()),
        "op": "create",
        "fields": {
            "entry_id": entry["id"],
            "entry_version": entry["version"],
            "external": EXTERNAL,
        },
    }
    pushed = phone.client.api(
        "POST",
        "/api/v1/sync/push",
        json={"client_id": phone.client_id, "mutations": [mutation]},
    )
    assert pushed.status_code == 200, pushed.get_json()
    assert pushed.get_json()["results"][0]["status"] == "applied", pushed.get_json()
    [mail] = [m for m in outbox if m.to == "ext@partner.example"]
    _only_public(mail.body, base)


@pytest.mark.parametrize("headers", HOSTILE)
def test_calendar_feed_url_points_at_the_configured_host(make_client, practitioner, base, headers):
    me = _hostile(make_client, practitioner, headers)
    response = me.api("POST", "/api/v1/supervision/calendar-feed")
    assert response.status_code == 200
    url = response.get_json()["url"]
    assert re.fullmatch(re.escape(base) + r"/calendar/[A-Za-z0-9_-]+\.ics", url), url


@pytest.mark.parametrize("headers", HOSTILE)
def test_notification_email_links_point_at_the_configured_host(
    app, make_client, practitioner, make_user, outbox, base, headers
):
    from logbook.accounts.links import SupervisionLink

    boss = make_user("practitioner", "supervisor")
    import datetime as dt

    persist(
        app,
        SupervisionLink(
            supervisor_id=boss.id,
            supervisee_id=practitioner.id,
            kind="line",
            starts_on=TODAY - dt.timedelta(30),
        ),
    )
    me = _hostile(make_client, practitioner, headers)
    entry = me.api("POST", "/api/v1/entries", json=entry_data()).get_json()
    response = me.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-off-requests",
        json={"entry_version": entry["version"], "supervisor_id": str(boss.id)},
    )
    assert response.status_code == 201, response.get_json()
    [mail] = [m for m in outbox if m.to == boss.email]
    _only_public(mail.body, base)
    assert f"{base}/app/entries/{entry['id']}" in mail.body


@pytest.mark.parametrize("headers", HOSTILE)
def test_printed_verify_url_is_the_configured_host(monkeypatch, make_client, practitioner, base, headers):
    """What the portfolio route hands the renderer to print under each sign-off (the PDF itself is
    rendered from exactly this value: tests/portfolio)."""
    from logbook.api import portfolio as route

    seen = {}

    def capture(**kwargs):
        seen["verify_url"] = kwargs["verify_url"]
        raise ValidationFailed("stop here", fields={"probe": ["stopped"]})

    monkeypatch.setattr(route.export_job, "export_portfolio", capture)
    me = _hostile(make_client, practitioner, headers)
    assert me.api("POST", "/api/v1/portfolio", json={}).status_code in {400, 422}
    assert seen["verify_url"] == base + "/verify"


def test_without_a_configured_url_links_use_the_documented_default_not_the_host(
    database_url, tmp_path, practitioner
):
    """Outside production an unset LOGBOOK_PUBLIC_URL means http://127.0.0.1:5000, whatever Host says."""
    dev = create_app({**app_config(database_url, tmp_path / "dev"), "MAIL_URL": "memory://"})
    try:
        client = dev.test_client()
        page = client.get("/forgot-password", headers={"Host": ATTACKER})
        client.post(
            "/forgot-password",
            data={"email": practitioner.email, "csrf_token": _csrf(page.text)},
            headers={"Host": ATTACKER},
        )
        [mail] = dev.extensions["logbook.outbox"]
        assert ATTACKER not in mail.body
        assert "http://127.0.0.1:5000/reset-password/" in mail.body
    finally:
        with dev.app_context():
            db.engine.dispose()
