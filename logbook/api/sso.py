"""Single sign-on with OpenID Connect: the org admin's provider settings (JSON API) and the sign-in
pages, /auth/oidc/login?organisation=SLUG and /auth/oidc/callback (server-rendered, no script).

The client secret is read here, from the environment variable the settings name, and passed to the
service; the redirect URI is built from LOGBOOK_PUBLIC_URL, never from the request (docs/sso.md).
"""

from __future__ import annotations

import hmac
import os
import re

from flask import Blueprint as FlaskBlueprint
from flask import current_app, g, redirect, render_template, request, session
from flask.views import MethodView
from flask_limiter import RateLimitExceeded
from flask_smorest import Blueprint

from logbook.accounts.auth import current_user, log_in, roles_required
from logbook.accounts.models import Organisation
from logbook.extensions import client_address, db, limiter
from logbook.sso import flow, service
from logbook.sso.models import SsoProvider
from logbook.sso.schemas import SsoSettingsInSchema, SsoSettingsSchema
from logbook.timeutil import utcnow
from logbook.urls import public_url

blp = Blueprint("sso", __name__, url_prefix="/api/v1/admin", description="Single sign-on (OpenID Connect)")
pages = FlaskBlueprint("sso_pages", __name__)

CALLBACK_PATH = "/auth/oidc/callback"
SESSION_KEY = "oidc_state"


def oidc_settings() -> flow.OidcSettings:
    """The flow's settings from the configuration: the redirect URI from LOGBOOK_PUBLIC_URL."""
    config = current_app.config
    return flow.OidcSettings(
        redirect_uri=public_url(CALLBACK_PATH),
        leeway_seconds=int(config["OIDC_CLOCK_LEEWAY_SECONDS"]),
        timeout_seconds=float(config["OIDC_HTTP_TIMEOUT_SECONDS"]),
        allow_http=config["ENV"] != "production",
    )


def login_url(organisation: Organisation) -> str:
    """Where this organisation's people start signing in."""
    return public_url(f"/auth/oidc/login?organisation={organisation.slug}")


def settings_answer(organisation: Organisation, provider: SsoProvider) -> dict:
    """The stored settings with what this server can tell about them (never the secret)."""
    return {
        "organisation": organisation.slug,
        "enabled": True,
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "client_secret_env": provider.client_secret_env,
        "secret_present": bool(os.environ.get(provider.client_secret_env)),
        "email_domains": provider.email_domains,
        "jit_enabled": provider.jit_enabled,
        "password_login": provider.password_login,
        "redirect_uri": public_url(CALLBACK_PATH),
        "login_url": login_url(organisation),
        "updated_at": provider.updated_at,
    }


# --- the org admin's settings ------------------------------------------------------------------


@blp.route("/sso")
class SsoSettings(MethodView):
    decorators = [roles_required("org_admin")]

    @blp.response(200, SsoSettingsSchema)
    def get(self):
        """Your organisation's OpenID Connect provider (`enabled` false: none). The secret is never
        shown: only the name of the server's environment variable holding it, and whether it is set."""
        user = current_user()
        provider = service.provider_for(user.organisation_id)
        if provider is None:
            return {
                "organisation": user.organisation.slug,
                "enabled": False,
                "redirect_uri": public_url(CALLBACK_PATH),
                "login_url": login_url(user.organisation),
            }
        return settings_answer(user.organisation, provider)

    @blp.arguments(SsoSettingsInSchema)
    @blp.response(200, SsoSettingsSchema)
    @blp.alt_response(422, description="A setting is not usable (named in fields)")
    def put(self, data):
        """Set up or change single sign-on for your organisation (validated, audited). Register the
        answer's redirect_uri at the provider."""
        user = current_user()
        provider = service.save_provider(
            organisation=user.organisation,
            data=data,
            allow_http=current_app.config["ENV"] != "production",
            actor=f"user:{user.id}",
            now=utcnow(),
        )
        return settings_answer(user.organisation, provider)

    @blp.response(204)
    @blp.alt_response(404, description="The organisation has no single sign-on")
    def delete(self):
        """Switch single sign-on off (password login works again for everybody); audited."""
        user = current_user()
        service.disable_provider(organisation=user.organisation, actor=f"user:{user.id}", now=utcnow())


# --- the sign-in pages -----------------------------------------------------------------------------


