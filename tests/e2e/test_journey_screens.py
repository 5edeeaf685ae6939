"""Issue #20 on a 360 by 740 phone: Home's "returned with comments" link lands on a list of exactly the
returned entry; the logbook's status filters are never clipped; the account screens reached from
Settings (password, notifications, registrations, calendar feed) work end to end. Every screen is
checked with axe-core and saved at 360x740 and 1280x800 under build/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from logbook.accounts.links import SupervisionLink
from tests.e2e.browser import PHONE, check_accessible, log_in, sync_status, wait_for_service_worker
from tests.factories import PASSWORD, persist

pytestmark = pytest.mark.browser

SMALL = {**PHONE, "viewport": {"width": 360, "height": 740}}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "en-GB", "timezone_id": "Europe/London"}
NEW_PASSWORD = "Kettle-Orbit-Lantern-42"


@pytest.fixture
def small_phone(browser):
    context = browser.new_context(**SMALL)
    yield context
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(**DESKTOP)
    yield context
    context.close()


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"


def both_sizes(page, desk, base: str, user, path: str, heading: str, name: str) -> None:
    """axe and a screenshot of the phone page as it is, then the same screen at 1280 by 800."""
    no_sideways_scroll(page)
    check_accessible(page, f"{name}-360")
    d = desk.new_page()
    if not getattr(desk, "logged_in", False):
        log_in(d, base, user, PASSWORD)
        desk.logged_in = True
    d.goto(base + path)
    d.get_by_role("heading", name=heading, exact=True).wait_for()
    check_accessible(d, f"{name}-1280")
    d.close()


def _entry(api, title: str, days_ago: int, status: str = "recorded") -> dict:
    made = api.api(
        "POST",
        "/api/v1/entries",
        json={
            "kind": "study_day",
            "title": title,
            "start_date": (dt.date.today() - dt.timedelta(days=days_ago)).isoformat(),  # noqa: DTZ011
            "hours": 3,
            "visibility": "supervisors",
            "status": status,
        },
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def _ask_and_decide(api, boss, entry: dict, decision: str | None, comment: str = "") -> None:
    asked = api.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-off-requests",
        json={"entry_version": entry["version"], "supervisor_id": boss.user_id},
    )
    assert asked.status_code == 201, asked.get_json()
    if decision is None:
        return
    queued = next(
        q for q in boss.get("/api/v1/sign-off-requests").get_json()["items"] if q["entry_id"] == entry["id"]
    )
    decided = boss.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": queued["entry_version"],
            "content_sha256": queued["content_sha256"],
            "decision": decision,
            "comment": comment,
        },
    )
    assert decided.status_code == 201, decided.get_json()


def test_returned_link_on_home_lists_exactly_the_returned_entry(
    app, live_server, small_phone, desktop, make_user, make_client
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
    api = make_client(practitioner)
    boss = make_client(supervisor)
    boss.user_id = str(supervisor.id)
    _entry(api, "Neglect toolkit refresher", 9)  # recorded
    _entry(api, "Half-written reflection on court skills", 1, status="draft")
    _ask_and_decide(api, boss, _entry(api, "Signs of Safety mapping day", 8), "approved")
    _ask_and_decide(
        api,
        boss,
        _entry(api, "Contextual safeguarding study day", 7),
        "returned",
        "Say how you will use it with the team.",
    )
    _ask_and_decide(api, boss, _entry(api, "Direct work with children", 6), None)

    page = small_phone.new_page()
    log_in(page, live_server, practitioner, PASSWORD)
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    page.get_by_text("1 returned with comments.").wait_for(timeout=10_000)
    check_accessible(page, "journey-home-360")
    page.locator("#returned-link").click()

    page.get_by_role("heading", name="Logbook").wait_for()
    rows = page.locator("#entry-list .entry-title")
    rows.first.wait_for()
    expect(rows).to_have_text(["Contextual safeguarding study day"])  # waits for the state, not a snapshot
    assert page.locator("#status-filter").input_value() == "returned"
    assert "status=returned" in page.url
    page.locator("#result-count").get_by_text("1 entry · returned").wait_for()
    page.locator(".entry-comment").get_by_text("Say how you will use it with the team.").wait_for()
    check_accessible(page, "journey-logbook-returned-360")

    # each status shows its own, and the label of every option fits its box at 360 px
    for status, title in (
        ("submitted", "Direct work with children"),
        ("signed_off", "Signs of Safety mapping day"),
        ("draft", "Half-written reflection on court skills"),
    ):
        page.locator("#status-filter").select_option(status)
        page.locator("#entry-list .entry-title").get_by_text(title).wait_for()
        expect(rows).to_have_text([title])  # waits for the state, not a snapshot
    page.locator("#status-filter").select_option("submitted")
    fits = page.evaluate(
        """() => {
            const s = document.getElementById('status-filter');
            const cs = getComputedStyle(s);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
            const widest = Math.max(...[...s.options].map((o) => ctx.measureText(o.text).width));
            const room = s.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight) - 16;
            return [widest, room];
        }"""
    )
    assert fits[0] <= fits[1], f"an option is clipped: {fits}"
    both_sizes(
        page,
        desktop,
        live_server,
        practitioner,
        "/app/logbook?status=submitted",
        "Logbook",
        "journey-logbook-awaiting",
    )

    # offline, the filter works from the entries on the phone
    wait_for_service_worker(page)
    small_phone.set_offline(True)
    page.goto(live_server + "/app/logbook?status=returned")
    page.locator("#entry-list .entry-title").first.wait_for()
    expect(rows).to_have_text(["Contextual safeguarding study day"])  # waits for the state, not a snapshot
    page.locator(".entry-comment").get_by_text("Say how you will use it").wait_for()
    small_phone.set_offline(False)

    # the awaiting link on Home opens the awaiting list too
    page.goto(live_server + "/")
    page.locator("#awaiting-link").click()
    page.locator("#entry-list .entry-title").get_by_text("Direct work with children").wait_for()
    expect(rows).to_have_text(["Direct work with children"])  # waits for the state, not a snapshot


def test_account_screens_from_settings(app, live_server, small_phone, desktop, make_user, make_client):
    person = make_user("practitioner", name="Megan Lloyd")
    other_device = make_client(person)
    assert other_device.get("/api/v1/me").status_code == 200
    page = small_phone.new_page()
    log_in(page, live_server, person, PASSWORD)
    page.locator("#tabbar").get_by_role("link", name="Settings", exact=True).click()
    page.get_by_role("heading", name="Settings").wait_for()
    no_sideways_scroll(page)
    check_accessible(page, "journey-settings-360")

    # registrations: add one, then change its renewal date
    page.locator("#settings-registrations").click()
    page.get_by_role("heading", name="Registrations", exact=True).wait_for()
    page.get_by_role("button", name="Add a registration").click()
    page.get_by_label("Registered with").select_option("HCPC")
    page.get_by_label("Profession").fill("Speech and language therapist")
    page.get_by_label("Registration number").fill("SL33817")
    page.get_by_label("Renewal date").fill("2027-09-30")
    check_accessible(page, "journey-registration-form-360", from_top=False)
    page.get_by_role("button", name="Add registration").click()
    page.locator("#registrations-flash").get_by_text("Saved:").wait_for()
    page.get_by_role("button", name="Edit HCPC Speech and language therapist").click()
    page.get_by_label("Renewal date").fill("2029-09-30")
    page.get_by_role("button", name="Save changes").click()
    page.locator("#registration-list").get_by_text("2029").wait_for()
    [reg] = other_device.get("/api/v1/me/registrations").get_json()
    assert (reg["regulator"], reg["registration_number"], reg["renewal_date"]) == (
        "HCPC",
        "SL33817",
        "2029-09-30",
    )
    both_sizes(
        page,
        desktop,
        live_server,
        person,
        "/app/settings/registrations",
        "Registrations",
        "journey-registrations",
    )

    # offline: the saved list, and a plain "needs a connection" instead of a form
    wait_for_service_worker(page)
    small_phone.set_offline(True)
    page.goto(live_server + "/app/settings/registrations")
    page.locator("#registration-list").get_by_text("SL33817").wait_for()
    page.get_by_text("Saved copy: you are offline.").wait_for()
    page.get_by_role("button", name="Add a registration").click()
    page.locator("#registrations-flash").get_by_text("This needs a connection").wait_for()
    assert page.locator("#registration-form").count() == 0
    check_accessible(page, "journey-registrations-offline-360")
    small_phone.set_offline(False)

    # notification preferences: stop emails when an entry is returned; 7 days' notice of supervision
    page.goto(live_server + "/app/settings/notifications")
    page.get_by_role("heading", name="Notifications", exact=True).wait_for()
    page.locator("#pref-sign_off_returned-email").uncheck()
    page.locator("#pref-supervision_due-lead").fill("7")
    page.get_by_role("button", name="Save").click()
    page.locator("#prefs-status").get_by_text("Saved.").wait_for()
    prefs = {p["kind"]: p for p in other_device.get("/api/v1/notifications/preferences").get_json()["items"]}
    assert prefs["sign_off_returned"]["is_email"] is False
    assert prefs["sign_off_returned"]["is_in_app"] is True
    assert prefs["supervision_due"]["lead_days"] == 7
    both_sizes(
        page,
        desktop,
        live_server,
        person,
        "/app/settings/notifications",
        "Notifications",
        "journey-notifications",
    )

    # calendar feed: a link to copy and a webcal: one; it serves a calendar; a new one stops it
    page.goto(live_server + "/app/settings/calendar")
    page.get_by_role("heading", name="Calendar feed").wait_for()
    page.get_by_role("button", name="Make my calendar link").click()
    url = page.locator("#calendar-url").input_value()
    assert url.endswith(".ics")
    assert page.locator("#calendar-webcal").get_attribute("href") == "webcal:" + url.split(":", 1)[1]
    feed_path = url.split("127.0.0.1", 1)[1].split("/", 1)[1]
    assert other_device.get("/" + feed_path).status_code == 200
    both_sizes(
        page, desktop, live_server, person, "/app/settings/calendar", "Calendar feed", "journey-calendar"
    )
    page.get_by_role("button", name="Stop every calendar link").click()
    page.locator("#calendar-status").get_by_text("stopped working").wait_for()
    assert other_device.get("/" + feed_path).status_code == 404

    # password: a wrong current one is named; the right one changes it and ends the other session
    page.goto(live_server + "/app/settings/password")
    page.get_by_role("heading", name="Password", exact=True).wait_for()
    page.get_by_text("logs you out everywhere else").wait_for()
    both_sizes(page, desktop, live_server, person, "/app/settings/password", "Password", "journey-password")
    page.get_by_label("Current password").fill("not my password at all")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.get_by_text("Your current password is not right.").wait_for()
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Change password").click()
    page.locator("#password-done").wait_for()
    check_accessible(page, "journey-password-done-360")
    assert other_device.get("/api/v1/me").status_code == 401  # the other device is logged out
    assert make_client().login(person.email, NEW_PASSWORD).status_code == 200
    # this phone carries on with its fresh session
    page.goto(live_server + "/app/settings/registrations")
    page.locator("#registration-list").get_by_text("SL33817").wait_for()
