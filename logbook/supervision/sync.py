"""Offline sign-off: a practitioner's request and a supervisor's decision made on a device arrive as
sync mutations; the state of each request reaches both people's devices through the pull.

Request: ``{"entity": "sign_off_request", "op": "create", "id": <request UUID made on the device>,
"fields": {"entry_id", "entry_version", "supervisor_id" | "external": {name, email,
registration_body?}, "signer_role"?, "message"?}}``: the same rules as the API (caller owns the entry,
the entry is still at that version, the supervisor supervises them today); an external signer is
emailed a single-use link at once.

Decision:
Mutation: ``{"entity": "sign_off", "op": "create", "id": <sign-off UUID made on the device>,
"fields": {"entry_id", "entry_version", "content_sha256", "decision", "comment", "request_id"?}}``.
If the entry changed after the supervisor read it, the result is a conflict naming the version they
saw and the current one: never a signature on text they did not see.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select

from logbook.accounts import links
from logbook.accounts.models import User
from logbook.config import PushSettings
from logbook.errors import Conflict, ValidationFailed, flatten_messages
from logbook.extensions import db
from logbook.supervision import imported, session_signoff, sessions, signoff
from logbook.supervision.models import (
    SessionSignOff,
    SessionSignOffRequest,
    SignOff,
    SignOffRequest,
    SupervisionAction,
    SupervisionSession,
)
from logbook.supervision.schemas import (
    SessionChangesSchema,
    SessionConfirmMutationSchema,
    SessionDecisionMutationSchema,
    SessionMutationSchema,
    SessionRequestMutationSchema,
    SessionSchema,
    SignOffMutationSchema,
    SignOffRequestMutationSchema,
)

_REQUEST_IN = SignOffRequestMutationSchema()


def _only_create(mutation: dict[str, Any], what: str) -> None:
    if mutation["op"] != "create":
        raise ValidationFailed(
            f"A {what} cannot be changed or deleted through sync.", fields={"op": ["must be create"]}
        )


def apply_sign_off_request(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    """Apply one sign-off request made on a phone (only "create"; withdrawing is done online)."""
    _only_create(mutation, "sign-off request")
    try:
        data = _REQUEST_IN.load(mutation.get("fields") or {})
    except ValidationError as err:
        raise ValidationFailed("Some fields are not valid.", fields=flatten_messages(err.messages)) from err
    new = signoff.request_sign_off(
        owner=user,
        now=now,
        request_id=mutation["id"],
        link_days=settings.link_days,
        base_url=settings.base_url,  # the configured public URL, never the host the phone reached
        external_requests_per_day=settings.external_requests_per_day,
        **data,
    )
    return {
        "status": "applied",
        "entry_id": str(new.request.entry_id),
        # the entry moved on one version when it became "submitted"
        "entry_version": new.request.entry_version,
        "state": new.request.state,
    }


def request_record(
    row: SignOffRequest, decision: SignOff | None, supervisor_name: str | None
) -> dict[str, Any]:
    """A sign-off request as a device keeps it: its state and, once decided, the decision and comment."""
    return {
        "id": str(row.id),
        "entry_id": str(row.entry_id),
        "entry_version": row.entry_version,
        "content_sha256": row.content_sha256,
        "requested_by_id": str(row.requested_by_id),
        "requested_by_name": row.requested_by.name,
        "supervisor_id": str(row.supervisor_id) if row.supervisor_id else None,
        "supervisor_name": supervisor_name,
        "external_name": row.external_name,
        "signer_role": row.signer_role,
        "message": row.message,
        "state": row.state,
        "external_approval": row.external_approval,
        "created_at": row.created_at.isoformat(),
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
        "decision": None
        if decision is None
        else {
            "id": str(decision.id),
            "decision": decision.decision,
            "comment": decision.comment,
            "signer_name": decision.signer_name,
            "signed_at": decision.signed_at.isoformat(),
            "label": imported.signer_label(decision),
        },
    }


def pull_sign_off_requests(user: User, ids: list[uuid.UUID], today: dt.date) -> list[dict[str, Any]]:
    """Pull items for requests in this user's feed: the sender always sees them; the addressed
    supervisor only while they still supervise the sender (otherwise their device drops it)."""
    rows = {r.id: r for r in db.session.scalars(select(SignOffRequest).where(SignOffRequest.id.in_(ids)))}
    decisions = {
        d.request_id: d for d in db.session.scalars(select(SignOff).where(SignOff.request_id.in_(ids)))
    }
    supervisees = links.supervisee_ids(supervisor_id=user.id, today=today)
    names: dict[uuid.UUID | None, str] = {
        u.id: u.name
        for u in db.session.scalars(
            select(User).where(User.id.in_({r.supervisor_id for r in rows.values()} - {None}))
        )
    }
    items = []
    for record_id in ids:
        row = rows.get(record_id)
        visible = row is not None and (
            row.requested_by_id == user.id
            or (row.supervisor_id == user.id and row.requested_by_id in supervisees)
        )
        version = 1 if row is None or row.state == "open" else 2
        if not visible:
            items.append(
                {"entity": "sign_off_request", "id": str(record_id), "op": "remove", "version": version}
            )
            continue
        if row is None:
            raise RuntimeError("visible implies found: cannot be missing")
        items.append(
            {
                "entity": "sign_off_request",
                "id": str(record_id),
                "op": "upsert",
                "version": version,
                "record": request_record(row, decisions.get(row.id), names.get(row.supervisor_id)),
            }
        )
    return items


def apply_sign_off(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    """Apply one offline sign-off decision (only "create": a sign-off is never changed or deleted)."""
    if mutation["op"] != "create":
        raise ValidationFailed(
            "A sign-off cannot be changed or deleted; make a new decision on the new version.",
            fields={"op": ["must be create"]},
        )
    try:
        data = SignOffMutationSchema().load(mutation.get("fields") or {})
    except ValidationError as err:
        raise ValidationFailed("Some fields are not valid.", fields=flatten_messages(err.messages)) from err
    sign_off = signoff.decide(
        signer=user,
        now=now,
        base_url=settings.base_url,
        ring=settings.ring,
        sign_off_id=mutation["id"],
        **data,
    )
    return {
        "status": "applied",
        "entry_id": str(sign_off.entry_id),
        "entry_version": sign_off.entry_version,
        "decision": sign_off.decision,
    }


# --- supervision sessions ---------------------------------------------------------------------

_SESSION_IN = SessionMutationSchema()
_SESSION_CHANGES = SessionChangesSchema()
_CONFIRM_IN = SessionConfirmMutationSchema()
_SESSION_REQUEST_IN = SessionRequestMutationSchema()
_SESSION_DECISION_IN = SessionDecisionMutationSchema()


def _load(schema: Any, mutation: dict[str, Any]) -> dict[str, Any]:
    try:
        return schema.load(mutation.get("fields") or {})
    except ValidationError as err:
        raise ValidationFailed("Some fields are not valid.", fields=flatten_messages(err.messages)) from err


def _add_actions(user: User, session_id: uuid.UUID, actions: list[dict[str, Any]], now: dt.datetime) -> None:
    for action in actions:
        if db.session.get(SupervisionAction, action["id"]) is not None:
            continue  # made by an earlier push of the same change
        made = sessions.add_action(
            actor=user,
            session_id=session_id,
            description=action["description"],
            owner_id=action["owner_id"],
            due_on=action["due_on"],
            now=now,
        )
        made.id = action["id"]
    db.session.flush()


def apply_session(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    """A session recorded or changed on a phone: create (with its agreed actions) or update (fields
    changed against base_version, new actions, actions closed). Sessions are cancelled, not deleted."""
    if mutation["op"] == "create":
        data = _load(_SESSION_IN, mutation)
        if db.session.get(SupervisionSession, mutation["id"]) is not None:
            raise Conflict("A session with this id already exists.", code="duplicate_id")
        actions = data.pop("actions")
        session = sessions.create_session(
            actor=user,
            supervisor_id=data.pop("supervisor_id"),
            supervisee_id=data.pop("supervisee_id"),
            data=data,
            now=now,
            session_id=mutation["id"],
        )
        _add_actions(user, session.id, actions, now)
    elif mutation["op"] == "update":
        data = _load(_SESSION_CHANGES, mutation)
        actions, closing = data.pop("actions"), data.pop("close_actions")
        session = sessions.get_session(viewer=user, session_id=mutation["id"])
        if data:
            session = sessions.update_session(
                actor=user,
                session_id=session.id,
                base_version=mutation["base_version"],
                changes=data,
                now=now,
            )
        _add_actions(user, session.id, actions, now)
        for action_id in closing:
            sessions.close_action(actor=user, action_id=action_id, now=now, in_session_id=session.id)
    else:
        raise ValidationFailed(
            "A session record is not deleted; mark it cancelled instead.",
            fields={"op": ["must be create or update"]},
        )
    return {"status": "applied", "version": session.version}


def apply_session_confirm(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    """One party confirms a session record at the version they read (made on a phone)."""
    _only_create(mutation, "confirmation")
    data = _load(_CONFIRM_IN, mutation)
    session = sessions.confirm_session(
        actor=user, session_id=data["session_id"], version=data["version"], now=now
    )
    return {"status": "applied", "session_id": str(session.id), "version": session.version}


def apply_session_sign_off_request(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    """Ask the other party to sign off a session record (made on a phone)."""
    _only_create(mutation, "sign-off request")
    data = _load(_SESSION_REQUEST_IN, mutation)
    request = session_signoff.request_sign_off(
        actor=user, now=now, base_url=settings.base_url, request_id=mutation["id"], **data
    )
    return {"status": "applied", "session_id": str(request.session_id), "state": request.state}


def apply_session_sign_off(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    """A decision on a session record made on a phone, naming the version and hash the signer read."""
    _only_create(mutation, "sign-off")
    data = _load(_SESSION_DECISION_IN, mutation)
    sign_off = session_signoff.decide(
        signer=user,
        now=now,
        base_url=settings.base_url,
        ring=settings.ring,
        sign_off_id=mutation["id"],
        **data,
    )
    return {"status": "applied", "session_id": str(sign_off.session_id), "decision": sign_off.decision}


def session_record(session: SupervisionSession, names: dict[uuid.UUID, str]) -> dict[str, Any]:
    """A session as both parties' devices keep it: the record, confirmations, actions (own and carried
    forward) and the latest sign-off request with its decision."""
    found = sessions.actions_for(session)
    row = {c.name: getattr(session, c.name) for c in session.__table__.columns}
    row |= {
        "is_confirmed": sessions.is_confirmed(session),
        "content_sha256": sessions.session_hash(session),
        "actions": [{c.name: getattr(a, c.name) for c in a.__table__.columns} for a in found["actions"]],
        "carried_forward": [
            {c.name: getattr(a, c.name) for c in a.__table__.columns} for a in found["carried_forward"]
        ],
    }
    out = SessionSchema().dump(row)
    out["supervisor_name"] = names.get(session.supervisor_id, "")
    out["supervisee_name"] = names.get(session.supervisee_id, "")
    request = db.session.scalars(
        select(SessionSignOffRequest)
        .where(SessionSignOffRequest.session_id == session.id)
        .order_by(SessionSignOffRequest.created_at.desc())
    ).first()
    decision = (
        db.session.scalars(select(SessionSignOff).where(SessionSignOff.request_id == request.id)).first()
        if request
        else None
    )
    out["sign_off_request"] = (
        None
        if request is None
        else {
            "id": str(request.id),
            "session_version": request.session_version,
            "content_sha256": request.content_sha256,
            "requested_by_id": str(request.requested_by_id),
            "signer_id": str(request.signer_id),
            "message": request.message,
            "state": request.state,
            "created_at": request.created_at.isoformat(),
            "decision": None
            if decision is None
            else {
                "decision": decision.decision,
                "comment": decision.comment,
                "signer_name": decision.signer_name,
                "signed_at": decision.signed_at.isoformat(),
            },
        }
    )
    return out


def pull_sessions(user: User, ids: list[uuid.UUID], today: dt.date) -> list[dict[str, Any]]:
    """Pull items for sessions in this user's feed (they are one of the two people in each)."""
    rows = {
        s.id: s for s in db.session.scalars(select(SupervisionSession).where(SupervisionSession.id.in_(ids)))
    }
    people = {p for s in rows.values() for p in (s.supervisor_id, s.supervisee_id)}
    names = (
        {u.id: u.name for u in db.session.scalars(select(User).where(User.id.in_(people)))} if people else {}
    )
    items = []
    for record_id in ids:
        session = rows.get(record_id)
        if session is None or user.id not in (session.supervisor_id, session.supervisee_id):
            items.append(
                {"entity": "supervision_session", "id": str(record_id), "op": "remove", "version": 0}
            )
            continue
        items.append(
            {
                "entity": "supervision_session",
                "id": str(record_id),
                "op": "upsert",
                "version": session.version,
                "record": session_record(session, names),
            }
        )
    return items
