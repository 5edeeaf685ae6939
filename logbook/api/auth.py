"""Login, logout, CSRF token and the current user."""

from __future__ import annotations

from flask import current_app, g, request
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from logbook.accounts import service
from logbook.accounts.auth import current_user, log_in, log_out, login_required
from logbook.accounts.schemas import (
    CsrfSchema,
    LoginResultSchema,
    LoginSchema,
    MeSchema,
    OwnRegistrationChangeSchema,
    OwnRegistrationSchema,
    PasswordChangeSchema,
    RegistrationSchema,
)
from logbook.errors import Forbidden
from logbook.extensions import db, limiter
from logbook.sso import service as sso
from logbook.timeutil import utcnow
from logbook.urls import public_url

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sessions and the current user")


def _account_key() -> str:
    """Rate-limit key for one account: the email being tried, whatever address it comes from."""
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else None
    return "login-account:" + (service.normalise_email(email) if isinstance(email, str) else "?")


def _failed(response) -> bool:
    return response.status_code == 401


@blp.route("/auth/csrf")
@blp.response(200, CsrfSchema)
def get_csrf():
    """A CSRF token for this browser session (send it as X-CSRFToken on every change)."""
    return {"csrf_token": generate_csrf()}


@blp.route("/auth/login", methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
    deduct_when=_failed,
    error_message="Too many failed logins from this address. Wait 15 minutes and try again.",
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    deduct_when=_failed,
    error_message="Too many failed logins for this account. Wait 15 minutes and try again.",
)
@blp.arguments(LoginSchema)
@blp.response(200, LoginResultSchema)
@blp.alt_response(401, description="Email and password do not match")
@blp.alt_response(
    403, description="The organisation signs in only through its provider (code use_organisation_sign_in)"
)
@blp.alt_response(
    429, description="Too many failed attempts (rate limit), or the account is locked (code account_locked)"
)
def login(credentials):
    """Log in with email and password; starts a new session (the old one is discarded).

    Login is CSRF-protected too (login CSRF): get a token from GET /auth/csrf first. After
    LOCKOUT_AFTER_FAILURES failed logins in a row an email address is locked for LOCKOUT_MINUTES
    (429, code account_locked, with locked_until); a password reset ends the lock at once.

    An organisation that switched password login off (docs/sso.md) gets 403, code
    use_organisation_sign_in, with its sign_in_url: at once for an address in its SSO domains
    (whether or not it has an account), and after the password for its other accounts.
    """
    config = current_app.config
    _refuse_if_sso_only(credentials["email"], None)
    g.login_attempt_counted = True
    user = service.authenticate(
        email=credentials["email"],
        password=credentials["password"],
        now=utcnow(),
        policy=service.LockoutPolicy(
            max_failures=config["LOCKOUT_AFTER_FAILURES"], minutes=config["LOCKOUT_MINUTES"]
        ),
    )
    _refuse_if_sso_only(credentials["email"], user)
    token = log_in(user)
    return {"user": user, "csrf_token": token}


def _refuse_if_sso_only(email: str, user) -> None:
    organisation = sso.sso_only_organisation_for(email=email, user=user)
    if organisation is not None:
        raise Forbidden(
            f"{organisation.name} signs in with its own account system, not a password here. "
            "Use “Sign in with your organisation”.",
            code="use_organisation_sign_in",
            extra={
                "organisation": organisation.slug,
                "sign_in_url": public_url(f"/auth/oidc/login?organisation={organisation.slug}"),
            },
        )


@blp.after_request
def _keep_failed_login_count(response):
    """A refused login is an error response, which the request pipeline rolls back (logbook/web.py);
    the failed-attempt count must survive it, or the lockout would never trigger. This runs before
    the app-wide hook and commits only what authenticate() flushed: the count."""
    if g.get("login_attempt_counted") and response.status_code in {401, 429}:
        db.session.commit()
    return response


@blp.route("/auth/logout", methods=["POST"])
@blp.response(204)
def logout():
    """End this session."""
    log_out()


@blp.route("/me")
@blp.response(200, MeSchema)
@blp.alt_response(401, description="Not logged in")
def me():
    """The logged-in user, their roles, team, job role and registrations."""
    return current_user()


def _own_account_key() -> str:
    user = current_user()
    return f"password-change:{user.id if user is not None else '?'}"


def _wrong_current_password(response) -> bool:
    """Only a wrong current password counts towards the limit (a malformed body guesses nothing)."""
    if response.status_code != 422:
        return False
    body = response.get_json(silent=True) or {}
    return "current_password" in ((body.get("error") or {}).get("fields") or {})


@blp.route("/me/password", methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    key_func=_own_account_key,
    deduct_when=_wrong_current_password,
    error_message="Too many tries. Wait 15 minutes and try again.",
)
@login_required
@blp.arguments(PasswordChangeSchema)
@blp.response(200, LoginResultSchema)
@blp.alt_response(401, description="Not logged in")
@blp.alt_response(422, description="The current password is wrong, or the new one breaks the policy")
@blp.alt_response(429, description="Too many refused tries for this account (LOGIN_LIMIT_PER_ACCOUNT)")
def change_password(data):
    """Change your own password; the current one is required. Every session of the account ends
    (other devices log in again); this browser gets a fresh session and CSRF token in the answer."""
    user = current_user()
    service.change_own_password(
        user=user, current_password=data["current_password"], new_password=data["new_password"]
    )
    token = log_in(user)
    return {"user": user, "csrf_token": token}


@blp.route("/me/registrations", methods=["GET"])
@login_required
@blp.response(200, RegistrationSchema(many=True))
@blp.alt_response(401, description="Not logged in")
def own_registrations():
    """Your own professional registrations."""
    return current_user().registrations


@blp.route("/me/registrations", methods=["POST"])
@login_required
@blp.arguments(OwnRegistrationSchema)
@blp.response(201, RegistrationSchema)
@blp.alt_response(
    422, description="Unknown regulator, or the renewal date is not after the registration date"
)
def add_own_registration(data):
    """Record one of your own registrations (its framework follows the regulator)."""
    return service.add_own_registration(user=current_user(), data=data)


@blp.route("/me/registrations/<uuid:registration_id>", methods=["PATCH"])
@login_required
@blp.arguments(OwnRegistrationChangeSchema)
@blp.response(200, RegistrationSchema)
@blp.alt_response(404, description="Not one of your registrations")
def change_own_registration(data, registration_id):
    """Change your own registration's number, profession or dates."""
    return service.update_own_registration(user=current_user(), registration_id=registration_id, changes=data)
