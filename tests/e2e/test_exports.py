"""The Exports screen on a phone: a practitioner prepares their full record; an org admin follows it
to the admin area's staff export and exports a team's registration evidence; both follow the
background job to a download link. Accessible (axe)."""

import pytest

from tests.e2e.browser import check_accessible, log_in, screenshot
from tests.factories import PASSWORD, make_entry
from tests.helpers import finish_jobs, run_job

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _drain(app):
    yield
    finish_jobs(app)


def test_full_record_export_from_settings(app, live_server, phone, make_user):
    practitioner = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    log_in(page, live_server, practitioner, PASSWORD)
    page.goto(live_server + "/app/settings")
    page.get_by_role("link", name="Open exports").click()
    page.get_by_role("heading", name="Exports", exact=True).wait_for()
    assert page.get_by_role("heading", name="Staff registration evidence").count() == 0  # not an admin
    check_accessible(page, "exports-practitioner")
    page.get_by_role("button", name="Prepare my full record").click()
    link = page.locator("#record-status").get_by_role("link", name="Download cpd-record-")
    link.wait_for(timeout=30_000)
    assert link.get_attribute("href").endswith("/download")


def test_org_admin_exports_a_team(app, live_server, phone, make_user, team):
    admin = make_user("practitioner", "org_admin", name="Olu Admin", team_id=team.id)
    page = phone.new_page()
    log_in(page, live_server, admin, PASSWORD)
    page.goto(live_server + "/app/exports")
    page.get_by_role("heading", name="Staff registration evidence").wait_for()
    page.get_by_role("link", name="Open Admin \u203a Staff export").click()  # it moved to the admin area
    page.get_by_role("heading", level=1, name="Staff export").wait_for()
    page.get_by_label("Team", exact=True).select_option(label=team.name)
    page.get_by_role("button", name="Export the registration evidence").click()
    link = page.locator("#staff-status").get_by_role("link", name="Download staff-evidence-")
    link.wait_for(timeout=60_000)
    check_accessible(page, "exports-staff-ready")
    response = page.request.get(live_server + link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/zip"
    screenshot(page, "exports-staff-ready", full_page=True)


def test_importing_a_record_from_a_previous_employer(
    app, live_server, phone, make_user, make_client, other_org
):
    before = make_user("practitioner", name="Amara Okafor")
    old_job = make_client(before)
    make_entry(old_job, title="Court skills course")
    archive = run_job(app, old_job, old_job.api("POST", "/api/v1/record/export"))

    after = make_user("practitioner", organisation=other_org, name="Amara Okafor")
    page = phone.new_page()
    log_in(page, live_server, after, PASSWORD)
    page.goto(live_server + "/app/exports")
    page.get_by_label("Record file (ZIP) from your previous logbook").set_input_files(
        files=[{"name": "record.zip", "mimeType": "application/zip", "buffer": archive}]
    )
    page.get_by_role("button", name="Import this record").click()
    page.locator("#import-status").get_by_text(
        "Imported from Northshire Test: 1 entry, 0 sign-offs"
    ).wait_for(timeout=20_000)
    check_accessible(page, "exports-imported")
