"""Insights in the PWA: an org admin sees charts with the same numbers in tables, suppressed cells read
"fewer than 5", a CSV link per view; a practitioner has no Insights tab and is refused."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from logbook.demo.scale import PASSWORD, build_scale_demo
from logbook.extensions import db
from tests.e2e.browser import check_accessible, log_in, screenshot, tab
from tests.factories import PASSWORD as TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def scaled_admin(app):
    """A small generated organisation (40 practitioners) and its org admin."""
    with app.app_context():
        made = build_scale_demo(people=40, entries_each=8, today=dt.date.today())  # noqa: DTZ011
        db.session.commit()
    return SimpleNamespace(email=made["admin_email"], name="Scale Admin")


def test_org_admin_sees_insights_as_charts_and_tables(app, live_server, phone, scaled_admin):
    page = phone.new_page()
    log_in(page, live_server, scaled_admin, PASSWORD)
    tab(page, "Insights")
    page.get_by_role("heading", name="Learning mix by profession").wait_for()
    chart = page.locator("svg.chart[role=img]")
    expect(chart).to_have_count(1)
    assert chart.locator("title").text_content()
    assert "Total" in page.locator("table.numbers").text_content()
    hidden = page.locator("table.numbers .hidden-cell")
    assert hidden.count() > 0  # 40 people over many professions: small cells exist
    for text in hidden.all_text_contents():
        assert text == "fewer than 5"  # never a number
    link = page.get_by_role("link", name=re.compile(r"Download .* \(CSV\)"))
    assert link.get_attribute("href") == "/api/v1/insights/learning-mix-profession.csv"
    check_accessible(page, "insights-learning-mix")
    chart.scroll_into_view_if_needed()
    screenshot(page, "insights-learning-mix-chart", from_top=False)
    page.locator("table.numbers").scroll_into_view_if_needed()
    screenshot(page, "insights-learning-mix-table", from_top=False)
    # Hours instead of entries: the table redraws with the same cells hidden.
    page.get_by_role("radio", name="Hours").check()
    expect(page.locator("table.numbers caption")).to_have_text("Learning mix by profession: hours")
    # Another view, filtered: the filters travel with the CSV link.
    page.get_by_label("View").select_option("compliance")
    page.get_by_text("Filters").click()
    page.get_by_label("Service area").select_option("social_care")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="Registration compliance").wait_for()
    page.get_by_text(re.compile("Statuses worked out on")).wait_for()
    assert page.get_by_role("link", name=re.compile("Download")).get_attribute("href") == (
        "/api/v1/insights/compliance.csv?service_area=social_care"
    )
    check_accessible(page, "insights-compliance")
    # Equity: quartiles and mean in their own table; dark mode passes too.
    page.emulate_media(color_scheme="dark")
    page.get_by_label("View").select_option("equity-profession")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("heading", name="CPD hours per person by profession").wait_for()
    expect(page.get_by_text("Hours per person: quartiles and mean")).to_be_visible()
    assert "undefined" not in page.locator("#view").text_content()
    check_accessible(page, "insights-equity-dark")


def test_a_practitioner_has_no_insights_tab_and_is_refused(live_server, phone, make_user):
    person = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    log_in(page, live_server, person, TEST_PASSWORD)
    expect(page.locator("#tabbar").get_by_role("link", name="Logbook")).to_be_visible()
    expect(page.locator('#tabbar a[data-tab="insights"]')).to_be_hidden()
    page.goto(live_server + "/app/insights")
    page.get_by_text("Insights are for org admins and team managers.").wait_for()
