"""Password reset pages (server-rendered, no script): ask for a link, then choose a new password.

The PWA's login screen links to /forgot-password. The pages work without JavaScript and without a
session, so they also work for someone whose phone holds no session at all.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, render_template, request
from flask_limiter import RateLimitExceeded
from marshmallow import Schema, ValidationError, validate

from logbook import fields
from logbook.accounts import reset
from logbook.errors import NotFound, ValidationFailed
from logbook.extensions import client_address, limiter
from logbook.mail import mailer
from logbook.timeutil import utcnow
from logbook.urls import public_url

pages = Blueprint("password_reset", __name__)


class ForgotPasswordFormSchema(Schema):
    """The email address a reset link is asked for."""

    email = fields.Email(required=True, validate=validate.Length(max=254))


def _minutes() -> int:
    return int(current_app.config["PASSWORD_RESET_MINUTES"])


def _limit() -> str:
    return current_app.config["PASSWORD_RESET_LIMIT"]


def _email_key() -> str:
    return "reset-email:" + (request.form.get("email") or "").strip().lower()[:254]


def _page(template: str, status: int = 200, **context):
    response = current_app.make_response((render_template(template, **context), status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


@pages.errorhandler(RateLimitExceeded)
def _too_many(err: RateLimitExceeded):
    response = _page(
        "password_reset_refused.html",
        429,
        message="Too many attempts from here for now. Wait an hour and try again, or ask your "
        "organisation's administrator to set a new password for you.",
    )
    retry_after = err.response.headers.get("Retry-After") if err.response is not None else None
    response.headers["Retry-After"] = retry_after or "3600"
    return response


@pages.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"], key_func=_email_key)
@limiter.limit(_limit, methods=["POST"], key_func=lambda: f"reset-address:{client_address()}")
def forgot_password():
    """GET: the form. POST: email a link if the address has an account; the same answer either way."""
    if request.method == "GET":
        return _page("password_forgot.html", email="", error=None, minutes=_minutes())
    try:
        email = ForgotPasswordFormSchema().load({"email": request.form.get("email", "")})["email"]
    except ValidationError:
        return _page(
            "password_forgot.html",
            422,
            email=request.form.get("email", "")[:254],
            error="Enter an email address, like name@example.org.",
            minutes=_minutes(),
        )
    reset.request_password_reset(
        email=email,
        now=utcnow(),
        lifetime=dt.timedelta(minutes=_minutes()),
        base_url=public_url(),
        mailer=mailer(),
    )
    return _page("password_sent.html", email=email, minutes=_minutes())


def _refused_link(response) -> bool:
    return response.status_code == 404


@pages.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_limit, key_func=lambda: f"reset-link:{client_address()}", deduct_when=_refused_link)
def reset_password(token: str):
    """GET: the new-password form for a usable link. POST: set the password and use up the link."""
    now = utcnow()
    try:
        user = reset.open_reset(token=token, now=now)
    except NotFound as err:
        return _page("password_reset_refused.html", 404, message=err.message)
    if request.method == "GET":
        return _page("password_reset.html", email=user.email, errors={})
    password = request.form.get("password", "")
    if password != request.form.get("confirm", ""):
        return _page(
            "password_reset.html", 422, email=user.email, errors={"confirm": ["The two passwords differ."]}
        )
    try:
        reset.complete_reset(token=token, password=password, now=now)
    except ValidationFailed as err:
        return _page("password_reset.html", 422, email=user.email, errors=err.fields)
    return _page("password_reset_done.html")


def register(app) -> None:
    """Register the pages (outside the JSON API)."""
    app.register_blueprint(pages)
