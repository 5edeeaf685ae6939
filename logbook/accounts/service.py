"""Accounts services: authentication, sessions, and the org admin's teams, roles, users, registrations.

Services take plain keyword arguments, flush but never commit, and raise logbook.errors exceptions.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, or_, select

from logbook.accounts.models import (
    APP_ROLES,
    REGULATORS,
    SERVICE_AREAS,
    AuthSession,
    JobRole,
    LoginThrottle,
    Organisation,
    Registration,
    Team,
    User,
)
from logbook.accounts.passwords import (
    dummy_hash,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from logbook.errors import Conflict, DomainError, NotAuthenticated, NotFound, ValidationFailed
from logbook.extensions import db

# Framework a registration follows unless told otherwise (framework files use these ids).
DEFAULT_FRAMEWORK = {"HCPC": "hcpc", "SWE": "swe", "NMC": "nmc", "TEACHERS": "teachers"}


# --- authentication and sessions -------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding spaces."""
    return email.strip().lower()


class AccountLocked(DomainError):
    """Too many failed logins in a row for this email address: refused until the lock ends."""

    status = 429
    code = "account_locked"


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failed logins in a row lock an email address, and for how long."""

    max_failures: int = 10
    minutes: int = 30


def _email_hash(email: str) -> str:
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return (
        f"This account is locked for {minutes} more minute{'s' if minutes != 1 else ''} after too many "
        f"failed logins (until {until:%H:%M} UTC). Wait, or use “Forgot password?” to set a new "
        "password, which unlocks it at once."
    )


def _record_failure(email: str, now: dt.datetime, policy: LockoutPolicy) -> LoginThrottle:
    row = db.session.get(LoginThrottle, _email_hash(email))
    if row is None:
        row = LoginThrottle(email_hash=_email_hash(email), failures=0, last_failure_at=now)
        db.session.add(row)
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= policy.max_failures:
        row.locked_until = now + dt.timedelta(minutes=policy.minutes)
        row.failures = 0  # after the lock ends, a full set of attempts again
    db.session.flush()
    return row


def clear_lockout(*, email: str) -> None:
    """Forget failed logins for this address (after a successful login or a password reset)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.email_hash == _email_hash(email)))


def authenticate(*, email: str, password: str, now: dt.datetime, policy: LockoutPolicy | None = None) -> User:
    """Return the active user with these credentials, or raise NotAuthenticated (same for all causes).

    Failed attempts are counted per email address, whether or not it has an account, so that the
    lockout (AccountLocked) reveals nothing either. The failure count must outlive the request's
    rollback: callers persist it (see logbook/api/auth.py). Every path verifies one argon2 hash, so
    unknown, inactive, locked and wrong-password attempts take the same time.
    """
    policy = policy or LockoutPolicy()
    throttle = db.session.get(LoginThrottle, _email_hash(email))
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        verify_password(dummy_hash(), password)  # same work as any other attempt
        raise AccountLocked(
            _locked_message(throttle.locked_until, now),
            extra={"locked_until": throttle.locked_until.isoformat()},
        )
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        verify_password(dummy_hash(), password)  # same work either way: no account enumeration by timing
        ok = False
    else:
        ok = verify_password(user.password_hash, password)
    if not ok or user is None:
        row = _record_failure(email, now, policy)
        if row.locked_until is not None and row.locked_until > now:
            raise AccountLocked(
                _locked_message(row.locked_until, now), extra={"locked_until": row.locked_until.isoformat()}
            )
        raise NotAuthenticated("That email and password do not match an account.", code="login_failed")
    if throttle is not None:
        clear_lockout(email=email)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.flush()
    return user


def start_session(*, user: User, now: dt.datetime, lifetime: dt.timedelta) -> str:
    """Create a new server-side session and return its secret token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        AuthSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.flush()
    return token


def end_session(*, token: str) -> None:
    """Forget a session (logout)."""
    db.session.execute(delete(AuthSession).where(AuthSession.token_hash == _token_hash(token)))


def user_for_session(
    *, token: str, now: dt.datetime, lifetime: dt.timedelta, touch: bool = True
) -> User | None:
    """The active user a session token belongs to; None if unknown or expired. With touch, the
    expiry slides forward (callers pass touch=False on read-only requests, which never write)."""
    row = db.session.get(AuthSession, _token_hash(token))
    if row is None or row.expires_at <= now or not row.user.is_active:
        return None
    # Writing on every request would serialise requests on SQLite; an hour's granularity is enough.
    if touch and now - row.last_seen_at > dt.timedelta(hours=1):
        row.last_seen_at = now
        row.expires_at = now + lifetime
    return row.user


def set_password(*, user: User, password: str) -> None:
    """Set a user's password after checking the policy."""
    problems = password_problems(password, email=user.email, name=user.name)
    if problems:
        raise ValidationFailed("The password is not acceptable.", fields={"password": problems})
    user.password_hash = hash_password(password)
    db.session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    db.session.flush()


