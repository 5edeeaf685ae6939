"""What sign-off (signoff.py) and external signers (external_signers.py) both do to an entry's
sign-off request: store its link token's hash, and put the request in the change feed."""

from __future__ import annotations

import hashlib

from logbook.changefeed import record_change
from logbook.supervision.models import SignOffRequest


def token_hash(token: str) -> str:
    """How an external link's token is stored: its SHA-256 (the token itself is only in the email)."""
    return hashlib.sha256(token.encode()).hexdigest()


def request_changed(request: SignOffRequest) -> None:
    """Put a request in the change feed of the practitioner who sent it and of the supervisor it is
    addressed to, so each of their devices pulls its state (open, returned with comment, signed)."""
    people = {request.requested_by_id} | ({request.supervisor_id} if request.supervisor_id else set())
    for person in people:
        record_change(entity="sign_off_request", record_id=request.id, owner_id=person, is_shared=False)
