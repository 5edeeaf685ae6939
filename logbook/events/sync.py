"""Offline check-in: an attendee's scan made without a connection arrives as a sync mutation.

Mutation: ``{"entity": "event_check_in", "op": "create", "id": <UUID made on the device>,
"fields": {"code": <scanned code>, "scanned_at": <the phone's clock at the scan, with zone>}}``.
The server checks the code against its validity window at scanned_at, bounded by its own clock
(see logbook/events/checkin.py and docs/events.md). The result names the attendee's one entry for
the event; a second scan of the same event (another mutation) answers with that same entry.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import ValidationError

from logbook.accounts.models import User
from logbook.config import PushSettings
from logbook.errors import ValidationFailed, flatten_messages
from logbook.events import service
from logbook.events.schemas import CheckInMutationSchema

_SCHEMA = CheckInMutationSchema()


def apply_event_check_in(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    """Apply one offline check-in (only "create": a check-in is never changed or deleted)."""
    if mutation["op"] != "create":
        raise ValidationFailed("A check-in can only be created.", fields={"op": ["must be create"]})
    try:
        data = _SCHEMA.load(mutation.get("fields") or {})
    except ValidationError as err:
        raise ValidationFailed("Some fields are not valid.", fields=flatten_messages(err.messages)) from err
    event, attended = service.check_in(
        attendee=user,
        code=data["code"],
        now=now,
        scanned_at=data["scanned_at"],
        secret_key=settings.secret_key,
    )
    return {
        "status": "applied",
        "event_id": str(event.id),
        "entry_id": str(attended.attendance.entry_id),
        "created": attended.created,
        "title": event.title,
    }
