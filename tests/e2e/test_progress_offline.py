"""Home's progress while offline: worked out on the phone (static/app/progress.js) from the cached
rules and the entries on the phone, labelled as such, and confirmed by the server after syncing."""

import pytest

from logbook.accounts.models import Registration
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from tests.e2e.browser import check_accessible, log_in, quick_log, sync_status, tab, wait_for_service_worker
from tests.factories import PASSWORD, persist

pytestmark = pytest.mark.browser


def _records_rule(page):
    """The SWE 'different CPD records' line of the current cycle on Home (the year just ended may be
    shown beside it, for a quarter after 30 November)."""
    rules = page.locator(".registration[data-which='current'] .rules li")
    return rules.filter(has_text="different pieces of CPD").locator(".rule-value")


def test_offline_entry_moves_home_progress_worked_out_on_the_phone(app, live_server, phone, make_user):
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    user = make_user("practitioner", name="Amara Okafor")
    persist(
        app,
        Registration(
            user_id=user.id,
            regulator="SWE",
            profession="social worker",
            registration_number="SW104587",
            framework_id="swe",
        ),
    )
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    wait_for_service_worker(page)
    sync_status(page).get_by_text("All synced").wait_for()
    _records_rule(page).get_by_text("0 of 2 records").wait_for()
    assert page.locator("#progress-as-of").get_attribute("data-source") == "server"

    phone.set_offline(True)
    quick_log(page, "Court skills study day", hours="6", kind="study_day")
    sync_status(page).get_by_text("Offline · 1 change waiting").wait_for()
    tab(page, "Home")
    page.get_by_role("heading", name="Hello, Amara Okafor").wait_for()
    _records_rule(page).get_by_text("1 of 2 records").wait_for()
    note = page.locator("#progress-as-of")
    assert note.get_attribute("data-source") == "phone"
    assert "worked out on this phone; confirmed when synced" in note.inner_text()
    assert "1 entry on this phone not synced yet" in note.inner_text()
    check_accessible(page, "home-progress-on-phone")

    # A reload while offline (shell from the service worker) works it out again from the phone.
    page.reload()
    page.get_by_role("heading", name="Hello, Amara Okafor").wait_for()
    _records_rule(page).get_by_text("1 of 2 records").wait_for()
    assert page.locator("#progress-as-of").get_attribute("data-source") == "phone"

    phone.set_offline(False)
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    tab(page, "Logbook")
    tab(page, "Home")
    page.locator("#progress-as-of[data-source='server']").wait_for()
    _records_rule(page).get_by_text("1 of 2 records").wait_for()
