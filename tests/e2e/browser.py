"""The browser tests' helpers: the phone's profile and Chromium's flags, screenshots, the axe-core
check, logging in through the form, waiting for a state (never a time), and the tab bar. The fixtures
(live server, browser, phone) are in tests/e2e/conftest.py."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# LOGBOOK_SCREENSHOTS: another folder (CI runs the SQLite and PostgreSQL suites side by side).
SCREENSHOTS = Path(
    os.environ.get("LOGBOOK_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "build" / "screenshots"
)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "en-GB",  # the service is English: dates read 25/11/2026, as staff see them
    "timezone_id": "Europe/London",
}
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def screenshot(page, name: str, *, full_page: bool = False, from_top: bool = True) -> Path:
    """Save a phone-size screenshot (390 by 844, what the phone shows) under build/screenshots."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if from_top:
        page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=full_page)
    return path


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def check_accessible(page, name: str, *, from_top: bool = True) -> None:
    """axe-core (WCAG 2.2 A/AA and best practices) finds nothing on this screen; save a screenshot."""
    screenshot(page, name, from_top=from_top)
    assert AXE.exists(), "run `npm ci` (make test does): axe-core is a test dependency"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # evaluated through the DevTools protocol: the app's CSP (no inline script) stays on
        page.evaluate("(src) => { (0, eval)(src); return typeof axe; }", AXE.read_text(encoding="utf-8"))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    assert violations == [], f"{name}: {violations}"


def log_in(page, base: str, user, password: str) -> None:
    """Open the app and log in through the form."""
    page.goto(base + "/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name=f"Hello, {user.name}").wait_for()


def wait_until(page, expression: str, timeout: float = 15) -> None:
    """Wait in the page until a JavaScript expression (awaited when it is a promise) is truthy, checked
    again at every animation frame. The app's CSP forbids the eval that page.wait_for_function polls
    with (this runs through the DevTools protocol, which the CSP does not govern), and
    wait_for_function would take a promise itself for a truthy answer."""
    met = page.evaluate(
        f"""async (timeout) => {{
            const deadline = performance.now() + timeout;
            for (;;) {{
                if (await ({expression})) return true;
                if (performance.now() > deadline) return false;
                await new Promise((next) => requestAnimationFrame(() => next()));
            }}
        }}""",
        timeout * 1000,
    )
    assert met, f"timed out waiting for {expression}"


def wait_for_service_worker(page) -> None:
    """The service worker controls the page (so the shell is precached): its `controllerchange`."""
    met = page.evaluate(
        """() => navigator.serviceWorker.controller !== null || new Promise((resolve) => {
            navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true), { once: true });
            setTimeout(() => resolve(navigator.serviceWorker.controller !== null), 15000);
        })"""
    )
    assert met, "no service worker took control of the page"


def sync_status(page):
    """The header's sync status locator."""
    return page.locator("#sync-status")


def quick_log(page, title: str, hours: str = "1.5", kind: str | None = None) -> None:
    """Log an entry through the quick-log screen (fast path)."""
    page.locator("#tabbar").get_by_role("link", name="Log CPD").click()
    page.get_by_role("heading", name="Log CPD").wait_for()
    if kind:
        page.get_by_label("What kind of CPD?").select_option(kind)
    page.get_by_label("Hours").fill(hours)
    page.get_by_label("Title").fill(title)
    page.get_by_role("button", name="Save entry").click()
    page.get_by_role("heading", name=title).wait_for()


def tab(page, name: str) -> None:
    """Go to a screen with the bottom tab bar."""
    page.locator("#tabbar").get_by_role("link", name=name, exact=True).click()
