"""Password reset by email: a single-use, expiring link whose token is stored only as its SHA-256.

Asking for a link answers the same whatever the address (no account enumeration), and does the same
work either way (one argon2 verification), so the timing tells nothing either. Using the link sets a
policy-checked password, ends every session of the account, ends any login lockout, and voids every
other link of the account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import partial

from sqlalchemy import select, update

from logbook.accounts.models import PasswordReset, User
from logbook.accounts.passwords import dummy_hash, verify_password
from logbook.accounts.service import clear_lockout, normalise_email, set_password
from logbook.aftercommit import after_commit
from logbook.errors import NotFound
from logbook.extensions import db
from logbook.mail import Mail, Mailer


def token_hash(token: str) -> str:
    """What is stored for a token (the email carries the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def request_password_reset(
    *, email: str, now: dt.datetime, lifetime: dt.timedelta, base_url: str, mailer: Mailer
) -> None:
    """Email a reset link if an active account uses this address; otherwise do nothing visible."""
    # The same argon2 work on every path: a request for an unknown address takes as long.
    verify_password(dummy_hash(), email)
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        return
    token = _issue_link(user=user, now=now, lifetime=lifetime)
    minutes = int(lifetime.total_seconds() // 60)
    # Sent once the request commits (logbook/aftercommit.py): a failed commit leaves no link to nothing.
    message = Mail(
        to=user.email,
        subject="Set a new password for your CPD Logbook",
        body=(
            f"Hello {user.name},\n\n"
            "Someone (we hope you) asked to set a new password for your CPD Logbook account.\n"
            f"Open this link within {minutes} minutes to choose one; it works once:\n\n"
            f"{base_url}/reset-password/{token}\n\n"
            "If you did not ask, ignore this email: your password stays as it is.\n"
        ),
    )
    after_commit(partial(mailer.send, message))


def _issue_link(*, user: User, now: dt.datetime, lifetime: dt.timedelta) -> str:
    """A new single-use link token for this account (only its SHA-256 is stored)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=now + lifetime
        )
    )
    db.session.flush()
    return token


UNUSABLE = "This link has expired or has already been used. Ask for a new one."


def _usable(token: str, now: dt.datetime) -> PasswordReset:
    row = db.session.get(PasswordReset, token_hash(token))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise NotFound(UNUSABLE, code="reset_expired")
    user = db.session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise NotFound(UNUSABLE, code="reset_expired")
    return row


def open_reset(*, token: str, now: dt.datetime) -> User:
    """The account a reset link is for, or NotFound if the link is unknown, used or expired."""
    user = db.session.get(User, _usable(token, now).user_id)
    if user is None:
        raise RuntimeError("_usable checked it exists")
    return user


def complete_reset(*, token: str, password: str, now: dt.datetime) -> User:
    """Set the new password (policy-checked: ValidationFailed), use up the link and every other one."""
    row = _usable(token, now)
    user = db.session.get(User, row.user_id)
    if user is None:
        raise RuntimeError("_usable checked it exists")
    set_password(user=user, password=password)  # also ends every session of the account
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    clear_lockout(email=user.email)
    db.session.flush()
    return user
