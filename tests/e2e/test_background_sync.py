"""Background Sync with no page open: the service worker pushes the outbox itself (same store,
outbox and sync engine modules as the page), and an open page is only woken, never bypassed."""

import threading
import time

import pytest
from flask import request, request_finished

from tests.e2e.browser import log_in, quick_log, sync_status, wait_for_service_worker
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _dispatch_sync(phone, origin: str) -> None:
    """Fire the service worker's `sync` event as Chromium does when the network returns, from a
    page outside the app (about:blank is not one of the worker's clients)."""
    blank = phone.new_page()
    cdp = phone.new_cdp_session(blank)
    found = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda e: found.extend(e["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not any(r["scopeURL"].startswith(origin) and not r["isDeleted"] for r in found):
        assert time.monotonic() < deadline, f"no service worker registration seen: {found}"
        blank.wait_for_timeout(100)
    registration = next(r for r in found if r["scopeURL"].startswith(origin) and not r["isDeleted"])
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {
            "origin": origin,
            "registrationId": registration["registrationId"],
            "tag": "logbook-sync",
            "lastChance": False,
        },
    )
    blank.close()


def _titles(api):
    return [e["title"] for e in api.get("/api/v1/entries").get_json()["items"]]


def test_service_worker_pushes_the_outbox_when_no_page_is_open(
    app, live_server, phone, make_user, make_client
):
    user = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    wait_for_service_worker(page)
    sync_status(page).get_by_text("All synced").wait_for()
    phone.set_offline(True)
    quick_log(page, "Written on the bus")
    sync_status(page).get_by_text("Offline · 1 change waiting").wait_for()
    page.close()  # the app is closed: no page can sync

    api = make_client(user)
    assert _titles(api) == []  # nothing reached the server while the phone was offline
    # Chromium may fire the registered sync itself as the network returns; otherwise fire it as it
    # would. Either way no page is open: only the service worker can push. Wait for the server to
    # have answered its push (committed), not for a time.
    pushed = threading.Event()

    def _answered(_sender, response, **_extra) -> None:
        if request.path == "/api/v1/sync/push" and response.status_code == 200:
            pushed.set()

    with request_finished.connected_to(_answered, app):
        phone.set_offline(False)
        _dispatch_sync(phone, live_server)
        assert pushed.wait(timeout=20), "the service worker did not push the outbox"
    assert _titles(api) == ["Written on the bus"]

    # Opening the app finds the outbox empty and the record synced (nothing is sent twice).
    page = phone.new_page()
    page.goto(live_server + "/")
    page.get_by_role("heading", name="Hello, Amara Okafor").wait_for()
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    assert (
        page.evaluate(
            """() => new Promise((resolve) => { const r = indexedDB.open('cpd-logbook');
             r.onsuccess = () => { const q = r.result.transaction('outbox').objectStore('outbox').count();
               q.onsuccess = () => { resolve(q.result); r.result.close(); }; }; })"""
        )
        == 0
    )
    assert _titles(api) == ["Written on the bus"]
    log = page.evaluate(
        """() => new Promise((resolve) => { const r = indexedDB.open('cpd-logbook');
             r.onsuccess = () => { const q = r.result.transaction('synclog').objectStore('synclog').getAll();
               q.onsuccess = () => { resolve(q.result.map((l) => l.message)); r.result.close(); }; }; })"""
    )
    assert any("(background)" in line and "Sent 1 change" in line for line in log), log


def test_classic_worker_for_browsers_without_module_workers(live_server, phone):
    """/sw-classic.js is the same worker without the import (it parses as a classic script)."""
    page = phone.new_page()
    page.goto(live_server + "/app/login")
    body = page.request.get(live_server + "/sw-classic.js").text()
    assert "import " not in body.split("// Service worker")[0] + "".join(
        line for line in body.splitlines() if line.startswith("import ")
    )
    assert "self.addEventListener('sync'" in body
    module = page.request.get(live_server + "/sw.js").text()
    assert module.splitlines()[-1] == body.splitlines()[-1]  # same assets version
