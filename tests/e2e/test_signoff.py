"""A supervisor signs an entry off on a phone with no signal; back online, the practitioner sees it
signed."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.browser import PHONE, check_accessible, log_in, sync_status, tab, wait_for_service_worker
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def supervisor_phone(browser):
    """The supervisor's phone."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def _study_day_on_phone(live_server, phone, practitioner, api, title: str, **extra) -> tuple[dict, object]:
    """A study day logged from another device, and the practitioner's phone open on it, synced."""
    entry = api.api(
        "POST",
        "/api/v1/entries",
        json={
            "kind": "study_day",
            "title": title,
            "start_date": (dt.date.today() - dt.timedelta(days=3)).isoformat(),  # noqa: DTZ011
            "hours": 6,
            "visibility": "supervisors",
            **extra,
        },
    ).get_json()
    p = phone.new_page()
    log_in(p, live_server, practitioner, PASSWORD)
    sync_status(p).get_by_text("All synced").wait_for(timeout=20_000)
    tab(p, "Logbook")
    p.get_by_role("link", name=title).click()
    return entry, p


def test_supervisor_signs_off_offline_and_the_practitioner_sees_it_signed(
    app, live_server, phone, supervisor_phone, make_user, make_client
):
    practitioner = make_user("practitioner", name="Amara Okafor")
    supervisor = make_user("practitioner", "supervisor", name="Priya Shah")
    factories.supervise(app, supervisor, practitioner, kind="line")
    api = make_client(practitioner)
    entry, p = _study_day_on_phone(
        live_server,
        phone,
        practitioner,
        api,
        "Contextual safeguarding study day",
        description="Peer group mapping and location assessments.",
    )
    p.get_by_role("button", name="Request sign-off").click()
    p.get_by_role("radio", name=f"{supervisor.name} (line supervisor)").check()
    p.get_by_role("button", name="Send request").click()
    p.get_by_text("Sign-off requested").wait_for()
    p.locator(".entry-badges").get_by_text("Awaiting sign-off").wait_for()

    s = supervisor_phone.new_page()
    log_in(s, live_server, supervisor, PASSWORD)
    sync_status(s).get_by_text("All synced").wait_for(timeout=20_000)
    tab(s, "Sign-offs")
    s.get_by_role("link", name="Contextual safeguarding study day").wait_for()
    s.locator("#signoff-queue").get_by_text(f"From {practitioner.name}").wait_for()  # whose entry it is
    check_accessible(s, "signoff-queue")

    supervisor_phone.set_offline(True)
    s.get_by_role("link", name="Contextual safeguarding study day").click()
    s.get_by_role("heading", name="Contextual safeguarding study day").wait_for()
    s.get_by_label("Comment").fill("Good use of the location assessment. Signed.")
    check_accessible(s, "signoff-decision")
    s.get_by_role("button", name="Sign off").click()
    s.get_by_text("Signed off on this phone: waiting to send").wait_for()
    sync_status(s).get_by_text("Offline · 1 change waiting").wait_for()
    assert api.get(f"/api/v1/entries/{entry['id']}").get_json()["status"] == "submitted"

    supervisor_phone.set_offline(False)
    sync_status(s).get_by_text("All synced").wait_for(timeout=20_000)
    assert api.get(f"/api/v1/entries/{entry['id']}").get_json()["status"] == "signed_off"

    p.reload()  # the practitioner opens the app again
    p.locator(".entry-badges").get_by_text("Signed off").wait_for(timeout=20_000)
    p.get_by_text("Signed off by your supervisor").wait_for()
    check_accessible(p, "entry-signed-off")


