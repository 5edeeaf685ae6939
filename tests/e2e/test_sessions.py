"""Supervision sessions on the phone: a practitioner records a session with an action while offline; back
online it reaches the server and the supervisor's phone; the supervisor signs the record off."""

import datetime as dt

import pytest

from logbook.accounts.links import SupervisionLink
from tests.e2e.browser import PHONE, check_accessible, log_in, sync_status, tab, wait_for_service_worker
from tests.factories import PASSWORD, persist

pytestmark = pytest.mark.browser


@pytest.fixture
def supervisor_phone(browser):
    """The supervisor's phone."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def test_session_recorded_offline_is_confirmed_and_signed_off(
    app, live_server, phone, supervisor_phone, make_user, make_client
):
    practitioner = make_user("practitioner", name="Amara Okafor")
    supervisor = make_user("practitioner", "supervisor", name="Priya Shah")
    persist(
        app,
        SupervisionLink(
            supervisor_id=supervisor.id,
            supervisee_id=practitioner.id,
            kind="line",
            starts_on=dt.date.today() - dt.timedelta(days=30),  # noqa: DTZ011
        ),
    )
    p = phone.new_page()
    log_in(p, live_server, practitioner, PASSWORD)
    wait_for_service_worker(p)  # the offline reload below needs the shell precached
    sync_status(p).get_by_text("All synced").wait_for(timeout=20_000)
    tab(p, "Logbook")
    p.get_by_role("link", name="Supervision sessions").click()
    p.get_by_role("heading", name="Supervision").wait_for()
    p.get_by_role("link", name="Record a session").click()
    p.get_by_label("With").wait_for()  # whom the phone may record a session with is now saved

    phone.set_offline(True)
    p.reload()  # served from the service worker's cache
    p.get_by_role("heading", name="Record a session").wait_for()
    p.get_by_label("Length in minutes").fill("60")
    p.get_by_role("radio", name="Individual").check()
    p.get_by_label("Agenda").fill("Caseload; ASYE portfolio")
    p.get_by_label("Shared summary").fill("Talked through the plan for a family on the edge of care.")
    p.get_by_role("button", name="Add an action").click()
    p.get_by_label("Action", exact=True).fill("Book the ASYE mid-point review")
    p.get_by_label("Due by (optional)").fill((dt.date.today() + dt.timedelta(days=14)).isoformat())  # noqa: DTZ011
    check_accessible(p, "session-new", from_top=False)
    p.get_by_role("button", name="Save session").click()
    p.get_by_role("heading", name="Supervision with Priya Shah").wait_for()
    p.locator("#session-state").get_by_text("Waiting to sync").wait_for()
    p.get_by_text("Book the ASYE mid-point review").wait_for()
    sync_status(p).get_by_text("Offline · 1 change waiting").wait_for()
    check_accessible(p, "session-offline")

    phone.set_offline(False)
    sync_status(p).get_by_text("All synced").wait_for(timeout=20_000)
    p.locator("#session-state").get_by_text("Synced").wait_for(timeout=20_000)
    boss = make_client(supervisor)
    [session] = boss.get("/api/v1/supervision/sessions").get_json()["items"]
    assert session["duration_minutes"] == 60
    assert [a["description"] for a in session["actions"]] == ["Book the ASYE mid-point review"]

    p.get_by_role("button", name="Confirm this record").click()
    p.get_by_role("button", name="Ask Priya Shah to sign off this record").wait_for(timeout=20_000)
    p.get_by_role("button", name="Ask Priya Shah to sign off this record").click()
    p.locator("#session-signoff").get_by_text("Waiting for Priya Shah").wait_for(timeout=20_000)
    p.locator("#session-state").get_by_text("Synced", exact=True).wait_for(timeout=20_000)  # server's copy

    s = supervisor_phone.new_page()
    log_in(s, live_server, supervisor, PASSWORD)
    sync_status(s).get_by_text("All synced").wait_for(timeout=20_000)
    tab(s, "Sign-offs")
    s.locator("#session-signoff-queue").get_by_role("link", name="Supervision with Amara Okafor").click()
    s.get_by_role("heading", name="Supervision with Amara Okafor").wait_for()
    s.locator("#confirmations").get_by_text("by Amara Okafor").wait_for()  # she confirmed it
    check_accessible(s, "session-signoff-decision")
    s.get_by_role("button", name="Sign off record").click()
    s.locator("#session-state").get_by_text("Waiting to sync").wait_for()  # shown at once, sent soon
    s.locator("#session-state").get_by_text("Synced", exact=True).wait_for(timeout=20_000)
    s.locator("#session-signoff").get_by_text("Signed off by Priya Shah").wait_for(timeout=20_000)
    [signed] = boss.get(f"/api/v1/supervision/sessions/{session['id']}/sign-offs").get_json()["items"]
    assert signed["decision"] == "approved"
    assert signed["verification"]["is_valid"] is True

    p.reload()
    p.locator("#session-signoff").get_by_text("Signed off by Priya Shah").wait_for(timeout=20_000)
    p.get_by_role("link", name="Back to supervision").click()
    p.locator("#session-list").get_by_text("with Priya Shah").wait_for()
    check_accessible(p, "session-list")
