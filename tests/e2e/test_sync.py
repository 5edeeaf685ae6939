"""Sync in a real browser against the real server: two phones editing the same entry offline
(conflict on the same field, silent merge on different fields) and a session that expires while
changes wait."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import PHONE, check_accessible, log_in, quick_log, sync_status, tab
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def second_phone(browser):
    """Another phone of the same practitioner."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def _open_entry(page, title):
    tab(page, "Logbook")
    page.get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title).wait_for()


def _edit(page, label, value, check=None):
    page.get_by_role("link", name="Edit", exact=True).click()
    page.get_by_role("heading", name="Edit entry").wait_for()
    if check:
        check_accessible(page, check)
    page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name="Save changes").first.click()


def _reconnect(context, page):
    """Network back: the app syncs on the `online` event. The page must first have seen itself offline:
    a status still saying "All synced" from before going offline would end the wait before the sync
    that the reconnection starts (phone A then opened its logbook before B's resolution arrived)."""
    expect(sync_status(page)).not_to_have_text("All synced")
    context.set_offline(False)
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)


def test_two_phones_same_field_conflict_then_different_fields_merge(
    live_server, phone, second_phone, make_user, make_client
):
    user = make_user("practitioner", name="Amara Okafor")
    a = phone.new_page()
    b = second_phone.new_page()
    log_in(a, live_server, user, PASSWORD)
    quick_log(a, "Neglect study day")
    sync_status(a).get_by_text("All synced").wait_for(timeout=20_000)
    log_in(b, live_server, user, PASSWORD)
    sync_status(b).get_by_text("All synced").wait_for(timeout=20_000)
    _open_entry(a, "Neglect study day")
    _open_entry(b, "Neglect study day")

    # 1. the same field, offline on both phones
    phone.set_offline(True)
    second_phone.set_offline(True)
    _edit(a, "Title", "Neglect study day: graded care profile", check="entry-edit")
    a.get_by_role("heading", name="Neglect study day: graded care profile").wait_for()
    _edit(b, "Title", "Neglect study day (Leeds)")
    b.get_by_role("heading", name="Neglect study day (Leeds)").wait_for()
    _reconnect(phone, a)
    second_phone.set_offline(False)
    sync_status(b).get_by_text("1 needs your attention").wait_for(timeout=20_000)
    b.get_by_role("link", name="Compare and choose").wait_for()
    check_accessible(b, "entry-conflict")
    b.get_by_role("link", name="Compare and choose").click()
    b.get_by_role("heading", name="Choose what to keep").wait_for()
    # both versions are on screen, nothing hidden
    b.get_by_text("Neglect study day: graded care profile", exact=True).wait_for()
    b.get_by_text("Neglect study day (Leeds)", exact=True).wait_for()
    check_accessible(b, "conflict")
    b.get_by_label("Combine both (edit below)").check()
    b.get_by_label("Title: combined text").fill("Neglect study day (Leeds): graded care profile")
    b.get_by_role("button", name="Save my choices").click()
    b.get_by_role("heading", name="Neglect study day (Leeds): graded care profile").wait_for()
    sync_status(b).get_by_text("All synced").wait_for(timeout=20_000)
    # phone A converges when it next syncs
    phone.set_offline(True)
    _reconnect(phone, a)
    _open_entry(a, "Neglect study day (Leeds): graded care profile")

    # 2. different fields, offline on both phones: merged without asking
    phone.set_offline(True)
    second_phone.set_offline(True)
    _edit(a, "Hours", "3")
    a.get_by_text("3 h").first.wait_for()
    _edit(b, "Title", "Neglect and graded care profile 2")
    b.get_by_role("heading", name="Neglect and graded care profile 2").wait_for()
    _reconnect(phone, a)
    _reconnect(second_phone, b)
    assert b.get_by_text("needs your attention").count() == 0
    phone.set_offline(True)
    _reconnect(phone, a)
    for page in (a, b):
        _open_entry(page, "Neglect and graded care profile 2")
        page.get_by_text("3 h").first.wait_for()

    [entry] = make_client(user).get("/api/v1/entries").get_json()["items"]
    assert (entry["title"], entry["hours"]) == ("Neglect and graded care profile 2", 3.0)


def test_session_expiring_offline_keeps_the_outbox_and_syncs_after_login(
    live_server, phone, make_user, make_client
):
    user = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    phone.set_offline(True)
    quick_log(page, "Written on the train")
    sync_status(page).get_by_text("Offline · 1 change waiting").wait_for()
    phone.clear_cookies()  # the session ends while the phone is offline
    phone.set_offline(False)
    page.get_by_role("heading", name="Log in").wait_for(timeout=20_000)
    page.get_by_text("Your changes are kept on this phone").wait_for()
    check_accessible(page, "login-session-expired")
    assert make_client(user).get("/api/v1/entries").get_json()["items"] == []
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # back where they were, and the queued entry goes up
    page.get_by_role("heading", name="Written on the train").wait_for()
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    items = make_client(user).get("/api/v1/entries").get_json()["items"]
    assert [e["title"] for e in items] == ["Written on the train"]


def test_the_logbook_on_screen_shows_what_a_sync_brings_and_keeps_the_search(
    live_server, phone, make_user, make_client
):
    """The logbook list used to be drawn once: an entry logged on another device, pulled while the list
    was open, appeared only after leaving the screen. Now the list follows the phone's entries in place,
    with the search typed and the filters kept."""
    user = make_user("practitioner", name="Amara Okafor")
    other_device = make_client(user)
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    quick_log(page, "Safeguarding supervision refresher")
    quick_log(page, "Court skills workshop")
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    tab(page, "Logbook")
    page.get_by_label("Search").fill("safeguarding")
    rows = page.locator("#entry-list .entry-title")
    expect(rows).to_have_text(["Safeguarding supervision refresher"])

    made = other_device.api(
        "POST",
        "/api/v1/entries",
        json={
            "kind": "course",
            "title": "Contextual safeguarding course",
            "start_date": dt.date.today().isoformat(),  # noqa: DTZ011
            "hours": 3,
        },
    )
    assert made.status_code == 201, made.get_json()
    phone.set_offline(True)
    _reconnect(phone, page)
    expect(rows).to_contain_text(["Contextual safeguarding course"])
    expect(rows).to_have_count(2)
    expect(page.get_by_label("Search")).to_have_value("safeguarding")
