"""Offline sign-off: a supervisor's decision made on a device arrives as a sync mutation.

Mutation: ``{"entity": "sign_off", "op": "create", "id": <sign-off UUID made on the device>,
"fields": {"entry_id", "entry_version", "content_sha256", "decision", "comment", "request_id"?}}``.
If the entry changed after the supervisor read it, the result is a conflict naming the version they
saw and the current one: never a signature on text they did not see.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import ValidationError

from logbook.accounts.models import User
from logbook.errors import ValidationFailed, flatten_messages
from logbook.supervision import signoff
from logbook.supervision.schemas import SignOffMutationSchema


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
