"""Logging out while offline: the phone is wiped at once, and the server session (whose HttpOnly
cookie survives the wipe) is ended before anything else when the app next has a connection."""

import pytest

from tests.e2e.browser import check_accessible, log_in, sync_status, tab, wait_for_service_worker, wait_until
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

MARKER = "localStorage.getItem('cpd-logbook-logout-pending')"


def _wait_until_marker_cleared(page) -> None:
    wait_until(page, f"{MARKER} === null")


def _log_out_offline(phone, page, live_server, user):
    log_in(page, live_server, user, PASSWORD)
    wait_for_service_worker(page)
    sync_status(page).get_by_text("All synced").wait_for()
    phone.set_offline(True)
    tab(page, "Settings")
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
    page.get_by_text("your session on the server ends as soon as the app next has a connection").wait_for()
    assert page.evaluate(MARKER)
    # The cookie outlived the logout: the server still knows this session.
    assert phone.request.get(live_server + "/api/v1/me").status == 200


def test_next_start_ends_the_session_before_anything_else(live_server, phone, make_user):
    user = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    _log_out_offline(phone, page, live_server, user)
    check_accessible(page, "login-after-offline-logout")
    page.close()

    phone.set_offline(False)
    page = phone.new_page()
    page.goto(live_server + "/")
    page.get_by_role("heading", name="Log in").wait_for()
    _wait_until_marker_cleared(page)
    assert phone.request.get(live_server + "/api/v1/me").status == 401
    assert page.get_by_role("heading", name="Hello, Amara Okafor").count() == 0
    # The next person logs in normally.
    log_in(page, live_server, user, PASSWORD)
    sync_status(page).get_by_text("All synced").wait_for()


def test_coming_back_online_on_the_login_screen_ends_the_session(live_server, phone, make_user):
    user = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    _log_out_offline(phone, page, live_server, user)
    phone.set_offline(False)
    _wait_until_marker_cleared(page)
    assert phone.request.get(live_server + "/api/v1/me").status == 401
