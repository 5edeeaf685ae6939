"""The supervisor's and the supervisee's journey on a 360 by 740 phone (issue 20): the external
signer's page (no sideways scrolling, every control tappable, a used link says when and by whom),
the supervisor's Home and decision screen with the evidence in view, and the supervision status
after a supervision logged offline has synced."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from logbook.accounts.links import SupervisionLink
from logbook.extensions import db
from logbook.frameworks import service as frameworks
from logbook.supervision.models import SupervisionSession
from tests.e2e.browser import (
    PHONE,
    check_accessible,
    log_in,
    screenshot,
    sync_status,
    wait_for_service_worker,
)
from tests.factories import PASSWORD, persist, supervise, supervised_social_worker

pytestmark = pytest.mark.browser

SMALL = {**PHONE, "viewport": {"width": 360, "height": 740}}  # has_touch: locator.tap() works
TODAY = dt.date.today()  # noqa: DTZ011 - the entries API's plausibility window is relative to today
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
NO_OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def small_phone(browser):
    context = browser.new_context(**SMALL)
    yield context
    context.close()


@pytest.fixture
def shipped(app):
    with app.app_context():
        frameworks.load_shipped_frameworks()
        db.session.commit()


def log_supervision(client, supervisor) -> None:
    """Yesterday's supervision, logged by the practitioner: the session their supervisor confirms."""
    logged = client.api(
        "POST",
        "/api/v1/entries",
        json={
            "kind": "supervision",
            "title": "Monthly supervision",
            "start_date": (TODAY - dt.timedelta(days=1)).isoformat(),
            "hours": 1.5,
            "visibility": "supervisors",
            "details": {"format": "individual", "supervisor_id": str(supervisor.id), "agenda": "Caseload"},
        },
    )
    assert logged.status_code == 201, logged.get_json()


def entry_with_evidence(client, title: str) -> dict:
    digest = hashlib.sha256(PDF).hexdigest()
    put = client.api(
        "PUT",
        f"/api/v1/evidence/{digest}?filename=certificate.pdf",
        data=PDF,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert put.status_code in (200, 201), put.get_json()
    made = client.api(
        "POST",
        "/api/v1/entries",
        json={
            "kind": "study_day",
            "title": title,
            "description": "Using the graded care profile with families.",
            "start_date": (TODAY - dt.timedelta(days=3)).isoformat(),
            "hours": 6,
            "visibility": "supervisors",
            "details": {"provider": "Northshire Safeguarding Partnership", "has_certificate": True},
            "standards": [{"framework": "hcpc", "version": 1, "code": "3"}],
            "reflection": {"template": "gibbs", "answers": {"description": "A full day on neglect."}},
            "evidence": [{"sha256": digest, "name": "certificate.pdf", "caption": "Attendance certificate"}],
        },
    )
    assert made.status_code == 201, made.get_json()
    return made.get_json()


def small_targets(page) -> list[str]:
    """Visible controls smaller than 44 by 44 CSS pixels (a radio or checkbox counts by its label)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('a, button, input, select, textarea, summary')]
          .filter((el) => el.offsetParent !== null && el.type !== 'hidden')
          .map((el) => ((el.type === 'radio' || el.type === 'checkbox') && el.closest('label'))
            || el)
          .filter((el) => { const r = el.getBoundingClientRect(); return r.height < 44 || r.width < 44; })
          .map((el) => `${el.tagName.toLowerCase()}#${el.id} ${el.textContent.trim().slice(0, 30)}`)"""
    )


