"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 copes with more; a cap stops hashing megabytes on request

# "standard": the library's defaults, which follow RFC 9106's recommendations. "fast-for-tests": cheap
# parameters so that a test suite logging in thousands of times runs in minutes; the app refuses to
# start in production with it (logbook/config.py). Chosen once per process, before anything is hashed.
PROFILES: dict[str, dict[str, Any]] = {
    "standard": {},
    "fast-for-tests": {"time_cost": 1, "memory_cost": 8 * 1024, "parallelism": 1},
}
PROFILE = os.environ.get("LOGBOOK_PASSWORD_HASHING", "standard")
if PROFILE not in PROFILES:
    raise RuntimeError(f"LOGBOOK_PASSWORD_HASHING must be one of {', '.join(PROFILES)}, not {PROFILE!r}")
_hasher = PasswordHasher(**PROFILES[PROFILE])


def hash_password(password: str) -> str:
    """Hash a password with argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the stored hash used weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Verified against when the account does not exist, so that timing does not reveal which emails
    have accounts. Made on first use: hashing takes a tenth of a second, at every server's start."""
    return _hasher.hash("not-a-real-password-for-timing-only")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common leaked passwords; a well-kept list beats our own.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # measured start-up cost: imported on use

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """Reasons this password may not be used (empty when it is acceptable)."""
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters.")
        return problems
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
        return problems
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) <= 3:
        problems.append("This password is too common; choose another.")
        return problems
    personal = [email.split("@", maxsplit=1)[0].lower(), *name.lower().split()]
    if any(len(p) >= 4 and p in lowered for p in personal):
        problems.append("Do not use your name or email address in your password.")
        return problems
    from zxcvbn import zxcvbn  # measured start-up cost: imported on use

    if zxcvbn(password[:100], user_inputs=[email, name])["score"] < 3:
        problems.append("This password is easy to guess; add more unrelated words.")
    return problems
