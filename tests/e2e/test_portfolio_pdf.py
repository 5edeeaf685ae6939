"""The portfolio PDF from the phone (Exports screen): the document defaults to the person's regulator,
the HCPC profile's text and chosen activities are checked and kept on the phone, the PDF downloads;
a large portfolio is followed as a background job. Accessible (axe)."""

import datetime as dt

import pytest

from logbook.accounts.models import Registration
from tests.e2e.browser import check_accessible, log_in, screenshot, sync_status
from tests.factories import PASSWORD, TODAY, make_entry, persist
from tests.helpers import pdf_text

pytestmark = pytest.mark.browser


def _hcpc_practitioner(app, make_user, make_client, entries: int):
    user = make_user("practitioner", name="Amara Okafor")
    persist(
        app,
        Registration(
            user_id=user.id,
            regulator="HCPC",
            profession="Occupational therapist",
            registration_number="OT123456",
        ),
    )
    api = make_client(user)
    for i in range(1, entries + 1):
        make_entry(api, title=f"Activity {i}", start_date=(TODAY - dt.timedelta(days=7 * i)).isoformat())
    return user


def _choose(page, *titles: str) -> None:
    for title in titles:
        page.get_by_role("checkbox", name=title).check()


def test_an_hcpc_profile_made_on_the_phone(app, live_server, phone, make_user, make_client, tmp_path):
    user = _hcpc_practitioner(app, make_user, make_client, entries=5)
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    sync_status(page).get_by_text("All synced").wait_for()
    page.goto(live_server + "/app/exports")
    page.get_by_role("heading", name="Your portfolio (PDF)").wait_for()
    assert page.get_by_label("Document").input_value() == "hcpc"  # from the registration

    page.get_by_label("Summary of your practice").fill(
        "I work as an occupational therapist in a community team."
    )
    page.get_by_label("Statement: how your CPD meets standards 1").fill(
        "Activities 1 to 4 changed my practice."
    )
    page.get_by_text("10 of 500 words").wait_for()
    _choose(page, "Activity 1 ·", "Activity 2 ·", "Activity 3 ·")
    page.get_by_role("button", name="Make the PDF").click()
    page.locator("#chosen-error").get_by_text("choose 4 to 6 different activities").wait_for()
    # The reason sits beside the activities; the status line says only what happened.
    assert page.locator("#portfolio-status").inner_text() == "The CPD profile cannot be made yet."
    check_accessible(page, "portfolio-hcpc-error", from_top=False)

    # What was typed and chosen is kept on the phone: a reload (or a dropped tab) loses nothing.
    page.reload()
    page.get_by_role("heading", name="Your portfolio (PDF)").wait_for()
    assert page.get_by_label("Summary of your practice").input_value().startswith("I work as")
    assert page.get_by_role("checkbox", name="Activity 3 ·").is_checked()
    _choose(page, "Activity 4 ·")
    page.get_by_role("button", name="Make the PDF").click()
    link = page.locator("#portfolio-status").get_by_role("link", name="Download ")
    link.wait_for(timeout=30_000)
    screenshot(page, "portfolio-hcpc-ready", full_page=True)
    with page.expect_download() as wait:
        link.click()
    saved = tmp_path / wait.value.suggested_filename
    wait.value.save_as(saved)
    assert saved.suffix == ".pdf"
    text = pdf_text(saved.read_bytes())
    for part in ("HCPC CPD profile", "OT123456", "community team", "changed my practice", "Activity 4"):
        assert part in text, part


def test_a_large_portfolio_is_followed_as_a_job(app, live_server, phone, make_user, make_client):
    app.config["PORTFOLIO_INLINE_MAX_ENTRIES"] = 1
    user = _hcpc_practitioner(app, make_user, make_client, entries=2)
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    page.goto(live_server + "/app/exports")
    page.get_by_label("Document").select_option(label="CPD portfolio (any period)")
    page.get_by_role("button", name="Make the PDF").click()
    link = page.locator("#portfolio-status").get_by_role("link", name="Download ")
    link.wait_for(timeout=60_000)
    assert link.get_attribute("href").endswith("/download")  # the job's file, not one made in the page
    response = page.request.get(live_server + link.get_attribute("href"))
    assert response.status == 200
    assert "Activity 2" in pdf_text(response.body())


def test_a_second_request_follows_the_portfolio_already_under_way(
    app, live_server, phone, make_user, make_client
):
    """Tapping again (or on a second phone) while a job is queued is the server's 409 naming that job:
    the screen follows it instead of showing an error."""
    from logbook.jobs.runner import RQRunner
    from tests.jobs.test_jobs import FakeQueue

    app.config["PORTFOLIO_INLINE_MAX_ENTRIES"] = 1
    app.extensions["logbook.job_runner"] = RQRunner(queue=FakeQueue())  # jobs stay queued
    user = _hcpc_practitioner(app, make_user, make_client, entries=2)
    other_phone = make_client(user)
    first = other_phone.api("POST", "/api/v1/portfolio", json={"format": "generic"})
    assert first.status_code == 202
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    page.goto(live_server + "/app/exports")
    page.get_by_label("Document").select_option(label="CPD portfolio (any period)")
    page.get_by_role("button", name="Make the PDF").click()
    page.locator("#portfolio-status").get_by_text("Waiting to start").wait_for()
    assert page.locator("#portfolio-status .error").count() == 0
