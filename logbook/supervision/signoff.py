"""Sign-off services: request, approve or return, revoke, external links, and verification.

A sign-off names one version of an entry and the SHA-256 of that version's canonical content. It
is checked three ways: the stored revision still hashes to its own recorded hash; that hash is the
one the signer signed; and the sign-off row still matches the fingerprint written into the
hash-chained audit trail when it was made. Changing the entry text, the revision, the sign-off or
the audit trail directly in the database is therefore detectable (`logbook audit verify`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from logbook.accounts import links
from logbook.accounts.models import User
from logbook.audit import service as audit
from logbook.config import KeyRing
from logbook.entries import evidence as evidence_files
from logbook.entries import service as entries
from logbook.entries.models import Entry, Evidence
from logbook.entries.reflection import templates as reflection_templates
from logbook.errors import Conflict, Forbidden, NotFound, ValidationFailed
from logbook.extensions import db
from logbook.frameworks import service as frameworks
from logbook.frameworks.kinds import KIND_LABELS
from logbook.notifications import service as notifications
from logbook.storage import EvidenceStore
from logbook.supervision import external_signers, imported, session_signoff, signcore
from logbook.supervision.models import (
    DECISIONS,
    SIGNER_ROLES,
    ExternalSignOffLink,
    SignOff,
    SignOffRequest,
    SupervisionSession,
)
from logbook.supervision.registration import BODIES, normalise, number_problem
from logbook.supervision.requests import request_changed, token_hash
from logbook.supervision.sessions import session_hash

# NMC revalidation: the reflective-discussion partner must be an NMC registrant and give their PIN;
# the confirmer need not be NMC-registered but gives a PIN or other professional number.
ROLE_BODIES = {"reflective_discussion_partner": ("NMC",), "confirmer": BODIES}
SIGNABLE = ("recorded", "returned", "submitted", "signed_off")


# --- helpers ---------------------------------------------------------------------------------


def _user_actor(user: User) -> str:
    return f"user:{user.id}"


def sign_off_fingerprint(sign_off: SignOff) -> str:
    """SHA-256 of every field of a sign-off row: written into the audit trail when it is made."""
    return signcore.entry_fingerprint(sign_off)


def _registration_problems(role: str, body: str | None, number: str | None) -> dict[str, list[str]]:
    allowed = ROLE_BODIES.get(role)
    problems: dict[str, list[str]] = {}
    if allowed is None and not body:
        return problems  # a supervisor's registration is optional
    if not body:
        return {"registration_body": ["is required for this role"]}
    if allowed is not None and body not in allowed:
        return {"registration_body": [f"must be one of {', '.join(allowed)} for this role"]}
    if not number:
        problems["registration_number"] = ["is required"]
    else:
        problem = number_problem(body, number)
        if problem:
            problems["registration_number"] = [problem]
    return problems


def _supervises(supervisor: User, owner_id: uuid.UUID, today: dt.date) -> bool:
    return supervisor.is_supervisor and owner_id in links.supervisee_ids(
        supervisor_id=supervisor.id, today=today
    )


def _close_open_requests(entry_id: uuid.UUID, state: str, now: dt.datetime) -> None:
    for request in db.session.scalars(
        select(SignOffRequest).where(SignOffRequest.entry_id == entry_id, SignOffRequest.state == "open")
    ):
        request.state = state
        request.closed_at = now
        request_changed(request)
        for link in _links(request.id):
            if link.used_at is None and link.revoked_at is None:
                link.revoked_at = now


def _links(request_id: uuid.UUID) -> list[ExternalSignOffLink]:
    return list(
        db.session.scalars(select(ExternalSignOffLink).where(ExternalSignOffLink.request_id == request_id))
    )


# --- requests --------------------------------------------------------------------------------


def _check_signer(
    *, owner: User, supervisor_id: uuid.UUID | None, external: dict[str, Any] | None, today: dt.date
) -> None:
    """The person asked must be one current supervisor of the owner, or one external signer."""
    if (supervisor_id is None) == (external is None):
        raise ValidationFailed(
            "Name either a supervisor or an external signer.",
            fields={"supervisor_id": ["give supervisor_id or external, not both"]},
        )
    if supervisor_id is not None:
        supervisor = db.session.get(User, supervisor_id)
        if supervisor is None or supervisor.id == owner.id or not _supervises(supervisor, owner.id, today):
            raise ValidationFailed(
                "That person is not one of your current supervisors.",
                fields={"supervisor_id": ["is not one of your current supervisors"]},
            )
    else:
        if external is None:
            raise RuntimeError("exactly one of supervisor_id and external (checked above): cannot be missing")
        body = external.get("registration_body")
        if body is not None and body not in BODIES:
            raise ValidationFailed(
                "Unknown registration body.",
                fields={"external.registration_body": [f"must be one of {', '.join(BODIES)}"]},
            )


@dataclass(frozen=True)
class NewRequest:
    """A request just made, and for an external signer the one-time token (only ever emailed)."""

    request: SignOffRequest
    token: str | None = None
    expires_at: dt.datetime | None = None


def request_sign_off(
    *,
    owner: User,
    entry_id: uuid.UUID,
    entry_version: int,
    supervisor_id: uuid.UUID | None = None,
    external: dict[str, Any] | None = None,
    signer_role: str = "supervisor",
    message: str = "",
    now: dt.datetime,
    link_days: int = 7,
    base_url: str = "",
    external_requests_per_day: int = external_signers.DEFAULT_REQUESTS_PER_DAY,
    request_id: uuid.UUID | None = None,
) -> NewRequest:
    """Ask a supervisor (or an external signer, by emailed link) to sign the entry's current version.

    The entry becomes "submitted" as a new version, shared with supervisors if it was private;
    earlier open requests for the entry are superseded. An external signer is emailed a link under
    base_url whose token is never stored or returned (at most external_requests_per_day such
    requests per practitioner in 24 hours). request_id is the id a device made offline.
    """
    if request_id is not None and db.session.get(SignOffRequest, request_id) is not None:
        raise Conflict("A sign-off request with this id already exists.", code="duplicate_id")
    entry = entries.lock_entry(entry_id)  # the entry first, then its requests: one lock order
    if entry is None or entry.owner_id != owner.id:
        raise NotFound("No such entry.")
    if entry.is_deleted:
        raise Conflict("This entry was deleted.", code="deleted")
    if entry.status == "draft":
        raise ValidationFailed(
            "A draft cannot be signed off; record it first.", fields={"status": ["is draft"]}
        )
    if entry_version != entry.version:
        raise Conflict(
            "This entry changed since you opened it; request sign-off of the current version.",
            code="stale_version",
            extra={"version": entry.version},
        )
    if signer_role not in SIGNER_ROLES:
        raise ValidationFailed(
            "Unknown signer role.", fields={"signer_role": [f"must be one of {', '.join(SIGNER_ROLES)}"]}
        )
    _check_signer(owner=owner, supervisor_id=supervisor_id, external=external, today=now.date())
    if external is not None:
        external_signers.check_external_signer(
            owner=owner, email=external["email"], now=now, per_day=external_requests_per_day
        )

    _close_open_requests(entry.id, "superseded", now)
    entries.set_sign_off_status(
        entry=entry,
        status="submitted",
        now=now,
        visibility="supervisors" if entry.visibility == "private" and supervisor_id else None,
    )
    request = SignOffRequest(
        id=request_id or uuid.uuid4(),
        entry_id=entry.id,
        entry_version=entry.version,
        content_sha256=entries.content_hash(entry),
        requested_by_id=owner.id,
        supervisor_id=supervisor_id,
        external_name=external["name"] if external else None,
        external_email=external["email"].lower() if external else None,
        registration_body=external.get("registration_body") if external else None,
        signer_role=signer_role,
        message=message,
        state="open",
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    request_changed(request)
    audit.append_event(
        kind="sign_off_request.created",
        actor=_user_actor(owner),
        subject_type="sign_off_request",
        subject_id=request.id,
        data={
            "entry_id": str(entry.id),
            "entry_version": entry.version,
            "content_sha256": request.content_sha256,
            "to": str(supervisor_id) if supervisor_id else f"external:{request.external_email}",
            "signer_role": signer_role,
        },
        now=now,
    )
    if external is None:
        if supervisor_id is None:
            raise RuntimeError("exactly one of supervisor_id and external (_check_signer): cannot be missing")
        notifications.notify(
            user_id=supervisor_id,
            kind="sign_off_requested",
            title=f"{owner.name} asks you to sign off an entry",
            body=f'"{entry.title}"' + (f"\n\n{message}" if message else ""),
            link=f"/app/entries/{entry.id}",
            dedupe_key=f"sign_off_requested:{request.id}",
            now=now,
            base_url=base_url,
        )
        return NewRequest(request)
    if external_signers.held_for_approval(request=request, owner=owner, now=now):
        return NewRequest(request)  # no link and no email until an org admin approves the signer
    token, expires_at = external_signers.send_link(
        request=request, owner=owner, entry=entry, now=now, link_days=link_days, base_url=base_url
    )
    return NewRequest(request, token, expires_at)


def revoke_request(*, owner: User, request_id: uuid.UUID, now: dt.datetime) -> SignOffRequest:
    """Withdraw an open request (its external link stops working at once)."""
    request = db.session.get(SignOffRequest, request_id)
    if request is None or request.requested_by_id != owner.id:
        raise NotFound("No such sign-off request.")
    if request.state != "open":
        raise Conflict(f"This request is already {request.state}.", code="request_closed")
    request.state = "cancelled"
    request.closed_at = now
    request_changed(request)
    for link in _links(request.id):
        if link.used_at is None and link.revoked_at is None:
            link.revoked_at = now
    entry = db.session.get(Entry, request.entry_id)
    if entry is not None and entry.status == "submitted" and entry.version == request.entry_version:
        entries.set_sign_off_status(entry=entry, status="recorded", now=now)
    audit.append_event(
        kind="sign_off_request.revoked",
        actor=_user_actor(owner),
        subject_type="sign_off_request",
        subject_id=request.id,
        data={"entry_id": str(request.entry_id), "entry_version": request.entry_version},
        now=now,
    )
    db.session.flush()
    return request


def list_requests(
    *, user: User, scope: str, today: dt.date, state: str | None = "open"
) -> list[SignOffRequest]:
    """The caller's queue (requests addressed to them, for people they still supervise) or the
    requests they sent (scope "mine"), newest first."""
    query = select(SignOffRequest)
    if scope == "queue":
        if not user.is_supervisor:
            raise Forbidden("Only supervisors have a sign-off queue.")
        ids = links.supervisee_ids(supervisor_id=user.id, today=today)
        query = query.where(SignOffRequest.supervisor_id == user.id, SignOffRequest.requested_by_id.in_(ids))
    else:
        query = query.where(SignOffRequest.requested_by_id == user.id)
    if state:
        query = query.where(SignOffRequest.state == state)
    if state == "open":
        # A request whose entry was edited since is waiting for the practitioner, not the signer.
        query = query.join(Entry, Entry.id == SignOffRequest.entry_id).where(
            Entry.version == SignOffRequest.entry_version, Entry.is_deleted.is_(False)
        )
    return list(db.session.scalars(query.order_by(SignOffRequest.created_at.desc())))


# --- decisions -------------------------------------------------------------------------------


def _check_version(entry: Entry, request: SignOffRequest, entry_version: int, content_sha256: str) -> None:
    """The decision must be about exactly the text the signer saw, which must still be the current one."""
    if entry.is_deleted:
        raise Conflict("This entry was deleted; there is nothing to sign.", code="deleted")
    seen = f"version {entry_version}"
    if entry.version != entry_version or request.entry_version != entry_version:
        raise Conflict(
            f"This entry changed after you read it (you saw {seen}; it is now version {entry.version}). "
            "Your decision was not recorded: read the current version and decide again.",
            code="entry_changed",
            extra={"version": entry.version, "content_sha256": entries.content_hash(entry)},
        )
    stored = entries.revision(entry_id=entry.id, version=entry_version)
    if (
        stored is None
        or content_sha256 != stored.content_sha256
        or content_sha256 != request.content_sha256
        or entries.revision_content_hash(owner_id=entry.owner_id, revision=stored) != stored.content_sha256
        or entries.content_hash(entry) != content_sha256
    ):
        raise Conflict(
            f"The text you saw ({seen}) is not the text stored for that version. Your decision was not "
            "recorded: reload the entry and decide again.",
            code="content_mismatch",
            extra={"version": entry.version, "content_sha256": entries.content_hash(entry)},
        )


def _record_decision(
    *,
    entry: Entry,
    request: SignOffRequest,
    decision: str,
    comment: str,
    signer: User | None,
    signer_name: str,
    actor: str,
    now: dt.datetime,
    base_url: str,
    ring: KeyRing,
    sign_off_id: uuid.UUID | None = None,
    external: dict[str, Any] | None = None,
    registration_body: str | None = None,
    registration_number: str | None = None,
) -> SignOff:
    if decision not in DECISIONS:
        raise ValidationFailed("Unknown decision.", fields={"decision": ["must be approved or returned"]})
    if decision == "returned" and not comment.strip():
        raise ValidationFailed(
            "Say what needs changing when you return an entry.", fields={"comment": ["is required"]}
        )
    if sign_off_id is not None and db.session.get(SignOff, sign_off_id) is not None:
        raise Conflict("A sign-off with this id already exists.", code="duplicate_id")
    sign_off = SignOff(
        id=sign_off_id or uuid.uuid4(),
        entry_id=entry.id,
        entry_version=request.entry_version,
        content_sha256=request.content_sha256,
        decision=decision,
        comment=comment.strip(),
        request_id=request.id,
        signer_role=request.signer_role,
        signer_user_id=signer.id if signer else None,
        signer_name=signer_name,
        external_email=(external or {}).get("email"),
        external_role=(external or {}).get("role"),
        registration_body=registration_body,
        registration_number=normalise(registration_body, registration_number)
        if registration_body and registration_number
        else None,
        is_imported=False,
        signed_at=now.astimezone(dt.UTC),
    )
    db.session.add(sign_off)
    request.state = decision
    request.closed_at = now
    request_changed(request)
    db.session.flush()
    entries.set_sign_off_status(
        entry=entry, status="signed_off" if decision == "approved" else "returned", now=now
    )
    notifications.notify(
        user_id=entry.owner_id,
        kind="sign_off_signed" if decision == "approved" else "sign_off_returned",
        title=f'{signer_name} {"signed off" if decision == "approved" else "returned"} "{entry.title}"'[:200],
        body=sign_off.comment,
        link=f"/app/entries/{entry.id}",
        dedupe_key=f"sign_off:{sign_off.id}",
        now=now,
        base_url=base_url,
    )
    signcore.seal(sign_off, actor=actor, request_id=request.id, now=now, ring=ring)
    return sign_off


def decide(
    *,
    signer: User,
    entry_id: uuid.UUID,
    entry_version: int,
    content_sha256: str,
    decision: str,
    comment: str = "",
    request_id: uuid.UUID | None = None,
    registration_body: str | None = None,
    registration_number: str | None = None,
    now: dt.datetime,
    base_url: str,
    ring: KeyRing,
    sign_off_id: uuid.UUID | None = None,
) -> SignOff:
    """A supervisor approves or returns the version of an entry they read (online or from a device's
    queued mutation). Refused when they do not supervise the owner, when it is their own entry, when
    nobody asked them, or when the entry changed after they read it."""
    entry = entries.lock_entry(entry_id)  # the entry first, then its requests: one lock order
    if entry is None or entry.organisation_id != signer.organisation_id:
        raise NotFound("No such entry.")
    if entry.owner_id == signer.id:
        raise Forbidden("You cannot sign off your own entry.")
    if not _supervises(signer, entry.owner_id, now.date()):
        # Someone else's supervisee's entry looks exactly like a missing one.
        raise NotFound("No such entry.")
    query = select(SignOffRequest).where(
        SignOffRequest.entry_id == entry.id,
        SignOffRequest.supervisor_id == signer.id,
        SignOffRequest.state == "open",
    )
    if request_id is not None:
        query = query.where(SignOffRequest.id == request_id)
    request = db.session.scalars(query.order_by(SignOffRequest.created_at.desc())).first()
    if request is None:
        raise Conflict(
            "There is no open sign-off request for you on this entry (it may have been withdrawn, "
            "decided already, or sent to someone else).",
            code="not_requested",
            extra={"version": entry.version},
        )
    _check_version(entry, request, entry_version, content_sha256)
    problems = _registration_problems(request.signer_role, registration_body, registration_number)
    if problems:
        raise ValidationFailed("The registration details are not valid.", fields=problems)
    return _record_decision(
        entry=entry,
        request=request,
        decision=decision,
        comment=comment,
        signer=signer,
        signer_name=signer.name,
        actor=_user_actor(signer),
        now=now,
        base_url=base_url,
        ring=ring,
        sign_off_id=sign_off_id,
        registration_body=registration_body,
        registration_number=registration_number,
    )


# --- external links --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExternalView:
    """What an external signer's link opens: one request, its entry, and the version to sign."""

    link: ExternalSignOffLink
    request: SignOffRequest
    entry: Entry
    owner: User


