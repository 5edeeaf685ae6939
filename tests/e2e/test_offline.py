"""The offline story in a real browser: shell from the service worker, entries and photos kept in
IndexedDB across offline reloads and sent when the network returns, logout wiping the phone."""

import io

import pytest
from PIL import Image

from tests.e2e.browser import (
    check_accessible,
    log_in,
    quick_log,
    screenshot,
    sync_status,
    tab,
    wait_for_service_worker,
    wait_until,
)
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 110, 160)).save(out, format="JPEG")
    return out.getvalue()


def test_first_visit_online_then_reload_offline_from_the_service_worker(live_server, phone, make_user):
    user = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    page.goto(live_server + "/")
    page.get_by_role("heading", name="Log in").wait_for()
    check_accessible(page, "login")
    log_in(page, live_server, user, PASSWORD)
    wait_for_service_worker(page)
    sync_status(page).get_by_text("All synced").wait_for()
    check_accessible(page, "home")

    phone.set_offline(True)
    page.reload()
    page.get_by_role("heading", name="Hello, Amara Okafor").wait_for()
    sync_status(page).get_by_text("Offline").wait_for()
    screenshot(page, "home-offline")
    # a deep link works offline too: every screen is the same shell
    page.goto(live_server + "/app/logbook")
    page.get_by_role("heading", name="Logbook").wait_for()
    phone.set_offline(False)


def test_entry_with_photo_made_offline_survives_reload_and_reaches_the_server(
    live_server, phone, make_user, make_client
):
    user = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    wait_for_service_worker(page)
    sync_status(page).get_by_text("All synced").wait_for()

    phone.set_offline(True)
    tab(page, "Log CPD")
    page.get_by_role("heading", name="Log CPD").wait_for()
    page.get_by_label("Hours").fill("2")
    page.get_by_label("Title").fill("Signs of Safety refresher")
    page.get_by_text("Reflection, tags, evidence (optional)").click()
    page.get_by_label("What?", exact=True).fill("Mapping with a family: what are we worried about?")
    page.get_by_label("Experiential (doing, being there)").check()
    page.locator("#evidence-camera").set_input_files(
        {"name": "whiteboard.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    page.get_by_text("whiteboard.jpg").wait_for()
    check_accessible(page, "quick-log")
    page.get_by_role("button", name="Save entry").click()
    page.get_by_role("heading", name="Signs of Safety refresher").wait_for()
    sync_status(page).get_by_text("Offline · 1 change waiting").wait_for()
    page.get_by_role("img", name="whiteboard.jpg").wait_for()
    check_accessible(page, "entry-offline")

    page.reload()  # still offline: the shell, the entry and the photo come from the phone
    tab(page, "Logbook")
    page.get_by_role("link", name="Signs of Safety refresher").wait_for()
    page.locator("#entry-list").get_by_text("Waiting to sync").wait_for()
    assert page.get_by_role("button", name="Show more").is_hidden()  # one entry: nothing more to show
    check_accessible(page, "logbook")
    page.get_by_role("link", name="Signs of Safety refresher").click()
    page.get_by_role("img", name="whiteboard.jpg").wait_for()

    phone.set_offline(False)
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    page.locator("#record-state").get_by_text("Synced").wait_for()

    api = make_client(user)
    items = api.get("/api/v1/entries").get_json()["items"]
    assert [e["title"] for e in items] == ["Signs of Safety refresher"]
    entry = items[0]
    assert entry["hours"] == 2.0
    assert entry["reflection"]["answers"]["what"].startswith("Mapping with a family")
    assert entry["ways_of_knowing"] == ["experiential"]
    [evidence] = entry["evidence"]
    assert evidence["name"] == "whiteboard.jpg"
    download = api.get(f"/api/v1/evidence/{evidence['sha256']}")
    assert download.status_code == 200
    assert download.data[:2] == b"\xff\xd8"  # a JPEG


def test_logout_warns_about_unsent_work_then_wipes_the_phone(live_server, phone, make_user):
    user = make_user("practitioner", name="Amara Okafor")
    page = phone.new_page()
    log_in(page, live_server, user, PASSWORD)
    wait_for_service_worker(page)
    quick_log(page, "Sent before logging out")
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)

    phone.set_offline(True)
    quick_log(page, "Not sent yet")
    tab(page, "Settings")
    page.get_by_role("heading", name="Settings").wait_for()
    page.get_by_text("Sync log").wait_for()
    check_accessible(page, "settings")
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("1 change has not reached the server").wait_for()
    check_accessible(page, "settings-logout-warning")
    page.get_by_role("button", name="Log out and delete them").click()
    page.get_by_role("heading", name="Log in").wait_for()
    page.get_by_text("Nothing of yours is left on this phone").wait_for()
    left = page.evaluate(
        """async () => {
            const db = await new Promise((ok, no) => { const r = indexedDB.open('cpd-logbook');
                                                      r.onsuccess = () => ok(r.result); r.onerror = no; });
            const out = {};
            for (const name of db.objectStoreNames) {
                out[name] = await new Promise((ok) => {
                    const r = db.transaction(name).objectStore(name).count();
                    r.onsuccess = () => ok(r.result);
                });
            }
            db.close();
            return {stores: out, caches: await caches.keys(),
                    workers: (await navigator.serviceWorker.getRegistrations()).length};
        }"""
    )
    assert left["caches"] == []
    assert left["workers"] == 0
    assert set(left["stores"].values()) == {0}, left["stores"]
    phone.set_offline(False)
    # the next person logs in on the same page: the app installs itself again for offline use
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Hello, Amara Okafor").wait_for()
    wait_until(
        page, "navigator.serviceWorker.getRegistrations().then((r) => r.length === 1 && !!r[0].active)"
    )
    wait_until(page, "caches.keys().then((k) => k.some((n) => n.startsWith('logbook-shell-')))")
