"""The test suite's builders: the people, links, entries, sign-offs, sessions and events a test starts
from, made through the same services the app uses (so a built thing is a thing the app could have
made). Fixtures in tests/conftest.py and the directories' conftests call these; a test module may
import them directly. Nothing imports a conftest (tests/architecture/test_test_imports.py).

Constants
    PASSWORD, PASSWORD_HASH   every built user's password (hashed once: argon2 is slow on purpose)
    TODAY                     the local date (the entries API's plausibility window is relative to it)
    MATERIAL                  the sha256 of the event material "slides.pdf" (see events/conftest.py)

The app and saving
    app_config(url, folder)   the settings of a test app (database URL, folders under `folder`)
    persist(app, *objects)    save model objects in their own transaction, hand them back detached

Rows, through the services (each in its own app context and transaction; returned detached)
    organisation(app, name=, slug=)
    user(app, organisation, *roles, name=, **fields)     roles: practitioner, supervisor, team_manager,
                                                         org_admin (default practitioner)
    team(app, organisation, ...), job_role(app, organisation, ...)
    registration(app, user, regulator, profession, ...)
    supervise(app, supervisor, supervisee, ...)          a supervision link (accounts.links.link_supervisor)
    entry(app, owner, **fields)                          an entry (entries.service.create_entry)
    signed_entry(app, owner, supervisor, **fields)       an entry asked for and approved
                                                         (supervision.signoff request_sign_off + decide):
                                                         (entry id, sign-off id)
    supervision_session(app, actor, supervisor, supervisee, **fields)   (supervision.sessions.create_session)
    event(app, actor, **fields)                          a learning event (events.service.create_event)

Through the API, as a browser does (client: an ApiClient, logged in)
    ApiClient                 the Flask test client that fetches and sends the CSRF token, and logs in
    entry_data(**extra)       the JSON of a valid study-day entry shared with supervisors
    make_entry(client, **extra)                          POST /api/v1/entries; the entry
    request_from(client, entry, **body)                  ask for sign-off of the entry's current version
    sign(me, boss, entry, supervisor_id)                 ask, then approve: the sign-off
    sign_as(me, boss, entry, supervisor_id, role, body, number)   the same in an NMC role
    event_body(starts_at=None, **overrides)              the JSON of a bite-size workshop

Reading results back (PDFs, ZIPs, jobs, emails, forms) is in tests/helpers.py; the browser's helpers
are in tests/e2e/browser.py, the sync device in tests/sync/device.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from logbook.accounts.links import SupervisionLink, link_supervisor
from logbook.accounts.models import JobRole, Organisation, Registration, Team, User
from logbook.accounts.passwords import hash_password
from logbook.config import KeyRing
from logbook.entries import service as entries
from logbook.events import service as events
from logbook.extensions import db
from logbook.supervision import sessions, signoff
from logbook.timeutil import utcnow

PASSWORD = "Correct-Horse-Battery-42"
PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: argon2 is slow on purpose
TODAY = dt.date.today()  # noqa: DTZ011 - the entries API's plausibility window is relative to today
MATERIAL = hashlib.sha256(b"slides").hexdigest()


def app_config(url: str, folder: Any) -> dict[str, Any]:
    """The settings of a test app on this database, its files under `folder`."""
    return {
        "ENV": "testing",
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "EVIDENCE_URL": str(folder / "evidence"),
        "SIGNING_KEYS_DIR": str(folder / "signing-keys"),
        "RATELIMIT_STORAGE_URI": "memory://",
    }


def persist(app: Flask, *objects: Any) -> None:
    """Save objects in their own transaction and hand them back detached with attributes loaded."""
    with app.app_context():
        db.session.add_all(objects)
        db.session.commit()
        for obj in objects:
            db.session.refresh(obj)
        db.session.expunge_all()


def _detached(obj: Any) -> Any:
    db.session.commit()
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


# ---------------------------------------------------------------- rows


def organisation(app: Flask, name: str = "Northshire Test", slug: str | None = None) -> Organisation:
    """An organisation (slug from the name unless given)."""
    o = Organisation(name=name, slug=slug or name.lower().replace(" ", "-"))
    persist(app, o)
    return o


def user(app: Flask, organisation: Organisation, *roles: str, name: str | None = None, **fields: Any) -> User:
    """A user with these app roles (practitioner unless told) and the test PASSWORD; any other column
    (team_id, job_role_id, email, ...) as a keyword."""
    roles = roles or ("practitioner",)
    uid = uuid.uuid4().hex[:8]
    u = User(
        organisation_id=organisation.id,
        email=fields.pop("email", f"{'-'.join(roles)}-{uid}@test.example"),
        name=name or f"Test {' '.join(roles).title()} {uid}",
        password_hash=PASSWORD_HASH,
        is_practitioner="practitioner" in roles,
        is_supervisor="supervisor" in roles,
        is_team_manager="team_manager" in roles,
        is_org_admin="org_admin" in roles,
        **fields,
    )
    persist(app, u)
    return u


def team(
    app: Flask, organisation: Organisation, name: str = "Assessment Team", service_area: str = "social_care"
) -> Team:
    """A team of the organisation."""
    t = Team(organisation_id=organisation.id, name=name, service_area=service_area)
    persist(app, t)
    return t


def job_role(
    app: Flask,
    organisation: Organisation,
    name: str = "Children's Social Worker",
    *,
    service_area: str = "social_care",
    profession: str = "social worker",
    usual_regulator: str | None = "SWE",
) -> JobRole:
    """A job role of the organisation (a children's social worker unless told)."""
    r = JobRole(
        organisation_id=organisation.id,
        name=name,
        service_area=service_area,
        profession=profession,
        usual_regulator=usual_regulator,
    )
    persist(app, r)
    return r


def registration(app: Flask, owner: User, regulator: str, profession: str, **fields: Any) -> Registration:
    """A professional registration of the user (registration_number, framework_id, renewal_date, ...)."""
    r = Registration(user_id=owner.id, regulator=regulator, profession=profession, **fields)
    persist(app, r)
    return r


def supervise(
    app: Flask,
    supervisor: User,
    supervisee: User,
    *,
    kind: str = "line",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
) -> SupervisionLink:
    """The supervisor supervises the supervisee (from 30 days ago unless told), through the link
    service (same organisation, supervisor role)."""
    with app.app_context():
        link = link_supervisor(
            supervisor=db.session.get(User, supervisor.id),
            supervisee=db.session.get(User, supervisee.id),
            kind=kind,
            starts_on=starts_on or TODAY - dt.timedelta(days=30),
            ends_on=ends_on,
        )
        return _detached(link)


def entry(app: Flask, owner: User, **fields: Any) -> entries.Entry:
    """An entry of the owner made by the entries service (entry_data's study day unless told)."""
    data = entry_data(**fields)
    data["start_date"] = dt.date.fromisoformat(data["start_date"])
    with app.app_context():
        row = entries.create_entry(owner=db.session.get(User, owner.id), data=data, now=utcnow())
        return _detached(row)


def signed_entry(app: Flask, owner: User, supervisor: User, **fields: Any) -> tuple[uuid.UUID, uuid.UUID]:
    """An entry the supervisor (who must supervise the owner) was asked to sign off and approved,
    through the sign-off service: (entry id, sign-off id)."""
    made = entry(app, owner, **fields)
    with app.app_context():
        asked = signoff.request_sign_off(
            owner=db.session.get(User, owner.id),
            entry_id=made.id,
            entry_version=made.version,
            supervisor_id=supervisor.id,
            now=utcnow(),
        )
        db.session.commit()
        row = db.session.get(entries.Entry, made.id)
        sign_off = signoff.decide(
            signer=db.session.get(User, supervisor.id),
            entry_id=made.id,
            entry_version=row.version,
            content_sha256=asked.request.content_sha256,
            decision="approved",
            now=utcnow(),
            base_url="http://localhost",
            ring=KeyRing.of(app),
        )
        db.session.commit()
        return made.id, sign_off.id


def supervision_session(
    app: Flask, actor: User, supervisor: User, supervisee: User, **fields: Any
) -> sessions.SupervisionSession:
    """A supervision session of a linked pair recorded by one of them (a day ago, an hour, individual,
    unless told), through the sessions service."""
    data = {"starts_at": utcnow() - dt.timedelta(days=1), "duration_minutes": 60, "format": "individual"}
    data.update(fields)
    with app.app_context():
        row = sessions.create_session(
            actor=db.session.get(User, actor.id),
            supervisor_id=supervisor.id,
            supervisee_id=supervisee.id,
            data=data,
            now=utcnow(),
        )
        return _detached(row)


def event(app: Flask, actor: User, **fields: Any) -> events.LearningEvent:
    """A learning event published by an org admin or facilitator, through the events service (a
    workshop starting now, no tags or materials, unless told)."""
    data: dict[str, Any] = {
        "title": "Trauma-informed practice",
        "kind": "bite_size_workshop",
        "starts_at": utcnow(),
        "duration_minutes": 90,
    }
    data.update(fields)
    with app.app_context():
        row = events.create_event(actor=db.session.get(User, actor.id), data=data, now=utcnow())
        return _detached(row)


# ---------------------------------------------------------------- through the API


class ApiClient(FlaskClient):
    """A test client that fetches and sends the CSRF token, like the PWA does."""

    csrf_token: str | None = None

    def api(self, method: str, url: str, **kwargs: Any):
        """Call the JSON API with the session's CSRF token on state-changing requests."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if method.upper() not in {"GET", "HEAD", "OPTIONS"} and "X-CSRFToken" not in headers:
            if self.csrf_token is None:
                self.csrf_token = self.get("/api/v1/auth/csrf").get_json()["csrf_token"]
            headers["X-CSRFToken"] = self.csrf_token
        return self.open(url, method=method.upper(), headers=headers, **kwargs)

    def login(self, email: str, password: str = PASSWORD):
        """Log in through the API; keeps the new CSRF token."""
        response = self.api("POST", "/api/v1/auth/login", json={"email": email, "password": password})
        if response.status_code == 200:
            self.csrf_token = response.get_json()["csrf_token"]
        return response


def entry_data(**extra: Any) -> dict[str, Any]:
    """A valid study-day entry shared with supervisors (JSON, as the API takes it)."""
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


def make_entry(client: ApiClient, **extra: Any) -> dict[str, Any]:
    """Create an entry through the API and return it."""
    response = client.api("POST", "/api/v1/entries", json=entry_data(**extra))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def request_from(client: ApiClient, entry: dict[str, Any], **body: Any):
    """Ask for sign-off of the entry's current version (the response)."""
    return client.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-off-requests",
        json={"entry_version": entry["version"], **body},
    )


