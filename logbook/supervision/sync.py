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

from flask import current_app, has_request_context, request
from marshmallow import ValidationError
from sqlalchemy import select

from logbook.accounts.models import User
from logbook.errors import ValidationFailed, flatten_messages
from logbook.extensions import db
from logbook.supervision import service as supervision
from logbook.supervision import signoff
from logbook.supervision.models import SignOff, SignOffRequest
from logbook.supervision.schemas import SignOffMutationSchema, SignOffRequestMutationSchema

_REQUEST_IN = SignOffRequestMutationSchema()


def _only_create(mutation: dict[str, Any], what: str) -> None:
    if mutation["op"] != "create":
        raise ValidationFailed(
            f"A {what} cannot be changed or deleted through sync.", fields={"op": ["must be create"]}
        )


def _base_url() -> str:
    """Where an emailed link points: the configured public URL, else the host the phone reached."""
    public = current_app.config.get("PUBLIC_URL") or (request.host_url if has_request_context() else "")
    return public.rstrip("/")


def apply_sign_off_request(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str
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
        link_days=current_app.config["EXTERNAL_SIGNOFF_DAYS"],
        base_url=_base_url(),
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
        },
    }


def pull_sign_off_requests(user: User, ids: list[uuid.UUID], today: dt.date) -> list[dict[str, Any]]:
    """Pull items for requests in this user's feed: the sender always sees them; the addressed
    supervisor only while they still supervise the sender (otherwise their device drops it)."""
    rows = {r.id: r for r in db.session.scalars(select(SignOffRequest).where(SignOffRequest.id.in_(ids)))}
    decisions = {
        d.request_id: d for d in db.session.scalars(select(SignOff).where(SignOff.request_id.in_(ids)))
    }
    supervisees = supervision.supervisee_ids(supervisor_id=user.id, today=today)
    names = {
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


def apply_sign_off(user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str) -> dict[str, Any]:
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
    sign_off = signoff.decide(signer=user, now=now, sign_off_id=mutation["id"], **data)
    return {
        "status": "applied",
        "entry_id": str(sign_off.entry_id),
        "entry_version": sign_off.entry_version,
        "decision": sign_off.decision,
    }