def test_external_page_on_a_small_phone(app, live_server, small_phone, make_user, make_client, shipped):
    app.config["MAIL_URL"] = "memory://"
    outbox = app.extensions.setdefault("logbook.outbox", [])
    practitioner = make_user("practitioner", name="Amara Okafor")
    me = make_client(practitioner)
    entry = entry_with_evidence(me, "Neglect toolkit study day")
    asked = me.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-off-requests",
        json={
            "entry_version": entry["version"],
            "external": {"name": "Dr Ada Byrne", "email": "ada.byrne@otheragency.example"},
        },
    )
    assert asked.status_code == 201, asked.get_json()
    token = re.search(r"/sign-off/([A-Za-z0-9_-]+)", outbox[-1].body).group(1)

    page = small_phone.new_page()
    page.goto(f"{live_server}/sign-off/{token}")
    page.get_by_role("heading", name="Sign off a CPD record for Amara Okafor").wait_for()
    assert page.evaluate(NO_OVERFLOW), page.evaluate("document.documentElement.scrollWidth")
    assert page.locator("#main").get_by_text("HCPC 3").count() == 1
    page.get_by_text("Seek to ensure that CPD has contributed to the quality of practice").wait_for()
    page.get_by_text("A full day on neglect.").wait_for()
    # The evidence opens through the link, and only through it.
    evidence = page.get_by_role("link", name="Open certificate.pdf").get_attribute("href")
    got = page.request.get(live_server + evidence)
    assert got.status == 200
    assert got.body() == PDF
    assert small_targets(page) == []
    # The full fingerprint is one tap away and still fits.
    page.get_by_text("Show the full fingerprint").tap()
    page.locator(".fingerprint-full code").wait_for()
    assert page.evaluate(NO_OVERFLOW)
    check_accessible(page, "external-signoff-360")
    screenshot(page, "external-signoff-360-full", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})  # and on a desktop
    check_accessible(page, "external-signoff-1280")
    page.set_viewport_size(SMALL["viewport"])

    # An empty role is named in plain English; the radio button's label takes the tap.
    page.get_by_label("Your full name").fill("Dr Ada Byrne")
    page.get_by_label("Registration number").fill("PYL12345")
    page.get_by_text("Return: it needs changes").tap()
    assert page.get_by_role("radio", name="Return: it needs changes (say what below)").is_checked()
    page.get_by_text("Approve: this is an accurate record").tap()
    assert page.get_by_role("radio", name="Approve: this is an accurate record").is_checked()
    page.get_by_role("button", name="Record my decision").tap()
    page.locator("#role-error").get_by_text("Enter your role").wait_for()
    assert "Length must be" not in page.content()
    assert page.evaluate(NO_OVERFLOW)
    assert small_targets(page) == []
    check_accessible(page, "external-signoff-360-error")

    page.get_by_label("Your role (e.g. practice educator, team manager)").fill("Practice educator")
    page.get_by_label("Comment").fill("An accurate record.")
    page.get_by_role("button", name="Record my decision").tap()
    page.get_by_role("heading", name="Thank you, your decision is recorded").wait_for()
    assert page.evaluate(NO_OVERFLOW)
    check_accessible(page, "external-signoff-360-done")

    # Opened again, the used link says when and by whom it was signed.
    page.goto(f"{live_server}/sign-off/{token}")
    page.locator("#link-outcome").get_by_text(
        f"Signed on {TODAY.day} {TODAY.strftime('%B %Y')} by Dr Ada Byrne."
    ).wait_for()
    assert page.evaluate(NO_OVERFLOW)
    check_accessible(page, "external-signoff-360-used")
    assert page.request.get(live_server + evidence).status == 410


