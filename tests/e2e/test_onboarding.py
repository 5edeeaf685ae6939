"""An organisation adopts the logbook without a developer (issue 21, "Done when"): from an empty
database with one org admin, the admin uploads a 50-person staff file (one row with errors, fixed
after the preview), assigns a supervisor, a new member of staff follows the emailed invitation, sets
a password, logs CPD and asks for sign-off, and the assigned supervisor sees it in their queue.
Every admin screen is looked at on a desktop (1280 by 800) and a phone (390 by 844) with axe-core."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import PHONE, check_accessible, log_in, quick_log, screenshot, sync_status, tab
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB", "timezone_id": "Europe/London"}
ROLES_CSV = (
    "job_role,service_area,profession,registration_framework\n"
    "Social Worker,social care,social worker,Social Work England\n"
    "Senior Practitioner,social care,social worker,Social Work England\n"
    "Family Support Worker,early help,family support worker,\n"
)
HEADER = "name,email,team,job_role,regulator,registration_number,renewal_date,supervisor_email\n"
NIA_BAD = "Nia Jones,nia.jones@,Assessment,Social Worker,SWE,SW12345,31/02/2027,\n"
NIA_FIXED = "Nia Jones,nia.jones@northshire.example,Assessment,Social Worker,SWE,SW12345,28/02/2027,\n"
CHOSEN = "Meadow-Kestrel-Pylon-77"


def staff_file(nia_row: str) -> str:
    """Fifty people: two supervisors, Nia on row 12, and 47 more supervised by Priya."""
    rows = [
        "Priya Shah,priya.shah@northshire.example,Assessment,Senior Practitioner,SWE,SW90001,2027-06-30,\n",
        "Tom Reed,tom.reed@northshire.example,Children in Care,Senior Practitioner,SWE,SW90002,2027-06-30,\n",
    ]
    for i in range(1, 48):
        team = "Assessment" if i % 2 else "Children in Care"
        if i % 5 == 0:
            rows.append(
                f"Helper {i:02d},helper{i:02d}@northshire.example,{team},Family Support Worker,,,,"
                "priya.shah@northshire.example\n"
            )
        else:
            rows.append(
                f"Worker {i:02d},worker{i:02d}@northshire.example,{team},Social Worker,SWE,"
                f"SW{10000 + i},2027-11-30,priya.shah@northshire.example\n"
            )
    rows.insert(10, nia_row)  # spreadsheet row 12 (after the header and ten people)
    assert len(rows) == 50
    return HEADER + "".join(rows)


def invitation_link(outbox, email: str) -> str:
    mail = next(m for m in outbox if m.to == email)
    return re.search(r"https?://[^/\s]+(/reset-password/\S+)", mail.body).group(1)


def look(page, name: str, focus=None) -> None:
    """axe-core and a screenshot at 1280 by 800, then at 390 by 844 (and with `focus` scrolled into
    view), then back."""
    check_accessible(page, f"{name}-desktop")
    screenshot(page, f"{name}-desktop-full", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    check_accessible(page, f"{name}-phone")
    if focus is not None:
        focus.scroll_into_view_if_needed()
        screenshot(page, f"{name}-phone-table", from_top=False)
    page.set_viewport_size({"width": 1280, "height": 800})


def test_an_organisation_onboards_its_staff_and_supervision_works(
    app, live_server, browser, make_user, make_client, tmp_path
):
    app.config["MAIL_URL"] = "memory://"
    outbox = app.extensions.setdefault("logbook.outbox", [])
    admin = make_user("org_admin", name="Helen Carter")
    # the organisation's job roles (the admin's job roles list: `logbook import-roles` or its API)
    roles = make_client(admin).api("POST", "/api/v1/admin/job-roles/import", json={"csv": ROLES_CSV})
    assert roles.status_code == 200, roles.get_json()

    desk = browser.new_context(**DESKTOP)
    page = desk.new_page()
    log_in(page, live_server, admin, PASSWORD)
    page.goto(live_server + "/app/admin/staff-import")
    page.get_by_role("heading", name="Staff onboarding").wait_for()

    # 1. the file with one bad row: the preview names the row and the columns, nothing is written
    bad = tmp_path / "staff.csv"
    bad.write_text(staff_file(NIA_BAD), encoding="utf-8")
    page.get_by_label("Staff file (CSV or XLSX)").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#preview-summary")).to_have_text(
        "49 people to add, 0 to update, 0 unchanged, 1 row with problems"
    )
    error_row = page.locator('#preview-table tr[data-row="12"]')
    expect(error_row).to_contain_text("Problem")
    expect(error_row).to_contain_text("email:")
    expect(error_row).to_contain_text("renewal_date:")
    expect(page.locator("#fix-rows")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Apply"))).to_have_count(0)
    look(page, "admin-staff-import-preview", focus=error_row)
    assert make_client(admin).get("/api/v1/admin/users").get_json().__len__() == 1

    # 2. fixed and uploaded again: 50 to add, applied, 50 invitations
    good = tmp_path / "staff-fixed.csv"
    good.write_text(staff_file(NIA_FIXED), encoding="utf-8")
    page.get_by_label("Staff file (CSV or XLSX)").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#preview-summary")).to_have_text(
        "50 people to add, 0 to update, 0 unchanged, 0 rows with problems"
    )
    page.get_by_role("button", name=re.compile("^Apply: 50 new people")).click()
    expect(page.locator("#applied-summary")).to_contain_text("50 invitations have been emailed")
    look(page, "admin-staff-import-applied")
    assert len(outbox) == 50

    # 3. assign Tom Reed as Nia's practice educator, with the agreement
    page.locator("#import-result").get_by_role("link", name="Supervisor assignments").click()
    page.get_by_role("heading", name="Supervisor assignments", level=1).wait_for()
    expect(page.locator("#as-count")).to_have_text("47 assignments")  # from the file, all Priya's
    page.get_by_label("Person", exact=True).select_option(label="Nia Jones (nia.jones@northshire.example)")
    page.get_by_label("Supervisor", exact=True).select_option(label="Tom Reed (tom.reed@northshire.example)")
    page.get_by_label("Role").select_option("practice_educator")
    page.get_by_label("Every … days (optional)").fill("28")
    page.get_by_label("Session length in minutes (optional)").fill("60")
    page.get_by_role("button", name="Assign supervisor").click()
    expect(page.locator("#assign-notice")).to_have_text(
        "Tom Reed now supervises Nia Jones (practice educator)."
    )
    page.get_by_label("Find a person").fill("Nia")
    row = page.locator("#assignments-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("every 28 days, 60 min")
    look(page, "admin-assignments", focus=row)
    # ending one keeps it as history
    page.get_by_label("Find a person").fill("Worker 01")
    page.get_by_role("button", name="End Priya Shah supervising Worker 01").click()
    page.get_by_role("button", name="End now").click()
    expect(page.locator("#assign-notice")).to_contain_text("Priya Shah no longer supervises Worker 01")
    page.get_by_label("Show").select_option("ended")
    expect(page.locator("#assignments-table tbody tr")).to_have_count(1)
    expect(page.locator("#assignments-table tbody tr")).to_contain_text("Ended")
    desk.close()

    # 4. Nia follows the invitation on her phone, sets a password, logs CPD and asks for sign-off
    phone = browser.new_context(**PHONE)
    p = phone.new_page()
    p.goto(live_server + invitation_link(outbox, "nia.jones@northshire.example"))
    p.get_by_role("heading", name="Choose a new password").wait_for()
    p.get_by_label("New password").fill(CHOSEN)
    p.get_by_label("The same password again").fill(CHOSEN)
    p.get_by_role("button", name="Set my new password").click()
    p.get_by_role("heading", name="Password changed").wait_for()
    nia = SimpleNamespace(email="nia.jones@northshire.example", name="Nia Jones")
    log_in(p, live_server, nia, CHOSEN)
    quick_log(p, "Direct work with families: graded care profile", hours="2")
    sync_status(p).get_by_text("All synced").wait_for(timeout=20_000)
    p.get_by_role("button", name="Request sign-off").click()
    p.get_by_role("radio", name=re.compile("^Tom Reed")).check()
    p.get_by_role("button", name="Send request").click()
    p.get_by_text("Sign-off requested").wait_for()
    # The request has reached the server (the pulled request says whom it waits for) before the phone
    # is put away: "Sign-off requested" is said as soon as it is queued on the phone.
    p.locator("#signoff-request-state").get_by_text("Waiting for Tom Reed").wait_for(timeout=20_000)
    phone.close()

    # 5. Tom follows his invitation, and Nia's entry is in his sign-off queue
    tom_phone = browser.new_context(**PHONE)
    s = tom_phone.new_page()
    s.goto(live_server + invitation_link(outbox, "tom.reed@northshire.example"))
    s.get_by_label("New password").fill(CHOSEN)
    s.get_by_label("The same password again").fill(CHOSEN)
    s.get_by_role("button", name="Set my new password").click()
    s.get_by_role("heading", name="Password changed").wait_for()
    log_in(s, live_server, SimpleNamespace(email="tom.reed@northshire.example", name="Tom Reed"), CHOSEN)
    sync_status(s).get_by_text("All synced").wait_for(timeout=20_000)
    tab(s, "Sign-offs")
    s.get_by_role("link", name="Direct work with families: graded care profile").wait_for()
    s.locator("#signoff-queue").get_by_text("From Nia Jones").wait_for()
    tom_phone.close()


def test_the_admin_screens_in_dark_mode_and_for_a_non_admin(
    app, live_server, browser, make_user, make_client
):
    admin = make_user("org_admin", name="Helen Carter")
    api = make_client(admin)
    assert api.api("POST", "/api/v1/admin/job-roles/import", json={"csv": ROLES_CSV}).status_code == 200
    applied = api.api("POST", "/api/v1/admin/staff-import/apply", data=staff_file(NIA_FIXED).encode())
    assert applied.status_code == 200, applied.get_json()
    context = browser.new_context(**DESKTOP, color_scheme="dark")
    page = context.new_page()
    log_in(page, live_server, admin, PASSWORD)
    page.goto(live_server + "/app/admin/assignments")
    expect(page.locator("#as-count")).to_have_text("47 assignments")
    check_accessible(page, "dark-admin-assignments")
    page.goto(live_server + "/app/admin/staff-import")
    page.get_by_label("Staff file (CSV or XLSX)").set_input_files(
        files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": staff_file(NIA_BAD).encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#preview-summary")).to_contain_text("1 row with problems")
    check_accessible(page, "dark-admin-staff-import")
    context.close()
    # a practitioner reaching the address sees a refusal, not the screen
    other = browser.new_context(**PHONE)
    p = other.new_page()
    log_in(p, live_server, make_user("practitioner", name="Amara Okafor"), PASSWORD)
    # (the admin area refuses every section alike, views/admin.js)
    p.goto(live_server + "/app/admin/staff-import")
    p.get_by_text("Only your organisation\u2019s admins can use this area.").wait_for()
    expect(p.locator("#check-file")).to_have_count(0)
    p.goto(live_server + "/app/admin/assignments")
    p.get_by_text("Only your organisation\u2019s admins can use this area.").wait_for()
    expect(p.locator("#assignments-table")).to_have_count(0)
    other.close()
