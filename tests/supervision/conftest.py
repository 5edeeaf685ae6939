"""Fixtures for supervision tests: a supervisor linked to the practitioner, entries, the mail outbox."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import Registration
from tests.conftest import persist

TODAY = dt.date.today()  # noqa: DTZ011 - the entries API's plausibility window is relative to today


@pytest.fixture(autouse=True)
def outbox(app) -> list:
    """Emails go to a list on the app instead of a folder."""
    app.config["MAIL_URL"] = "memory://"
    return app.extensions.setdefault("logbook.outbox", [])


@pytest.fixture
def supervisor(make_user):
    """A supervisor in `org`."""
    return make_user("practitioner", "supervisor", name="Priya Supervisor")


@pytest.fixture
def supervised(app, supervisor, practitioner):
    """The supervisor currently supervises the practitioner."""
    link = SupervisionLink(
        supervisor_id=supervisor.id,
        supervisee_id=practitioner.id,
        kind="line",
        starts_on=TODAY - dt.timedelta(days=30),
    )
    persist(app, link)
    return link


def entry_data(**extra: Any) -> dict[str, Any]:
    """A valid study-day entry shared with supervisors."""
    data = {
        "kind": "study_day",
        "title": "Neglect toolkit study day",
        "description": "Using the graded care profile with families.",
        "start_date": (TODAY - dt.timedelta(days=2)).isoformat(),
        "hours": 6,
        "visibility": "supervisors",
    }
    data.update(extra)
    return data


def make_entry(client, **extra: Any) -> dict[str, Any]:
    """Create an entry through the API and return it."""
    response = client.api("POST", "/api/v1/entries", json=entry_data(**extra))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def request_from(client, entry: dict[str, Any], **body: Any):
    """Ask for sign-off of the entry's current version."""
    return client.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-off-requests",
        json={"entry_version": entry["version"], **body},
    )


def link_token(mail) -> str:
    """The token in an external sign-off email."""
    match = re.search(r"/sign-off/([A-Za-z0-9_-]+)", mail.body)
    assert match, mail.body
    return match.group(1)


def csrf_from(html: str) -> str:
    """The CSRF token in a server-rendered form."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def supervised_social_worker(app, person, supervisor, *, link_days: int) -> None:
    """A registered social worker (SWE, three years qualified: the monthly 90-minute employer policy
    applies) supervised by `supervisor` for the last `link_days` days."""
    persist(
        app,
        Registration(
            user_id=person.id,
            regulator="SWE",
            profession="social worker",
            framework_id="swe",
            registered_since=TODAY - dt.timedelta(days=3 * 365),
        ),
        SupervisionLink(
            supervisor_id=supervisor.id,
            supervisee_id=person.id,
            kind="line",
            starts_on=TODAY - dt.timedelta(days=link_days),
        ),
    )
