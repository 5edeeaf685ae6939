"""From the phone's login screen to a new password, in the browser: 'Forgot password?' reaches the
server-rendered pages (not the app shell the service worker serves for app screens), the emailed link
sets a new password, and every page passes axe-core."""

import re

import pytest

from tests.e2e.browser import check_accessible, wait_for_service_worker

pytestmark = pytest.mark.browser

NEW_PASSWORD = "violet kettle harbour 4417"


def test_forgot_password_from_the_login_screen(app, live_server, phone, make_user):
    app.config["MAIL_URL"] = "memory://"
    outbox = app.extensions.setdefault("logbook.outbox", [])
    user = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    page.goto(live_server + "/")
    page.get_by_role("heading", name="Log in").wait_for()
    # the service worker is installed by now; it must leave this navigation to the server
    wait_for_service_worker(page)
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_role("heading", name="Forgot your password?").wait_for()
    check_accessible(page, "forgot-password")
    page.get_by_label("Email").fill(user.email)
    page.get_by_role("button", name="Email me a link").click()
    page.get_by_role("heading", name="Check your email").wait_for()
    check_accessible(page, "forgot-password-sent")
    link = re.search(r"(/reset-password/\S+)", outbox[-1].body).group(1)
    page.goto(live_server + link)
    page.get_by_role("heading", name="Choose a new password").wait_for()
    check_accessible(page, "reset-password")
    page.get_by_label("New password").fill("password123")
    page.get_by_label("The same password again").fill("password123")
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_role("alert").wait_for()
    check_accessible(page, "reset-password-refused")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("The same password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    page.get_by_role("heading", name="Password changed").wait_for()
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Hello, Amara Okafor").wait_for()
