"""A new version of the app waits until the user agrees, then replaces the old one and its cache."""

import pytest

from logbook import web
from tests.e2e.browser import check_accessible, log_in, wait_for_service_worker, wait_until
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_new_version_is_offered_then_activated_and_old_cache_removed(
    live_server, phone, make_user, monkeypatch
):
    user = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    wait_for_service_worker(page)
    old = web.asset_version()
    assert page.evaluate("caches.keys()").count(f"logbook-shell-{old}") == 1

    monkeypatch.setattr(web, "asset_version", lambda: "feedfacefeedface")  # a deploy changed an asset
    page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    page.get_by_text("A new version of the app is ready.").wait_for(timeout=15_000)
    # nothing switches under the user's feet: the old version still serves the page
    assert f"logbook-shell-{old}" in page.evaluate("caches.keys()")
    check_accessible(page, "update-available")
    with page.expect_navigation():
        page.get_by_role("button", name="Update now").click()
    page.get_by_role("heading", name="Hello, Amara Okafor").wait_for()
    wait_until(
        page,
        "caches.keys().then((keys) => keys.filter((n) => n.startsWith('logbook-shell-')))"
        ".then((shells) => shells.length === 1)",
    )
    assert "logbook-shell-feedfacefeedface" in page.evaluate("caches.keys()")
    assert page.locator("#update-banner").is_hidden()
