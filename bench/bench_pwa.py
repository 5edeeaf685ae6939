"""PWA benchmarks (not tests): gzipped size of the app shell (HTML + JS + CSS); time to render the
logbook with 2,000 entries in headless Chromium (as is, and with the CPU slowed 4x like a cheap
phone); Lighthouse 12 mobile scores for the login page (installed on demand, pinned, under build/)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from logbook.accounts.models import Organisation, User
from logbook.app import create_app
from logbook.extensions import db
from tests.conftest import _PASSWORD_HASH, PASSWORD, ApiClient
from tests.e2e.conftest import CHROMIUM, LAUNCH_ARGS, PHONE

ROOT = Path(__file__).resolve().parents[1]
N_ENTRIES = 2_000
LIGHTHOUSE = "lighthouse@12.8.2"
TOOLS = ROOT / "build" / "bench-tools"
TODAY = dt.date.today()  # noqa: DTZ011
KINDS = ["study_day", "course", "bite_size_workshop", "team_study_day", "conference", "other"]


def shell_size(app) -> tuple[int, int, list[str]]:
    """Raw and gzipped bytes of everything the shell loads: HTML, every module, the stylesheet."""
    client = app.test_client()
    html = client.get("/").get_data()
    static = ROOT / "logbook" / "static"
    files = [*sorted((static / "app").rglob("*.js")), static / "css" / "app.css"]
    blobs = [html] + [f.read_bytes() for f in files]
    raw = sum(len(b) for b in blobs)
    zipped = sum(len(gzip.compress(b, compresslevel=6)) for b in blobs)
    return raw, zipped, [str(f.relative_to(ROOT)) for f in files]


def seed(app) -> str:
    """A practitioner with 2,000 entries on the server (pushed through sync, as a phone would)."""
    with app.app_context():
        upgrade()
        org = Organisation(name="Bench", slug="bench")
        db.session.add(org)
        db.session.flush()
        user = User(
            organisation_id=org.id,
            email="bench@bench.example",
            name="Bench Practitioner",
            password_hash=_PASSWORD_HASH,
            is_practitioner=True,
        )
        db.session.add(user)
        db.session.commit()
    app.test_client_class = ApiClient
    http: ApiClient = app.test_client()  # type: ignore[assignment]
    http.login("bench@bench.example", PASSWORD)
    client_id = uuid.uuid4().hex
    for batch in range(N_ENTRIES // 500):
        mutations = [
            {
                "mutation_id": batch * 500 + i + 1,
                "entity": "entry",
                "id": str(uuid.uuid4()),
                "op": "create",
                "fields": {
                    "kind": KINDS[i % len(KINDS)],
                    "title": f"Entry {batch * 500 + i}: contextual safeguarding and exploitation",
                    "start_date": (TODAY - dt.timedelta(days=(batch * 500 + i) % 700)).isoformat(),
                    "hours": 1.5,
                    "description": "Notes on the session and what I will do differently. " * 3,
                    "visibility": "supervisors",
                },
            }
            for i in range(500)
        ]
        response = http.api(
            "POST", "/api/v1/sync/push", json={"client_id": client_id, "mutations": mutations}
        )
        if response.status_code != 200:
            raise SystemExit(f"seeding failed: {response.get_data(as_text=True)[:300]}")
    return "bench@bench.example"


def render_times(base: str, email: str) -> dict[str, list[float]]:
    """Milliseconds from opening the Logbook tab to the list on screen, 7 runs, at 1x and 4x CPU."""
    out: dict[str, list[float]] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.goto(base + "/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        start = time.perf_counter()
        page.get_by_role("button", name="Log in").click()
        page.locator("#sync-status").get_by_text("All synced").wait_for(timeout=120_000)
        out["first_sync_s"] = [time.perf_counter() - start]
        cdp = context.new_cdp_session(page)
        for rate in (1, 4):
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            runs = []
            js_ms: list[float] = []
            for _ in range(7):
                page.locator("#tabbar").get_by_role("link", name="Home").click()
                page.get_by_role("heading", name="Hello, Bench Practitioner").wait_for()
                # time from the tap to the first frame painted with the list in it
                ms = page.evaluate(
                    """() => new Promise((done) => {
                        const t0 = performance.now();
                        document.querySelector('#tabbar a[data-tab="logbook"]').click();
                        const wait = () => document.querySelector('#entry-list li')
                            ? requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0))
                            : requestAnimationFrame(wait);
                        wait();
                    })"""
                )
                js_ms.append(float(page.evaluate("document.body.dataset.logbookRenderMs")))
                rows = page.locator("#entry-list li").count()
                count = page.locator("#result-count").inner_text()
                runs.append(ms)
            out[f"render_ms_cpu{rate}x"] = runs
            out[f"render_js_only_ms_cpu{rate}x"] = js_ms
            out[f"rows_rendered_cpu{rate}x"] = [rows]
            out["count_text"] = [count]  # type: ignore[list-item]
            search = []
            for word in ("exploitation", "Entry 1999", "zzz"):
                t = page.evaluate(
                    """(word) => new Promise((done) => {
                        const q = document.getElementById('q');
                        const t0 = performance.now();
                        q.value = word; q.dispatchEvent(new Event('input'));
                        // the search waits 150 ms for typing to pause; measure the work after that
                        const status = document.getElementById('result-count');
                        const before = status.textContent;
                        const obs = new MutationObserver(() => { obs.disconnect();
                            done(performance.now() - t0 - 150); });
                        obs.observe(status, {childList: true, characterData: true, subtree: true});
                        if (before === '') done(-1);
                    })""",
                    word,
                )
                search.append(t)
            out[f"search_ms_cpu{rate}x"] = search
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        browser.close()
    return out


def lighthouse(base: str) -> dict[str, float] | str:
    """Lighthouse 12 mobile (its default) scores for the login page, or why it could not run."""
    npm = shutil.which("npm")
    if not npm:
        return "npm not found"
    binary = TOOLS / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        TOOLS.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(  # noqa: S603 — fixed arguments
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(TOOLS), LIGHTHOUSE],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            return f"could not install {LIGHTHOUSE}: {result.stderr.strip()[-300:]}"
    report = TOOLS / "lighthouse.json"
    env = {**os.environ, "CHROME_PATH": str(CHROMIUM)}
    result = subprocess.run(  # noqa: S603 — fixed arguments
        [
            str(binary),
            base + "/",
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            "--only-categories=performance,accessibility,best-practices",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    if result.returncode != 0 or not report.exists():
        return f"lighthouse failed: {result.stderr.strip()[-300:]}"
    data = json.loads(report.read_text())
    scores = {k: round(v["score"] * 100) for k, v in data["categories"].items()}
    audits = data["audits"]
    for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time"):
        scores[key] = audits[key]["displayValue"]
    return scores


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "ENV": "testing",
                "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                "SECRET_KEY": "p" * 40,
                "SYNC_RATE_LIMIT": "1000000 per minute",
                "LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute",
                "EVIDENCE_URL": f"{tmp}/evidence",
            }
        )
        raw, zipped, files = shell_size(app)
        print(
            f"shell: HTML + {len(files)} JS/CSS files: "
            f"{raw / 1024:.1f} KB raw, {zipped / 1024:.1f} KB gzipped"
        )
        email = seed(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            times = render_times(base, email)
            print(f"first sync of {N_ENTRIES} entries after login: {times.pop('first_sync_s')[0]:.1f} s")
            for key, values in times.items():
                if key.startswith(("render", "search")):
                    print(f"{key}: median {statistics.median(values):.0f}, runs {[round(v) for v in values]}")
                else:
                    print(f"{key}: {values[0]}")
            scores = lighthouse(base)
            print(f"lighthouse 12 (mobile, login page): {scores}")
        finally:
            server.shutdown()


if __name__ == "__main__":
    main()
