"""Withdrawing an approved sign-off of an entry (docs/supervision.md, "Withdrawing a sign-off").

Who may: the person who signed it (while in the entry's organisation), or an admin of that
organisation (for any signer, external ones included). Never the practitioner, another supervisor,
or anyone outside the organisation: to them the sign-off does not exist (404), except the
practitioner, who can see it (403).

What it does, in the caller's transaction: a `SignOffWithdrawal` row with the reason, sealed by the
sign-off core as a signed statement and written into the audit trail (signcore.seal_withdrawal), so
signcore.verify() reports the sign-off ``withdrawn`` and standing_roles() stops counting it (progress,
Home, PDFs and the phone all read that); the entry goes back to "recorded" as a new version (unless
another approval of it still stands), which devices pull; the practitioner is notified; and the
caller's `revoke` hook (the credentials' revocation, passed in by the route: credentials sit above
supervision) sets the status bit of every credential issued for it. A second withdrawal is a 409.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from logbook.accounts.models import User
from logbook.config import KeyRing
from logbook.entries import service as entries
from logbook.entries.models import Entry
from logbook.errors import Conflict, Forbidden, NotFound, ValidationFailed
from logbook.extensions import db
from logbook.notifications import service as notifications
from logbook.supervision import signcore
from logbook.supervision.models import SignOff, SignOffWithdrawal

MAX_REASON = 2000
# revoke(sign_off_id=, reason=, now=) -> how many credentials were revoked
Revoke = Callable[..., int]


class AlreadyWithdrawn(Conflict):
    """The sign-off was withdrawn before (409)."""

    code = "already_withdrawn"


def capacity(user: User, sign_off: SignOff, entry: Entry) -> str | None:
    """In which capacity `user` may withdraw this sign-off ("signer" or "org_admin"), or None."""
    if entry.organisation_id != user.organisation_id or entry.owner_id == user.id:
        return None
    if sign_off.signer_user_id is not None and sign_off.signer_user_id == user.id:
        return "signer"
    if user.is_org_admin:
        return "org_admin"
    return None


def can_withdraw(user: User, sign_off: SignOff) -> bool:
    """Whether `user` may withdraw this sign-off now (an approval that was not withdrawn yet)."""
    entry = db.session.get(Entry, sign_off.entry_id)
    return (
        entry is not None
        and sign_off.decision == "approved"
        and capacity(user, sign_off, entry) is not None
        and signcore.withdrawal_of(sign_off) is None
    )


def _still_approved(entry_id: uuid.UUID, but: uuid.UUID, ring: KeyRing) -> bool:
    """Whether another approval of the entry still stands (verifies valid, not withdrawn)."""
    others = db.session.scalars(
        select(SignOff).where(SignOff.entry_id == entry_id, SignOff.decision == "approved", SignOff.id != but)
    )
    return any(signcore.verify(s, ring=ring).is_valid for s in others)


def withdraw(
    *,
    actor: User,
    sign_off_id: uuid.UUID,
    reason: str,
    now: dt.datetime,
    ring: KeyRing,
    base_url: str = "",
    revoke: Revoke | None = None,
) -> SignOff:
    """Withdraw an approved sign-off with a reason (see the module's docstring for who and what);
    the sign-off, now withdrawn."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why you withdraw this sign-off.", fields={"reason": ["is required"]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            "The reason is too long.", fields={"reason": [f"must be at most {MAX_REASON} characters"]}
        )
    sign_off = db.session.get(SignOff, sign_off_id)
    if sign_off is None:
        raise NotFound("No such sign-off.")
    entry = entries.lock_entry(sign_off.entry_id)  # the entry first: one lock order with decide()
    if entry is None or entry.organisation_id != actor.organisation_id:
        raise NotFound("No such sign-off.")
    as_ = capacity(actor, sign_off, entry)
    if as_ is None:
        if entry.owner_id == actor.id:
            raise Forbidden("You cannot withdraw a sign-off of your own entry; ask the person who signed it.")
        raise NotFound("No such sign-off.")  # someone else's sign-off looks exactly like a missing one
    if sign_off.decision != "approved":
        raise Conflict("Only an approval can be withdrawn; this entry was returned.", code="not_approved")
    if signcore.withdrawal_of(sign_off) is not None:
        raise AlreadyWithdrawn("This sign-off was already withdrawn.")
    withdrawal = SignOffWithdrawal(
        id=uuid.uuid4(),
        sign_off_id=sign_off.id,
        withdrawn_by_id=actor.id,
        withdrawn_by_name=actor.name,
        withdrawn_as=as_,
        reason=reason,
        withdrawn_at=now.astimezone(dt.UTC),
    )
    try:
        with db.session.begin_nested():
            signcore.seal_withdrawal(withdrawal, sign_off, actor=f"user:{actor.id}", now=now, ring=ring)
    except IntegrityError as exc:  # a withdrawal racing this one committed first
        raise AlreadyWithdrawn("This sign-off was already withdrawn.") from exc
    counted_before = entry.status == "signed_off" and not entry.is_deleted
    if counted_before and not _still_approved(entry.id, sign_off.id, ring):
        entries.set_sign_off_status(entry=entry, status="recorded", now=now)
    notifications.notify(
        user_id=entry.owner_id,
        kind="sign_off_withdrawn",
        title=f'{actor.name} withdrew the sign-off of "{entry.title}"'[:200],
        body=reason,
        link=f"/app/entries/{entry.id}",
        dedupe_key=f"sign_off_withdrawn:{sign_off.id}",
        now=now,
        base_url=base_url,
    )
    if revoke is not None:
        revoke(sign_off_id=sign_off.id, reason="the sign-off was withdrawn", now=now)
    return sign_off
