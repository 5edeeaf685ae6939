"""The authorisation matrix: every endpoint of the OpenAPI document (and the pages reached without
the API) by every kind of caller → the status code they get, as one explicit table.

A new endpoint fails `test_every_endpoint_is_in_the_matrix` until a row for it is added here.

Callers (tests/security/world.py): anon, practitioner A, practitioner B, A's supervisor (supA), a
supervisor of nobody (supNone), the manager of A's team, the org admin, another organisation's admin
(otherAdmin), and an external signer (an anonymous browser holding the emailed sign-off link).

The objects named in a path are A's (A's entry shared with supervisors, A's evidence, A's
sign-off by supA, a session of A with supA, A's notification...). A caller who may not see an object
gets 404, as if it did not exist (no enumeration); 403 means "you may see this exists, but not do
this" (role-gated endpoints). Secret-URL pages (/sign-off/<token>, /calendar/<token>.ics) are
bearer credentials: only the holder (the external signer; A for A's feed) has the real URL, the others
try a made-up one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from logbook.accounts.models import Organisation, Registration
from logbook.app import create_app
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.sso.service import save_provider
from logbook.timeutil import utcnow
from tests.security.world import ACTORS, TODAY, World, entry_body, pdf, unique

Prep = Callable[[World, str], tuple[dict[str, Any], dict[str, Any]]]


def body(data: dict[str, Any] | Callable[[World], dict[str, Any]]) -> Prep:
    """Send this JSON body (or the body a function of the world returns)."""
    return lambda w, _actor: ({}, {"json": data(w) if callable(data) else data})


def fresh(**makers: Callable[[World], Any]) -> Prep:
    """Path values made anew for each caller (the request may change or delete the object)."""

    def prep(w: World, _actor: str):
        values: dict[str, Any] = {}
        kwargs: dict[str, Any] = {}
        for name, make in makers.items():
            if name == "json":
                kwargs["json"] = make(w)
            else:
                values[name] = make(w)
        return values, kwargs

    return prep


def holder(name: str, *holders: str) -> Prep:
    """A secret-URL token: the holders use the real one, everyone else a made-up one."""
    return lambda w, actor: ({name: w.ids[name] if actor in holders else secrets.token_urlsafe(32)}, {})


def _sign_off_decision(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    req = w.queued(w.new_request())
    return {"entry_id": req["entry_id"]}, {
        "json": {
            "entry_version": req["entry_version"],
            "content_sha256": req["content_sha256"],
            "decision": "approved",
        }
    }


SSO_SETTINGS = {
    "issuer": "https://login.example.org/tenant/v2.0",
    "client_id": "cpd-logbook",
    "client_secret_env": "LOGBOOK_OIDC_SECRET_MATRIX",
    "email_domains": ["test.example"],
}


def _with_sso(w: World, _actor: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A's organisation has a provider set (again) before each caller tries to switch it off."""
    with w.app.app_context():
        organisation = db.session.get(Organisation, w.users["A"].organisation_id)
        save_provider(
            organisation=organisation, data=SSO_SETTINGS, allow_http=False, actor="test", now=utcnow()
        )
        db.session.commit()
    return {}, {}


