"""Login, logout, sessions, CSRF and login rate limits."""

import pytest

from logbook.accounts.models import AuthSession
from logbook.accounts.passwords import password_problems
from logbook.extensions import db
from tests.factories import PASSWORD


def _error(response):
    body = response.get_json()
    assert set(body) == {"error"}
    assert {"code", "message", "fields"} <= set(body["error"])
    return body["error"]


def test_me_is_401_when_anonymous(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"


def test_login_success_returns_user_and_new_csrf_token(client, practitioner):
    response = client.login(practitioner.email)
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"]["email"] == practitioner.email
    assert body["user"]["roles"] == ["practitioner"]
    assert body["csrf_token"]
    assert "password" not in body["user"]
    assert "password_hash" not in body["user"]
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.get_json()["id"] == str(practitioner.id)


def test_login_email_is_case_insensitive(client, practitioner):
    assert client.login(practitioner.email.upper()).status_code == 200


@pytest.mark.parametrize("which", ["wrong password", "unknown email"])
def test_login_failure_does_not_say_which_part_was_wrong(client, practitioner, which):
    email = practitioner.email if which == "wrong password" else "nobody@test.example"
    response = client.login(email, "Wrong-password-123456")
    assert response.status_code == 401
    err = _error(response)
    assert err["code"] == "login_failed"
    assert err["message"] == "That email and password do not match an account."
    assert client.get("/api/v1/me").status_code == 401


def test_inactive_user_cannot_log_in(client, make_user):
    user = make_user("practitioner", is_active=False)
    assert client.login(user.email).status_code == 401


def test_session_cookie_flags(client, practitioner):
    response = client.login(practitioner.email)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_session_id_rotates_at_login(app, client, practitioner, make_user):
    other = make_user("practitioner")
    client.login(other.email)
    with client.session_transaction() as sess:
        first_sid = sess["sid"]
        first_csrf = sess["csrf_token"]
    client.login(practitioner.email)
    with client.session_transaction() as sess:
        assert sess["sid"] != first_sid
        assert sess["csrf_token"] != first_csrf
    with app.app_context():
        # the earlier session was destroyed server-side, not just forgotten by the browser
        assert db.session.query(AuthSession).count() == 1
    assert client.get("/api/v1/me").get_json()["email"] == practitioner.email


def test_a_stolen_pre_login_cookie_is_useless_after_login(client, make_client, practitioner):
    client.get("/api/v1/auth/csrf")
    with client.session_transaction() as sess:
        before = dict(sess)
    client.login(practitioner.email)
    attacker = make_client()
    with attacker.session_transaction() as sess:
        sess.update(before)
    assert attacker.get("/api/v1/me").status_code == 401


def test_logout_ends_the_session_server_side(app, client, practitioner):
    client.login(practitioner.email)
    with client.session_transaction() as sess:
        saved = dict(sess)
    assert client.api("POST", "/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/me").status_code == 401
    with client.session_transaction() as sess:  # replaying the old cookie does not bring it back
        sess.update(saved)
    assert client.get("/api/v1/me").status_code == 401
    with app.app_context():
        assert db.session.query(AuthSession).count() == 0


@pytest.mark.parametrize("token", [None, "", "not-a-token", "forged.token.value"])
def test_state_changing_requests_need_a_valid_csrf_token(client, practitioner, token):
    headers = {} if token is None else {"X-CSRFToken": token}
    response = client.post(
        "/api/v1/auth/login", json={"email": practitioner.email, "password": PASSWORD}, headers=headers
    )
    assert response.status_code == 403
    err = _error(response)
    assert err["code"] == "csrf_failed"
    assert "X-CSRFToken" in err["fields"]


def test_csrf_token_from_another_session_is_refused(client, make_client, practitioner):
    other = make_client()
    other_token = other.get("/api/v1/auth/csrf").get_json()["csrf_token"]
    client.get("/api/v1/auth/csrf")
    response = client.post(
        "/api/v1/auth/login",
        json={"email": practitioner.email, "password": PASSWORD},
        headers={"X-CSRFToken": other_token},
    )
    assert response.status_code == 403


def test_logout_without_csrf_is_refused(client, practitioner):
    client.login(practitioner.email)
    assert client.post("/api/v1/auth/logout").status_code == 403
    assert client.get("/api/v1/me").status_code == 200


def test_login_rate_limited_per_account(client, make_client, practitioner):
    for _ in range(5):
        assert client.login(practitioner.email, "Wrong-password-123456").status_code == 401
    # even the right password is refused now, and from another address too: the account is protected
    other = make_client()
    response = other.login(practitioner.email)
    assert response.status_code == 429
    err = _error(response)
    assert err["code"] == "rate_limited"
    assert "Too many failed logins for this account" in err["message"]
    assert int(response.headers["Retry-After"]) > 0


def test_successful_logins_do_not_count_towards_the_limit(client, practitioner):
    for _ in range(8):
        assert client.login(practitioner.email).status_code == 200


def test_login_rate_limited_per_address(app, client, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    users = [make_user("practitioner") for _ in range(4)]
    for user in users[:3]:
        assert client.login(user.email, "Wrong-password-123456").status_code == 401
    response = client.login(users[3].email)
    assert response.status_code == 429
    assert "from this address" in _error(response)["message"]


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12"),
        ("password1234", "too common"),
        ("aaaaaaaaaaaaaaaa", "too common"),
        ("qwertyuiop123", "too common"),
        ("amara.okafor-2026", "name or email"),
        ("abcdefghijkl", "easy to guess"),
    ],
)
def test_password_policy(password, reason):
    problems = password_problems(password, email="amara.okafor@northshire.example", name="Amara Okafor")
    assert problems
    assert reason in problems[0]


def test_good_password_passes_policy():
    assert password_problems("Kettle-Orbit-Lantern-42", email="a@b.example", name="A B") == []