def change_own_password(*, user: User, current_password: str, new_password: str) -> None:
    """A person changes their own password: only with the current one (wrong: 422 naming the field,
    nothing changed). Every session of the account ends, as after any password change."""
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed(
            "Your current password is not right.", fields={"current_password": ["does not match"]}
        )
    problems = password_problems(new_password, email=user.email, name=user.name)
    if problems:
        raise ValidationFailed("The password is not acceptable.", fields={"new_password": problems})
    set_password(user=user, password=new_password)


# --- organisations ---------------------------------------------------------------------------


def get_or_create_organisation(*, name: str, slug: str) -> Organisation:
    """The organisation with this slug, created if missing."""
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        org = Organisation(name=name, slug=slug)
        db.session.add(org)
        db.session.flush()
    return org


# --- teams -----------------------------------------------------------------------------------


def list_teams(*, organisation_id: uuid.UUID) -> list[Team]:
    """Teams of one organisation, by name."""
    return list(
        db.session.scalars(select(Team).where(Team.organisation_id == organisation_id).order_by(Team.name))
    )


def get_team(*, organisation_id: uuid.UUID, team_id: uuid.UUID) -> Team:
    """A team of this organisation, or NotFound."""
    team = db.session.get(Team, team_id)
    if team is None or team.organisation_id != organisation_id:
        raise NotFound("No such team.")
    return team


def _check_unique_name(model: Any, organisation_id: uuid.UUID, name: str, exclude: Any = None) -> None:
    # SQLite's lower() folds only ASCII, Python's folds everything: "ÒX" would pass a case-insensitive
    # check against a stored "ÒX" there and then break the unique constraint (a 500, found by
    # schemathesis). The exact comparison closes that gap on every engine.
    query = select(model.id).where(
        model.organisation_id == organisation_id,
        or_(func.lower(model.name) == name.lower(), model.name == name),
    )
    if exclude is not None:
        query = query.where(model.id != exclude)
    if db.session.scalar(query) is not None:
        raise ValidationFailed("The name is already in use.", fields={"name": [f"“{name}” already exists."]})


def create_team(*, organisation_id: uuid.UUID, name: str, service_area: str) -> Team:
    """Add a team to the organisation."""
    _check_unique_name(Team, organisation_id, name)
    team = Team(organisation_id=organisation_id, name=name, service_area=service_area)
    db.session.add(team)
    db.session.flush()
    return team


def update_team(*, organisation_id: uuid.UUID, team_id: uuid.UUID, changes: dict[str, Any]) -> Team:
    """Rename a team or move it to another service area."""
    team = get_team(organisation_id=organisation_id, team_id=team_id)
    if "name" in changes:
        _check_unique_name(Team, organisation_id, changes["name"], exclude=team.id)
    for key, value in changes.items():
        setattr(team, key, value)
    db.session.flush()
    return team


def delete_team(*, organisation_id: uuid.UUID, team_id: uuid.UUID) -> None:
    """Remove an empty team; a team with members must be emptied first."""
    team = get_team(organisation_id=organisation_id, team_id=team_id)
    members = db.session.scalar(select(func.count()).select_from(User).where(User.team_id == team.id))
    if members:
        raise Conflict(f"The team still has {members} member(s); move them first.", code="team_not_empty")
    db.session.delete(team)
    db.session.flush()


# --- job roles -------------------------------------------------------------------------------


def list_job_roles(*, organisation_id: uuid.UUID) -> list[JobRole]:
    """Job roles of one organisation, by name."""
    return list(
        db.session.scalars(
            select(JobRole).where(JobRole.organisation_id == organisation_id).order_by(JobRole.name)
        )
    )