def _swe_cycle(w: World, _actor: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A's social work registration and the first day of its current cycle (1 December)."""
    if "swe_registration_id" not in w.ids:
        with w.app.app_context():
            load_shipped_frameworks()
            reg = Registration(
                user_id=w.users["A"].id, regulator="SWE", profession="social worker", framework_id="swe"
            )
            db.session.add(reg)
            db.session.commit()
            w.ids["swe_registration_id"] = str(reg.id)
    today = utcnow().date()
    starts = dt.date(today.year if today.month == 12 else today.year - 1, 12, 1)
    return {"registration_id": w.ids["swe_registration_id"], "starts_on": starts.isoformat()}, {}


def _session_confirm(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    session = w.new_session()
    return {"session_id": session["id"]}, {"json": {"version": session["version"]}}


def _session_patch(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    session = w.new_session()
    return {"session_id": session["id"]}, {"json": {"base_version": session["version"], "location": "Room 2"}}


def _session_sign_off_request(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    session = w.new_session()
    return {"session_id": session["id"]}, {"json": {"session_version": session["version"]}}


def _session_sign_off(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A session record A asked A's supervisor to sign (A cannot sign their own request: 409)."""
    session = w.new_session()
    asked = w.call(
        "A",
        "POST",
        f"/api/v1/supervision/sessions/{session['id']}/sign-off-requests",
        json={"session_version": session["version"]},
    )
    assert asked.status_code == 201, asked.get_data(as_text=True)
    return {"session_id": session["id"]}, {
        "json": {
            "session_version": session["version"],
            "content_sha256": session["content_sha256"],
            "decision": "approved",
        }
    }


def _entry_patch(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    entry = w.new_entry()
    return {"entry_id": entry["id"]}, {"json": {"base_version": entry["version"], "title": "Changed"}}


def _entry_delete(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    entry = w.new_entry()
    return {"entry_id": entry["id"]}, {"query_string": {"base_version": entry["version"]}}


def _gap_patch(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    gap = w.new_gap_explanation()
    return {"explanation_id": gap["id"]}, {"json": {"base_version": gap["version"], "reason": "Sick leave"}}


def _gap_delete(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    gap = w.new_gap_explanation()
    return {"explanation_id": gap["id"]}, {"query_string": {"base_version": gap["version"]}}


def _request_sign_off(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    entry = w.new_entry()
    return {"entry_id": entry["id"]}, {
        "json": {"entry_version": entry["version"], "supervisor_id": str(w.users["supA"].id)}
    }


def _upload(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    data = pdf(unique("upload"))
    return {"sha256": hashlib.sha256(data).hexdigest()}, {"data": data}


FRAMEWORK = """\
format: 1
id: {id}
version: 1
name: Integrated working
kind: registration
sources:
  - title: Our service's integrated working framework
standards:
  - {{code: "1", title: "Work together"}}
cycle:
  type: fixed_year
  starts: "1 Apr"
  length_months: 12
requirements:
  - id: learning_sets
    title: Two reflective learning sets a year
    measure: count
    kinds: [reflective_learning_set]
    target: 2
"""


def _framework(_w: World) -> dict[str, Any]:
    return {"filename": "local.yaml", "text": FRAMEWORK.format(id="local-" + uuid.uuid4().hex[:8])}


def _session_in(w: World) -> dict[str, Any]:
    return {
        "supervisor_id": str(w.users["supA"].id),
        "supervisee_id": str(w.users["A"].id),
        "starts_at": "2026-01-05T10:00:00+00:00",
    }


def same(prep_one: Callable[[World], tuple[dict[str, Any], dict[str, Any]]]) -> Prep:
    """Adapt a one-argument prep."""
    return lambda w, _actor: prep_one(w)


def _new_event(w: World, **extra: Any) -> str:
    """An event of the organisation, for everyone, starting now, published by the org admin."""
    from logbook.timeutil import utcnow

    body = {"title": unique("Workshop"), "kind": "bite_size_workshop", "duration_minutes": 60}
    event = w.call(
        "admin", "POST", "/api/v1/events", json={**body, "starts_at": utcnow().isoformat(), **extra}
    )
    assert event.status_code == 201, event.get_data(as_text=True)
    return event.get_json()["id"]


def _event_code(w: World, event_id: str) -> str:
    return w.call("admin", "GET", f"/api/v1/events/{event_id}/check-in-code").get_json()["code"]


def _qr(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    event_id = _new_event(w)
    return {"event_id": event_id}, {"query_string": {"code": _event_code(w, event_id)}}


def _check_in(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    return {}, {"json": {"code": _event_code(w, _new_event(w))}}


def _attended(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """An event A checked in to (only attendees give feedback)."""
    event_id = _new_event(w)
    checked_in = w.call("A", "POST", "/api/v1/events/check-in", json={"code": _event_code(w, event_id)})
    assert checked_in.status_code == 200
    return {"event_id": event_id}, {"json": {"rating": 4, "comment": "Useful"}}


def _facilitator(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    user_id = str(w.users["B"].id)
    granted = w.call("admin", "POST", "/api/v1/events/facilitators", json={"user_id": user_id})
    assert granted.status_code == 200
    return {"user_id": user_id}, {}


def _learning_set(w: World) -> str:
    members = [str(w.users["A"].id)]
    made = w.call(
        "admin", "POST", "/api/v1/learning-sets", json={"name": unique("Set"), "member_ids": members}
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    return made.get_json()["id"]


def _inline_jobs(w: World, kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Jobs queued by this row run at once, in the request's commit (no thread outlives the test)."""
    from logbook.app import job_function
    from logbook.jobs.runner import InlineRunner

    w.app.extensions["logbook.job_runner"] = InlineRunner(w.app, job_function(w.app))
    return {}, kwargs


def _a_job(w: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A's finished record export."""
    _inline_jobs(w, {})
    job = w.call("A", "POST", "/api/v1/record/export")
    assert job.status_code == 202, job.get_data(as_text=True)
    return {"job_id": job.get_json()["id"]}, {}


def _staff_file(w: World, _actor: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A staff onboarding file that renames A (of the first organisation)."""
    data = f"name,email\nAlex Renamed,{w.users['A'].email}\n".encode()
    return {}, {"data": data, "content_type": "text/csv"}


CSV = "job_role,service_area,profession,registration_framework\n{name},health,nurse,NMC\n"

# Expected statuses, in ACTORS order:
#        anon  A    B    supA supNone manager admin otherAdmin external
# One row per (method, path). Rows are grouped as the OpenAPI document lists them.
MATRIX: list[tuple[str, str, Prep | None, tuple[int, ...]]] = [
    # --- sessions and the current user ---
    ("GET", "/api/v1/auth/csrf", None, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    (
        "POST",
        "/api/v1/auth/login",
        lambda _w, actor: ({}, {"json": {"email": f"nobody-{actor}@test.example", "password": "wrong"}}),
        (401, 401, 401, 401, 401, 401, 401, 401, 401),
    ),
    ("POST", "/api/v1/auth/logout", None, (204, 204, 204, 204, 204, 204, 204, 204, 204)),
    ("GET", "/api/v1/me", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/me/password",  # everyone with an account, for their own password only (and a wrong one here)
        lambda _w, _actor: (
            {},
            {"json": {"current_password": "wrong", "new_password": "Kettle-Orbit-Lantern-42"}},
        ),
        (401, 422, 422, 422, 422, 422, 422, 422, 401),
    ),
    # one's own registrations: each caller sees and adds their own; only A may change A's (others: 404)
    ("GET", "/api/v1/me/registrations", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/me/registrations",
        body({"regulator": "NMC", "profession": "nurse"}),
        (401, 201, 201, 201, 201, 201, 201, 201, 401),
    ),
    (
        "PATCH",
        "/api/v1/me/registrations/{registration_id}",
        body({"registration_number": "PH654321"}),
        (401, 200, 404, 404, 404, 404, 404, 404, 401),
    ),
    # --- organisation administration: org admins only, and only their own organisation ---
    ("GET", "/api/v1/admin/teams", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "POST",
        "/api/v1/admin/teams",
        body(lambda _w: {"name": unique("Team"), "service_area": "health"}),
        (401, 403, 403, 403, 403, 403, 201, 201, 401),
    ),
    ("GET", "/api/v1/admin/teams/{team_id}", None, (401, 403, 403, 403, 403, 403, 200, 404, 401)),
    (
        "PATCH",
        "/api/v1/admin/teams/{team_id}",
        body({"service_area": "early_help"}),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "DELETE",
        "/api/v1/admin/teams/{team_id}",
        fresh(team_id=lambda w: w.new_team()["id"]),
        (401, 403, 403, 403, 403, 403, 204, 404, 401),
    ),
    ("GET", "/api/v1/admin/job-roles", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "POST",
        "/api/v1/admin/job-roles",
        body(lambda _w: {"name": unique("Role"), "service_area": "health", "profession": "nurse"}),
        (401, 403, 403, 403, 403, 403, 201, 201, 401),
    ),
    (
        "POST",
        "/api/v1/admin/job-roles/import",
        body(lambda _w: {"csv": CSV.format(name=unique("Imported role"))}),
        (401, 403, 403, 403, 403, 403, 200, 200, 401),
    ),
    ("GET", "/api/v1/admin/job-roles/{job_role_id}", None, (401, 403, 403, 403, 403, 403, 200, 404, 401)),
    (
        "PATCH",
        "/api/v1/admin/job-roles/{job_role_id}",
        body({"profession": "health visitor"}),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "DELETE",
        "/api/v1/admin/job-roles/{job_role_id}",
        fresh(job_role_id=lambda w: w.new_job_role()["id"]),
        (401, 403, 403, 403, 403, 403, 204, 404, 401),
    ),
    ("GET", "/api/v1/admin/users", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "POST",
        "/api/v1/admin/users",
        body(
            lambda _w: {
                "email": f"new-{uuid.uuid4().hex[:10]}@test.example",
                "name": "New Starter",
                "password": "a long unguessable passphrase 7731",
                "roles": ["practitioner"],
            }
        ),
        (401, 403, 403, 403, 403, 403, 201, 201, 401),
    ),
    (
        "POST",
        "/api/v1/admin/users/invite",  # each admin invites into their own organisation
        body(
            lambda _w: {"email": f"invited-{uuid.uuid4().hex[:10]}@test.example", "name": "Invited Starter"}
        ),
        (401, 403, 403, 403, 403, 403, 201, 201, 401),
    ),
    (
        "POST",
        "/api/v1/admin/users/{user_id}/invitation",
        None,
        (401, 403, 403, 403, 403, 403, 202, 404, 401),
    ),
    ("GET", "/api/v1/admin/users/{user_id}", None, (401, 403, 403, 403, 403, 403, 200, 404, 401)),
    (
        "PATCH",
        "/api/v1/admin/users/{user_id}",
        body({"name": "Alex Renamed"}),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/admin/users/{user_id}/registrations",
        None,
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "POST",
        "/api/v1/admin/users/{user_id}/registrations",
        body({"regulator": "NMC", "profession": "nurse"}),
        (401, 403, 403, 403, 403, 403, 201, 404, 401),
    ),
    ("GET", "/api/v1/admin/registrations", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "PATCH",
        "/api/v1/admin/registrations/{registration_id}",
        body({"registration_number": "PH123456"}),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "DELETE",
        "/api/v1/admin/registrations/{registration_id}",
        fresh(registration_id=lambda w: w.new_registration()),
        (401, 403, 403, 403, 403, 403, 204, 404, 401),
    ),
    # registrations an imported record proposes, and external signers waiting for approval
    ("GET", "/api/v1/admin/registration-proposals", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "POST",
        "/api/v1/admin/registration-proposals/{proposal_id}/confirm",
        fresh(proposal_id=lambda w: w.new_proposal(), json=lambda _w: {}),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "POST",
        "/api/v1/admin/registration-proposals/{proposal_id}/reject",
        fresh(proposal_id=lambda w: w.new_proposal()),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    # what applies to whom, and the organisation's audit trail (each admin sees only their own)
    ("GET", "/api/v1/admin/frameworks", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    ("GET", "/api/v1/admin/audit", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    ("GET", "/api/v1/admin/external-signer-settings", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "PATCH",
        "/api/v1/admin/external-signer-settings",
        body({"require_approval": False}),
        (401, 403, 403, 403, 403, 403, 200, 200, 401),
    ),
    ("GET", "/api/v1/admin/sso", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    # each admin sets their own organisation's provider (never another's: there is no id to name)
    ("PUT", "/api/v1/admin/sso", body(SSO_SETTINGS), (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    # A's organisation has single sign-on; the other admin's has none to switch off
    ("DELETE", "/api/v1/admin/sso", _with_sso, (401, 403, 403, 403, 403, 403, 204, 404, 401)),
    ("GET", "/api/v1/admin/external-signers", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "POST",
        "/api/v1/admin/external-signers/{signer_id}/approve",
        fresh(signer_id=lambda w: w.new_external_signer()),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "POST",
        "/api/v1/admin/external-signers/{signer_id}/refuse",
        fresh(signer_id=lambda w: w.new_external_signer()),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    # --- supervisor assignments and staff onboarding (docs/onboarding.md): org admins, own people ---
    ("GET", "/api/v1/admin/supervision-assignments", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "POST",
        "/api/v1/admin/supervision-assignments",  # supNone for B: another organisation's admin finds neither
        body(
            lambda w: {
                "supervisor_id": str(w.users["supNone"].id),
                "supervisee_id": str(w.users["B"].id),
                "kind": "professional",
                "starts_on": TODAY.isoformat(),
            }
        ),
        (401, 403, 403, 403, 403, 403, 201, 404, 401),
    ),
    (
        "POST",
        "/api/v1/admin/supervision-assignments/{link_id}/end",  # A's link with supA
        body({}),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "POST",
        "/api/v1/admin/staff-import/preview",  # another organisation's admin: A's row is an error row
        _staff_file,
        (401, 403, 403, 403, 403, 403, 200, 200, 401),
    ),
    (
        "POST",
        "/api/v1/admin/staff-import/apply",  # renames A: refused (422, nothing written) for otherAdmin
        _staff_file,
        (401, 403, 403, 403, 403, 403, 200, 422, 401),
    ),
    # --- entries and evidence: A's entry is shared with supervisors ---
    ("GET", "/api/v1/entries", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/entries",
        body(lambda _w: entry_body(title="My own entry", reflection=None)),
        (401, 201, 201, 201, 201, 201, 201, 201, 401),
    ),
    ("GET", "/api/v1/entries/{entry_id}", None, (401, 200, 404, 200, 404, 404, 404, 404, 401)),
    (
        "PATCH",
        "/api/v1/entries/{entry_id}",
        same(_entry_patch),
        (401, 200, 404, 404, 404, 404, 404, 404, 401),
    ),
    (
        "DELETE",
        "/api/v1/entries/{entry_id}",
        same(_entry_delete),
        (401, 200, 404, 404, 404, 404, 404, 404, 401),
    ),
    # --- gap explanations: A's own, private (nobody else may read, change or delete them) ---
    ("GET", "/api/v1/me/gap-explanations", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/me/gap-explanations",
        body({"starts_on": "2026-01-05", "ends_on": "2026-04-30", "reason": "Sick leave"}),
        (401, 201, 201, 201, 201, 201, 201, 201, 401),
    ),
    (
        "GET",
        "/api/v1/me/gap-explanations/{explanation_id}",
        None,
        (401, 200, 404, 404, 404, 404, 404, 404, 401),
    ),
    (
        "PATCH",
        "/api/v1/me/gap-explanations/{explanation_id}",
        same(_gap_patch),
        (401, 200, 404, 404, 404, 404, 404, 404, 401),
    ),
    (
        "DELETE",
        "/api/v1/me/gap-explanations/{explanation_id}",
        same(_gap_delete),
        (401, 200, 404, 404, 404, 404, 404, 404, 401),
    ),
    (
        "POST",
        "/api/v1/privacy/check",
        body({"text": "Mrs Smith"}),
        (401, 200, 200, 200, 200, 200, 200, 200, 401),
    ),
    ("GET", "/api/v1/reflection-templates", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/evidence/{sha256}", None, (401, 200, 404, 200, 404, 404, 404, 404, 401)),
    ("PUT", "/api/v1/evidence/{sha256}", same(_upload), (401, 201, 201, 201, 201, 201, 201, 201, 401)),
    # --- sync: always the caller's own data ---
    (
        "POST",
        "/api/v1/sync/push",
        lambda _w, actor: ({}, {"json": {"client_id": f"device-{actor}", "mutations": []}}),
        (401, 200, 200, 200, 200, 200, 200, 200, 401),
    ),
    ("GET", "/api/v1/sync/pull", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    # --- insights: team managers (their teams) and org admins (their organisation) ---
    ("GET", "/api/v1/insights/{view}.csv", None, (401, 403, 403, 403, 403, 200, 200, 200, 401)),
    ("GET", "/api/v1/insights/{view}", None, (401, 403, 403, 403, 403, 200, 200, 200, 401)),
    ("GET", "/api/v1/insights", None, (401, 403, 403, 403, 403, 200, 200, 200, 401)),
    # --- frameworks and progress ---
    ("GET", "/api/v1/frameworks", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    ("POST", "/api/v1/frameworks", body(_framework), (401, 403, 403, 403, 403, 403, 201, 201, 401)),
    ("GET", "/api/v1/frameworks/{framework_id}", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/progress", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    # the caller's own registrations and rules, for the phone's engine (no parameters: nobody else's)
    ("GET", "/api/v1/progress/inputs", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    # every cycle of the caller's own registrations (no parameter names anyone else)
    ("GET", "/api/v1/progress/history", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    # --- sign-off ---
    (
        "POST",
        "/api/v1/entries/{entry_id}/sign-off-requests",
        same(_request_sign_off),
        (401, 201, 404, 404, 404, 404, 404, 404, 401),
    ),
    # the default scope is the supervisor's queue (always their own); ?scope=mine is the requester's
    ("GET", "/api/v1/sign-off-requests", None, (401, 403, 403, 200, 200, 403, 403, 403, 401)),
    (
        "DELETE",
        "/api/v1/sign-off-requests/{request_id}",
        fresh(request_id=lambda w: w.new_request()["id"]),
        (401, 200, 404, 404, 404, 404, 404, 404, 401),
    ),
    ("GET", "/api/v1/entries/{entry_id}/sign-offs", None, (401, 200, 404, 200, 404, 404, 404, 404, 401)),
    (
        "POST",
        "/api/v1/entries/{entry_id}/sign-offs",
        same(_sign_off_decision),
        (401, 403, 404, 201, 404, 404, 404, 404, 401),
    ),
    ("GET", "/api/v1/sign-offs/{sign_off_id}", None, (401, 200, 404, 200, 404, 404, 404, 404, 401)),
    # withdrawing: the signer (supA) or A's org admin; A may see it but not withdraw it (403)
    (
        "POST",
        "/api/v1/sign-offs/{sign_off_id}/withdraw",
        fresh(sign_off_id=lambda w: w.new_sign_off(), json=lambda _w: {"reason": "Signed in error."}),
        (401, 403, 404, 200, 404, 404, 200, 404, 401),
    ),
    # --- supervision sessions and actions ---
    ("GET", "/api/v1/supervision/sessions", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/supervision/sessions",
        body(_session_in),
        (401, 201, 403, 201, 403, 403, 403, 403, 401),
    ),
    (
        "GET",
        "/api/v1/supervision/sessions/{session_id}",
        None,
        (401, 200, 404, 200, 404, 404, 404, 404, 401),
    ),
    (
        "PATCH",
        "/api/v1/supervision/sessions/{session_id}",
        same(_session_patch),
        (401, 200, 404, 200, 404, 404, 404, 404, 401),
    ),
    (
        "POST",
        "/api/v1/supervision/sessions/{session_id}/confirm",
        same(_session_confirm),
        (401, 200, 404, 200, 404, 404, 404, 404, 401),
    ),
    (
        "POST",
        "/api/v1/supervision/sessions/{session_id}/actions",
        body(lambda w: {"description": "Shadow a health visitor", "owner_id": str(w.users["A"].id)}),
        (401, 201, 404, 201, 404, 404, 404, 404, 401),
    ),
    ("GET", "/api/v1/supervision/actions", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/supervision/actions/{action_id}/close",
        fresh(action_id=lambda w: w.new_action()["id"], json=lambda _w: {}),
        (401, 200, 404, 200, 404, 404, 404, 404, 401),
    ),
    (
        "PUT",
        "/api/v1/supervision/links/{link_id}/agreement",
        body({"frequency_days": 30}),
        (401, 200, 404, 200, 404, 404, 200, 404, 401),  # either party, or their org's admin
    ),
    ("GET", "/api/v1/supervision/due", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/supervision/status", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),  # one's own
    ("POST", "/api/v1/supervision/calendar-feed", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    ("DELETE", "/api/v1/supervision/calendar-feed", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "GET",
        "/api/v1/supervision/sessions/{session_id}/invite.ics",
        None,
        (401, 200, 404, 200, 404, 404, 404, 404, 401),
    ),
    ("GET", "/api/v1/supervision/people", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/supervision/sessions/{session_id}/sign-off-requests",
        same(_session_sign_off_request),
        (401, 201, 404, 201, 404, 404, 404, 404, 401),  # either party asks the other
    ),
    (
        "GET",
        "/api/v1/supervision/sign-off-requests",
        None,
        (401, 200, 200, 200, 200, 200, 200, 200, 401),  # always the caller's own queue / requests
    ),
    (
        "GET",
        "/api/v1/supervision/sessions/{session_id}/sign-offs",
        None,
        (401, 200, 404, 200, 404, 404, 404, 404, 401),
    ),
    (
        "POST",
        "/api/v1/supervision/sessions/{session_id}/sign-offs",
        same(_session_sign_off),
        (401, 409, 404, 201, 404, 404, 404, 404, 401),
    ),
    # --- notifications: always the caller's own ---
    ("GET", "/api/v1/notifications", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/notifications/{notification_id}/read",
        None,
        (401, 200, 404, 404, 404, 404, 404, 404, 401),
    ),
    ("GET", "/api/v1/notifications/preferences", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "PUT",
        "/api/v1/notifications/preferences",
        body({"items": [{"kind": "sign_off_requested", "is_email": False}]}),
        (401, 200, 200, 200, 200, 200, 200, 200, 401),
    ),
    # --- verifiable credentials: the caller's own entry (A's entry here is not signed off: 409 with the
    # reason for A, 404 for everyone else) and the caller's own record (409 when nothing is verified) ---
    ("GET", "/api/v1/entries/{entry_id}/credential", None, (401, 409, 404, 404, 404, 404, 404, 404, 401)),
    ("GET", "/api/v1/record/clr", None, (401, 200, 409, 409, 409, 409, 409, 409, 401)),
    # a registration cycle of the caller's own (A's current SWE cycle: not ended, 409 for A; 404 for
    # everyone else, whose registrations it is not)
    (
        "GET",
        "/api/v1/me/cycles/{registration_id}/{starts_on}/credential",
        _swe_cycle,
        (401, 409, 404, 404, 404, 404, 404, 404, 401),
    ),
    # --- portfolio: always the caller's own entries ---
    ("POST", "/api/v1/portfolio", body({}), (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    # --- background jobs (A's record export): status for the owner and their org's admins, the file
    # for the owner only; the staff export for org admins and their own people; the full record is
    # always the caller's own (an import of bad bytes: 422 for anyone signed in) ---
    ("GET", "/api/v1/jobs/{job_id}", same(_a_job), (401, 200, 404, 404, 404, 404, 200, 404, 401)),
    ("GET", "/api/v1/jobs/{job_id}/download", same(_a_job), (401, 200, 404, 404, 404, 404, 404, 404, 401)),
    (
        "POST",
        "/api/v1/exports/staff",
        lambda w, _actor: _inline_jobs(w, {"json": {"user_ids": [str(w.users["A"].id)]}}),
        (401, 403, 403, 403, 403, 403, 202, 422, 401),
    ),
    (
        "POST",
        "/api/v1/record/export",
        lambda w, _actor: _inline_jobs(w, {}),
        (401, 202, 202, 202, 202, 202, 202, 202, 401),
    ),
    (
        "POST",
        "/api/v1/record/import",
        lambda _w, _a: ({}, {"data": b"not a zip", "content_type": "application/zip"}),
        (401, 422, 422, 422, 422, 422, 422, 422, 401),
    ),
    # --- the caller's own record in other formats (Leap2A for Mahara, past CPD from a spreadsheet):
    # always their own; bad bytes are 422 for anyone signed in ---
    ("GET", "/api/v1/record/leap2a", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/record/leap2a/preview",
        lambda _w, _a: ({}, {"data": b"not a package", "content_type": "application/octet-stream"}),
        (401, 422, 422, 422, 422, 422, 422, 422, 401),
    ),
    (
        "POST",
        "/api/v1/record/leap2a/apply",
        lambda _w, _a: ({}, {"data": b"not a package", "content_type": "application/octet-stream"}),
        (401, 422, 422, 422, 422, 422, 422, 422, 401),
    ),
    (
        "POST",
        "/api/v1/record/spreadsheet/preview",
        lambda _w, _a: ({}, {"data": b"Date,Title,Hours\n2025-04-03,Course,2\n", "content_type": "text/csv"}),
        (401, 200, 200, 200, 200, 200, 200, 200, 401),
    ),
    (
        "POST",
        "/api/v1/record/spreadsheet/apply",
        lambda _w, _a: ({}, {"data": b"", "content_type": "text/csv"}),
        (401, 422, 422, 422, 422, 422, 422, 422, 401),
    ),
    # --- the learning offer: events of the caller's organisation; publishing by org admins (and
    # facilitators they allow); codes, registers and feedback summaries for the event's facilitators ---
    ("GET", "/api/v1/events", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/events",
        body(
            lambda _w: {
                "title": unique("Workshop"),
                "kind": "course",
                "starts_at": "2026-12-01T10:00:00+00:00",
                "duration_minutes": 60,
            }
        ),
        (401, 403, 403, 403, 403, 403, 201, 201, 401),
    ),
    (
        "GET",
        "/api/v1/events/{event_id}",
        fresh(event_id=_new_event),
        (401, 200, 200, 200, 200, 200, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/events/{event_id}/invite.ics",
        fresh(event_id=_new_event),
        (401, 200, 200, 200, 200, 200, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/events/{event_id}/check-in-code",
        fresh(event_id=_new_event),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/events/{event_id}/check-in-qr.svg",
        same(_qr),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    ("POST", "/api/v1/events/check-in", same(_check_in), (401, 200, 200, 200, 200, 200, 200, 404, 401)),
    (
        "GET",
        "/api/v1/events/{event_id}/register",
        fresh(event_id=_new_event),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "POST",
        "/api/v1/events/{event_id}/register",
        fresh(event_id=_new_event, json=lambda w: {"user_ids": [str(w.users["A"].id)]}),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "GET",
        "/api/v1/events/{event_id}/feedback",
        fresh(event_id=_new_event),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    (
        "POST",
        "/api/v1/events/{event_id}/feedback",
        same(_attended),
        (401, 200, 403, 403, 403, 403, 403, 404, 401),  # attendees only
    ),
    ("GET", "/api/v1/events/facilitators", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "POST",
        "/api/v1/events/facilitators",
        body(lambda w: {"user_id": str(w.users["A"].id)}),
        (401, 403, 403, 403, 403, 403, 200, 422, 401),  # another organisation's person: not found as one
    ),
    (
        "DELETE",
        "/api/v1/events/facilitators/{user_id}",
        same(_facilitator),
        (401, 403, 403, 403, 403, 403, 200, 404, 401),
    ),
    ("GET", "/api/v1/learning-sets", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "POST",
        "/api/v1/learning-sets",
        body(lambda w: {"name": unique("Set"), "member_ids": [str(w.users["A"].id)]}),
        (401, 403, 403, 403, 403, 403, 201, 422, 401),
    ),
    (
        "POST",
        "/api/v1/learning-sets/{set_id}/meetings",
        fresh(
            set_id=_learning_set,
            json=lambda w: {
                "starts_at": "2026-11-20T10:00:00+00:00",
                "duration_minutes": 60,
                "present": [str(w.users["A"].id)],
            },
        ),
        (401, 403, 403, 403, 403, 403, 201, 404, 401),
    ),
]

# Pages outside the API that matter for access: public, or reached through a secret URL.
def _org_slug(w: World, _actor: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The slug of A's organisation (the issuer of A's credentials)."""
    with w.app.app_context():
        org = db.session.get(Organisation, w.users["A"].organisation_id)
        assert org is not None
        return {"org_slug": org.slug}, {}


PAGES: list[tuple[str, str, Prep | None, tuple[int, ...]]] = [
    ("GET", "/verify", None, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/verify/{code}", None, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    (
        "GET",
        "/sign-off/{signoff_token}",
        holder("signoff_token", "external"),
        (404, 404, 404, 404, 404, 404, 404, 404, 200),
    ),
    (
        "GET",
        "/sign-off/{signoff_token}/evidence/{sha256}",  # the entry's file, through the link only
        holder("signoff_token", "external"),
        (404, 404, 404, 404, 404, 404, 404, 404, 200),
    ),
    (
        "GET",
        "/calendar/{calendar_token}.ics",
        holder("calendar_token", "A"),
        (404, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("GET", "/forgot-password", None, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    # single sign-on starts and returns outside the session: an unknown organisation, and a callback
    # without a state this browser started, are refused alike for everybody
    ("GET", "/auth/oidc/login?organisation=nobody", None, (404, 404, 404, 404, 404, 404, 404, 404, 404)),
    ("GET", "/auth/oidc/callback?state=forged&code=x", None, (400, 400, 400, 400, 400, 400, 400, 400, 400)),
    (
        "GET",
        "/reset-password/{reset_token}",
        holder("reset_token", "A"),  # the link emailed to A
        (404, 200, 404, 404, 404, 404, 404, 404, 404),
    ),
    ("GET", "/api/docs", None, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/api/v1/openapi.json", None, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/healthz", None, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    # the issuer's profile and revocation list: public, for anyone checking a credential
    ("GET", "/credentials/issuers/{org_slug}", _org_slug, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
    ("GET", "/credentials/status/{org_slug}", _org_slug, (200, 200, 200, 200, 200, 200, 200, 200, 200)),
]


# Who ever receives the text of A's reflections: A, A's supervisor, and the external signer on the
# sign-off page of the one entry they were asked to sign (they review the whole entry).
READERS_OF_REFLECTIONS = {"A", "supA", "external"}


# The same endpoints with the options that widen what they show (other people's data).
VARIANTS: list[tuple[str, str, Prep | None, tuple[int, ...]]] = [
    ("GET", "/api/v1/entries?scope=supervisees", None, (401, 403, 403, 200, 200, 403, 403, 403, 401)),
    ("GET", "/api/v1/entries?scope=organisation", None, (401, 403, 403, 403, 403, 200, 200, 200, 401)),
    ("GET", "/api/v1/progress?user_id={user_id}", None, (401, 200, 404, 200, 404, 200, 200, 404, 401)),
    ("GET", "/api/v1/progress?scope=supervisees", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/progress?scope=team", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    ("GET", "/api/v1/progress?scope=organisation", None, (401, 404, 404, 404, 404, 404, 200, 200, 401)),
    ("GET", "/api/v1/supervision/due?scope=supervisees", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    (
        "GET",
        "/api/v1/supervision/due?scope=organisation",
        None,
        (401, 403, 403, 403, 403, 403, 200, 200, 401),
    ),
    ("GET", "/api/v1/sign-off-requests?scope=mine", None, (401, 200, 200, 200, 200, 200, 200, 200, 401)),
    # another organisation's team id filters the caller's own organisation down to nobody
    ("GET", "/api/v1/insights/{view}?team_id={team_id}", None, (401, 403, 403, 403, 403, 200, 200, 200, 401)),
    ("GET", "/api/v1/admin/users/{supA_id}", None, (401, 403, 403, 403, 403, 403, 200, 404, 401)),
    # filters naming another organisation's people or teams match nobody, they never widen the list
    ("GET", "/api/v1/admin/users?team_id={team_id}", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    ("GET", "/api/v1/admin/audit?actor_id={user_id}", None, (401, 403, 403, 403, 403, 403, 200, 200, 401)),
    (
        "POST",
        "/api/v1/exports/staff?whole-organisation",  # the caller's own organisation, never another's
        lambda w, _actor: _inline_jobs(w, {"json": {"organisation": True}}),
        (401, 403, 403, 403, 403, 403, 202, 202, 401),
    ),
]


def _spec_operations() -> set[tuple[str, str]]:
    app = create_app({"ENV": "testing", "DATABASE_URL": "sqlite://"})
    spec = app.extensions["logbook.api"].spec.to_dict()
    return {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }


def test_every_endpoint_is_in_the_matrix():
    listed = [(method, path) for method, path, _prep, _statuses in MATRIX]
    assert len(listed) == len(set(listed)), "a (method, path) is listed twice"
    spec = _spec_operations()
    missing, gone = sorted(spec - set(listed)), sorted(set(listed) - spec)
    assert not missing, f"endpoints missing from the matrix (add a row): {missing}"
    assert not gone, f"rows for endpoints that no longer exist: {gone}"
    assert all(len(statuses) == len(ACTORS) for *_rest, statuses in MATRIX + PAGES + VARIANTS)


@pytest.fixture
def world(app, make_user, make_client, org, other_org) -> World:
    """The cast and their objects (built once per row: rows may change or delete things)."""
    return World(app, make_user, make_client, org, other_org)


@pytest.mark.parametrize(
    ("method", "path", "prep", "statuses"),
    [pytest.param(*row, id=f"{row[0]} {row[1]}") for row in MATRIX + PAGES + VARIANTS],
)
def test_matrix(world, method, path, prep, statuses):
    mismatches = []
    for actor, expected in zip(ACTORS, statuses, strict=True):
        values, kwargs = prep(world, actor) if prep else ({}, {})
        url = path.format(**(world.ids | values))
        response = world.call(actor, method, url, **kwargs)
        if response.status_code != expected:
            mismatches.append((actor, expected, response.status_code, response.get_data(as_text=True)[:200]))
        if response.status_code >= 400 and response.is_json:
            assert set(response.get_json()["error"]) >= {"code", "message", "fields"}
        if actor not in READERS_OF_REFLECTIONS:
            assert b"secret reflection text" not in response.data, actor
    got = tuple(
        expected if not any(m[0] == a for m in mismatches) else next(m[2] for m in mismatches if m[0] == a)
        for a, expected in zip(ACTORS, statuses, strict=True)
    )
    assert not mismatches, f"actual row: {got}\n" + "\n".join(map(str, mismatches))