def _page(template: str, status: int = 200, **context):
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the callback's URL carries the code
    return response


def _refused(refusal: flow.SsoRefused):
    """The refusal's page, audited. The audit event (and the discarded state) must outlive the
    request's rollback of an error response: _keep_refusal commits them."""
    flow.audit_refusal(refusal=refusal, now=utcnow())
    g.sso_refusal_recorded = True
    organisation = refusal.organisation
    return _page(
        "sso_refused.html",
        refusal.status,
        message=refusal.message,
        reason=refusal.reason,
        retry_url=f"/auth/oidc/login?organisation={organisation.slug}" if organisation is not None else None,
    )


@pages.after_request
def _keep_refusal(response):
    # Runs before the app-wide hook that rolls error responses back (logbook/web.py): only what the
    # refusal wrote is in the session then (the used state and the audit event).
    if g.get("sso_refusal_recorded") and response.status_code >= 400:
        db.session.commit()
    return response


@pages.errorhandler(RateLimitExceeded)
def _too_many(err: RateLimitExceeded):
    response = _page(
        "sso_refused.html",
        429,
        message="Too many sign-in attempts from here. Wait a minute and try again.",
        reason="rate_limited",
        retry_url=None,
    )
    retry_after = err.response.headers.get("Retry-After") if err.response is not None else None
    response.headers["Retry-After"] = retry_after or "60"
    return response


def _limit() -> str:
    return current_app.config["OIDC_LOGIN_LIMIT"]


@pages.get("/auth/oidc/login")
@limiter.limit(_limit, key_func=lambda: f"oidc-start:{client_address()}")
def oidc_login():
    """Start signing in with the organisation's identity provider (?organisation=SLUG, and an
    optional same-site ?next=/path to land on afterwards)."""
    slug = (request.args.get("organisation") or "")[:80]
    next_path = service.safe_next_path(request.args.get("next"))
    organisation = None
    try:
        organisation = service.organisation_by_slug(slug) if slug else None
        provider = service.provider_for(organisation.id) if organisation is not None else None
        if organisation is None or provider is None:
            raise flow.SsoRefused("unknown_organisation")
        url, state = flow.begin_login(
            organisation=organisation,
            provider=provider,
            settings=oidc_settings(),
            next_path=next_path,
            now=utcnow(),
        )
    except flow.SsoRefused as refusal:
        refusal.organisation = refusal.organisation or organisation
        return _refused(refusal)
    session[SESSION_KEY] = state  # binds the sign-in to this browser (checked at the callback)
    return redirect(url, code=303)


@pages.get(CALLBACK_PATH)
@limiter.limit(_limit, key_func=lambda: f"oidc-callback:{client_address()}")
def oidc_callback():
    """Where the provider sends the browser back: the state is used once, the code exchanged, the ID
    token validated and the person signed in, then sent on into the app."""
    state = (request.args.get("state") or "")[:200]
    bound = session.pop(SESSION_KEY, None)
    now = utcnow()
    try:
        login = flow.find_login_state(state=state, now=now)
        organisation = db.session.get(Organisation, login.organisation_id)
        if not isinstance(bound, str) or not hmac.compare_digest(bound, state):
            raise flow.SsoRefused("state_unknown", organisation=organisation, detail="not this browser's")
        error = request.args.get("error")
        code = request.args.get("code")
        if error or not code:
            detail = re.sub(r"[^a-z_]", "", (error or "no code").lower())[:40]
            raise flow.SsoRefused("provider_error", organisation=organisation, detail=detail)
        provider = service.provider_for(login.organisation_id)
        secret = os.environ.get(provider.client_secret_env) if provider is not None else None
        user, created = flow.finish_login(
            login=login, code=code[:2000], client_secret=secret, settings=oidc_settings(), clock=utcnow
        )
    except flow.SsoRefused as refusal:
        flow.discard_login_state(state)  # a refused sign-in's state is never tried again
        return _refused(refusal)
    flow.audit_sign_in(user=user, created=created, now=now)
    log_in(user)  # the same session (and CSRF) as a password login
    # the marker tells the app to ask who signed in (a phone with nobody on it asks the server nothing)
    marker = ("&" if "?" in login.next_path else "?") + "signed_in=sso"
    return redirect(public_url(login.next_path + marker), code=303)


def register(app) -> None:
    """Register the sign-in pages (outside the JSON API)."""
    app.register_blueprint(pages)
