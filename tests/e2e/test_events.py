"""The learning offer in the browser: a facilitator's phone shows the rotating check-in QR; an
attendee's phone (another browser context) opens the check-in link and sees the pre-filled entry,
online and, for a second attendee, offline (queued, sent when back online)."""

import re
from urllib.parse import parse_qs, urlparse

import pytest

from logbook.accounts.models import JobRole
from logbook.events.models import EventFacilitator
from logbook.timeutil import utcnow
from tests.e2e.browser import (
    PHONE,
    check_accessible,
    log_in,
    screenshot,
    sync_status,
    tab,
    wait_for_service_worker,
)
from tests.factories import PASSWORD, persist

pytestmark = pytest.mark.browser


@pytest.fixture
def attendee_phone(browser):
    """The attendee's phone."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def test_facilitator_shows_the_qr_and_an_attendee_checks_in(
    app, live_server, phone, attendee_phone, browser, org, make_user, make_client
):
    role = JobRole(
        organisation_id=org.id, name="Social worker", service_area="social_care", profession="social worker"
    )
    persist(app, role)
    facilitator = make_user("practitioner", name="Grace Mensah")
    persist(app, EventFacilitator(user_id=facilitator.id, organisation_id=org.id, granted_at=utcnow()))
    attendee = make_user("practitioner", name="Amara Okafor", job_role_id=role.id)
    second = make_user("practitioner", name="Tom Reid", job_role_id=role.id)
    event = (
        make_client(facilitator)
        .api(
            "POST",
            "/api/v1/events",
            json={
                "title": "Trauma-informed practice",
                "kind": "bite_size_workshop",
                "location": "Room 2, Civic Centre",
                "starts_at": utcnow().isoformat(),
                "duration_minutes": 90,
                "target_professions": ["social worker"],
                "common_core": ["1", "4"],
            },
        )
        .get_json()
    )

    # The facilitator's phone: the event, then the QR screen.
    fac = phone.new_page()
    log_in(fac, live_server, facilitator, PASSWORD)
    tab(fac, "Events")
    fac.get_by_role("heading", name="Events", exact=True).wait_for()
    fac.locator("#running-list").get_by_role("link", name="Trauma-informed practice").click()
    fac.get_by_role("heading", name="Trauma-informed practice").wait_for()
    check_accessible(fac, "events-facilitator-detail")
    fac.get_by_role("link", name="Show the check-in QR code").click()
    fac.get_by_role("heading", name="Check-in QR code").wait_for()
    fac.wait_for_function(
        "() => { const i = document.getElementById('qr'); return i && i.complete && i.naturalWidth > 0; }"
    )
    fac.get_by_text("New code in").wait_for()
    # The QR opens /app/checkin/<code> (the long code names the event); under it, a short code to type.
    code = parse_qs(urlparse(fac.locator("#qr").get_attribute("src")).query)["code"][0]
    assert code.startswith(event["id"].replace("-", ""))
    short = fac.locator("#qr-code-text").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}", short), short
    check_accessible(fac, "events-facilitator-qr")

    # The attendee's phone: the event is listed for them; the QR's link checks them in.
    p = attendee_phone.new_page()
    log_in(p, live_server, attendee, PASSWORD)
    tab(p, "Events")
    p.locator("#event-list").get_by_role("link", name="Trauma-informed practice").wait_for()
    check_accessible(p, "events-list")
    p.goto(f"{live_server}/app/checkin/{code}")
    p.locator("#checked-in").get_by_text("You are checked in to Trauma-informed practice").wait_for()
    card = p.locator("#prefilled")
    card.get_by_text("Bite-size workshop").wait_for()
    card.get_by_text("1.5 h").wait_for()
    check_accessible(p, "events-checked-in")
    p.get_by_role("link", name="Add your reflection").click()
    p.get_by_label("Title").wait_for()
    assert p.get_by_label("Title").input_value() == "Trauma-informed practice"
    screenshot(p, "events-entry-to-complete")
    # Scanning again: the same entry, not a second one.
    p.goto(f"{live_server}/app/checkin/{code}")
    p.get_by_text("You were already checked in to Trauma-informed practice").wait_for()
    # No signal: the events list still reads from the phone's saved copy.
    attendee_phone.set_offline(True)
    tab(p, "Events")
    p.get_by_text("Saved copy from").wait_for()
    p.locator("#event-list").get_by_role("link", name="Trauma-informed practice").get_by_text(
        "You checked in"
    ).wait_for()
    attendee_phone.set_offline(False)

    # A second attendee with no signal, who cannot scan: types the short code; the check-in waits on
    # the phone, then arrives.
    context = browser.new_context(**PHONE)
    try:
        q = context.new_page()
        log_in(q, live_server, second, PASSWORD)
        wait_for_service_worker(q)
        sync_status(q).get_by_text("All synced").wait_for(timeout=20_000)
        tab(q, "Events")
        q.get_by_role("heading", name="Events", exact=True).wait_for()
        context.set_offline(True)
        q.get_by_label("Check-in code").fill(short.lower().replace("-", " "))
        q.get_by_role("button", name="Check in with this code").click()
        q.locator("#queued").wait_for()
        check_accessible(q, "events-checkin-offline")
        context.set_offline(False)
        q.evaluate("window.dispatchEvent(new Event('online'))")
        q.locator("#prefilled").get_by_text("Bite-size workshop").wait_for(timeout=30_000)
    finally:
        context.close()
    with app.app_context():
        from logbook.entries.models import Entry
        from logbook.extensions import db

        for person in (attendee, second):
            assert db.session.query(Entry).filter_by(owner_id=person.id).count() == 1


def test_an_org_admin_publishes_an_event_from_the_phone(app, live_server, phone, make_user):
    admin = make_user("org_admin", name="Helen Carter")
    p = phone.new_page()
    log_in(p, live_server, admin, PASSWORD)
    tab(p, "Events")
    p.get_by_role("link", name="Publish an event").click()
    p.get_by_role("heading", name="Publish an event").wait_for()
    check_accessible(p, "events-publish-form")
    p.get_by_label("Title").fill("Working with fathers")
    p.get_by_label("Kind").select_option("team_study_day")
    p.get_by_label("Length in minutes").fill("120")
    p.get_by_label("Where").fill("Civic Centre")
    p.get_by_label("For which professions (optional)").fill("Social worker, health visitor")
    p.locator("input[name=common_core][value='3']").check()
    p.get_by_role("button", name="Publish").click()
    p.get_by_role("heading", name="Working with fathers").wait_for()
    p.get_by_text("health visitor, social worker").wait_for()
    p.get_by_text("2 h").wait_for()
    check_accessible(p, "events-published")
    # A bad length is named on the form, nothing published.
    tab(p, "Events")
    p.get_by_role("link", name="Publish an event").click()
    p.get_by_label("Title").fill("Too short")
    p.get_by_label("Length in minutes").fill("1")
    p.get_by_role("button", name="Publish").click()
    p.locator("[aria-invalid=true]").first.wait_for()
    assert p.get_by_label("Length in minutes").get_attribute("aria-invalid") == "true"
