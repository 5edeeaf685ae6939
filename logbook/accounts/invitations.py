"""Invitations: a new member of staff gets an email with a single-use, expiring link to choose their
password (the password-reset machinery of logbook/accounts/reset.py: the same table, the same page
/reset-password/<token>, only a longer lifetime and other words), or, where the organisation signs its
people in through its identity provider, a link to that sign-in instead (no password is ever set).

An invited account has no usable password until the link is used: its stored hash is a marker no
password matches, so it cannot be logged into, and `authenticate` treats it like a wrong password.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from functools import partial
from typing import Any

from logbook.accounts.models import PasswordReset, User
from logbook.accounts.reset import token_hash
from logbook.accounts.service import create_user
from logbook.aftercommit import after_commit
from logbook.errors import NotFound
from logbook.extensions import db
from logbook.mail import Mail, Mailer

# Not an argon2 hash: verify_password answers False for it (InvalidHashError), whatever is typed.
NO_PASSWORD_YET = "!invited"  # noqa: S105  # nosec B105 - a marker no password matches


def invite(
    *,
    user: User,
    organisation_name: str,
    now: dt.datetime,
    lifetime: dt.timedelta,
    base_url: str,
    mailer: Mailer,
    sso_login_url: str | None = None,
) -> None:
    """Queue the invitation email for after the commit. With `sso_login_url` (the organisation signs
    in with OpenID Connect: /auth/oidc/login?organisation=SLUG), the email points there and no
    password link is made; otherwise it carries a set-your-password link that works once. A
    deactivated person is not invited (NotFound, as for someone unknown)."""
    if not user.is_active:
        raise NotFound("No such user.")
    if sso_login_url:
        how = (
            f"{organisation_name} signs you in with your work account. Open this link and sign in "
            f"as you do for your other work systems:\n\n{sso_login_url}\n"
        )
    else:
        token = secrets.token_urlsafe(32)
        db.session.add(
            PasswordReset(
                token_hash=token_hash(token), user_id=user.id, created_at=now, expires_at=now + lifetime
            )
        )
        days = max(1, int(lifetime.total_seconds() // 86400))
        how = (
            f"Open this link within {days} days to choose your password; it works once:\n\n"
            f"{base_url}/reset-password/{token}\n\n"
            "Then sign in with your email address and that password. If the link has expired, "
            f"use “Forgot password?” on the sign-in page, or ask {organisation_name}'s administrator.\n"
        )
    message = Mail(
        to=user.email,
        subject=f"Your CPD Logbook account at {organisation_name}",
        body=(
            f"Hello {user.name},\n\n"
            f"{organisation_name} has made you an account in CPD Logbook, where you record your "
            "continuing professional development and ask your supervisor to sign it off.\n\n"
            f"{how}\n"
            "If you did not expect this, you can ignore this email.\n"
        ),
    )
    after_commit(partial(mailer.send, message))


def invite_user(
    *,
    organisation_id: uuid.UUID,
    organisation_name: str,
    data: dict[str, Any],
    now: dt.datetime,
    lifetime: dt.timedelta,
    base_url: str,
    mailer: Mailer,
    sso_login_url: str | None = None,
) -> User:
    """Create one account (the admin area's "Invite") with no password anyone knows and queue its
    invitation: the same email and link as staff onboarding's."""
    user = create_user(organisation_id=organisation_id, data={**data, "password": secrets.token_urlsafe(32)})
    invite(
        user=user,
        organisation_name=organisation_name,
        now=now,
        lifetime=lifetime,
        base_url=base_url,
        mailer=mailer,
        sso_login_url=sso_login_url,
    )
    return user
