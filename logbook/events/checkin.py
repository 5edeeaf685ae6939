"""Rotating, time-limited check-in codes (what the facilitator's QR shows) and their verification.

A code names the event, a time window and an HMAC over both:

    <event id, 32 hex>-<window number>-<first 20 hex of HMAC-SHA256(key, "event-id:window")>

The key is the app's SECRET_KEY joined with the event's own random check_in_secret, so a code
cannot be made without the server, and replacing an event's secret voids every code shown so far.
Window w covers [w·R, (w+1)·R) with R = ROTATE_SECONDS; the facilitator's screen fetches a new code
each window. A code of window w is accepted for a scan made at time t when
w·R <= t < (w+1+GRACE_WINDOWS)·R: the current code and the one just replaced (a phone that scanned
as the code turned over still gets in). Outside that it has expired.

For people who cannot scan, the screen also shows a short code to type, e.g. `K7PD-3QXM`: eight
characters of Crockford's base32 (no I, L, O or U; typed 0/O and 1/I/L read the same) taken from
HMAC-SHA256(key, "short:event-id:window"), 40 bits. It does not name the event: the server finds it
among the organisation's events open for check-in at the scan time, trying the same two windows. A
guess has about one chance in 2^39 per event open at that moment, and refused check-ins are
rate-limited.

Online, t is the server's clock. Offline (a sync mutation, see docs/events.md), t is the time the
attendee's device says it scanned, bounded by the server: not later than the server's now plus
CLOCK_SKEW, not more than OFFLINE_MAX_DELAY before the push arrives, and inside the event's
check-in period. A device with a wrong clock therefore cannot stretch a code beyond its window.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass

from logbook.errors import ValidationFailed

ROTATE_SECONDS = 120
GRACE_WINDOWS = 1
CLOCK_SKEW = dt.timedelta(minutes=5)
OFFLINE_MAX_DELAY = dt.timedelta(hours=72)
# Codes are shown, and scans accepted, from an hour before the start to two hours after the end.
OPENS_BEFORE = dt.timedelta(hours=1)
CLOSES_AFTER = dt.timedelta(hours=2)
CODE = re.compile(r"^([0-9a-f]{32})-(\d{1,12})-([0-9a-f]{20})$")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SHORT = re.compile(rf"^[{CROCKFORD}]{{8}}$")
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
# How far back a typed short code is looked for, only to say "expired" rather than "not valid".
SHORT_EXPIRED_LOOKBACK = 15


@dataclass(frozen=True)
class Code:
    """A check-in code as shown: the text, and when the screen should fetch the next one."""

    code: str
    short: str
    window: int
    valid_from: dt.datetime
    next_at: dt.datetime
    expires_at: dt.datetime


def window_of(at: dt.datetime) -> int:
    """The rotation window a moment falls in."""
    return int(at.timestamp()) // ROTATE_SECONDS


def _start(window: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(window * ROTATE_SECONDS, dt.UTC)


def _mac(*, secret_key: str, event_secret: str, event_id: uuid.UUID, window: int) -> str:
    key = f"{secret_key}:{event_secret}".encode()
    return hmac.new(key, f"{event_id.hex}:{window}".encode(), hashlib.sha256).hexdigest()[:20]


def short_code(*, secret_key: str, event_secret: str, event_id: uuid.UUID, window: int) -> str:
    """The typed form of an event's code for one window: 8 Crockford base32 characters (no dash)."""
    key = f"{secret_key}:{event_secret}".encode()
    digest = hmac.new(key, f"short:{event_id.hex}:{window}".encode(), hashlib.sha256).digest()
    bits = int.from_bytes(digest[:5], "big")  # 40 bits = 8 characters of 5 bits
    return "".join(CROCKFORD[(bits >> shift) & 31] for shift in range(35, -1, -5))


def show_short(short: str) -> str:
    """K7PD3QXM → K7PD-3QXM (easier to read out and type)."""
    return f"{short[:4]}-{short[4:]}"


def normalise_short(text: str) -> str | None:
    """What someone typed, as a short code (case, spaces and dashes ignored; O read as 0, I and L
    as 1), or None when it cannot be one."""
    cleaned = re.sub(r"[\s-]+", "", (text or "").upper()).translate(_READ_AS)
    return cleaned if SHORT.match(cleaned) else None


def short_windows(scanned_at: dt.datetime) -> tuple[int, ...]:
    """The windows whose short code is accepted for a scan at that time: the current and the one
    before (the same rule as the long code's validity)."""
    now = window_of(scanned_at)
    return tuple(range(now, now - GRACE_WINDOWS - 1, -1))


def issue(*, secret_key: str, event_secret: str, event_id: uuid.UUID, now: dt.datetime) -> Code:
    """The code for the window `now` falls in."""
    window = window_of(now)
    mac = _mac(secret_key=secret_key, event_secret=event_secret, event_id=event_id, window=window)
    short = short_code(secret_key=secret_key, event_secret=event_secret, event_id=event_id, window=window)
    return Code(
        code=f"{event_id.hex}-{window}-{mac}",
        short=show_short(short),
        window=window,
        valid_from=_start(window),
        next_at=_start(window + 1),
        expires_at=_start(window + 1 + GRACE_WINDOWS),
    )


@dataclass(frozen=True)
class Parsed:
    """A code split into its parts (not yet verified)."""

    event_id: uuid.UUID
    window: int
    mac: str


def parse(code: str) -> Parsed:
    """Split a code; a malformed one is a 422 naming the field."""
    match = CODE.match((code or "").strip().lower())
    if not match:
        raise ValidationFailed(
            "This is not a check-in code.", code="invalid_code", fields={"code": ["is not a check-in code"]}
        )
    return Parsed(uuid.UUID(match.group(1)), int(match.group(2)), match.group(3))


def verify(*, parsed: Parsed, secret_key: str, event_secret: str, scanned_at: dt.datetime) -> None:
    """Check the HMAC, then that the scan time falls inside the code's validity."""
    expected = _mac(
        secret_key=secret_key, event_secret=event_secret, event_id=parsed.event_id, window=parsed.window
    )
    if not hmac.compare_digest(expected, parsed.mac):
        raise ValidationFailed(
            "This check-in code is not valid.",
            code="invalid_code",
            fields={"code": ["is not a valid check-in code for this event"]},
        )
    if not _start(parsed.window) <= scanned_at < _start(parsed.window + 1 + GRACE_WINDOWS):
        raise ValidationFailed(
            "This check-in code has expired: scan the code the facilitator is showing now.",
            code="code_expired",
            fields={"code": ["has expired"]},
        )
