"""Single sign-on in the browser, against a real OpenID Connect provider started by the tests: the
certified `oidc-provider` package on Node (tests/e2e/oidc/provider.mjs), with its own login and
consent pages. A person signs in and lands in the PWA signed in; each refusal (wrong audience, an
expired ID token, a replayed state, an address from another domain, an unverified address, a person
of another organisation) shows its own page and is audited."""

from __future__ import annotations

import json
import os
import re
import selectors
import socket
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from logbook.accounts.models import Organisation, User
from logbook.audit.models import AuditEvent
from logbook.extensions import db
from logbook.sso import flow
from logbook.sso.service import save_provider
from logbook.timeutil import utcnow
from tests.e2e.browser import check_accessible, log_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PROVIDER = Path(__file__).resolve().parent / "oidc" / "provider.mjs"
SECRET_ENV = "LOGBOOK_OIDC_SECRET_E2E"
SECRET = "logbook-test-client-secret"  # the provider script's client secret


@dataclass
class Provider:
    issuer: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def oidc(app, live_server, monkeypatch, tmp_path) -> Iterator[Provider]:
    """The provider on a free port, its client registered with the live server's redirect URI; the
    app's public URL is the live server's (the redirect URI is built from it)."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    app.config["PUBLIC_URL"] = live_server
    app.config["OIDC_CLOCK_LEEWAY_SECONDS"] = 0  # the expired-token test: no clock skew allowed
    flow.forget_metadata()
    port = _free_port()
    log = (tmp_path / "provider.log").open("w")
    proc = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
        ["node", str(PROVIDER)],  # noqa: S607 - Node from PATH, as `make test` installs it
        env={**os.environ, "OIDC_PORT": str(port), "OIDC_REDIRECT_URI": live_server + "/auth/oidc/callback"},
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        # Wait for the provider's own "ready" line (no sleeping), then for its discovery document.
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(timeout=30), "the OpenID Connect provider did not start"
        line = proc.stdout.readline()
        assert line.startswith("ready "), (line, (tmp_path / "provider.log").read_text())
        issuer = line.split()[1]
        with urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=10) as response:  # noqa: S310
            assert json.load(response)["issuer"] == issuer
        yield Provider(issuer=issuer)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()
        flow.forget_metadata()


def configure(app, org: Organisation, issuer: str, *, client_id: str = "logbook", jit: bool = False, **more):
    """Set the organisation's provider through the service (what the API and CLI call)."""
    with app.app_context():
        save_provider(
            organisation=db.session.get(Organisation, org.id),
            data={
                "issuer": issuer,
                "client_id": client_id,
                "client_secret_env": SECRET_ENV,
                "email_domains": ["northshire.example"],
                "jit_enabled": jit,
                "password_login": more.get("password_login", True),
            },
            allow_http=True,
            actor="test",
            now=utcnow(),
        )
        db.session.commit()


def sign_in_at_provider(page, base: str, slug: str, account: str) -> None:
    """From the app's login screen: "Sign in with your organisation", then the provider's own login
    and consent pages (its development interactions: the login name is the account)."""
    # Nothing beyond this machine: a request anywhere else fails at once.
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: route.abort())
    page.goto(base + "/")
    page.get_by_label("Organisation").fill(slug)
    page.get_by_role("button", name="Sign in with your organisation").click()
    page.locator("input[name=login]").fill(account)
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def refusals(app) -> list[dict]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.kind == "sso.refused")).all()
        return [e.data for e in events]


def expect_refused(page, app, reason: str, text: str) -> None:
    page.get_by_role("heading", name="You are not signed in").wait_for()
    found = refusals(app)
    assert [r["reason"] for r in found] == [reason], found
    assert text in page.locator("#sso-message").inner_text()
    assert reason in page.locator("main").inner_text()


def test_signs_in_with_the_organisations_provider_and_lands_in_the_app(
    app, oidc, phone, live_server, org, make_user
):
    amara = make_user("practitioner", email="amara@northshire.example", name="Amara Okafor")
    configure(app, org, oidc.issuer)
    page = phone.new_page()
    page.goto(live_server + "/")
    page.get_by_role("heading", name="Sign in with your organisation").wait_for()
    check_accessible(page, "sso-login-screen")
    sign_in_at_provider(page, live_server, org.slug, "amara")

    page.get_by_role("heading", name=f"Hello, {amara.name}").wait_for()
    assert page.url.rstrip("/") == live_server
    # the same session as a password login: the API answers, and a change passes CSRF
    me = page.evaluate("fetch('/api/v1/me').then(r => r.json())")
    assert me["email"] == "amara@northshire.example"
    with app.app_context():
        kinds = db.session.scalars(select(AuditEvent.kind).where(AuditEvent.kind.like("sso.%"))).all()
    assert "sso.signed_in" in kinds
    assert "sso.refused" not in kinds


def test_just_in_time_account_for_the_organisations_domain(app, oidc, phone, live_server, org):
    configure(app, org, oidc.issuer, jit=True)
    page = phone.new_page()
    sign_in_at_provider(page, live_server, org.slug, "newstarter")
    page.get_by_role("heading", name="Hello, Nia Starter").wait_for()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.starter@northshire.example"))
        assert user is not None
        assert user.organisation_id == org.id
        assert user.roles == ["practitioner"]