def test_supervisors_home_leads_with_the_queue_and_the_decision_shows_the_evidence(
    app, live_server, small_phone, make_user, make_client, shipped
):
    practitioner = make_user("practitioner", name="Amara Okafor")
    overdue = make_user("practitioner", name="Megan Lloyd")
    supervisor = make_user("practitioner", "supervisor", name="Priya Shah")
    persist(
        app,
        SupervisionLink(
            supervisor_id=supervisor.id,
            supervisee_id=practitioner.id,
            kind="line",
            starts_on=TODAY - dt.timedelta(days=10),
        ),
        SupervisionLink(
            supervisor_id=supervisor.id,
            supervisee_id=overdue.id,
            kind="line",
            starts_on=TODAY - dt.timedelta(days=120),  # nothing held since: overdue by the default 42 days
        ),
    )
    me = make_client(practitioner)
    for title in ("Neglect toolkit study day", "Contextual safeguarding course"):
        entry = entry_with_evidence(me, title)
        asked = me.api(
            "POST",
            f"/api/v1/entries/{entry['id']}/sign-off-requests",
            json={"entry_version": entry["version"], "supervisor_id": str(supervisor.id)},
        )
        assert asked.status_code == 201, asked.get_json()

    # A supervision the practitioner logged is the session the supervisor confirms.
    log_supervision(me, supervisor)

    page = small_phone.new_page()
    log_in(page, live_server, supervisor, PASSWORD)
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    work = page.locator("#supervisor-work")
    work.get_by_role("link", name="1 supervision session to confirm").tap()
    page.get_by_role("heading", name="Supervision with Amara Okafor").wait_for()
    page.locator("#session-entry").get_by_text(
        "Amara Okafor logged this supervision in their logbook"
    ).wait_for()
    assert page.evaluate(NO_OVERFLOW)
    check_accessible(page, "supervisor-session-from-entry-360")
    page.get_by_role("button", name="Confirm this record").tap()
    page.locator("#confirmations").get_by_text("By both of you").wait_for(timeout=20_000)
    page.locator("#tabbar").get_by_role("link", name="Home").tap()
    # Home used to say "Nothing is awaiting sign-off" here: it counted only the supervisor's own entries.
    work.get_by_role("link", name="2 entries wait for your sign-off").wait_for()
    overdue_line = work.get_by_role("link", name=re.compile("Megan Lloyd: supervision overdue since"))
    overdue_line.wait_for()
    assert overdue_line.get_attribute("href") == f"/app/sessions/new?with={overdue.id}"
    assert page.evaluate(NO_OVERFLOW)
    check_accessible(page, "supervisor-home-360")

    work.get_by_role("link", name="2 entries wait for your sign-off").tap()
    page.get_by_role("heading", name="Sign-offs").wait_for()
    page.get_by_role("link", name=re.compile("Neglect toolkit study day")).tap()
    page.get_by_role("heading", name="Neglect toolkit study day").wait_for()
    page.locator("#decision-standards").get_by_text(
        "Seek to ensure that CPD has contributed to the quality of practice"
    ).wait_for()
    page.get_by_text("Northshire Safeguarding Partnership").wait_for()
    page.get_by_text("A full day on neglect.").wait_for()
    link = page.locator("#decision-evidence").get_by_role("link", name="Open certificate.pdf")
    got = page.request.get(live_server + link.get_attribute("href"))
    assert got.status == 200
    assert got.body() == PDF
    assert page.evaluate(NO_OVERFLOW)
    check_accessible(page, "supervisor-decision-360")
    screenshot(page, "supervisor-decision-360-full", full_page=True)
    page.get_by_label("Comment").fill("Good use of the toolkit.")  # a comment on approval is kept
    page.get_by_role("button", name="Sign off").tap()
    page.get_by_role("heading", name="Sign-offs").wait_for()


