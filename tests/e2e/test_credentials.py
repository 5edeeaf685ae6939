"""Credentials on the phone: "Download credential" on a signed-off entry and "Download as credentials"
(the CLR) on the Exports screen (Settings, Your record). Accessible (axe), looked at (screenshots)."""

import datetime as dt
from pathlib import Path

import pytest

from tests.credentials.test_credentials import past_entry, payload_of, sign_an_entry, swe_cycles
from tests.e2e.browser import check_accessible, log_in, screenshot
from tests.factories import PASSWORD, persist

pytestmark = pytest.mark.browser


def test_download_credentials_on_the_phone(app, live_server, phone, make_user, make_client, practitioner):
    _, entry = sign_an_entry(app, make_user, make_client, practitioner)
    page = phone.new_page()
    log_in(page, live_server, practitioner, PASSWORD)

    page.goto(f"{live_server}/app/entry/{entry['id']}")
    button = page.get_by_role("button", name="Download credential")
    button.wait_for(timeout=30_000)
    button.click()
    saved = page.locator("#credential-status").get_by_role("link", name=f"Save credential-{entry['id']}.jwt")
    saved.wait_for()
    check_accessible(page, "credential-entry", from_top=False)
    screenshot(page, "credential-entry", from_top=False)

    page.goto(live_server + "/app/settings")
    page.get_by_role("link", name="Open exports").click()
    page.get_by_role("heading", name="Your record as credentials").wait_for()
    page.get_by_role("button", name="Download as credentials").click()
    clr = page.locator("#clr-status").get_by_role("link", name="Save cpd-record-clr.jwt")
    clr.wait_for()
    check_accessible(page, "credential-clr", from_top=False)
    clr.scroll_into_view_if_needed()
    screenshot(page, "credential-clr", from_top=False)
    with page.expect_download() as download:
        clr.click()
    text = Path(download.value.path()).read_text(encoding="ascii")
    assert payload_of(text)["type"] == ["VerifiableCredential", "ClrCredential"]


def test_download_a_completed_cycle_on_the_phone(app, live_server, phone, make_client, practitioner):
    _, _, cycles = swe_cycles(app, make_client, practitioner)
    previous = next(c for c in cycles if c["which"] == "previous")
    starts = dt.date.fromisoformat(previous["starts_on"])
    persist(
        app,
        past_entry(practitioner, starts + dt.timedelta(days=10), "Court skills", ["4.1", "4.2"]),
        past_entry(
            practitioner, starts + dt.timedelta(days=90), "Trauma-informed practice", ["4.3"],
            includes_peer_reflection=True,
        ),
    )
    page = phone.new_page()
    log_in(page, live_server, practitioner, PASSWORD)
    page.goto(f"{live_server}/app/cycles")
    cycle = page.locator('li.cycle[data-which="previous"]')
    cycle.get_by_role("button", name="Download credential").click()
    saved = cycle.get_by_role("link", name=f"Save cycle-credential-{previous['starts_on']}.jwt")
    saved.wait_for()
    assert not page.locator('li.cycle[data-which="current"]').get_by_role("button").count()  # still running
    saved.scroll_into_view_if_needed()
    check_accessible(page, "credential-cycle", from_top=False)
    with page.expect_download() as download:
        saved.click()
    text = Path(download.value.path()).read_text(encoding="ascii")
    assert "registration cycle" in payload_of(text)["name"]
