"""Dark mode passes axe too, and with the on-screen keyboard taking half the screen the field being
typed in stays visible (the tab bar steps out of the way)."""

import pytest

from tests.e2e.browser import PHONE, check_accessible, log_in, tab
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_dark_mode_screens_have_no_axe_violations(live_server, browser, make_user):
    user = make_user("practitioner", name="Amara Okafor")
    context = browser.new_context(**PHONE, color_scheme="dark", reduced_motion="reduce")
    page = context.new_page()
    log_in(page, live_server, user, PASSWORD)
    check_accessible(page, "dark-home")
    tab(page, "Log CPD")
    page.get_by_text("Reflection, tags, evidence (optional)").click()
    check_accessible(page, "dark-quick-log")
    context.close()


def test_keyboard_covering_half_the_screen_keeps_the_field_in_view(live_server, browser, make_user):
    user = make_user("practitioner", name="Amara Okafor")
    context = browser.new_context(**{**PHONE, "viewport": {"width": 390, "height": 420}})
    page = context.new_page()
    log_in(page, live_server, user, PASSWORD)
    tab(page, "Log CPD")
    title = page.get_by_label("Title")
    title.focus()
    title.press_sequentially("Team study day")
    box = title.bounding_box()
    assert box is not None
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= 420
    # the tab bar no longer floats over the form
    assert page.evaluate("getComputedStyle(document.getElementById('tabbar')).position") == "static"
    check_accessible(page, "quick-log-keyboard-open", from_top=False)
    page.get_by_role("button", name="Save entry").focus()
    assert page.evaluate("document.activeElement.textContent") == "Save entry"
    context.close()