def test_supervision_logged_offline_counts_once_synced(
    app, live_server, small_phone, make_user, make_client, shipped
):
    social_worker = make_user("practitioner", name="Amara Okafor")
    supervisor = make_user("practitioner", "supervisor", name="Priya Shah")
    supervised_social_worker(app, social_worker, supervisor, link_days=60)
    page = small_phone.new_page()
    log_in(page, live_server, social_worker, PASSWORD)
    wait_for_service_worker(page)
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    status = page.locator("#supervision-status")
    status.get_by_text("90 min monthly · none held yet").wait_for()
    # The log form needs the supervisor list on the phone before going offline.
    page.locator("#tabbar").get_by_role("link", name="Log CPD").tap()
    page.get_by_label("What kind of CPD?").select_option("supervision")
    page.get_by_label("Supervisor", exact=True).wait_for()

    small_phone.set_offline(True)
    page.get_by_label("Supervisor", exact=True).select_option(label="Priya Shah")
    page.get_by_label("Format", exact=True).select_option("individual")
    page.get_by_label("Hours").fill("1.5")
    page.get_by_label("Title").fill("Monthly supervision")
    check_accessible(page, "log-supervision-360", from_top=False)
    page.get_by_role("button", name="Save entry").tap()
    page.get_by_role("heading", name="Monthly supervision").wait_for()
    page.locator("#tabbar").get_by_role("link", name="Home").tap()
    page.locator("#supervision-unsent").get_by_text(
        "1 supervision logged on this phone is counted once synced."
    ).wait_for()
    page.evaluate("document.getElementById('supervision-card').scrollIntoView()")
    check_accessible(page, "home-supervision-offline-360", from_top=False)

    small_phone.set_offline(False)
    sync_status(page).get_by_text("All synced").wait_for(timeout=30_000)
    page.locator("#tabbar").get_by_role("link", name="Home").tap()
    day = f"{TODAY.day} {TODAY.strftime('%b')}"
    status.get_by_text(f"90 min monthly · last held {day} · next due").wait_for(timeout=20_000)
    assert page.locator("#supervision-unsent").count() == 0
    assert page.evaluate(NO_OVERFLOW)
    page.evaluate("document.getElementById('supervision-card').scrollIntoView()")
    check_accessible(page, "home-supervision-synced-360", from_top=False)
    with app.app_context():
        [session] = db.session.query(SupervisionSession).all()
        assert (session.supervisor_id, session.supervisee_id, session.duration_minutes) == (
            supervisor.id,
            social_worker.id,
            90,
        )
        assert session.entry_id is not None
        assert session.supervisee_confirmed_at is not None


def test_a_pull_landing_while_home_is_being_drawn_still_shows_the_session_to_confirm(
    app, live_server, small_phone, make_user, make_client, shipped
):
    """Home used to read what it had drawn from (its redraw signature) after drawing: a pull that landed
    while Home was being built (after the supervisor's card read the phone's sessions, before Home's
    listener existed) left "1 supervision session to confirm" off Home until the next sync. Here the
    pull is held until the card has asked the server for its queue, and Home's last request is held
    until the pull has landed: the session must still appear."""
    practitioner = make_user("practitioner", name="Amara Okafor")
    supervisor = make_user("practitioner", "supervisor", name="Priya Shah")
    supervise(app, supervisor, practitioner, kind="line", starts_on=TODAY - dt.timedelta(days=10))
    log_supervision(make_client(practitioner), supervisor)

    page = small_phone.new_page()
    held: dict[str, list | None] = {"pull": [], "status": []}  # None once released

    def hold(which):
        def handler(route):
            if held[which] is None:
                route.continue_()
            else:
                held[which].append(route)

        return handler

    def release(which):
        routes, held[which] = held[which], None
        for route in routes:
            route.continue_()

    page.route("**/api/v1/sync/pull*", hold("pull"))
    page.route("**/api/v1/supervision/status", hold("status"))
    page.goto(live_server + "/")
    page.get_by_label("Email").fill(supervisor.email)
    page.get_by_label("Password").fill(PASSWORD)
    with (
        page.expect_response(lambda r: "/api/v1/supervision/due?scope=supervisees" in r.url),
        page.expect_request(lambda r: r.url.endswith("/api/v1/supervision/status")),
    ):
        page.get_by_role("button", name="Log in").click()
    # The card has its queue (it reads the phone's sessions next); Home waits for its status line.
    release("pull")
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    release("status")
    page.get_by_role("heading", name="Hello, Priya Shah").wait_for()
    page.locator("#supervisor-work").get_by_role("link", name="1 supervision session to confirm").wait_for()
