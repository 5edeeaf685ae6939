"""Sign-off of supervision session records: either party asks the other to sign one version of the
record; the decision records the signer, the version, and the SHA-256 of the record's canonical
content, and keeps the signed record itself (a session row holds only its latest version). Like an
entry's sign-off, it is checked three ways: the kept record still hashes to the signed hash; if the
session is still at that version, its live row hashes to it too; and the sign-off row still matches
the fingerprint written into the hash-chained audit trail (`logbook audit verify`).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from logbook.accounts.models import User
from logbook.audit import service as audit
from logbook.changefeed import record_change
from logbook.config import KeyRing
from logbook.errors import Conflict, NotFound, ValidationFailed
from logbook.extensions import db
from logbook.notifications import service as notifications
from logbook.supervision import sessions, signcore
from logbook.supervision.models import DECISIONS, SessionSignOff, SessionSignOffRequest, SupervisionSession
from logbook.supervision.signcore import Verification

SUBJECT = "session_sign_off"


def _other_party(session: SupervisionSession, user_id: uuid.UUID) -> uuid.UUID:
    return session.supervisee_id if user_id == session.supervisor_id else session.supervisor_id


def request_changed(request: SessionSignOffRequest) -> None:
    """Both people's devices pull the request's state, as part of the session record they pull."""
    for person in (request.requested_by_id, request.signer_id):
        record_change(
            entity="supervision_session", record_id=request.session_id, owner_id=person, is_shared=False
        )


def fingerprint(sign_off: SessionSignOff) -> str:
    """SHA-256 of every field of a session sign-off row: written into the audit trail when it is made."""
    return signcore.session_fingerprint(sign_off)


def request_sign_off(
    *,
    actor: User,
    session_id: uuid.UUID,
    session_version: int,
    message: str = "",
    now: dt.datetime,
    base_url: str,
    request_id: uuid.UUID | None = None,
) -> SessionSignOffRequest:
    """Ask the other person in the session to sign off the record at `session_version` (either party
    may ask; earlier open requests on the session are superseded)."""
    if request_id is not None and db.session.get(SessionSignOffRequest, request_id) is not None:
        raise Conflict("A sign-off request with this id already exists.", code="duplicate_id")
    session = sessions.get_session(viewer=actor, session_id=session_id)
    if session.version != session_version:
        raise Conflict(
            "This session record changed since you opened it; ask for sign-off of the current version.",
            code="stale_version",
            extra={"version": session.version},
        )
    for old in db.session.scalars(
        select(SessionSignOffRequest).where(
            SessionSignOffRequest.session_id == session.id, SessionSignOffRequest.state == "open"
        )
    ):
        old.state = "superseded"
        old.closed_at = now
        request_changed(old)
    request = SessionSignOffRequest(
        id=request_id or uuid.uuid4(),
        session_id=session.id,
        session_version=session.version,
        content_sha256=sessions.session_hash(session),
        requested_by_id=actor.id,
        signer_id=_other_party(session, actor.id),
        message=message.strip(),
        state="open",
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    request_changed(request)
    audit.append_event(
        kind="session_sign_off_request.created",
        actor=f"user:{actor.id}",
        subject_type="session_sign_off_request",
        subject_id=request.id,
        data={
            "session_id": str(session.id),
            "session_version": session.version,
            "content_sha256": request.content_sha256,
            "to": str(request.signer_id),
        },
        now=now,
    )
    notifications.notify(
        user_id=request.signer_id,
        kind="sign_off_requested",
        title=f"{actor.name} asks you to sign off a supervision record",
        body=f"Session of {session.starts_at:%d %B %Y}"
        + (f"\n\n{request.message}" if request.message else ""),
        link="/app/sessions",
        dedupe_key=f"session_sign_off_requested:{request.id}",
        now=now,
        base_url=base_url,
    )
    return request


def list_requests(*, user: User, scope: str, state: str | None = "open") -> list[SessionSignOffRequest]:
    """Requests addressed to the caller (scope "queue": open ones whose record has not changed since)
    or sent by them ("mine"), newest first."""
    query = select(SessionSignOffRequest)
    if scope == "queue":
        query = query.where(SessionSignOffRequest.signer_id == user.id)
    else:
        query = query.where(SessionSignOffRequest.requested_by_id == user.id)
    if state:
        query = query.where(SessionSignOffRequest.state == state)
    if state == "open":
        query = query.join(
            SupervisionSession, SupervisionSession.id == SessionSignOffRequest.session_id
        ).where(SupervisionSession.version == SessionSignOffRequest.session_version)
    return list(db.session.scalars(query.order_by(SessionSignOffRequest.created_at.desc())))


def decide(
    *,
    signer: User,
    session_id: uuid.UUID,
    session_version: int,
    content_sha256: str,
    decision: str,
    comment: str = "",
    request_id: uuid.UUID | None = None,
    now: dt.datetime,
    base_url: str,
    ring: KeyRing,
    sign_off_id: uuid.UUID | None = None,
) -> SessionSignOff:
    """Approve or return the version (and hash) of the record the signer read. Refused when they are
    not in the session (404), nobody asked them (409), or the record changed after they read it (409)."""
    session = sessions.get_session(viewer=signer, session_id=session_id)
    if decision not in DECISIONS:
        raise ValidationFailed("Unknown decision.", fields={"decision": ["must be approved or returned"]})
    if decision == "returned" and not comment.strip():
        raise ValidationFailed(
            "Say what needs changing when you return a record.", fields={"comment": ["is required"]}
        )
    query = select(SessionSignOffRequest).where(
        SessionSignOffRequest.session_id == session.id,
        SessionSignOffRequest.signer_id == signer.id,
        SessionSignOffRequest.state == "open",
    )
    if request_id is not None:
        query = query.where(SessionSignOffRequest.id == request_id)
    request = db.session.scalars(query.order_by(SessionSignOffRequest.created_at.desc())).first()
    if request is None:
        raise Conflict(
            "Nobody has asked you to sign off this record (the request may have been replaced or decided).",
            code="not_requested",
            extra={"version": session.version},
        )
    current = sessions.session_hash(session)
    if session.version != session_version or request.session_version != session_version:
        raise Conflict(
            f"This record changed after you read it (you saw version {session_version}; it is now version "
            f"{session.version}). Your decision was not recorded: read it again and decide.",
            code="record_changed",
            extra={"version": session.version, "content_sha256": current},
        )
    if content_sha256 != current or content_sha256 != request.content_sha256:
        raise Conflict(
            f"The text you saw (version {session_version}) is not the text stored for it. Your decision was "
            "not recorded: reload the record and decide again.",
            code="content_mismatch",
            extra={"version": session.version, "content_sha256": current},
        )
    if sign_off_id is not None and db.session.get(SessionSignOff, sign_off_id) is not None:
        raise Conflict("A sign-off with this id already exists.", code="duplicate_id")
    sign_off = SessionSignOff(
        id=sign_off_id or uuid.uuid4(),
        session_id=session.id,
        session_version=session.version,
        content_sha256=current,
        content=sessions.session_content(session),
        decision=decision,
        comment=comment.strip(),
        request_id=request.id,
        signer_user_id=signer.id,
        signer_name=signer.name,
        signed_at=now.astimezone(dt.UTC),
    )
    db.session.add(sign_off)
    request.state = decision
    request.closed_at = now
    request_changed(request)
    db.session.flush()
    signcore.seal(sign_off, actor=f"user:{signer.id}", request_id=request.id, now=now, ring=ring)
    notifications.notify(
        user_id=request.requested_by_id,
        kind="sign_off_signed" if decision == "approved" else "sign_off_returned",
        title=f"{signer.name} {'signed off' if decision == 'approved' else 'returned'} a supervision record",
        body=sign_off.comment,
        link="/app/sessions",
        dedupe_key=f"session_sign_off:{sign_off.id}",
        now=now,
        base_url=base_url,
    )
    return sign_off


def verify(sign_off: SessionSignOff, *, ring: KeyRing) -> Verification:
    """The session sign-off checked by the one sign-off core (logbook/supervision/signcore.py): its
    signed statement, the record it kept, its audit record and the live session."""
    return signcore.verify(sign_off, ring=ring)


def sign_offs_for(*, viewer: User, session_id: uuid.UUID) -> list[SessionSignOff]:
    """Every sign-off of a session record, oldest first, for either party."""
    sessions.get_session(viewer=viewer, session_id=session_id)
    return list(
        db.session.scalars(
            select(SessionSignOff)
            .where(SessionSignOff.session_id == session_id)
            .order_by(SessionSignOff.signed_at)
        )
    )


def problems(*, ring: KeyRing) -> tuple[int, list[str]]:
    """For `logbook audit verify`: how many session sign-offs were checked, and each problem found."""
    checked, found = 0, []
    for sign_off in db.session.scalars(select(SessionSignOff).order_by(SessionSignOff.signed_at)):
        checked += 1
        found += [
            f"session sign-off {sign_off.id} (supervision session {sign_off.session_id}): {p}"
            for p in verify(sign_off, ring=ring).problems
        ]
    return checked, found


def get_request(*, viewer: User, request_id: uuid.UUID) -> SessionSignOffRequest:
    """One request, for its sender or its signer."""
    request = db.session.get(SessionSignOffRequest, request_id)
    if request is None or viewer.id not in (request.requested_by_id, request.signer_id):
        raise NotFound("No such sign-off request.")
    return request