def get_job_role(*, organisation_id: uuid.UUID, job_role_id: uuid.UUID) -> JobRole:
    """A job role of this organisation, or NotFound."""
    role = db.session.get(JobRole, job_role_id)
    if role is None or role.organisation_id != organisation_id:
        raise NotFound("No such job role.")
    return role


def create_job_role(*, organisation_id: uuid.UUID, **fields: Any) -> JobRole:
    """Add a job role."""
    _check_unique_name(JobRole, organisation_id, fields["name"])
    role = JobRole(organisation_id=organisation_id, **fields)
    db.session.add(role)
    db.session.flush()
    return role


def update_job_role(
    *, organisation_id: uuid.UUID, job_role_id: uuid.UUID, changes: dict[str, Any]
) -> JobRole:
    """Change a job role's name, service area, profession or regulator."""
    role = get_job_role(organisation_id=organisation_id, job_role_id=job_role_id)
    if "name" in changes:
        _check_unique_name(JobRole, organisation_id, changes["name"], exclude=role.id)
    for key, value in changes.items():
        setattr(role, key, value)
    db.session.flush()
    return role


def delete_job_role(*, organisation_id: uuid.UUID, job_role_id: uuid.UUID) -> None:
    """Remove a job role nobody holds."""
    role = get_job_role(organisation_id=organisation_id, job_role_id=job_role_id)
    holders = db.session.scalar(select(func.count()).select_from(User).where(User.job_role_id == role.id))
    if holders:
        raise Conflict(f"{holders} user(s) hold this job role; change theirs first.", code="job_role_in_use")
    db.session.delete(role)
    db.session.flush()


# The CSV's wording (as in the reference service's export) → our codes.
_AREA_ALIASES = {a.replace("_", " "): a for a in SERVICE_AREAS} | {"send": "send", "sen": "send"}
_REGULATOR_ALIASES = {
    "": None,
    "none": None,
    "hcpc": "HCPC",
    "social work england": "SWE",
    "swe": "SWE",
    "nmc": "NMC",
    "teachers' standards": "TEACHERS",
    "teachers' standards (early years)": "TEACHERS",
    "teachers": "TEACHERS",
    "gmc": "GMC",
}
CSV_COLUMNS = ("job_role", "service_area", "profession", "registration_framework")


def _parse_role_row(row: dict[str, str | None]) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    name = (row.get("job_role") or "").strip()
    if not name:
        errors.append("job_role is empty")
    elif len(name) > 200:
        errors.append("job_role is longer than 200 characters")
    area_raw = (row.get("service_area") or "").strip().lower()
    area = _AREA_ALIASES.get(area_raw)
    if area is None:
        errors.append(f"service_area “{area_raw}” is not one of: {', '.join(SERVICE_AREAS)}")
    profession = (row.get("profession") or "").strip()
    if not profession:
        errors.append("profession is empty")
    reg_raw = (row.get("registration_framework") or "").strip()
    if reg_raw.lower() not in _REGULATOR_ALIASES:
        errors.append(f"registration_framework “{reg_raw}” is not known")
    data = {
        "name": name,
        "service_area": area,
        "profession": profession,
        "usual_regulator": _REGULATOR_ALIASES.get(reg_raw.lower()),
    }
    return data, errors


def _parse_role_rows(reader: csv.DictReader) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue  # blank lines are harmless
        if None in row:
            errors[f"line {line}"] = ["has more columns than the header"]
            continue
        data, row_errors = _parse_role_row(row)
        key = data["name"].lower()
        if key and key in seen:
            row_errors.append(f"job_role “{data['name']}” repeats line {seen[key]}")
        seen.setdefault(key, line)
        if row_errors:
            errors[f"line {line}"] = row_errors
        else:
            rows.append(data)
    return rows, errors


