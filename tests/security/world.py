"""A small organisation with one person per access role, shared by the security tests.

Actors: anonymous, practitioner A (in a team), practitioner B, A's supervisor, a supervisor of nobody,
the manager of A's team, the org admin, another organisation's admin, and an external signer (no
account: an anonymous browser holding the emailed sign-off link for one of A's entries).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import secrets
import uuid
from typing import Any

from sqlalchemy import select

from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import PasswordReset, Registration, Team, User
from logbook.accounts.reset import token_hash as reset_token_hash
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.notifications.models import Notification
from tests import factories
from tests.factories import entry_data

ACTORS = ("anon", "A", "B", "supA", "supNone", "manager", "admin", "otherAdmin", "external")
TODAY = dt.date.today()  # noqa: DTZ011 - the entries API's plausibility window is relative to today
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    """A name nobody else in the test run uses."""
    return f"{prefix} {next(_counter)} {uuid.uuid4().hex[:6]}"


def entry_body(**extra: Any) -> dict[str, Any]:
    """A valid study-day entry shared with supervisors, with a reflection (a field given as None is
    left out)."""
    reflection = {"template": "rolfe", "answers": {"what": "secret reflection text"}}
    data = entry_data(**{"reflection": reflection, **extra})
    return {key: value for key, value in data.items() if value is not None}


def pdf(label: str) -> bytes:
    """A small PDF whose bytes differ by label."""
    return b"%PDF-1.4\n% " + label.encode() + b"\n%%EOF\n"


class World:
    """The people, their logged-in browsers, and one of each object the API deals in."""

    def __init__(self, app, make_user, make_client, org, other_org) -> None:
        self.app = app
        app.config["MAIL_URL"] = "memory://"
        # every caller comes from 127.0.0.1: the per-address limit on refused reset links is not tested here
        app.config["PASSWORD_RESET_LIMIT"] = "100 per hour"
        with app.app_context():
            load_shipped_frameworks()
            db.session.commit()
        self.team = factories.team(app, org)
        self.users: dict[str, User] = {
            "A": make_user("practitioner", team_id=self.team.id, name="Alex Practitioner"),
            "B": make_user("practitioner", name="Bea Practitioner"),
            "supA": make_user("practitioner", "supervisor", name="Sam Supervisor"),
            "supNone": make_user("practitioner", "supervisor", name="Nell Supervisor"),
            "manager": make_user("team_manager", name="Mo Manager"),
            "admin": make_user("org_admin", name="Ada Admin"),
            "otherAdmin": make_user("org_admin", organisation=other_org, name="Otto Otheradmin"),
        }
        with app.app_context():
            manager = db.session.get(User, self.users["manager"].id)
            manager.managed_teams = [db.session.get(Team, self.team.id)]
            link = SupervisionLink(
                supervisor_id=self.users["supA"].id,
                supervisee_id=self.users["A"].id,
                kind="line",
                starts_on=TODAY - dt.timedelta(days=100),
            )
            db.session.add(link)
            db.session.commit()
            self.link_id = link.id
        self.clients = {name: make_client(user) for name, user in self.users.items()}
        self.clients["anon"] = make_client()
        self.clients["external"] = make_client()
        self.ids: dict[str, Any] = {}
        self._build()

    # --- objects ---------------------------------------------------------------------------

    def call(self, actor: str, method: str, url: str, **kwargs: Any):
        """One request as the actor."""
        return self.clients[actor].api(method, url, **kwargs)

    def _ok(self, response, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.get_data(as_text=True)[:500]
        return response.get_json()

    def new_evidence(self) -> str:
        """A PDF uploaded by A; returns its SHA-256."""
        data = pdf(unique("evidence"))
        digest = hashlib.sha256(data).hexdigest()
        self._ok(self.call("A", "PUT", f"/api/v1/evidence/{digest}", data=data), 201)
        return digest

    def new_entry(self, **extra: Any) -> dict[str, Any]:
        """An entry of A's, shared with supervisors."""
        return self._ok(self.call("A", "POST", "/api/v1/entries", json=entry_body(**extra)), 201)

    def new_request(self, entry: dict[str, Any] | None = None) -> dict[str, Any]:
        """A's request for sign-off by A's supervisor (of a new entry unless given)."""
        entry = entry or self.new_entry()
        return self._ok(
            self.call(
                "A",
                "POST",
                f"/api/v1/entries/{entry['id']}/sign-off-requests",
                json={"entry_version": entry["version"], "supervisor_id": str(self.users["supA"].id)},
            ),
            201,
        )

    def new_sign_off(self) -> str:
        """A new entry of A's, approved by A's supervisor; the sign-off's id."""
        item = self.queued(self.new_request())
        decision = {
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": "approved",
        }
        url = f"/api/v1/entries/{item['entry_id']}/sign-offs"
        return str(self._ok(self.call("supA", "POST", url, json=decision), 201)["id"])

    def queued(self, request: dict[str, Any]) -> dict[str, Any]:
        """The request as it stands in the supervisor's queue (with the entry's current version)."""
        items = self._ok(self.call("supA", "GET", "/api/v1/sign-off-requests?scope=queue"))["items"]
        return next(item for item in items if item["id"] == request["id"])

    def new_gap_explanation(self) -> dict[str, Any]:
        """A's explanation of a break (private to A)."""
        return self._ok(
            self.call(
                "A",
                "POST",
                "/api/v1/me/gap-explanations",
                json={"starts_on": "2026-01-05", "ends_on": "2026-04-30", "reason": unique("Parental leave")},
            ),
            201,
        )

    def new_session(self) -> dict[str, Any]:
        """A supervision session of A with A's supervisor, yesterday."""
        starts = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
        return self._ok(
            self.call(
                "supA",
                "POST",
                "/api/v1/supervision/sessions",
                json={
                    "supervisor_id": str(self.users["supA"].id),
                    "supervisee_id": str(self.users["A"].id),
                    "starts_at": starts.isoformat(),
                },
            ),
            201,
        )

    def new_action(self) -> dict[str, Any]:
        """An action for A agreed in a new session."""
        session = self.new_session()
        return self._ok(
            self.call(
                "supA",
                "POST",
                f"/api/v1/supervision/sessions/{session['id']}/actions",
                json={"description": "Read the neglect strategy", "owner_id": str(self.users["A"].id)},
            ),
            201,
        )

    def new_team(self) -> dict[str, Any]:
        """An empty team in A's organisation."""
        return self._ok(
            self.call(
                "admin",
                "POST",
                "/api/v1/admin/teams",
                json={"name": unique("Team"), "service_area": "health"},
            ),
            201,
        )

    def new_job_role(self) -> dict[str, Any]:
        """A job role nobody holds, in A's organisation."""
        return self._ok(
            self.call(
                "admin",
                "POST",
                "/api/v1/admin/job-roles",
                json={"name": unique("Role"), "service_area": "health", "profession": "nurse"},
            ),
            201,
        )

    def new_registration(self) -> str:
        """A registration of A's."""
        with self.app.app_context():
            reg = Registration(user_id=self.users["A"].id, regulator="HCPC", profession="physiotherapist")
            db.session.add(reg)
            db.session.commit()
            return str(reg.id)

    def new_proposal(self) -> str:
        """A registration an imported record proposed for A, pending."""
        from logbook.exports.models import RegistrationProposal

        with self.app.app_context():
            row = RegistrationProposal(
                user_id=self.users["A"].id,
                organisation_id=self.users["A"].organisation_id,
                proposed={
                    "regulator": "HCPC",
                    "profession": "physiotherapist",
                    "registration_number": "PH12345",
                },
            )
            db.session.add(row)
            db.session.commit()
            return str(row.id)

    def new_external_signer(self) -> str:
        """An external signer of A's organisation waiting for approval."""
        from logbook.supervision.models import ExternalSigner

        with self.app.app_context():
            row = ExternalSigner(
                organisation_id=self.users["A"].organisation_id,
                email=f"{unique('signer').lower().replace(' ', '-')}@elsewhere.example",
                state="pending",
            )
            db.session.add(row)
            db.session.commit()
            return str(row.id)

    def _build(self) -> None:
        sha = self.new_evidence()
        entry = self.new_entry(evidence=[{"sha256": sha, "name": "certificate.pdf"}])
        signed = self.new_entry(title="Signed entry")
        request = self.queued(self.new_request(signed))
        sign_off = self._ok(
            self.call(
                "supA",
                "POST",
                f"/api/v1/entries/{signed['id']}/sign-offs",
                json={
                    "entry_version": request["entry_version"],
                    "content_sha256": request["content_sha256"],
                    "decision": "approved",
                },
            ),
            201,
        )
        external_entry = self.new_entry(
            title="Joint visit with CAMHS", evidence=[{"sha256": sha, "name": "certificate.pdf"}]
        )
        self._ok(
            self.call(
                "A",
                "POST",
                f"/api/v1/entries/{external_entry['id']}/sign-off-requests",
                json={
                    "entry_version": external_entry["version"],
                    "external": {"name": "Dr Ext Signer", "email": "ext.signer@otheragency.example"},
                },
            ),
            201,
        )
        mail = self.app.extensions["logbook.outbox"][-1]
        token = re.search(r"/sign-off/([A-Za-z0-9_-]+)", mail.body)
        assert token, mail.body
        session = self.new_session()
        feed = self._ok(self.call("A", "POST", "/api/v1/supervision/calendar-feed"))
        with self.app.app_context():
            notification = db.session.scalar(
                select(Notification.id).where(Notification.user_id == self.users["A"].id).limit(1)
            )
            from logbook.portfolio.service import verification_code_for
            from logbook.supervision.models import SignOff

            code = verification_code_for(db.session.get(SignOff, uuid.UUID(sign_off["id"])))
            db.session.commit()
        assert notification is not None, "signing off A's entry should notify A"
        reset_token = secrets.token_urlsafe(32)
        with self.app.app_context():
            db.session.add(
                PasswordReset(
                    token_hash=reset_token_hash(reset_token),
                    user_id=self.users["A"].id,
                    expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
                )
            )
            db.session.commit()
        self.ids.update(
            entry_id=entry["id"],
            explanation_id=self.new_gap_explanation()["id"],
            sha256=sha,
            sign_off_id=sign_off["id"],
            session_id=session["id"],
            link_id=str(self.link_id),
            user_id=str(self.users["A"].id),
            supA_id=str(self.users["supA"].id),
            team_id=str(self.team.id),
            registration_id=self.new_registration(),
            job_role_id=self.new_job_role()["id"],
            notification_id=str(notification),
            framework_id="hcpc",
            view="learning-mix-profession",
            signoff_token=token.group(1),
            code=code,
            reset_token=reset_token,
            calendar_token=feed["url"].rsplit("/", 1)[-1].removesuffix(".ics"),
        )
