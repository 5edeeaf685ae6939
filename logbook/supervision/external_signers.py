"""External signers are somebody else (docs/supervision.md, "External signers").

A practitioner may ask someone outside the organisation to sign an entry by emailed link. Before any
link is made or emailed:

- the address must not be the practitioner's own mailbox, compared after normalising: case, `+tags`
  (stripped for every domain) and dots in the local part where the provider ignores them (gmail.com,
  googlemail.com: the same mailbox);
- it must not be the address of any user of the organisation (in the same normalised form): a colleague
  signs through the internal flow, as a supervisor, where the app knows who they are;
- when the organisation lists allowed domains, the address must be at one of them;
- a practitioner makes at most `EXTERNAL_SIGNOFF_REQUESTS_PER_DAY` external requests (default 10) in
  any 24 hours (429 beyond, counted in the database, so it holds across workers and servers);
- when the organisation requires approval, a new external signer waits for an org admin: the request is
  made (`external_approval = "pending"`) but no link exists and nothing is emailed until an admin
  approves the address; a refused address is refused for every later request.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from functools import partial
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from logbook import mail
from logbook.accounts.models import Organisation, User
from logbook.aftercommit import after_commit
from logbook.audit import service as audit
from logbook.entries import service as entries
from logbook.entries.models import Entry
from logbook.errors import Conflict, DomainError, NotFound, ValidationFailed
from logbook.extensions import db
from logbook.supervision.models import (
    EXTERNAL_SIGNER_STATES,
    ExternalSigner,
    ExternalSignOffLink,
    SignOffRequest,
)
from logbook.supervision.requests import request_changed, token_hash

# Providers that deliver "j.o.h.n@" and "john@" to the same mailbox (and alias one another).
DOTS_IGNORED = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
DEFAULT_REQUESTS_PER_DAY = 10
WINDOW = dt.timedelta(hours=24)


class TooManyExternalRequests(DomainError):
    """More external sign-off requests than a practitioner may send in 24 hours."""

    status = 429
    code = "rate_limited"


def normalise_email(address: str) -> str:
    """The mailbox an address reaches: lower case (casefolded), no `+tag`, no dots in the local part
    where the provider ignores them, one name for aliased providers, no trailing dot on the domain."""
    local, _, domain = address.strip().casefold().rpartition("@")
    domain = domain.rstrip(".")
    local = local.split("+", 1)[0]
    if domain in DOTS_IGNORED:
        local = local.replace(".", "")
        domain = DOTS_IGNORED[domain]
    return f"{local}@{domain}"


def _domain(address: str) -> str:
    return normalise_email(address).rpartition("@")[2]


def _colleague_with(organisation_id: uuid.UUID, normalised: str) -> User | None:
    """A user of the organisation whose address reaches the same mailbox (looked up by domain, then
    compared normalised)."""
    domain = normalised.rpartition("@")[2]
    domains = [d for d, same in DOTS_IGNORED.items() if same == domain] or [domain]
    candidates = db.session.scalars(
        select(User).where(
            User.organisation_id == organisation_id,
            or_(*(func.lower(User.email).like(f"%@{d}") for d in domains)),
        )
    )
    return next((u for u in candidates if normalise_email(u.email) == normalised), None)


def check_external_signer(
    *, owner: User, email: str, now: dt.datetime, per_day: int = DEFAULT_REQUESTS_PER_DAY
) -> None:
    """Refuse an external signer who is the practitioner, a colleague, outside the allowed domains or
    refused by an admin, and a practitioner over their external requests for the last 24 hours."""
    field = "external.email"
    normalised = normalise_email(email)
    if normalised == normalise_email(owner.email):
        raise ValidationFailed(
            "You cannot sign your own entry.", fields={field: ["is your own address (in another form)"]}
        )
    if _colleague_with(owner.organisation_id, normalised) is not None:
        raise ValidationFailed(
            "This address belongs to someone in your organisation: ask them as your supervisor (the "
            "internal sign-off), not as an external signer.",
            fields={field: ["belongs to a user of your organisation: use the internal sign-off"]},
        )
    organisation = _organisation(owner.organisation_id)
    allowed = [d.casefold() for d in organisation.external_signer_domains or []]
    if allowed and _domain(email) not in allowed:
        raise ValidationFailed(
            "Your organisation accepts external signers only at some addresses.",
            fields={field: [f"must be an address at {', '.join(sorted(allowed))}"]},
        )
    decided = _signer(organisation.id, normalised)
    if decided is not None and decided.state == "refused":
        raise ValidationFailed(
            "Your organisation does not accept this external signer.",
            fields={field: ["was refused as an external signer by your organisation"]},
        )
    # One practitioner's requests are counted one at a time (the row lock serialises two at once on
    # PostgreSQL; SQLite writes one transaction at a time anyway).
    db.session.execute(select(User.id).where(User.id == owner.id).with_for_update())
    limit = per_day
    sent = db.session.scalar(
        select(func.count())
        .select_from(SignOffRequest)
        .where(
            SignOffRequest.requested_by_id == owner.id,
            SignOffRequest.external_email.is_not(None),
            SignOffRequest.created_at > now - WINDOW,
        )
    )
    if sent is None:
        raise RuntimeError("COUNT(*) always returns a row: cannot be missing")
    if sent >= limit:
        raise TooManyExternalRequests(
            f"You can ask external signers {limit} times in 24 hours; try again later.",
            extra={"limit": limit, "window_hours": 24},
        )


def _organisation(organisation_id: uuid.UUID) -> Organisation:
    """A user's or admin's organisation (a foreign key: it cannot be missing)."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise RuntimeError("an organisation id here is a user's foreign key: never missing")
    return organisation