def import_job_roles_csv(*, organisation_id: uuid.UUID, text: str) -> dict[str, int]:
    """Create or update job roles from CSV; all rows or none, with errors by line number."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ValidationFailed(
            "The CSV header is not right.",
            fields={
                "line 1": [f"missing column(s): {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}"]
            },
        )
    reader.fieldnames = header
    rows, errors = _parse_role_rows(reader)
    if errors:
        raise ValidationFailed("Nothing was imported: fix these lines and try again.", fields=errors)
    if not rows:
        raise ValidationFailed("The CSV has no job roles.", fields={"line 2": ["no data rows"]})
    existing = {r.name.lower(): r for r in list_job_roles(organisation_id=organisation_id)}
    created = updated = 0
    for data in rows:
        role = existing.get(data["name"].lower())
        if role is None:
            db.session.add(JobRole(organisation_id=organisation_id, **data))
            created += 1
        else:
            for k, v in data.items():
                setattr(role, k, v)
            updated += 1
    db.session.flush()
    return {"created": created, "updated": updated}


# --- users -----------------------------------------------------------------------------------


ROLE_FLAGS = {
    "practitioner": User.is_practitioner,
    "supervisor": User.is_supervisor,
    "team_manager": User.is_team_manager,
    "org_admin": User.is_org_admin,
}


def list_users(
    *,
    organisation_id: uuid.UUID,
    q: str | None = None,
    team_id: uuid.UUID | None = None,
    job_role_id: uuid.UUID | None = None,
    role: str | None = None,
    regulator: str | None = None,
    active: bool | None = None,
) -> list[User]:
    """Users of one organisation, by name; optionally only those whose name or email contains `q`
    (any case), in a team, holding a job role or an app role, registered with a regulator, or
    (in)active. Ids of another organisation's teams or roles simply match nobody."""
    query = select(User).where(User.organisation_id == organisation_id)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(func.lower(User.name).like(pattern, escape="\\"), User.email.like(pattern, escape="\\"))
        )
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    if job_role_id is not None:
        query = query.where(User.job_role_id == job_role_id)
    if role is not None:
        query = query.where(ROLE_FLAGS[role].is_(True))
    if regulator is not None:
        query = query.where(
            User.id.in_(select(Registration.user_id).where(Registration.regulator == regulator))
        )
    if active is not None:
        query = query.where(User.is_active.is_(active))
    return list(db.session.scalars(query.order_by(User.name, User.id)))


def list_registrations(*, organisation_id: uuid.UUID, regulator: str | None = None) -> list[Registration]:
    """Every registration of the organisation's people (by person, then regulator)."""
    query = (
        select(Registration)
        .join(User, Registration.user_id == User.id)
        .where(User.organisation_id == organisation_id)
    )
    if regulator is not None:
        query = query.where(Registration.regulator == regulator)
    return list(db.session.scalars(query.order_by(User.name, User.id, Registration.regulator)))