class LinkRefused(Conflict):
    """An external link that exists but can no longer be used (used, expired, revoked, superseded)."""

    status = 410
    code = "link_unusable"


def open_link(*, token: str, now: dt.datetime) -> ExternalView:
    """The request an external link opens; NotFound for an unknown token, LinkRefused once it is
    used, expired, revoked or its entry changed."""
    link = db.session.scalar(
        select(ExternalSignOffLink).where(ExternalSignOffLink.token_sha256 == token_hash(token))
    )
    if link is None:
        raise NotFound("This sign-off link is not valid.")
    request = db.session.get(SignOffRequest, link.request_id)
    if request is None:
        raise RuntimeError("the link's foreign key: cannot be missing")
    if link.used_at is not None:
        raise LinkRefused("This link has already been used; each link works once.", code="link_used")
    if link.revoked_at is not None or request.state == "cancelled":
        raise LinkRefused("This link was withdrawn by the person who sent it.", code="link_revoked")
    if now >= link.expires_at:
        raise LinkRefused(
            "This link has expired; ask the person who sent it for a new one.", code="link_expired"
        )
    if request.state != "open":
        raise LinkRefused(
            "This request was replaced by a newer one; use the most recent link you were sent.",
            code="link_superseded",
        )
    entry = db.session.get(Entry, request.entry_id)
    if entry is None:
        raise RuntimeError("the request's foreign key: cannot be missing")
    if entry.is_deleted or entry.version != request.entry_version:
        raise LinkRefused(
            "The record was changed after this link was sent, so it is no longer the text you were "
            "asked to sign; ask for a new link.",
            code="entry_changed",
        )
    owner = db.session.get(User, entry.owner_id)
    if owner is None:
        raise RuntimeError("the entry's foreign key: cannot be missing")
    return ExternalView(link, request, entry, owner)