def test_practitioner_asks_for_sign_off_offline_and_the_request_reaches_the_queue(
    app, live_server, phone, make_user, make_client
):
    practitioner = make_user("practitioner", name="Amara Okafor")
    supervisor = make_user("practitioner", "supervisor", name="Priya Shah")
    factories.supervise(app, supervisor, practitioner, kind="clinical")
    api = make_client(practitioner)
    entry = api.api(
        "POST",
        "/api/v1/entries",
        json={
            "kind": "course",
            "title": "Trauma-informed practice course",
            "description": "Two days on regulation and relationships.",
            "start_date": (dt.date.today() - dt.timedelta(days=5)).isoformat(),  # noqa: DTZ011
            "hours": 12,
            "visibility": "supervisors",
        },
    ).get_json()
    p = phone.new_page()
    log_in(p, live_server, practitioner, PASSWORD)
    wait_for_service_worker(p)  # the offline reload below needs the shell precached
    sync_status(p).get_by_text("All synced").wait_for(timeout=20_000)
    tab(p, "Logbook")
    p.get_by_role("link", name="Trauma-informed practice course").click()
    p.get_by_role("button", name="Request sign-off").wait_for()  # the phone now knows whom it may ask

    phone.set_offline(True)
    p.reload()  # served from the service worker's cache
    p.get_by_role("button", name="Request sign-off").click()
    p.get_by_role("radio", name="Priya Shah (clinical supervisor)").wait_for()
    p.get_by_role("radio", name="Someone else, by email (no account needed)").check()
    p.get_by_label("Their name").wait_for()  # an external signer's details appear
    check_accessible(p, "signoff-request-form", from_top=False)
    p.get_by_role("radio", name="Priya Shah (clinical supervisor)").check()
    p.get_by_label("Message (optional)").fill("For my clinical supervision file")
    p.get_by_role("button", name="Send request").click()
    p.locator("#signoff-request-state").get_by_text("saved on this phone").wait_for()
    sync_status(p).get_by_text("Offline · 1 change waiting").wait_for()
    assert api.get(f"/api/v1/entries/{entry['id']}").get_json()["status"] == "recorded"
    assert not p.get_by_role("button", name="Request sign-off").is_visible()  # one request at a time

    phone.set_offline(False)
    sync_status(p).get_by_text("All synced").wait_for(timeout=20_000)
    boss = make_client(supervisor)
    [queued] = boss.get("/api/v1/sign-off-requests").get_json()["items"]
    assert queued["entry_id"] == entry["id"]
    assert queued["message"] == "For my clinical supervision file"
    # The request's state came back with the pull: the phone shows whom it waits for.
    p.locator("#signoff-request-state").get_by_text("Waiting for Priya Shah").wait_for(timeout=20_000)
    p.locator(".entry-badges").get_by_text("Awaiting sign-off").wait_for()
    check_accessible(p, "signoff-request-waiting")

    # Returned with a comment: seen on the phone, and it can be asked again.
    decided = boss.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": queued["entry_version"],
            "content_sha256": queued["content_sha256"],
            "decision": "returned",
            "comment": "Say how you will use it with the Smith family's worker.",
        },
    )
    assert decided.status_code == 201
    p.reload()
    p.locator("#signoff-request-state").get_by_text("Say how you will use it").wait_for(timeout=20_000)
    p.get_by_role("button", name="Request sign-off").wait_for()


def test_an_open_request_form_keeps_what_was_typed_when_a_sync_redraws_the_entry(
    app, live_server, phone, make_user, make_client
):
    """A sync that brings a newer version of the entry draws its screen again. It used to close the
    sign-off request form the practitioner had open and drop what they had typed (and two sync events
    in quick succession drew it twice, closing a form opened in between)."""
    practitioner = make_user("practitioner", name="Amara Okafor")
    supervisor = make_user("practitioner", "supervisor", name="Priya Shah")
    factories.supervise(app, supervisor, practitioner, kind="line")
    api = make_client(practitioner)
    entry, p = _study_day_on_phone(live_server, phone, practitioner, api, "Court skills study day")
    p.get_by_role("button", name="Request sign-off").click()
    p.get_by_role("radio", name="Someone else, by email (no account needed)").check()
    p.get_by_label("Their name").fill("Dr Sam Lee")
    p.get_by_label("Message (optional)").fill("For my registration file")

    # Another device changes the entry; this phone pulls it when it next syncs.
    edited = api.api(
        "PATCH", f"/api/v1/entries/{entry['id']}", json={"base_version": entry["version"], "hours": 7}
    )
    assert edited.status_code == 200, edited.get_json()
    phone.set_offline(True)
    expect(sync_status(p)).to_have_text("Offline")
    phone.set_offline(False)
    p.get_by_text("7 h").first.wait_for(timeout=20_000)  # the screen shows the new version

    expect(p.get_by_role("radio", name="Someone else, by email (no account needed)")).to_be_checked()
    expect(p.get_by_label("Their name")).to_have_value("Dr Sam Lee")
    expect(p.get_by_label("Message (optional)")).to_have_value("For my registration file")
    expect(p.get_by_role("button", name="Request sign-off")).to_be_hidden()
    p.get_by_label("Their email").fill("sam.lee@example.org")
    p.get_by_role("button", name="Send request").click()
    p.get_by_text("Sign-off requested from Dr Sam Lee").wait_for(timeout=20_000)
