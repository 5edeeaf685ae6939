"""Account lockout after repeated failures, password reset by a single-use expiring link, and no
account enumeration at login or reset (same answers, similar timing, for addresses without an account).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from logbook.accounts.models import LoginThrottle, PasswordReset, User
from logbook.accounts.reset import token_hash
from logbook.extensions import db
from tests.factories import PASSWORD

NEW_PASSWORD = "violet kettle harbour 4417"


@pytest.fixture(autouse=True)
def _settings(app):
    """Emails in a list; the per-account rate limit out of the way so the lockout itself is reached."""
    app.config.update(
        MAIL_URL="memory://",
        LOGIN_LIMIT_PER_ACCOUNT="1000 per minute",
        LOGIN_LIMIT_PER_ADDRESS="1000 per minute",
        LOCKOUT_AFTER_FAILURES=4,
        LOCKOUT_MINUTES=30,
    )


@pytest.fixture
def outbox(app) -> list:
    return app.extensions.setdefault("logbook.outbox", [])


def _fail(client, email, times):
    return [client.login(email, "wrong password entirely").status_code for _ in range(times)]


# --- lockout -----------------------------------------------------------------------------------


def test_repeated_failures_lock_the_account_with_a_clear_message(client, practitioner):
    assert _fail(client, practitioner.email, 3) == [401, 401, 401]
    response = client.login(practitioner.email, "wrong password entirely")
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["code"] == "account_locked"
    assert "locked for 30 more minutes" in error["message"]
    assert "Forgot password?" in error["message"]  # how to end it now
    until = dt.datetime.fromisoformat(error["locked_until"])
    assert dt.timedelta(minutes=29) < until - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=30)
    # even the right password is refused while the lock lasts
    assert client.login(practitioner.email).status_code == 429


def test_the_lock_ends_by_itself(app, client, practitioner):
    _fail(client, practitioner.email, 4)
    assert client.login(practitioner.email).status_code == 429
    with app.app_context():
        row = db.session.scalar(select(LoginThrottle))
        row.locked_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.session.commit()
    assert client.login(practitioner.email).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(LoginThrottle)) is None  # a success forgets the failures


def test_a_success_resets_the_count(client, practitioner):
    _fail(client, practitioner.email, 3)
    assert client.login(practitioner.email).status_code == 200
    assert _fail(client, practitioner.email, 3) == [401, 401, 401]


def test_failures_are_counted_per_address_not_per_browser(make_client, practitioner, make_user):
    other = make_user("practitioner")
    for _ in range(4):
        make_client().login(practitioner.email, "wrong password entirely")
    assert make_client().login(practitioner.email).status_code == 429
    assert make_client().login(other.email).status_code == 200  # only that address is locked


def test_unknown_addresses_lock_exactly_like_real_ones(client, practitioner):
    """A lockout must not reveal which addresses have accounts."""
    real = [client.login(practitioner.email, "wrong password entirely") for _ in range(5)]
    ghost = [client.login("nobody-here@test.example", "wrong password entirely") for _ in range(5)]
    assert [r.status_code for r in real] == [r.status_code for r in ghost] == [401, 401, 401, 429, 429]

    def shape(response):
        error = dict(response.get_json()["error"])
        error.pop("locked_until", None)
        return error

    assert [shape(r) for r in real] == [shape(r) for r in ghost]


# --- no enumeration at login -----------------------------------------------------------------


@pytest.fixture
def argon2_calls(monkeypatch) -> list[str]:
    """Every argon2 verification made (the slow, timing-dominating step), by which hash it used."""
    from logbook.accounts import passwords, reset, service

    calls: list[str] = []
    real = passwords.verify_password

    def counted(password_hash, password):
        calls.append("dummy" if password_hash == passwords.dummy_hash() else "real")
        return real(password_hash, password)

    monkeypatch.setattr(service, "verify_password", counted)
    monkeypatch.setattr(reset, "verify_password", counted)
    return calls


def test_login_answers_the_same_and_does_the_same_work_for_unknown_addresses(
    app, client, practitioner, make_user, argon2_calls
):
    inactive = make_user("practitioner", is_active=False)
    answers = {}
    cases = [("known", practitioner.email), ("unknown", "nobody@test.example"), ("inactive", inactive.email)]
    for label, email in cases:
        argon2_calls.clear()
        response = client.login(email, "wrong password entirely")
        answers[label] = (response.status_code, response.get_json())
        assert len(argon2_calls) == 1, (label, argon2_calls)  # one argon2 hash on every path
    assert answers["known"] == answers["unknown"] == answers["inactive"]
    assert answers["known"][0] == 401


def test_a_locked_address_still_costs_one_hash(client, practitioner, argon2_calls):
    _fail(client, practitioner.email, 4)
    argon2_calls.clear()
    assert client.login(practitioner.email).status_code == 429
    assert argon2_calls == ["dummy"]


# --- password reset ----------------------------------------------------------------------------


def _csrf(html):
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _ask(client, email):
    page = client.get("/forgot-password")
    assert page.status_code == 200
    return client.post("/forgot-password", data={"email": email, "csrf_token": _csrf(page.text)})


def _link(mail) -> str:
    match = re.search(r"https?://[^/\s]+(/reset-password/[A-Za-z0-9_-]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def _set(client, link, password=NEW_PASSWORD, confirm=None):
    page = client.get(link)
    if page.status_code != 200:
        return page
    return client.post(
        link,
        data={
            "password": password,
            "confirm": password if confirm is None else confirm,
            "csrf_token": _csrf(page.text),
        },
    )


def test_reset_by_email_link(app, client, make_client, practitioner, outbox):
    phone = make_client(practitioner)  # a session elsewhere
    response = _ask(client, practitioner.email.upper())
    assert response.status_code == 200
    assert "Check your email" in response.text
    [mail] = outbox
    assert mail.to == practitioner.email
    assert "works once" in mail.body
    assert "60 minutes" in mail.body
    link = _link(mail)
    token = link.rsplit("/", 1)[-1]
    with app.app_context():  # only the hash is stored
        row = db.session.scalar(select(PasswordReset))
        assert row.token_hash == token_hash(token) != token
    form = client.get(link)
    assert form.status_code == 200
    assert practitioner.email in form.text
    assert "<script" not in form.text
    done = _set(client, link)
    assert done.status_code == 200
    assert "Password changed" in done.text
    assert make_client().login(practitioner.email, PASSWORD).status_code == 401
    assert make_client().login(practitioner.email, NEW_PASSWORD).status_code == 200
    assert phone.get("/api/v1/me").status_code == 401  # every other session ended


def test_a_link_works_once(client, practitioner, outbox):
    _ask(client, practitioner.email)
    link = _link(outbox[-1])
    assert _set(client, link).status_code == 200
    again = client.get(link)
    assert again.status_code == 404
    assert "expired or has already been used" in again.text


def test_a_link_expires(app, client, practitioner, outbox):
    _ask(client, practitioner.email)
    link = _link(outbox[-1])
    with app.app_context():
        row = db.session.scalar(select(PasswordReset))
        row.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db.session.commit()
    assert client.get(link).status_code == 404
    assert _set(client, link).status_code == 404


def test_using_one_link_voids_the_others(client, practitioner, outbox):
    _ask(client, practitioner.email)
    _ask(client, practitioner.email)
    first, second = _link(outbox[0]), _link(outbox[1])
    assert _set(client, second).status_code == 200
    assert client.get(first).status_code == 404


def test_made_up_links_are_refused(client):
    assert client.get("/reset-password/not-a-real-token").status_code == 404


def test_the_new_password_must_follow_the_policy(client, practitioner, outbox):
    _ask(client, practitioner.email)
    link = _link(outbox[-1])
    weak = _set(client, link, password="password123")
    assert weak.status_code == 422
    assert "aria-invalid" in weak.text
    differ = _set(client, link, confirm=NEW_PASSWORD + "x")
    assert differ.status_code == 422
    assert "differ" in differ.text
    assert _set(client, link).status_code == 200  # the link survived the refused attempts


def test_a_reset_ends_a_lockout(client, make_client, practitioner, outbox):
    _fail(client, practitioner.email, 4)
    assert client.login(practitioner.email).status_code == 429
    _ask(make_client(), practitioner.email)
    assert _set(make_client(), _link(outbox[-1])).status_code == 200
    assert make_client().login(practitioner.email, NEW_PASSWORD).status_code == 200


def test_reset_answers_the_same_for_unknown_and_inactive_addresses(app, client, make_user, outbox):
    inactive = make_user("practitioner", is_active=False)
    active = make_user("practitioner")
    pages = {}
    cases = [("active", active.email), ("unknown", "nobody-here@test.example"), ("inactive", inactive.email)]
    for label, email in cases:
        response = _ask(client, email)
        assert response.status_code == 200
        pages[label] = response.text.replace(email, "EMAIL")
    assert pages["active"] == pages["unknown"] == pages["inactive"]
    assert [m.to for m in outbox] == [active.email]  # only the real, active account gets mail


def test_reset_does_the_same_work_for_unknown_addresses(client, practitioner, argon2_calls):
    _ask(client, practitioner.email)
    known = list(argon2_calls)
    argon2_calls.clear()
    _ask(client, "nobody-here@test.example")
    assert known == argon2_calls == ["dummy"]


def test_reset_requests_are_rate_limited(app, client, practitioner, outbox):
    app.config["PASSWORD_RESET_LIMIT"] = "3 per hour"
    statuses = [_ask(client, practitioner.email).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(outbox) == 3


def test_bad_email_on_the_form_is_explained(client):
    response = _ask(client, "not an email")
    assert response.status_code == 422
    assert "Enter an email address" in response.text


def test_forms_need_the_csrf_token(client, practitioner, outbox):
    assert client.post("/forgot-password", data={"email": practitioner.email}).status_code == 403
    assert outbox == []


def test_the_login_screen_links_to_the_reset_page():
    from pathlib import Path

    import logbook

    login_js = (Path(logbook.__file__).parent / "static" / "app" / "views" / "login.js").read_text()
    assert "href: '/forgot-password'" in login_js
    assert "Forgot password?" in login_js


def test_deactivated_accounts_cannot_use_an_old_link(app, client, practitioner, outbox):
    _ask(client, practitioner.email)
    link = _link(outbox[-1])
    with app.app_context():
        db.session.get(User, practitioner.id).is_active = False
        db.session.commit()
    assert client.get(link).status_code == 404