def _signer(organisation_id: uuid.UUID, normalised: str) -> ExternalSigner | None:
    return db.session.scalar(
        select(ExternalSigner).where(
            ExternalSigner.organisation_id == organisation_id, ExternalSigner.email == normalised
        )
    )


def held_for_approval(*, request: SignOffRequest, owner: User, now: dt.datetime) -> bool:
    """Whether the request must wait for an org admin to approve its external signer (nothing is made
    or emailed until then). A new address is put on the organisation's list of pending signers."""
    organisation = _organisation(owner.organisation_id)
    if not organisation.external_signer_approval:
        return False
    if request.external_email is None:
        raise RuntimeError("only external requests are held for approval: cannot be missing")
    normalised = normalise_email(request.external_email)
    signer = _signer(organisation.id, normalised)
    if signer is not None and signer.state == "approved":
        return False
    if signer is None:
        try:
            # Two practitioners naming the same new signer at once: the second finds the first's row.
            with db.session.begin_nested():
                db.session.add(
                    ExternalSigner(
                        organisation_id=organisation.id,
                        email=normalised,
                        name=request.external_name or "",
                        state="pending",
                        first_requested_by_id=owner.id,
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass
    request.external_approval = "pending"
    db.session.flush()
    return True


def send_link(
    *, request: SignOffRequest, owner: User, entry: Entry, now: dt.datetime, link_days: int, base_url: str
) -> tuple[str, dt.datetime]:
    """Make the request's single-use link and email it to the external signer once the transaction
    commits; returns the token (only ever emailed) and when it expires."""
    token = secrets.token_urlsafe(32)
    link = ExternalSignOffLink(
        request_id=request.id,
        token_sha256=token_hash(token),
        expires_at=now + dt.timedelta(days=link_days),
        created_at=now,
    )
    db.session.add(link)
    db.session.flush()
    audit.append_event(
        kind="external_link.issued",
        actor=f"user:{owner.id}",
        subject_type="sign_off_request",
        subject_id=request.id,
        data={"link_id": str(link.id), "expires_at": link.expires_at.isoformat()},
        now=now,
    )
    message = request.message
    # Emailed once the request commits (logbook/aftercommit.py): a failed commit emails no link.
    if request.external_email is None:
        raise RuntimeError("a link goes only to an external signer: cannot be missing")
    email = mail.Mail(
        to=request.external_email,
        subject=f"{owner.name} asks you to sign off a CPD record",
        body=(
            f"Dear {request.external_name},\n\n"
            f"{owner.name} has asked you to confirm a record of their continuing professional "
            f'development: "{entry.title}".\n'
            + (f"\nTheir message: {message}\n" if message else "")
            + f"\nOpen this link to read it and approve or return it (no account needed):\n"
            f"{base_url}/sign-off/{token}\n\n"
            f"The link works once and expires on {link.expires_at:%d %B %Y at %H:%M} UTC. "
            "If you were not expecting this, ignore this email.\n"
        ),
    )
    after_commit(partial(mail.send, email))
    return token, link.expires_at


# --- the org admin's side ----------------------------------------------------------------------


def settings(
    *, organisation_id: uuid.UUID, requests_per_day: int = DEFAULT_REQUESTS_PER_DAY
) -> dict[str, Any]:
    """The organisation's external signer rules (requests_per_day: EXTERNAL_SIGNOFF_REQUESTS_PER_DAY,
    shown as it is)."""
    organisation = _organisation(organisation_id)
    return {
        "allowed_domains": list(organisation.external_signer_domains or []),
        "require_approval": bool(organisation.external_signer_approval),
        "requests_per_day": requests_per_day,
    }


def update_settings(
    *,
    organisation_id: uuid.UUID,
    allowed_domains: list[str] | None = None,
    require_approval: bool | None = None,
    requests_per_day: int = DEFAULT_REQUESTS_PER_DAY,
) -> dict[str, Any]:
    """Restrict external signers to listed domains (empty: any) and/or require approval of new ones."""
    organisation = _organisation(organisation_id)
    if allowed_domains is not None:
        clean = sorted({d.strip().casefold().rstrip(".").lstrip("@") for d in allowed_domains})
        bad = [d for d in clean if not d or "." not in d or "@" in d or any(c.isspace() for c in d)]
        if bad:
            raise ValidationFailed(
                "Some domains are not valid.",
                fields={"allowed_domains": [f"not a domain: {d!r}" for d in bad]},
            )
        organisation.external_signer_domains = [DOTS_IGNORED.get(d, d) for d in clean] or None
    if require_approval is not None:
        organisation.external_signer_approval = require_approval
    db.session.flush()
    return settings(organisation_id=organisation_id, requests_per_day=requests_per_day)


def list_signers(*, organisation_id: uuid.UUID, state: str | None = "pending") -> list[ExternalSigner]:
    """The organisation's external signers as decided (pending by default), oldest first."""
    query = select(ExternalSigner).where(ExternalSigner.organisation_id == organisation_id)
    if state is not None:
        if state not in EXTERNAL_SIGNER_STATES:
            raise ValidationFailed(
                "Unknown state.", fields={"state": [f"one of {', '.join(EXTERNAL_SIGNER_STATES)}"]}
            )
        query = query.where(ExternalSigner.state == state)
    return list(db.session.scalars(query.order_by(ExternalSigner.created_at, ExternalSigner.id)))


def _waiting(signer: ExternalSigner) -> list[SignOffRequest]:
    """Open requests of the organisation held for this signer."""
    rows = db.session.scalars(
        select(SignOffRequest)
        .join(User, User.id == SignOffRequest.requested_by_id)
        .where(
            User.organisation_id == signer.organisation_id,
            SignOffRequest.state == "open",
            SignOffRequest.external_approval == "pending",
        )
        .order_by(SignOffRequest.created_at)
    )
    return [r for r in rows if normalise_email(r.external_email or "") == signer.email]


def _decidable(*, actor: User, signer_id: uuid.UUID) -> ExternalSigner:
    signer = db.session.get(ExternalSigner, signer_id)
    if signer is None or signer.organisation_id != actor.organisation_id or not actor.is_org_admin:
        raise NotFound("No such external signer.")
    if signer.state != "pending":
        raise Conflict(f"This external signer was already {signer.state}.", code="signer_decided")
    return signer


def approve(
    *, actor: User, signer_id: uuid.UUID, now: dt.datetime, link_days: int, base_url: str
) -> tuple[ExternalSigner, int]:
    """Approve a pending external signer: every request waiting for them gets its link, emailed now
    (a request whose entry changed since is left for the practitioner to ask again). Returns the
    signer and how many emails were sent."""
    signer = _decidable(actor=actor, signer_id=signer_id)
    signer.state = "approved"
    signer.decided_by_id = actor.id
    signer.decided_at = now
    sent = 0
    for request in _waiting(signer):
        request.external_approval = None
        request_changed(request)
        entry = db.session.get(Entry, request.entry_id)
        owner = db.session.get(User, request.requested_by_id)
        if entry is None or owner is None:
            raise RuntimeError("a sign-off request's entry and sender are its foreign keys: never missing")
        if entry.is_deleted or entry.version != request.entry_version:
            continue
        send_link(request=request, owner=owner, entry=entry, now=now, link_days=link_days, base_url=base_url)
        sent += 1
    audit.append_event(
        kind="external_signer.approved",
        actor=f"user:{actor.id}",
        subject_type="external_signer",
        subject_id=signer.id,
        data={"email": signer.email, "links_sent": sent},
        now=now,
    )
    db.session.flush()
    return signer, sent


def refuse(*, actor: User, signer_id: uuid.UUID, now: dt.datetime) -> ExternalSigner:
    """Refuse a pending external signer: the requests waiting for them are cancelled (their entries go
    back to "recorded"), nothing is emailed, and later requests to the address are refused."""
    signer = _decidable(actor=actor, signer_id=signer_id)
    signer.state = "refused"
    signer.decided_by_id = actor.id
    signer.decided_at = now
    for request in _waiting(signer):
        request.state = "cancelled"
        request.external_approval = "refused"
        request.closed_at = now
        request_changed(request)
        entry = db.session.get(Entry, request.entry_id)
        if entry is not None and entry.status == "submitted" and entry.version == request.entry_version:
            entries.set_sign_off_status(entry=entry, status="recorded", now=now)
    audit.append_event(
        kind="external_signer.refused",
        actor=f"user:{actor.id}",
        subject_type="external_signer",
        subject_id=signer.id,
        data={"email": signer.email},
        now=now,
    )
    db.session.flush()
    return signer
