"""Gap explanations and previous cycles in the browser at phone size (360 by 740): a practitioner
explains a break offline, goes online, syncs, and Home's gap rule is no longer at risk; the previous
cycles screen lists every cycle with its verdict. Screenshots at 360 by 740 and 1280 by 800, axe-core
on each new screen."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from logbook.accounts.models import Registration
from logbook.entries.models import GapExplanation
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from tests.e2e.browser import (
    PHONE,
    check_accessible,
    log_in,
    screenshot,
    sync_status,
    tab,
    wait_for_service_worker,
)
from tests.factories import PASSWORD, make_entry, persist

pytestmark = pytest.mark.browser

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
DESKTOP = {
    **PHONE,
    "viewport": {"width": 1280, "height": 800},
    "is_mobile": False,
    "has_touch": False,
    "device_scale_factor": 1,
}
REASON = "Sick leave after an operation, then a phased return to work"
GAP_RULE = "No gap of three months or more"


def _gap_rule(page):
    return (
        page.locator(".registration[data-which='current'] .rules li")
        .filter(has_text=GAP_RULE)
        .locator(".rule-value")
    )


def _fits(page) -> None:
    """Nothing wider than the screen (one thumb, no sideways scrolling)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def test_a_gap_explained_offline_syncs_and_the_rule_is_no_longer_at_risk(
    app, live_server, browser, make_user, make_client
):
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    today = dt.date.today()  # noqa: DTZ011 - the app works out progress for the phone's today
    user = make_user("practitioner", name="Megan Lloyd")
    persist(
        app,
        Registration(
            user_id=user.id,
            regulator="HCPC",
            profession="Speech and language therapist",
            registration_number="SL01234",
            framework_id="hcpc",
            registered_since=today - dt.timedelta(days=6 * 365),
        ),
    )
    # Activity long ago, then nothing for more than three months: a gap up to today (made through
    # the API, so that the phone pulls the entries and works the same gaps out offline).
    writer = make_client(user)
    for n, days in enumerate((900, 620, 400), start=1):
        make_entry(
            writer,
            title=f"Dysphagia course {n}",
            kind="course",
            start_date=(today - dt.timedelta(days=days)).isoformat(),
            standards=[{"framework": "hcpc", "version": 1, "code": "4"}],
        )
    phone = browser.new_context(**SMALL_PHONE)
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    wait_for_service_worker(page)
    sync_status(page).get_by_text("All synced").wait_for()
    _gap_rule(page).get_by_text("At risk").wait_for()
    explain = page.locator("a.explain-gap")
    explain.wait_for()
    screenshot(page, "gaps-home-at-risk-360", full_page=True)

    # Offline: explain the break from the link under the rule (dates filled in from the gap).
    phone.set_offline(True)
    explain.click()
    page.get_by_role("heading", name="Breaks in your CPD").wait_for()
    first = page.get_by_label("First day of the break")
    assert first.input_value()
    assert page.get_by_label("Last day of the break").input_value() == today.isoformat()
    page.get_by_label("Last day of the break").fill((today + dt.timedelta(days=30)).isoformat())
    page.get_by_label("Why there was no CPD").fill(REASON)
    page.get_by_role("button", name="Save the explanation").click()
    page.get_by_role("status").get_by_text("Explanation saved on this phone").wait_for()
    sync_status(page).get_by_text("Offline · 1 change waiting").wait_for()
    page.locator("#explanations").get_by_text(REASON).wait_for()
    page.locator("#explanations").get_by_text("Waiting to sync").wait_for()
    page.locator("#gap-list").get_by_text("Explained", exact=True).wait_for()
    _fits(page)
    check_accessible(page, "gaps-screen-offline-360")
    screenshot(page, "gaps-screen-offline-360-full", full_page=True)

    # Home, still offline: worked out on the phone with the explanation, the rule is met.
    tab(page, "Home")
    page.get_by_role("heading", name="Hello, Megan Lloyd").wait_for()
    page.locator("#progress-as-of[data-source='phone']").wait_for()
    _gap_rule(page).get_by_text("Met").wait_for()
    assert page.locator("a.explain-gap").count() == 0

    # Online: the explanation syncs; the server's progress says the same.
    phone.set_offline(False)
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    with app.app_context():
        (saved,) = db.session.scalars(select(GapExplanation).where(GapExplanation.owner_id == user.id)).all()
        assert saved.reason == REASON
        assert saved.ends_on == today + dt.timedelta(days=30)
    tab(page, "Logbook")
    tab(page, "Home")
    page.locator("#progress-as-of[data-source='server']").wait_for()
    _gap_rule(page).get_by_text("Met").wait_for()
    assert page.locator("a.explain-gap").count() == 0
    _fits(page)
    check_accessible(page, "gaps-home-explained-360")

    # Previous cycles: every cycle with its verdict.
    page.get_by_role("link", name="Previous cycles").click()
    page.get_by_role("heading", name="Previous cycles").wait_for()
    cycles = page.locator("li.cycle")
    cycles.first.wait_for()
    whiches = [cycles.nth(i).get_attribute("data-which") for i in range(cycles.count())]
    assert whiches[:2] == ["current", "previous"], whiches
    assert len(whiches) >= 3, whiches
    assert cycles.nth(1).locator(".badge").inner_text() in {"Met", "Not met"}
    _fits(page)
    check_accessible(page, "cycles-screen-360")
    screenshot(page, "cycles-screen-360-full", full_page=True)

    # The same screens on a desktop.
    desk = browser.new_context(**DESKTOP)
    big = desk.new_page()
    log_in(big, live_server, user, PASSWORD)
    sync_status(big).get_by_text("All synced").wait_for(timeout=20_000)
    big.goto(live_server + "/app/gaps")
    big.locator("#explanations").get_by_text(REASON).wait_for()
    check_accessible(big, "gaps-screen-1280")
    big.goto(live_server + "/app/cycles")
    big.locator("li.cycle").first.wait_for()
    check_accessible(big, "cycles-screen-1280")
    desk.close()
    phone.close()
