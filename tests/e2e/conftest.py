"""Browser tests: the real Flask server in a thread, driven by Debian's Chromium through Playwright.
The helpers (logging in, axe-core, screenshots, waits) are in tests/e2e/browser.py."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect, sync_playwright
from werkzeug.serving import make_server

from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, PHONE

# expect() waits for a state as long as a locator's wait_for does (30 s), not its own 5 s: under CI's
# load (two suites side by side on two cores) a sync that brings the state can take longer than 5 s.
expect.set_options(timeout=30_000)


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served over HTTP on a free local port for the duration of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()  # the listening socket, or the garbage collector closes it with a ResourceWarning


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium (installed by `make test`; a missing browser fails, never skips)."""
    assert CHROMIUM.exists(), (
        "Debian's chromium is missing: run `make system-deps` (apt-get install chromium)"
    )
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh phone-sized browser profile (390 by 844, touch)."""
    context = browser.new_context(**PHONE)
    yield context
    context.close()