def test_email_from_another_domain_is_refused_even_with_jit(app, oidc, phone, live_server, org):
    configure(app, org, oidc.issuer, jit=True)
    page = phone.new_page()
    sign_in_at_provider(page, live_server, org.slug, "outsider")
    expect_refused(page, app, "domain_not_allowed", "not one of your organisation's")
    check_accessible(page, "sso-refused")
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "sam@elsewhere.example")) is None


def test_unverified_email_is_refused(app, oidc, phone, live_server, org, make_user):
    make_user("practitioner", email="una@northshire.example")
    configure(app, org, oidc.issuer)
    page = phone.new_page()
    sign_in_at_provider(page, live_server, org.slug, "unverified")
    expect_refused(page, app, "email_unverified", "has not verified your email address")


def test_a_person_of_another_organisation_is_never_signed_in_here(
    app, oidc, phone, live_server, org, other_org, make_user
):
    # bea@northshire.example has an account, in the other organisation: the same verified address
    # from this organisation's provider must not sign her in (there, or here)
    make_user("practitioner", organisation=other_org, email="bea@northshire.example")
    configure(app, org, oidc.issuer, jit=True)
    page = phone.new_page()
    sign_in_at_provider(page, live_server, org.slug, "otherorg")
    expect_refused(page, app, "other_organisation", "belongs to an account with another organisation")
    assert page.evaluate("fetch('/api/v1/me').then(r => r.status)") == 401


def test_wrong_audience_is_refused(app, oidc, phone, live_server, org, make_user):
    make_user("practitioner", email="amara@northshire.example")
    configure(app, org, oidc.issuer, client_id="logbook-wrong-aud")
    page = phone.new_page()
    sign_in_at_provider(page, live_server, org.slug, "amara")
    expect_refused(page, app, "wrong_audience", "issued for another application")


def test_expired_id_token_is_refused(app, oidc, phone, live_server, org, make_user):
    """The provider's ttl.IdToken is one second for this client, and its token endpoint answers
    only once that second is over (provider.mjs); the app allows no clock skew in these tests."""
    make_user("practitioner", email="amara@northshire.example")
    configure(app, org, oidc.issuer, client_id="logbook-expiring")
    page = phone.new_page()
    sign_in_at_provider(page, live_server, org.slug, "amara")
    expect_refused(page, app, "token_expired", "had expired")


def test_replayed_state_is_refused(app, oidc, phone, live_server, org, make_user):
    amara = make_user("practitioner", email="amara@northshire.example", name="Amara Okafor")
    configure(app, org, oidc.issuer)
    page = phone.new_page()
    callbacks: list[str] = []
    page.on("request", lambda r: callbacks.append(r.url) if "/auth/oidc/callback" in r.url else None)
    sign_in_at_provider(page, live_server, org.slug, "amara")
    page.get_by_role("heading", name=f"Hello, {amara.name}").wait_for()
    assert len(callbacks) == 1
    page.goto(callbacks[0])  # the same state (and code) a second time
    expect_refused(page, app, "state_unknown", "already been used")


def test_password_login_switched_off_points_to_the_organisations_sign_in(
    app, oidc, phone, live_server, org, make_user
):
    amara = make_user("practitioner", email="amara@northshire.example", name="Amara Okafor")
    configure(app, org, oidc.issuer, password_login=False)
    page = phone.new_page()
    page.goto(live_server + "/")
    page.get_by_label("Email").fill(amara.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    error = page.locator("#login-error")
    error.get_by_text("Use “Sign in with your organisation”").wait_for()
    assert page.get_by_label("Organisation").input_value() == org.slug
    # and the organisation's sign-in works from there
    page.get_by_role("button", name="Sign in with your organisation").click()
    page.locator("input[name=login]").fill("amara")
    page.locator("input[name=password]").fill("any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name=f"Hello, {amara.name}").wait_for()


def test_password_login_still_works_where_it_is_on(app, oidc, phone, live_server, org, make_user):
    amara = make_user("practitioner", email="amara@northshire.example", name="Amara Okafor")
    configure(app, org, oidc.issuer)
    page = phone.new_page()
    log_in(page, live_server, amara, PASSWORD)


def test_login_and_refusal_pages_on_a_desktop(browser, live_server):
    """The login screen with "Sign in with your organisation", and a refusal page, at 1280 by 800."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(live_server + "/?organisation=northshire-test")
        page.get_by_role("heading", name="Sign in with your organisation").wait_for()
        assert page.get_by_label("Organisation").input_value() == "northshire-test"  # from the link
        check_accessible(page, "sso-login-desktop")
        page.get_by_role("button", name="Sign in with your organisation").click()
        page.get_by_role("heading", name="You are not signed in").wait_for()  # no such organisation here
        assert "We do not know that organisation" in page.locator("#sso-message").inner_text()
        check_accessible(page, "sso-refused-desktop")
    finally:
        context.close()
