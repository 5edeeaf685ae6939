"""The admin area in the browser, on a desktop (1280 by 800) and a phone (390 by 844): every screen
loads, does its main action, has no axe violation and never scrolls sideways; a person the admin
deactivates cannot log in. Screenshots of every screen at both sizes go to build/screenshots."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from logbook.accounts.models import JobRole, Registration, Team
from logbook.audit import service as audit
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.timeutil import utcnow
from tests.e2e.browser import PHONE, check_accessible, log_in, screenshot
from tests.factories import PASSWORD, persist
from tests.helpers import finish_jobs

pytestmark = pytest.mark.browser

DESKTOP = {
    **PHONE,
    "viewport": {"width": 1280, "height": 800},
    "is_mobile": False,
    "has_touch": False,
    "device_scale_factor": 1,
}
SIZES = {"desktop": DESKTOP, "phone": PHONE}

BAD_FRAMEWORK = b"""format: 1
id: local-cpd
version: 1
name: Local CPD scheme
kind: registration
regulator: NOPE
sources:
  - {title: Our policy, url: "https://example.org/policy"}
cycle: {type: fixed_year, starts: "31 Feb"}
"""
GOOD_FRAMEWORK = BAD_FRAMEWORK.replace(b"regulator: NOPE", b"regulator: OTHER").replace(
    b'cycle: {type: fixed_year, starts: "31 Feb"}', b"cycle: {type: none}"
)


@pytest.fixture(autouse=True)
def _drain(app):
    app.config.update(MAIL_URL="memory://")
    yield
    finish_jobs(app)


@pytest.fixture
def office(app, org, make_user):
    """An organisation with two teams, a job role, five people (one registered nurse, one social
    worker), the shipped frameworks and a few events in the audit trail."""
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    care = Team(organisation_id=org.id, name="Assessment Team", service_area="social_care")
    health = Team(organisation_id=org.id, name="Health Visiting", service_area="health")
    role = JobRole(
        organisation_id=org.id,
        name="Health Visitor",
        service_area="health",
        profession="health visitor",
        usual_regulator="NMC",
    )
    persist(app, care, health, role)
    admin = make_user("practitioner", "org_admin", name="Helen Carter", team_id=care.id)
    nia = make_user("practitioner", name="Nia Roberts", team_id=health.id, job_role_id=role.id)
    sam = make_user("practitioner", "supervisor", name="Sam Okafor", team_id=care.id)
    make_user("practitioner", name="Priya Shah", team_id=care.id)
    make_user("practitioner", name="Tom Evans With A Rather Long Name", team_id=health.id)
    persist(
        app,
        Registration(
            user_id=nia.id,
            regulator="NMC",
            profession="health visitor",
            framework_id="nmc",
            registration_number="12A3456E",
            renewal_date=dt.date(2027, 3, 31),
        ),
        Registration(
            user_id=sam.id,
            regulator="SWE",
            profession="social worker",
            framework_id="swe",
            registration_number="SW123456",
        ),
    )
    with app.app_context():
        for kind, actor in (
            ("sign_off.approved", sam),
            ("sign_off_request.created", nia),
            ("registration_proposal.confirmed", admin),
        ):
            audit.append_event(
                kind=kind,
                actor=f"user:{actor.id}",
                subject_type=kind.split(".")[0],
                subject_id=nia.id,
                data={"entry_version": 2, "content_sha256": "ab" * 32},
                now=utcnow(),
            )
        db.session.commit()
    return SimpleNamespace(admin=admin, nia=nia, sam=sam, care=care, health=health)


def no_sideways_scroll(page) -> None:
    """Nothing on the screen reaches past its right edge (the page never scrolls sideways)."""
    width = page.evaluate(
        """() => [document.documentElement.scrollWidth, window.innerWidth,
                  Math.max(...[...document.querySelectorAll('#view *')]
                    .map((e) => e.getBoundingClientRect().right))]"""
    )
    # against the device's width: a phone browser zooms out (a wider innerWidth) to fit wider content
    device = page.viewport_size["width"]
    assert max(width) <= device + 0.5, f"the page is wider than the screen ({device}): {width}"


def visit(page, section: str, heading: str, size: str) -> None:
    nav = page.get_by_role("navigation", name="Admin")
    if size == "phone":  # a phone folds the sections under one line
        expect(nav.locator("details")).not_to_have_attribute("open", "")
        nav.locator("summary").click()
    nav.get_by_role("link", name=section, exact=True).click()
    page.get_by_role("heading", level=1, name=heading).wait_for()
    no_sideways_scroll(page)


def shot(page, name: str, size: str) -> None:
    no_sideways_scroll(page)
    check_accessible(page, f"admin-{name}-{size}")
    screenshot(page, f"admin-{name}-{size}-full", full_page=True)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_admin_screen_loads_and_does_its_main_action(app, browser, live_server, office, size, tmp_path):
    context = browser.new_context(**SIZES[size])
    page = context.new_page()
    log_in(page, live_server, office.admin, PASSWORD)
    page.locator("#admin-link").click()

    # People: a list of everyone, searched and filtered; invite one more
    page.get_by_role("heading", level=1, name="People").wait_for()
    expect(page.locator("#people-count")).to_have_text("5 people")
    shot(page, "people", size)
    filters = page.get_by_role("search", name="Filter people")
    filters.get_by_label("Search").fill("nia")
    expect(page.locator("#people-count")).to_have_text("1 person")
    filters.get_by_label("Search").fill("")
    filters.get_by_label("Regulator").select_option("SWE")
    expect(page.locator("#people-table tbody tr")).to_have_count(1)
    expect(page.locator("#people-table tbody")).to_contain_text("Sam Okafor")
    filters.get_by_label("Regulator").select_option("")
    filters.get_by_label("Team", exact=True).select_option(label="Health Visiting")
    expect(page.locator("#people-count")).to_have_text("2 people")
    filters.get_by_label("Team", exact=True).select_option("")
    page.get_by_role("button", name="Invite a person").click()
    invite = page.locator("#invite-form")
    invite.get_by_label("Full name").fill("Dee Newstarter")
    invite.get_by_label("Work email").fill(f"dee.{size}@test.example")
    invite.get_by_label("Team", exact=True).select_option(label="Assessment Team")
    shot(page, "people-invite", size)
    invite.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#invite-status")).to_have_text(f"Invitation sent to dee.{size}@test.example.")
    expect(page.locator("#people-count")).to_have_text("6 people")
    assert any(m.to == f"dee.{size}@test.example" for m in app.extensions["logbook.outbox"])

    # one person: details, access, registrations
    page.get_by_role("link", name="Nia Roberts").click()
    page.get_by_role("heading", level=1, name="Nia Roberts").wait_for()
    expect(page.locator("#registrations-card")).to_contain_text("12A3456E")
    shot(page, "person", size)
    page.get_by_label("Job role").select_option("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#person-status")).to_have_text("Saved.")

    # Teams: add one
    visit(page, "Teams", "Teams", size)
    expect(page.locator("#teams-table tbody tr")).to_have_count(2)
    shot(page, "teams", size)
    form = page.locator("#team-form")
    form.get_by_label("Name").fill("Early Help Hub")
    form.get_by_label("Service area").select_option("early_help")
    form.get_by_role("button", name="Add the team").click()
    expect(page.locator("#teams-status")).to_have_text("Added \u201cEarly Help Hub\u201d.")
    expect(page.locator("#teams-table tbody tr")).to_have_count(3)

    # Job roles: add one; a missing field is named beside it
    visit(page, "Job roles", "Job roles", size)
    form = page.locator("#role-form")
    form.get_by_label("Name").fill("Family Support Worker")
    form.get_by_role("button", name="Add the job role").click()
    expect(form.locator("[aria-invalid=true]")).to_have_count(2)  # profession and service area, named
    expect(form.get_by_label("Profession")).to_have_attribute("aria-invalid", "true")
    shot(page, "job-roles", size)
    form.get_by_label("Profession").fill("family support")
    form.get_by_label("Service area").select_option("early_help")
    form.get_by_role("button", name="Add the job role").click()
    expect(page.locator("#roles-table")).to_contain_text("Family Support Worker")

    # Registrations: the organisation's, filtered; add one
    visit(page, "Registrations", "Registrations", size)
    expect(page.locator("#registrations-table tbody tr")).to_have_count(2)
    shot(page, "registrations", size)
    page.get_by_role("button", name="Add a registration").click()
    editor = page.locator("#registration-editor")
    editor.get_by_label("Person").select_option(label="Priya Shah")
    editor.get_by_label("Regulator").select_option("HCPC")
    editor.get_by_label("Profession").fill("speech and language therapist")
    editor.get_by_label("Registration number").fill("SL012345")
    editor.get_by_role("button", name="Add the registration").click()
    expect(page.locator("#registrations-status")).to_have_text("Registration added.")
    expect(page.locator("#registrations-table tbody tr")).to_have_count(3)
    page.get_by_role("search", name="Filter registrations").get_by_label("Regulator").select_option("HCPC")
    expect(page.locator("#registrations-table tbody tr")).to_have_count(1)

    # the other half of the area (supervisor assignments, staff onboarding), inside the same frame
    visit(page, "Supervisor assignments", "Supervisor assignments", size)
    expect(page.get_by_role("heading", name="Assign a supervisor")).to_be_visible()
    shot(page, "assignments", size)
    visit(page, "Staff onboarding", "Staff onboarding", size)
    expect(page.get_by_role("button", name="Check the file")).to_be_visible()
    shot(page, "staff-import", size)

    # Frameworks: whom each applies to; a bad file's problems by line, then a good one added
    visit(page, "Frameworks", "Frameworks", size)
    expect(page.locator("#frameworks-table")).to_contain_text("Health Visitor")
    page.locator("#framework-file").set_input_files(
        files=[{"name": "local-cpd.yaml", "mimeType": "application/yaml", "buffer": BAD_FRAMEWORK}]
    )
    page.get_by_role("button", name="Check and add the file").click()
    problems = page.locator("#framework-problems")
    expect(problems).to_contain_text("Line 6")
    expect(problems).to_contain_text("Line 9")
    expect(page.locator("ol.source li.bad")).to_have_count(2)
    shot(page, "frameworks-problems", size)
    page.locator("#framework-file").set_input_files(
        files=[{"name": "local-cpd.yaml", "mimeType": "application/yaml", "buffer": GOOD_FRAMEWORK}]
    )
    page.get_by_role("button", name="Check and add the file").click()
    expect(page.locator("#frameworks-status")).to_have_text("Added Local CPD scheme version 1.")
    expect(page.locator("#frameworks-table")).to_contain_text("Your organisation")
    shot(page, "frameworks", size)

    # Staff export: a service area
    visit(page, "Staff export", "Staff export", size)
    page.get_by_role("radio", name=re.compile("A service area")).check()
    page.get_by_label("Service area", exact=True).select_option("health")
    shot(page, "export", size)
    page.get_by_role("button", name="Export the registration evidence").click()
    link = page.locator("#staff-status").get_by_role("link", name=re.compile("Download staff-evidence-"))
    link.wait_for(timeout=60_000)

    # Audit trail: the organisation's events, filtered by kind
    visit(page, "Audit trail", "Audit trail", size)
    expect(page.locator("#audit-table tbody tr")).to_have_count(3)
    shot(page, "audit", size)
    page.get_by_label("Event").select_option("sign_off.approved")
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)
    expect(page.locator("#audit-table")).to_contain_text("Sam Okafor")
    context.close()


def test_a_deactivated_person_cannot_log_in_and_reactivated_can(browser, live_server, office):
    admin_ctx = browser.new_context(**DESKTOP)
    page = admin_ctx.new_page()
    log_in(page, live_server, office.admin, PASSWORD)
    page.goto(live_server + "/app/admin/people")
    row = page.locator("#people-table tbody tr", has_text="Nia Roberts")
    row.get_by_role("button", name="Deactivate Nia Roberts").click()
    row.get_by_role("button", name="Yes, deactivate").click()
    expect(page.locator("#people-status")).to_contain_text("Nia Roberts is deactivated")
    expect(page.locator("#people-table tbody tr", has_text="Nia Roberts")).to_contain_text("Deactivated")

    phone = browser.new_context(**PHONE)
    nia = phone.new_page()
    nia.goto(live_server + "/")
    nia.get_by_label("Email").fill(office.nia.email)
    nia.get_by_label("Password").fill(PASSWORD)
    nia.get_by_role("button", name="Log in").click()
    expect(nia.get_by_text("That email and password do not match an account.")).to_be_visible()
    assert nia.get_by_role("heading", name=f"Hello, {office.nia.name}").count() == 0

    page.locator("#people-table tbody tr", has_text="Nia Roberts").get_by_role(
        "button", name="Reactivate Nia Roberts"
    ).click()
    page.get_by_role("button", name="Yes, reactivate").click()
    expect(page.locator("#people-status")).to_contain_text("Nia Roberts is active again")
    nia.get_by_role("button", name="Log in").click()
    nia.get_by_role("heading", name=f"Hello, {office.nia.name}").wait_for()
    phone.close()
    admin_ctx.close()


def test_old_staff_export_entry_points_lead_to_the_admin_area(browser, live_server, office):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, office.admin, PASSWORD)
    page.goto(live_server + "/app/exports")
    page.get_by_role("link", name="Open Admin \u203a Staff export").click()
    page.get_by_role("heading", level=1, name="Staff export").wait_for()
    page.goto(live_server + "/app/settings")
    page.get_by_role("link", name="Staff export (Admin)").click()
    page.get_by_role("heading", level=1, name="Staff export").wait_for()
    # the narrowest phone: the header holds the title, the Admin link and the sync status
    page.set_viewport_size({"width": 360, "height": 740})
    no_sideways_scroll(page)
    box = page.locator("#admin-link").bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 360
    shot(page, "export", "phone-360")
    context.close()


def test_a_practitioner_has_no_admin_area(browser, live_server, office):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, office.nia, PASSWORD)
    expect(page.locator("#admin-link")).to_be_hidden()
    page.goto(live_server + "/app/admin/people")
    expect(page.get_by_text("Only your organisation\u2019s admins can use this area.")).to_be_visible()
    assert page.locator("#people-table").count() == 0
    context.close()