def sign_as(
    me: ApiClient,
    boss: ApiClient,
    entry: dict[str, Any],
    supervisor_id: Any,
    role: str | None = None,
    body: str | None = None,
    number: str | None = None,
) -> dict[str, Any]:
    """Ask the supervisor to sign the entry off and approve it; the sign-off as the API shows it.
    With a role (an NMC signer role), it is asked for and the signer's registration body and number
    are sent with the approval."""
    ask: dict[str, Any] = {"supervisor_id": str(supervisor_id)}
    if role is not None:
        ask["signer_role"] = role
    asked = request_from(me, entry, **ask)
    assert asked.status_code == 201, asked.get_json()
    item = asked.get_json()
    decision = {
        "entry_version": item["entry_version"],
        "content_sha256": item["content_sha256"],
        "decision": "approved",
    }
    if role is not None:
        decision |= {"registration_body": body, "registration_number": number}
    decided = boss.api("POST", f"/api/v1/entries/{entry['id']}/sign-offs", json=decision)
    assert decided.status_code == 201, decided.get_json()
    return decided.get_json()


def sign(me: ApiClient, boss: ApiClient, entry: dict[str, Any], supervisor_id: Any) -> dict[str, Any]:
    """Ask the supervisor to sign the entry off and approve it; the sign-off as the API shows it."""
    return sign_as(me, boss, entry, supervisor_id)


def event_body(starts_at: dt.datetime | None = None, **overrides: Any) -> dict[str, Any]:
    """A bite-size workshop starting now, for social workers, with materials and tags (JSON)."""
    body = {
        "title": "Trauma-informed practice",
        "kind": "bite_size_workshop",
        "description": "Lunchtime workshop.",
        "location": "Room 2",
        "starts_at": (starts_at or utcnow()).isoformat(),
        "duration_minutes": 90,
        "target_professions": ["social worker"],
        "standards": [{"framework": "hcpc", "version": 1, "code": "3"}],
        "common_core": ["1", "4"],
        "capacity": 20,
        "materials": [{"sha256": MATERIAL, "name": "slides.pdf"}],
    }
    body.update(overrides)
    return body


def supervised_social_worker(app: Flask, person: User, supervisor: User, *, link_days: int) -> None:
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
