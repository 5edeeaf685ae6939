"""A supervisor withdraws a sign-off on the phone: from "Signed off" under their Sign-offs queue to the
entry, "Withdraw sign-off", a reason; the practitioner's entry then shows who withdrew it and why.
Accessible (axe), looked at (screenshots at 390x844)."""

import uuid

import pytest

from logbook.accounts.models import User
from logbook.extensions import db
from tests.credentials.test_credentials import sign_an_entry
from tests.e2e.browser import PHONE, check_accessible, log_in, sync_status, tab
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
REASON = "Signed in error: the study day was cancelled."


@pytest.fixture
def supervisor_phone(browser):
    """The supervisor's phone."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()


def test_the_supervisor_withdraws_a_sign_off(
    app, live_server, phone, supervisor_phone, make_user, make_client, practitioner
):
    me, entry = sign_an_entry(app, make_user, make_client, practitioner)
    [sign_off] = me.get(f"/api/v1/entries/{entry['id']}/sign-offs").get_json()["items"]
    with app.app_context():
        boss = db.session.get(User, uuid.UUID(sign_off["signer_user_id"]))
        db.session.expunge(boss)

    s = supervisor_phone.new_page()
    log_in(s, live_server, boss, PASSWORD)
    sync_status(s).get_by_text("All synced").wait_for(timeout=20_000)
    tab(s, "Sign-offs")
    signed = s.locator("#signed-entries").get_by_role("link", name="Neglect toolkit study day")
    signed.scroll_into_view_if_needed()
    check_accessible(s, "withdraw-signoff-list", from_top=False)
    signed.click()
    s.get_by_role("heading", name="Neglect toolkit study day").wait_for()
    s.get_by_role("button", name="Withdraw sign-off").click()
    s.get_by_label("Why are you withdrawing it?").fill(REASON)
    check_accessible(s, "withdraw-signoff-form", from_top=False)
    s.locator("form.withdraw-signoff").get_by_role("button", name="Withdraw sign-off").click()
    s.get_by_text("Sign-off withdrawn.").wait_for()
    s.get_by_text(f"“{REASON}”").wait_for()
    check_accessible(s, "withdraw-signoff-done", from_top=False)
    assert me.get(f"/api/v1/entries/{entry['id']}").get_json()["status"] == "recorded"

    p = phone.new_page()
    log_in(p, live_server, practitioner, PASSWORD)
    sync_status(p).get_by_text("All synced").wait_for(timeout=20_000)
    p.goto(f"{live_server}/app/entry/{entry['id']}")
    p.get_by_text(f"“{REASON}”").wait_for(timeout=20_000)
    assert not p.get_by_role("button", name="Withdraw sign-off").count()
    assert not p.get_by_role("button", name="Download credential").count()
    p.get_by_text(f"“{REASON}”").scroll_into_view_if_needed()
    check_accessible(p, "withdraw-signoff-practitioner", from_top=False)