def get_user(*, organisation_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """A user of this organisation, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None or user.organisation_id != organisation_id:
        raise NotFound("No such user.")
    return user


def apply_user_fields(user: User, organisation_id: uuid.UUID, data: dict[str, Any]) -> None:
    """Set a user's name, roles, team, managed teams, job role and active flag (org-scoped)."""
    if "team_id" in data:
        user.team_id = (
            get_team(organisation_id=organisation_id, team_id=data["team_id"]).id if data["team_id"] else None
        )
    if "job_role_id" in data:
        user.job_role_id = (
            get_job_role(organisation_id=organisation_id, job_role_id=data["job_role_id"]).id
            if data["job_role_id"]
            else None
        )
    if "managed_team_ids" in data:
        user.managed_teams = [
            get_team(organisation_id=organisation_id, team_id=t) for t in data["managed_team_ids"]
        ]
    if "roles" in data:
        roles = set(data["roles"])
        user.is_practitioner = "practitioner" in roles
        user.is_supervisor = "supervisor" in roles
        user.is_team_manager = "team_manager" in roles
        user.is_org_admin = "org_admin" in roles
    for key in ("name", "is_active"):
        if key in data:
            setattr(user, key, data[key])


def create_user(
    *, organisation_id: uuid.UUID, data: dict[str, Any], password_hash: str | None = None
) -> User:
    """Create a user in the organisation with a policy-checked password. `password_hash`: a hash of
    `data["password"]` the caller has already made, for people who share one password (the demo
    organisation's published login, hashed once rather than once per person: an argon2 hash takes a
    tenth of a second); every other caller leaves it out and the password is hashed here."""
    email = normalise_email(data["email"])
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed("The email is already in use.", fields={"email": ["already has an account"]})
    problems = password_problems(data["password"], email=email, name=data["name"])
    if problems:
        raise ValidationFailed("The password is not acceptable.", fields={"password": problems})
    user = User(
        organisation_id=organisation_id,
        email=email,
        name=data["name"],
        password_hash=password_hash or hash_password(data["password"]),
        is_practitioner=True,
    )
    apply_user_fields(
        user, organisation_id, {k: v for k, v in data.items() if k not in {"email", "password"}}
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_user(*, organisation_id: uuid.UUID, user_id: uuid.UUID, data: dict[str, Any], actor: User) -> User:
    """Change a user's details, roles, team or job role (and password, if given)."""
    user = get_user(organisation_id=organisation_id, user_id=user_id)
    if user.id == actor.id and (
        data.get("is_active") is False or ("roles" in data and "org_admin" not in data["roles"])
    ):
        raise ValidationFailed(
            "You cannot remove your own admin rights or deactivate yourself.",
            fields={"roles": ["another org admin must do this"]},
        )
    if user.id == actor.id and "password" in data:
        # Whoever holds an admin's session must not be able to take the account over: one's own
        # password changes only with the current one (change_own_password), or by the emailed reset.
        raise ValidationFailed(
            "Change your own password with your current one (POST /api/v1/me/password), not here.",
            fields={"password": ["your own password needs your current one: POST /api/v1/me/password"]},
        )
    apply_user_fields(user, organisation_id, data)
    if data.get("password"):
        set_password(user=user, password=data["password"])
    if data.get("is_active") is False:
        db.session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    db.session.flush()
    return user


# --- registrations ---------------------------------------------------------------------------


def _check_registration(data: dict[str, Any]) -> None:
    since, renewal = data.get("registered_since"), data.get("renewal_date")
    if since and renewal and renewal <= since:
        raise ValidationFailed(
            "The renewal date must be after the registration date.",
            fields={"renewal_date": ["must be after registered_since"]},
        )
    if data.get("regulator") not in (None, *REGULATORS):
        raise ValidationFailed("Unknown regulator.", fields={"regulator": ["unknown regulator"]})


def add_registration(*, organisation_id: uuid.UUID, user_id: uuid.UUID, data: dict[str, Any]) -> Registration:
    """Record a professional registration for a user."""
    user = get_user(organisation_id=organisation_id, user_id=user_id)
    _check_registration(data)
    data = dict(data)
    data.setdefault("framework_id", DEFAULT_FRAMEWORK.get(data["regulator"]))
    reg = Registration(user_id=user.id, **data)
    db.session.add(reg)
    db.session.flush()
    return reg


def get_registration(*, organisation_id: uuid.UUID, registration_id: uuid.UUID) -> Registration:
    """A registration of a user in this organisation, or NotFound."""
    reg = db.session.get(Registration, registration_id)
    if reg is None or reg.user.organisation_id != organisation_id:
        raise NotFound("No such registration.")
    return reg


def update_registration(
    *, organisation_id: uuid.UUID, registration_id: uuid.UUID, changes: dict[str, Any]
) -> Registration:
    """Change a registration's details."""
    reg = get_registration(organisation_id=organisation_id, registration_id=registration_id)
    merged = {
        "registered_since": reg.registered_since,
        "renewal_date": reg.renewal_date,
        "regulator": reg.regulator,
    } | changes
    _check_registration(merged)
    for key, value in changes.items():
        setattr(reg, key, value)
    db.session.flush()
    return reg


def delete_registration(*, organisation_id: uuid.UUID, registration_id: uuid.UUID) -> None:
    """Remove a registration (e.g. entered by mistake)."""
    reg = get_registration(organisation_id=organisation_id, registration_id=registration_id)
    db.session.delete(reg)
    db.session.flush()


def add_own_registration(*, user: User, data: dict[str, Any]) -> Registration:
    """A person records one of their own registrations (the framework follows the regulator)."""
    return add_registration(organisation_id=user.organisation_id, user_id=user.id, data=data)


def update_own_registration(
    *, user: User, registration_id: uuid.UUID, changes: dict[str, Any]
) -> Registration:
    """A person changes one of their own registrations (number, profession, dates); another
    person's registration, even in the same organisation, is NotFound."""
    reg = db.session.get(Registration, registration_id)
    if reg is None or reg.user_id != user.id:
        raise NotFound("No such registration.")
    return update_registration(organisation_id=user.organisation_id, registration_id=reg.id, changes=changes)


def role_codes() -> Iterable[str]:
    """The app roles a user can hold."""
    return APP_ROLES
