"""SSO settings: an organisation's OpenID Connect provider, validated, and the password-login policy.

Services flush, never commit, and get their settings as arguments (docs/architecture.md). The client
secret never reaches the database: the settings name an environment variable, which only the route
reads when a code is exchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote, urlsplit

from sqlalchemy import select

from logbook.accounts.models import Organisation, User
from logbook.audit import service as audit
from logbook.errors import NotFound, ValidationFailed
from logbook.extensions import db
from logbook.sso.models import SsoProvider
from logbook.sso.schemas import DOMAIN_PATTERN

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


def provider_for(organisation_id: Any) -> SsoProvider | None:
    """The organisation's provider settings, or None when it has no single sign-on."""
    return db.session.get(SsoProvider, organisation_id)


def sso_enabled(organisation: Organisation) -> bool:
    """Whether the organisation's people can sign in with its identity provider (an invitation then
    offers that instead of, or as well as, a password)."""
    return provider_for(organisation.id) is not None


def invitation_login_url(organisation: Organisation, *, base_url: str) -> str | None:
    """Where an invitation sends a new person of this organisation: its single sign-on start when it
    signs its people in with OpenID Connect (then no password link is made), else None."""
    if not sso_enabled(organisation):
        return None
    return f"{base_url}/auth/oidc/login?organisation={quote(organisation.slug)}"


def password_login_enabled(organisation: Organisation) -> bool:
    """False when the organisation has switched password login off (its people use SSO only)."""
    provider = provider_for(organisation.id)
    return provider is None or provider.password_login


def email_domain(email: str) -> str:
    """The lower-case domain of an address ('' when there is none)."""
    return email.rpartition("@")[2].strip().lower() if "@" in email else ""


def sso_only_organisation_for(*, email: str, user: User | None) -> Organisation | None:
    """The organisation whose SSO-only policy refuses a password login for this address: the
    user's own organisation when it switched password login off, or else (so that the answer is the
    same whether or not the address has an account) one whose SSO domains include the address's
    domain and which switched password login off. None: password login may go ahead."""
    if user is not None and not password_login_enabled(user.organisation):
        return user.organisation
    domain = email_domain(email)
    if not domain:
        return None
    providers = db.session.scalars(select(SsoProvider).where(SsoProvider.password_login.is_(False)))
    for provider in providers:
        if domain in provider.email_domains:
            return db.session.get(Organisation, provider.organisation_id)
    return None


def issuer_problem(issuer: str, *, allow_http: bool) -> str | None:
    """Why this issuer URL cannot be used, or None. https always; http only to this machine and only
    where allowed (development and the tests' own provider)."""
    try:
        parts = urlsplit(issuer)
        host, _port = parts.hostname, parts.port
    except ValueError:
        return "Must be a URL."
    if not host or parts.scheme not in {"https", "http"}:
        return "Must be an https:// URL with a host."
    if parts.scheme == "http" and not (allow_http and host in LOCAL_HOSTS):
        return "Must be an https:// URL."
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        return "Must not carry credentials, a query or a fragment."
    return None


def _clean_domains(domains: list[str]) -> tuple[list[str], list[str]]:
    cleaned: list[str] = []
    problems: list[str] = []
    for raw in domains:
        domain = raw.strip().lower().lstrip("@")
        if not re.fullmatch(DOMAIN_PATTERN, domain):
            problems.append(f"{raw!r} is not a domain name like northshire.gov.uk.")
        elif domain not in cleaned:
            cleaned.append(domain)
    return cleaned, problems


def save_provider(
    *, organisation: Organisation, data: dict[str, Any], allow_http: bool, actor: str, now: dt.datetime
) -> SsoProvider:
    """Create or replace the organisation's provider settings (validated; audited)."""
    problems: dict[str, list[str]] = {}
    issuer = data["issuer"].strip()
    problem = issuer_problem(issuer, allow_http=allow_http)
    if problem:
        problems["issuer"] = [problem]
    domains, domain_problems = _clean_domains(data["email_domains"])
    if domain_problems:
        problems["email_domains"] = domain_problems
    client_id = data["client_id"].strip()
    if not client_id or any(ch.isspace() or not ch.isprintable() for ch in client_id):
        problems["client_id"] = ["Must be the client id the provider gave, without spaces."]
    if problems:
        raise ValidationFailed("The single sign-on settings are not usable.", fields=problems)
    provider = provider_for(organisation.id)
    if provider is None:
        provider = SsoProvider(organisation_id=organisation.id)
        db.session.add(provider)
    provider.issuer = issuer
    provider.client_id = client_id
    provider.client_secret_env = data["client_secret_env"]
    provider.email_domains = domains
    provider.jit_enabled = bool(data.get("jit_enabled", False))
    provider.password_login = bool(data.get("password_login", True))
    provider.updated_at = now
    db.session.flush()
    audit.append_event(
        kind="sso.settings_saved",
        actor=actor,
        subject_type="organisation",
        subject_id=organisation.id,
        data={
            "issuer": issuer,
            "client_id": client_id,
            "client_secret_env": provider.client_secret_env,
            "email_domains": domains,
            "jit_enabled": provider.jit_enabled,
            "password_login": provider.password_login,
        },
        now=now,
    )
    return provider


def disable_provider(*, organisation: Organisation, actor: str, now: dt.datetime) -> None:
    """Switch single sign-on off for the organisation (password login works again); audited."""
    provider = provider_for(organisation.id)
    if provider is None:
        raise NotFound("This organisation has no single sign-on set up.")
    db.session.delete(provider)
    db.session.flush()
    audit.append_event(
        kind="sso.disabled",
        actor=actor,
        subject_type="organisation",
        subject_id=organisation.id,
        data={},
        now=now,
    )


def organisation_by_slug(slug: str) -> Organisation | None:
    """The organisation with this slug, or None."""
    return db.session.scalar(select(Organisation).where(Organisation.slug == slug.strip().lower()))


def safe_next_path(value: str | None) -> str:
    """Where to land after signing in: a path on this site only (an absolute URL, a scheme-relative
    //host, a backslash trick or control characters give the app's home instead: no open redirect)."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if any(ord(ch) < 32 or ch == "\\" for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return value
