"""Single sign-on settings (API and CLI: validated, audited, the secret never stored), the password
login refused where an organisation switched it off, and the sign-in pages' own defences (state
bound to the browser and used once, open redirects, rate limit), without a provider."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.integrations.requests_client import OAuth2Session
from click.testing import CliRunner
from sqlalchemy import select

from logbook import cli
from logbook.accounts.models import Organisation
from logbook.audit.models import AuditEvent
from logbook.extensions import db
from logbook.sso import flow
from logbook.sso.models import OidcLoginState, SsoProvider
from logbook.sso.service import safe_next_path, save_provider, sso_enabled
from logbook.timeutil import utcnow

SETTINGS = {
    "issuer": "https://login.example.org/tenant/v2.0",
    "client_id": "cpd-logbook",
    "client_secret_env": "LOGBOOK_OIDC_SECRET_NORTHSHIRE",
    "email_domains": ["Northshire.example", "@northshire.example", "care.northshire.example"],
    "jit_enabled": True,
    "password_login": True,
}


def kinds(app, prefix="sso."):
    with app.app_context():
        return db.session.scalars(
            select(AuditEvent.kind).where(AuditEvent.kind.like(prefix + "%")).order_by(AuditEvent.seq)
        ).all()


def set_up(app, org, **changes):
    with app.app_context():
        save_provider(
            organisation=db.session.get(Organisation, org.id),
            data={**SETTINGS, **changes},
            allow_http=False,
            actor="test",
            now=utcnow(),
        )
        db.session.commit()


# --- settings through the API ------------------------------------------------------------------


def test_admin_sets_up_single_sign_on(app, admin_client, org, monkeypatch):
    monkeypatch.setenv("LOGBOOK_OIDC_SECRET_NORTHSHIRE", "s3cret-value-from-the-provider")
    before = admin_client.api("GET", "/api/v1/admin/sso").get_json()
    assert before["enabled"] is False
    assert before["redirect_uri"] == "http://127.0.0.1:5000/auth/oidc/callback"  # from PUBLIC_URL
    response = admin_client.api("PUT", "/api/v1/admin/sso", json=SETTINGS)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["enabled"] is True
    assert body["email_domains"] == ["northshire.example", "care.northshire.example"]
    assert body["secret_present"] is True
    assert body["login_url"] == "http://127.0.0.1:5000/auth/oidc/login?organisation=northshire-test"
    assert "s3cret-value-from-the-provider" not in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(SsoProvider, org.id)
        assert row.client_secret_env == "LOGBOOK_OIDC_SECRET_NORTHSHIRE"
        assert sso_enabled(db.session.get(Organisation, org.id))
        audit_data = db.session.scalar(select(AuditEvent.data).where(AuditEvent.kind == "sso.settings_saved"))
    assert "s3cret" not in str(audit_data)
    assert admin_client.api("DELETE", "/api/v1/admin/sso").status_code == 204
    assert admin_client.api("GET", "/api/v1/admin/sso").get_json()["enabled"] is False
    assert kinds(app) == ["sso.settings_saved", "sso.disabled"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"issuer": "http://login.example.org"}, "issuer"),  # http only to this machine, outside production
        (
            {"issuer": "http://127.0.0.1:9000"},
            "issuer",
        ),  # refused in production
        ({"issuer": "https://login.example.org/?tenant=1"}, "issuer"),
        ({"issuer": "https://user:pw@login.example.org"}, "issuer"),
        ({"issuer": "not a url at all"}, "issuer"),
        ({"client_secret_env": "LOGBOOK_SECRET_KEY"}, "client_secret_env"),  # never another of our settings
        ({"client_secret_env": "AWS_SECRET_ACCESS_KEY"}, "client_secret_env"),
        ({"email_domains": []}, "email_domains"),
        ({"email_domains": ["not a domain"]}, "email_domains"),
        ({"client_id": "has spaces in it"}, "client_id"),
        ({"jit_enabled": "yes"}, "jit_enabled"),
    ],
)
def test_unusable_settings_are_refused_naming_the_field(app, admin_client, changes, field):
    if changes.get("issuer") == "http://127.0.0.1:9000":
        app.config["ENV"] = "production"  # http to this machine only outside production
    response = admin_client.api("PUT", "/api/v1/admin/sso", json={**SETTINGS, **changes})
    assert response.status_code == 422, response.get_json()
    assert field in str(response.get_json()["error"]["fields"])
    with app.app_context():
        assert db.session.scalar(select(SsoProvider)) is None


def test_settings_changes_need_the_csrf_token(app, make_client, admin):
    browser = make_client(admin)
    for method in ("PUT", "DELETE"):
        response = browser.open("/api/v1/admin/sso", method=method, json=SETTINGS)  # no X-CSRFToken
        assert response.status_code == 403
        assert "csrf" in response.get_json()["error"]["code"]
    with app.app_context():
        assert db.session.scalar(select(SsoProvider)) is None


def test_a_practitioner_and_another_organisations_admin_cannot_touch_the_settings(
    app, make_client, make_user, org, other_org
):
    set_up(app, org)
    practitioner = make_client(make_user("practitioner"))
    assert practitioner.api("GET", "/api/v1/admin/sso").status_code == 403
    assert practitioner.api("PUT", "/api/v1/admin/sso", json=SETTINGS).status_code == 403
    other = make_client(make_user("org_admin", organisation=other_org))
    assert other.api("GET", "/api/v1/admin/sso").get_json()["enabled"] is False
    assert other.api("DELETE", "/api/v1/admin/sso").status_code == 404
    with app.app_context():
        assert db.session.get(SsoProvider, org.id) is not None


# --- password login where the organisation switched it off ------------------------------------


def test_password_login_is_refused_where_switched_off(app, client, make_user, org):
    user = make_user("practitioner", email="amara@northshire.example")
    assert client.login(user.email).status_code == 200
    set_up(app, org, password_login=False)
    response = client.login(user.email)
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "use_organisation_sign_in"
    assert "Sign in with your organisation" in error["message"]
    assert error["sign_in_url"] == "http://127.0.0.1:5000/auth/oidc/login?organisation=northshire-test"


def test_the_refusal_by_domain_does_not_tell_whether_an_account_exists(app, client, make_user, org):
    make_user("practitioner", email="amara@northshire.example")
    set_up(app, org, password_login=False)
    known = client.login("amara@northshire.example", "wrong-password-entirely")
    unknown = client.login("nobody@northshire.example", "wrong-password-entirely")
    assert known.status_code == unknown.status_code == 403
    assert known.get_json() == unknown.get_json()


def test_an_account_outside_the_domains_is_refused_only_after_its_password(app, client, make_user, org):
    user = make_user("practitioner", email="someone@test.example")
    set_up(app, org, password_login=False)
    assert client.login(user.email, "wrong-password-entirely").status_code == 401  # reveals nothing
    assert client.login(user.email).status_code == 403


def test_password_login_stays_for_other_organisations(app, client, make_user, org, other_org):
    set_up(app, org, password_login=False)
    other = make_user("practitioner", organisation=other_org)
    assert client.login(other.email).status_code == 200


# --- the sign-in pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "landing"),
    [
        (None, "/"),
        ("/app/logbook", "/app/logbook"),
        ("/app/logbook?x=1", "/app/logbook?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("app/logbook", "/"),
        ("/" + "a" * 600, "/"),
    ],
)
def test_next_is_a_path_on_this_site_only(given, landing):
    assert safe_next_path(given) == landing


def test_unknown_organisation_gets_a_page_and_is_audited(app, client):
    response = client.get("/auth/oidc/login?organisation=nowhere")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "We do not know that organisation" in page
    assert "<script" not in page
    assert "style=" not in page
    assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert kinds(app) == ["sso.refused"]


def test_a_forged_state_is_refused_and_audited(app, client):
    response = client.get("/auth/oidc/callback?state=made-up&code=abc")
    assert response.status_code == 400
    assert "already been used" in response.get_data(as_text=True)
    with app.app_context():
        data = db.session.scalar(select(AuditEvent.data).where(AuditEvent.kind == "sso.refused"))
    assert data["reason"] == "state_unknown"
    assert "abc" not in str(data)  # nothing from the callback's URL (the code) is recorded


def _start(app, client, org, monkeypatch, next_path=None):
    """Start a sign-in with the discovery document given (no provider on the network)."""
    metadata = {
        "issuer": SETTINGS["issuer"],
        "authorization_endpoint": "https://login.example.org/authorize",
        "token_endpoint": "https://login.example.org/token",
        "jwks_uri": "https://login.example.org/keys",
    }
    monkeypatch.setattr(flow, "discover", lambda issuer, settings: metadata)
    set_up(app, org)
    url = "/auth/oidc/login?organisation=northshire-test" + (f"&next={next_path}" if next_path else "")
    response = client.get(url)
    assert response.status_code == 303
    return response.headers["Location"]


def test_the_start_sends_pkce_state_and_nonce_and_keeps_only_a_hash_of_the_state(
    app, client, org, monkeypatch
):
    location = _start(app, client, org, monkeypatch)
    assert location.startswith("https://login.example.org/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "cpd-logbook"
    assert query["redirect_uri"] == "http://127.0.0.1:5000/auth/oidc/callback"  # from PUBLIC_URL
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["scope"] == "openid email profile"
    assert len(query["state"]) >= 40
    assert len(query["nonce"]) >= 40
    with app.app_context():
        row = db.session.scalar(select(OidcLoginState))
    assert row.state_hash != query["state"]
    assert query["state"] not in str(vars(row))
    assert row.nonce == query["nonce"]


def test_the_request_host_never_shapes_the_redirect_uri(app, client, org, monkeypatch):
    location = _start(app, client, org, monkeypatch)
    assert "evil" not in location
    response = client.get("/auth/oidc/login?organisation=northshire-test", headers={"Host": "evil.example"})
    assert "evil.example" not in response.headers["Location"]


def test_a_state_from_another_browser_is_refused(app, client, make_client, org, monkeypatch):
    location = _start(app, client, org, monkeypatch)
    state = parse_qs(urlsplit(location).query)["state"][0]
    stranger = make_client()
    response = stranger.get(f"/auth/oidc/callback?state={state}&code=abc")
    assert response.status_code == 400
    # and it is used up: the browser that started it cannot use it afterwards either
    assert client.get(f"/auth/oidc/callback?state={state}&code=abc").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(OidcLoginState)) is None


def test_the_provider_saying_no_is_a_clear_page(app, client, org, monkeypatch):
    location = _start(app, client, org, monkeypatch)
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = client.get(f"/auth/oidc/callback?state={state}&error=access_denied<script>")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "did not complete" in page
    assert "<script>" not in page
    assert "/auth/oidc/login?organisation=northshire-test" in page  # start again


def test_starting_is_rate_limited(app, client, org, monkeypatch):
    app.config["OIDC_LOGIN_LIMIT"] = "3 per minute"
    statuses = [client.get("/auth/oidc/login?organisation=nowhere").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    assert "Too many sign-in attempts" in client.get("/auth/oidc/login?organisation=nowhere").get_data(
        as_text=True
    )


# --- the command line ------------------------------------------------------------------------------


def test_cli_set_show_disable(app, org, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    runner = CliRunner()
    args = [
        "sso",
        "set",
        "--organisation",
        org.slug,
        "--issuer",
        SETTINGS["issuer"],
        "--client-id",
        "cpd-logbook",
    ]
    args += [
        "--secret-env",
        "LOGBOOK_OIDC_SECRET_NORTHSHIRE",
        "--domain",
        "northshire.example",
        "--no-password-login",
    ]
    result = runner.invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert "password login:    off" in result.output
    assert "NOT SET" in result.output
    shown = runner.invoke(cli.main, ["sso", "show", "--organisation", org.slug])
    assert "northshire.example" in shown.output
    assert "/auth/oidc/callback" in shown.output
    bad_args = [a if a != "LOGBOOK_OIDC_SECRET_NORTHSHIRE" else "LOGBOOK_SECRET_KEY" for a in args]
    bad = runner.invoke(cli.main, bad_args)
    assert bad.exit_code != 0
    assert "Not saved" in bad.output
    assert runner.invoke(cli.main, ["sso", "disable", "--organisation", org.slug]).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(SsoProvider)) is None
    assert kinds(app) == ["sso.settings_saved", "sso.disabled"]


# --- matching the person ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "outcome"),
    [
        ({"email_verified": True}, "matched"),
        ({"email_verified": "true"}, "matched"),
        ({"xms_edov": True}, "matched"),  # Entra ID's verified-domain claim
        ({"email_verified": False}, "email_unverified"),
        ({"email_verified": "yes"}, "email_unverified"),
        ({}, "email_unverified"),
    ],
)
def test_only_a_verified_address_matches(app, org, make_user, extra, outcome):
    user = make_user("practitioner", email="amara@northshire.example")
    set_up(app, org, jit_enabled=False)
    with app.app_context():
        organisation = db.session.get(Organisation, org.id)
        provider = db.session.get(SsoProvider, org.id)
        claims = {"sub": "x", "email": "Amara@Northshire.example", **extra}
        try:
            matched, created = flow.match_user(organisation=organisation, provider=provider, claims=claims)
            got = "matched" if matched.id == user.id and not created else "other"
        except flow.SsoRefused as err:
            got = err.reason
    assert got == outcome


def _match(app, org, email, **provider_changes):
    set_up(app, org, **provider_changes)
    with app.app_context():
        claims = {"sub": "x", "email": email, "email_verified": True, "name": "Nia Starter"}
        try:
            user, created = flow.match_user(
                organisation=db.session.get(Organisation, org.id),
                provider=db.session.get(SsoProvider, org.id),
                claims=claims,
            )
            db.session.commit()
        except flow.SsoRefused as err:
            return err.reason
        return ("created" if created else "matched", user.organisation_id)


def test_an_address_with_an_account_in_another_organisation_is_never_matched(app, org, other_org, make_user):
    make_user("practitioner", organisation=other_org, email="bea@northshire.example")
    assert _match(app, org, "bea@northshire.example", jit_enabled=True) == "other_organisation"


def test_just_in_time_only_when_on_and_only_for_the_domains(app, org, make_user):
    assert _match(app, org, "nia@northshire.example", jit_enabled=False) == "no_account"
    assert _match(app, org, "sam@elsewhere.example", jit_enabled=True) == "domain_not_allowed"
    assert _match(app, org, "nia@northshire.example", jit_enabled=True) == ("created", org.id)
    assert _match(app, org, "nia@northshire.example", jit_enabled=True) == ("matched", org.id)


def test_an_account_switched_off_is_refused(app, org, make_user):
    make_user("practitioner", email="amara@northshire.example", is_active=False)
    assert _match(app, org, "amara@northshire.example") == "account_inactive"


def test_an_account_made_just_in_time_has_no_usable_password(app, client, org):
    _match(app, org, "nia@northshire.example", jit_enabled=True)
    assert client.login("nia@northshire.example", "!sso-only").status_code == 401


def test_a_provider_that_cannot_be_reached_is_a_clear_page(app, client, org):
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there now
    flow.forget_metadata()
    set_up(app, org, issuer=f"https://127.0.0.1:{port}")
    response = client.get("/auth/oidc/login?organisation=northshire-test")
    assert response.status_code == 502
    assert "could not be reached" in response.get_data(as_text=True)
    with app.app_context():
        data = db.session.scalar(select(AuditEvent.data).where(AuditEvent.kind == "sso.refused"))
    assert data["reason"] == "provider_unreachable"
    assert data["organisation"] == "northshire-test"


def test_a_secret_not_set_on_the_server_is_a_clear_page(app, client, org, monkeypatch):
    monkeypatch.delenv("LOGBOOK_OIDC_SECRET_NORTHSHIRE", raising=False)
    location = _start(app, client, org, monkeypatch)
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = client.get(f"/auth/oidc/callback?state={state}&code=abc")
    assert response.status_code == 503
    assert "not fully set up on this server" in response.get_data(as_text=True)
    assert kinds(app)[-1] == "sso.refused"


def test_a_state_works_once_even_with_a_copy_of_the_browsers_cookie(
    app, client, make_client, org, make_user, monkeypatch
):
    """The server keeps the state, not only the browser: a second callback with the same state and a
    copy of the first browser's session cookie (taken before the first callback) is refused."""
    make_user("practitioner", email="amara@northshire.example")
    monkeypatch.setenv("LOGBOOK_OIDC_SECRET_NORTHSHIRE", "the-secret")
    location = _start(app, client, org, monkeypatch)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    # the provider's side, in-process: a token answer and its ID token's (already validated) claims
    monkeypatch.setattr(
        OAuth2Session, "fetch_token", lambda *a, **k: {"id_token": "x", "access_token": "y"}
    )
    monkeypatch.setattr(
        flow,
        "validate_id_token",
        lambda **kw: {"sub": "a", "email": "amara@northshire.example", "email_verified": True},
    )
    copy = make_client()
    cookie = client.get_cookie("logbook_session")
    copy.set_cookie(cookie.key, cookie.value)
    callback = f"/auth/oidc/callback?state={query['state']}&code=abc"
    first = client.get(callback)
    assert first.status_code == 303
    assert first.headers["Location"] == "http://127.0.0.1:5000/?signed_in=sso"
    assert client.get("/api/v1/me").get_json()["email"] == "amara@northshire.example"
    again = copy.get(callback)
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert copy.get("/api/v1/me").status_code == 401