# --- what a signer reads ---------------------------------------------------------------------

# Kind details a signer reads in words (an id means nothing to them; the session link is shown apart).
DETAIL_LABELS = {
    "supervisor_name": "Supervisor",
    "format": "Format",
    "duration_minutes": "Length (minutes)",
    "agenda": "Agenda",
    "actions": "Actions agreed",
    "reviewer_name": "Reviewer",
    "provider": "Provider",
    "location": "Location",
    "has_certificate": "Certificate",
    "set_name": "Learning set",
    "facilitator": "Facilitator",
    "profession_shadowed": "Profession shadowed",
    "team_shadowed": "Team shadowed",
    "source": "Source",
    "peer_name": "Peer",
    "peer_role": "Peer's role",
    "summary": "Summary",
    "what_changed": "What changed",
    "partner_name": "Partner",
    "partner_nmc_pin": "Partner's NMC PIN",
}


def _detail_text(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                text = str(item.get("text") or item.get("description") or item.get("objective") or "")
                extra = [str(item[k]) for k in ("owner", "due_date", "status") if item.get(k)]
                parts.append(text + (f" ({', '.join(extra)})" if extra else ""))
            else:
                parts.append(str(item).replace("_", " "))
        return "; ".join(p for p in parts if p)
    return (
        str(value).replace("_", " ")
        if isinstance(value, str) and "_" in value and " " not in value
        else str(value)
    )


def signer_view(entry: Entry) -> dict[str, Any]:
    """What anyone asked to sign an entry reads besides its title, dates and description (the
    supervisor's decision screen and the external signer's page alike): the kind in words, its
    details, the standards claimed with their titles, the reflection under its prompts, the files."""
    details = []
    for key, value in (entry.details or {}).items():
        if key.endswith("_id") or value in (None, "", []):
            continue
        details.append(
            {"label": DETAIL_LABELS.get(key, key.replace("_", " ").capitalize()), "text": _detail_text(value)}
        )
    template = reflection_templates()["templates"].get((entry.reflection or {}).get("template"), {})
    answers = (entry.reflection or {}).get("answers") or {}
    prompts = {p["key"]: p["label"] for p in template.get("prompts", [])}
    reflection = [
        {"label": prompts.get(key, key.replace("_", " ").capitalize()), "text": text.strip()}
        for key, text in answers.items()
        if isinstance(text, str) and text.strip()
    ]
    for label, text in (
        ("Impact on practice", entry.impact_on_practice),
        ("Impact on people who use services", entry.impact_on_people),
    ):
        if text and text.strip():
            reflection.append({"label": label, "text": text.strip()})
    files = []
    for item in entry.evidence or []:
        stored = db.session.get(Evidence, str(item.get("sha256", "")))
        files.append(
            {
                "sha256": item.get("sha256", ""),
                "name": item.get("name") or "Evidence file",
                "caption": item.get("caption", ""),
                "media_type": stored.media_type if stored else "",
                "size": stored.size if stored else 0,
            }
        )
    return {
        "kind_label": KIND_LABELS.get(entry.kind, entry.kind),
        "details": details,
        "standards": frameworks.describe_tags(
            organisation_id=entry.organisation_id, tags=entry.standards or []
        ),
        "reflection": reflection,
        "evidence": files,
    }


def request_view(request: SignOffRequest) -> dict[str, Any]:
    """signer_view of the entry a request in the signer's queue names (queued requests are at the
    entry's current version, so the live entry is the text to sign)."""
    entry = db.session.get(Entry, request.entry_id)
    if entry is None:
        raise RuntimeError("the request's foreign key: cannot be missing")
    return signer_view(entry)


def link_evidence(
    *, token: str, sha256: str, store: EvidenceStore, now: dt.datetime
) -> tuple[Evidence, bytes]:
    """A file of the entry an external signer's link opens, while the link works, and only that
    entry's files (NotFound for any other hash, LinkRefused once the link is used or withdrawn)."""
    view = open_link(token=token, now=now)
    return evidence_files.file_of_entry(entry=view.entry, sha256=sha256, store=store)


def link_outcome(*, token: str) -> SignOff | None:
    """The decision recorded through a used link (a used link opened again says when and by whom),
    or None for a link that was not used or does not exist."""
    link = db.session.scalar(
        select(ExternalSignOffLink).where(ExternalSignOffLink.token_sha256 == token_hash(token))
    )
    if link is None or link.used_at is None:
        return None
    return db.session.scalar(
        select(SignOff).where(SignOff.request_id == link.request_id).order_by(SignOff.signed_at.desc())
    )


def decide_external(
    *,
    token: str,
    name: str,
    role: str,
    registration_body: str,
    registration_number: str,
    decision: str,
    comment: str,
    content_sha256: str,
    now: dt.datetime,
    base_url: str,
    ring: KeyRing,
) -> SignOff:
    """An external signer's decision through their link: the link is used up, the decision signed
    with their name, role and registration number (checked against their body's format)."""
    view = open_link(token=token, now=now)
    entry, request = view.entry, view.request
    problems: dict[str, list[str]] = {}
    if not name.strip():
        problems["name"] = ["is required"]
    if not role.strip():
        problems["role"] = ["is required"]
    problems.update(
        _registration_problems(request.signer_role, registration_body or None, registration_number)
    )
    if request.signer_role == "supervisor" and not registration_body:
        problems["registration_body"] = ["is required"]
    if problems:
        raise ValidationFailed("Some details are not valid.", fields=problems)
    _check_version(entry, request, request.entry_version, content_sha256)
    view.link.used_at = now
    audit.append_event(
        kind="external_link.used",
        actor=f"external:{request.external_email}",
        subject_type="sign_off_request",
        subject_id=request.id,
        data={"link_id": str(view.link.id), "decision": decision},
        now=now,
    )
    return _record_decision(
        entry=entry,
        request=request,
        decision=decision,
        comment=comment,
        signer=None,
        signer_name=name.strip(),
        actor=f"external:{request.external_email}",
        now=now,
        base_url=base_url,
        ring=ring,
        external={"email": request.external_email, "role": role.strip()},
        registration_body=registration_body,
        registration_number=registration_number,
    )


# --- reading and verifying -------------------------------------------------------------------


Verification = signcore.Verification  # one shape for entry and session sign-offs


def verify_sign_off(sign_off: SignOff, *, ring: KeyRing) -> Verification:
    """The sign-off checked by the one sign-off core (logbook/supervision/signcore.py): its signed
    statement, the stored signed revision, its audit record, and the live entry."""
    return signcore.verify(sign_off, ring=ring)


def sign_offs_for(*, viewer: User, entry_id: uuid.UUID, today: dt.date) -> list[SignOff]:
    """Every sign-off of an entry, oldest first, for its owner or a supervisor who may see it."""
    view = entries.get_entry(viewer=viewer, entry_id=entry_id, today=today)
    if view.access not in (entries.OWNER, entries.SUPERVISOR):
        raise NotFound("No such entry.")
    return list(
        db.session.scalars(select(SignOff).where(SignOff.entry_id == entry_id).order_by(SignOff.signed_at))
    )


def get_sign_off(*, viewer: User, sign_off_id: uuid.UUID, today: dt.date) -> SignOff:
    """One sign-off, if the viewer may see its entry (owner or supervisor)."""
    sign_off = db.session.get(SignOff, sign_off_id)
    if sign_off is None:
        raise NotFound("No such sign-off.")
    sign_offs_for(viewer=viewer, entry_id=sign_off.entry_id, today=today)
    return sign_off


@dataclass
class IntegrityReport:
    """Everything `logbook audit verify` checks, and each problem found."""

    chain: audit.ChainReport
    sign_offs_checked: int = 0
    entries_checked: int = 0
    unsigned: int = 0  # entry sign-offs without a signed statement (made before signatures)
    problems: list[str] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        """True when the chain, every sign-off and every signed entry check out."""
        return self.chain.is_ok and not self.problems


def verify_everything(*, ring: KeyRing) -> IntegrityReport:
    """Check the audit chain, every sign-off, and that each signed entry's current text is the text
    of its current recorded version (a direct edit of the entry row shows up here)."""
    report = IntegrityReport(chain=audit.verify_chain())
    for sign_off in db.session.scalars(select(SignOff).order_by(SignOff.signed_at)):
        report.sign_offs_checked += 1
        result = verify_sign_off(sign_off, ring=ring)
        report.unsigned += result.status == "unsigned"
        for problem in result.problems:
            report.problems.append(f"sign-off {sign_off.id} (entry {sign_off.entry_id}): {problem}")
    signed = select(SignOff.entry_id).distinct()
    for entry in db.session.scalars(select(Entry).where(Entry.id.in_(signed))):
        report.entries_checked += 1
        current = entries.revision(entry_id=entry.id, version=entry.version)
        if current is None or entries.content_hash(entry) != current.content_sha256:
            report.problems.append(
                f"entry {entry.id}: its current text differs from its recorded version {entry.version} "
                "(changed outside the app)"
            )
    report.problems += _session_problems()

    checked, problems = session_signoff.problems(ring=ring)
    report.sign_offs_checked += checked
    report.problems += problems
    return report


def _session_problems() -> list[str]:
    """A session both parties confirmed must still be the record they confirmed (its last confirmation
    event names the version and hash)."""
    problems = []
    confirmed = select(SupervisionSession).where(
        SupervisionSession.supervisor_confirmed_at.is_not(None),
        SupervisionSession.supervisee_confirmed_at.is_not(None),
    )
    for session in db.session.scalars(confirmed):
        events = audit.events_for(subject_type="supervision_session", subject_id=session.id)
        if not events or events[-1].data.get("content_sha256") != session_hash(session):
            problems.append(
                f"supervision session {session.id}: the record differs from what both people confirmed"
            )
    return problems


def approved_roles(*, owner_id: uuid.UUID) -> dict[uuid.UUID, set[str]]:
    """For the requirement engine: which signer roles (supervisor, NMC reflective-discussion partner,
    NMC confirmer) approved each of this person's entries as it currently stands. An approval of an
    older version does not count: the text changed after it was signed."""
    rows = db.session.execute(
        select(SignOff.entry_id, SignOff.signer_role)
        .join(Entry, Entry.id == SignOff.entry_id)
        .where(
            Entry.owner_id == owner_id,
            Entry.is_deleted.is_(False),
            Entry.status == "signed_off",
            SignOff.decision == "approved",
            imported.countable(),
            # Approval moves the entry one version on (status only), so the signed version is the one before.
            SignOff.entry_version == Entry.version - 1,
        )
    )
    out: dict[uuid.UUID, set[str]] = {}
    for entry_id, role in rows:
        out.setdefault(entry_id, set()).add(role)
    return out
