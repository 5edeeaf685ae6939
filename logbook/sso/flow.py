"""The OpenID Connect sign-in: the authorisation-code flow with PKCE (S256), state and nonce, through
Authlib; the ID token's signature checked against the issuer's keys (its discovery document's
jwks_uri) and its claims (iss, aud, exp, iat, nonce, azp, at_hash) validated; then the person matched
by verified email within the organisation only, or created just in time for its email domains.

Every refusal is an `SsoRefused` naming a reason; the route shows it as a page and audits it. No token,
code or secret is ever logged or audited: refusals record the reason, and the email address once the
provider vouched for it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import delete, select

from logbook.accounts.models import Organisation, User
from logbook.accounts.service import normalise_email
from logbook.audit import service as audit
from logbook.errors import DomainError
from logbook.extensions import db
from logbook.sso.models import OidcLoginState, SsoProvider
from logbook.sso.service import email_domain, issuer_problem

if TYPE_CHECKING:
    from joserfc.jwk import KeySet

# requests, Authlib and joserfc (a tenth of a second to import) are imported by the functions that
# call a provider or check a token: a server that is starting up, or answering anything but a
# single sign-on, does not load them (issue 24, tests/architecture/test_cold_start.py).

SCOPES = "openid email profile"
# Asymmetric algorithms only: never "none", never HS256 (a token signed with the client secret).
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
STATE_MINUTES = 10  # how long a sign-in may stay at the provider before its state is refused
METADATA_SECONDS = 600  # discovery documents and key sets are fetched again after this long
# The password hash of an account made by single sign-on: not an argon2 hash, so no password matches
# it (verify_password answers False); the person can set one through "Forgot password?".
SSO_ONLY_PASSWORD_HASH = "!sso-only"  # noqa: S105 - a marker, not a secret  # nosec B105

REASONS: dict[str, tuple[int, str]] = {
    "unknown_organisation": (404, "We do not know that organisation, or it has not set up single sign-on."),
    "state_unknown": (
        400,
        "This sign-in has already been used, or it was not started in this browser. Start again.",
    ),
    "state_expired": (400, "This sign-in took too long. Start again."),
    "provider_error": (400, "Your organisation's sign-in did not complete."),
    "provider_unreachable": (
        502,
        "Your organisation's sign-in service could not be reached. Try again in a few minutes.",
    ),
    "secret_missing": (
        503,
        (
            "Single sign-on for your organisation is not fully set up on this server yet. "
            "Tell your administrator."
        ),
    ),
    "token_exchange_failed": (
        502,
        "Your organisation's sign-in service did not confirm the sign-in. Start again.",
    ),
    "bad_signature": (
        403,
        "The sign-in could not be verified: its signature does not match your organisation's.",
    ),
    "wrong_issuer": (403, "The sign-in came from a different identity provider than your organisation's."),
    "wrong_audience": (403, "The sign-in was issued for another application, not for CPD Logbook."),
    "token_expired": (403, "The sign-in had expired before it reached us. Start again."),
    "nonce_mismatch": (403, "The sign-in does not belong to the one started in this browser. Start again."),
    "invalid_token": (403, "The sign-in could not be verified. Start again."),
    "email_missing": (403, "Your organisation's sign-in did not tell us your email address."),
    "email_unverified": (403, "Your organisation's sign-in has not verified your email address."),
    "domain_not_allowed": (
        403,
        "Your email address is not one of your organisation's, so it cannot be used to sign in here.",
    ),
    "other_organisation": (
        403,
        (
            "Your email address belongs to an account with another organisation. Sign in through that "
            "organisation, or ask your administrator."
        ),
    ),
    "no_account": (
        403,
        "There is no account for your email address in this organisation. Ask your administrator to add you.",
    ),
    "account_inactive": (403, "Your account has been switched off. Ask your administrator."),
}


class SsoRefused(DomainError):
    """A sign-in refused for a reason in REASONS (the page shows its message)."""

    code = "sso_refused"

    def __init__(
        self,
        reason: str,
        *,
        organisation: Organisation | None = None,
        email: str | None = None,
        detail: str | None = None,
    ) -> None:
        status, message = REASONS[reason]
        super().__init__(message, code=reason)
        self.status = status
        self.reason = reason
        self.organisation = organisation
        self.email = email
        self.detail = detail


@dataclass(frozen=True)
class OidcSettings:
    """What the routes pass in from the configuration."""

    redirect_uri: str  # PUBLIC_URL + /auth/oidc/callback (what the provider has registered)
    leeway_seconds: int = 60  # clock skew allowed on exp/iat
    timeout_seconds: float = 10.0  # each call to the provider
    allow_http: bool = False  # http issuers on this machine (development and tests only)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- the provider's metadata and keys (cached per process: nothing shared depends on it) ------------

_cache: dict[str, tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _cached(key: str, fetch: Any, *, force: bool = False) -> Any:
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and not force and now - hit[0] < METADATA_SECONDS:
        return hit[1]
    value = fetch()
    with _cache_lock:
        _cache[key] = (now, value)
    return value


def forget_metadata() -> None:
    """Drop every cached discovery document and key set (tests; after a provider's key rotation the
    unknown key id already forces a fetch)."""
    with _cache_lock:
        _cache.clear()


def _get_json(url: str, settings: OidcSettings) -> dict[str, Any]:
    import requests

    problem = issuer_problem(url, allow_http=settings.allow_http)
    if problem:
        raise SsoRefused("provider_unreachable", detail=f"refused URL: {problem}")
    try:
        response = requests.get(url, timeout=settings.timeout_seconds, allow_redirects=False)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as err:
        raise SsoRefused("provider_unreachable", detail=type(err).__name__) from err
    if not isinstance(data, dict):
        raise SsoRefused("provider_unreachable", detail="not a JSON object")
    return data


def discover(issuer: str, settings: OidcSettings) -> dict[str, Any]:
    """The issuer's discovery document, checked: it names the same issuer (OpenID Connect
    Discovery 1.0, section 4.3) and the endpoints the flow needs."""

    def fetch() -> dict[str, Any]:
        metadata = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", settings)
        if metadata.get("issuer") != issuer:
            raise SsoRefused("wrong_issuer", detail="discovery document names another issuer")
        for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(metadata.get(key), str):
                raise SsoRefused("provider_unreachable", detail=f"discovery document lacks {key}")
        return metadata

    return _cached("metadata:" + issuer, fetch)


def key_set(metadata: dict[str, Any], settings: OidcSettings, *, force: bool = False) -> KeySet:
    """The issuer's signing keys (jwks_uri), fetched again when forced (an unknown key id)."""
    from joserfc.jwk import KeySet

    uri = metadata["jwks_uri"]
    return _cached(
        "jwks:" + uri, lambda: KeySet.import_key_set(cast("Any", _get_json(uri, settings))), force=force
    )


# --- the ID token --------------------------------------------------------------------------------


def validate_id_token(
    *,
    id_token: str,
    keys: KeySet | Any,
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None,
    now: dt.datetime,
    leeway_seconds: int,
    algorithms: list[str] | None = None,
) -> dict[str, Any]:
    """The ID token's claims once its signature (one of `keys`, an asymmetric algorithm) and its
    claims are valid: iss is the issuer, aud includes our client id (azp is it when there are
    several), exp not passed and iat not in the future (within the leeway), the nonce is ours, and
    at_hash matches the access token. `keys` is a KeySet or a callable(force) returning one, so that
    an unknown key id fetches the set again once. Raises SsoRefused naming the reason."""
    from authlib.oidc.core import CodeIDToken
    from joserfc import jwt
    from joserfc.errors import BadSignatureError, ClaimError, ExpiredTokenError, InvalidKeyIdError, JoseError
    from joserfc.jws import JWSRegistry

    allowed = [a for a in (algorithms or SIGNING_ALGORITHMS) if a in SIGNING_ALGORITHMS] or ["RS256"]
    registry = JWSRegistry(algorithms=allowed, strict_check_header=False)
    try:
        try:
            token = jwt.decode(id_token, key=keys(False) if callable(keys) else keys, registry=registry)
        except InvalidKeyIdError:
            if not callable(keys):
                raise
            token = jwt.decode(id_token, key=keys(True), registry=registry)
    except BadSignatureError as err:
        raise SsoRefused("bad_signature") from err
    except (JoseError, ValueError) as err:
        raise SsoRefused("invalid_token", detail=type(err).__name__) from err
    params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
    if access_token:
        params["access_token"] = access_token
    options = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "nonce": {"essential": True},
    }
    claims = CodeIDToken(token.claims, token.header, options, params)
    try:
        claims.validate(now=int(now.timestamp()), leeway=leeway_seconds)
    except ExpiredTokenError as err:
        raise SsoRefused("token_expired") from err
    except ClaimError as err:
        reason = {
            "iss": "wrong_issuer",
            "aud": "wrong_audience",
            "azp": "wrong_audience",
            "nonce": "nonce_mismatch",
        }.get(err.claim, "invalid_token")
        raise SsoRefused(reason, detail=f"claim {err.claim}") from err
    except JoseError as err:
        raise SsoRefused("invalid_token", detail=type(err).__name__) from err
    return dict(claims)


# --- the flow --------------------------------------------------------------------------------------


def begin_login(
    *,
    organisation: Organisation,
    provider: SsoProvider,
    settings: OidcSettings,
    next_path: str,
    now: dt.datetime,
) -> tuple[str, str]:
    """Remember a new sign-in (state, nonce, PKCE verifier) and return the provider's authorisation
    URL and the state (which the route also binds to this browser's session)."""
    from authlib.integrations.requests_client import OAuth2Session

    metadata = discover(provider.issuer, settings)
    state = secrets.token_urlsafe(32)
    nonce = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 characters: RFC 7636 allows 43 to 128
    db.session.execute(delete(OidcLoginState).where(OidcLoginState.expires_at < now))
    db.session.add(
        OidcLoginState(
            state_hash=_hash(state),
            organisation_id=organisation.id,
            nonce=nonce,
            code_verifier=verifier,
            next_path=next_path,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=STATE_MINUTES),
        )
    )
    db.session.flush()
    with OAuth2Session(
        provider.client_id, scope=SCOPES, redirect_uri=settings.redirect_uri, code_challenge_method="S256"
    ) as client:
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
        )
    return url, state


def find_login_state(*, state: str, now: dt.datetime) -> OidcLoginState:
    """The sign-in this state belongs to (refused when unknown or expired). It is used up by
    `use_login_state` (or `discard_login_state` on a refusal) only after the calls to the provider,
    so that no write lock is held while the provider answers (SQLite has one for the whole database)."""
    row = db.session.get(OidcLoginState, _hash(state)) if state else None
    if row is None:
        raise SsoRefused("state_unknown")
    if row.expires_at <= now:
        raise SsoRefused("state_expired", organisation=db.session.get(Organisation, row.organisation_id))
    return row


def use_login_state(login: OidcLoginState) -> None:
    """Use the state up, once: of two callbacks racing with one state, only the one whose delete
    removed the row goes on (the other is refused as already used)."""
    result = db.session.execute(delete(OidcLoginState).where(OidcLoginState.state_hash == login.state_hash))
    if getattr(result, "rowcount", 0) != 1:
        raise SsoRefused("state_unknown", organisation=db.session.get(Organisation, login.organisation_id))


def discard_login_state(state: str) -> None:
    """Forget a refused sign-in's state (a refused state is never tried again)."""
    if state:
        db.session.execute(delete(OidcLoginState).where(OidcLoginState.state_hash == _hash(state)))


def finish_login(
    *,
    login: OidcLoginState,
    code: str,
    client_secret: str | None,
    settings: OidcSettings,
    clock: Callable[[], dt.datetime],
) -> tuple[User, bool]:
    """Exchange the code (with the PKCE verifier), validate the ID token and find (or, just in time,
    create) the person. Returns the user and whether the account was just created. The token is
    checked at `clock()`'s time once it has arrived (it is minted during the exchange)."""
    import requests
    from authlib.integrations.base_client import OAuthError
    from authlib.integrations.requests_client import OAuth2Session

    organisation = db.session.get(Organisation, login.organisation_id)
    provider = db.session.get(SsoProvider, login.organisation_id)
    if organisation is None or provider is None:
        raise SsoRefused("unknown_organisation")
    if not client_secret:
        raise SsoRefused("secret_missing", organisation=organisation)
    try:
        metadata = discover(provider.issuer, settings)
    except SsoRefused as err:
        err.organisation = organisation
        raise
    try:
        with OAuth2Session(
            provider.client_id,
            client_secret,
            redirect_uri=settings.redirect_uri,
            code_challenge_method="S256",
        ) as client:
            token = client.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=login.code_verifier,
                timeout=settings.timeout_seconds,
            )
    except (OAuthError, requests.RequestException, ValueError) as err:
        raise SsoRefused(
            "token_exchange_failed", organisation=organisation, detail=type(err).__name__
        ) from err
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoRefused("invalid_token", organisation=organisation, detail="no id_token")
    try:
        claims = validate_id_token(
            id_token=id_token,
            keys=lambda force: key_set(metadata, settings, force=force),
            issuer=provider.issuer,
            client_id=provider.client_id,
            nonce=login.nonce,
            access_token=token.get("access_token"),
            now=clock(),
            leeway_seconds=settings.leeway_seconds,
            algorithms=metadata.get("id_token_signing_alg_values_supported"),
        )
    except SsoRefused as err:
        err.organisation = organisation
        raise
    use_login_state(login)  # the first write of the callback: after the provider has answered
    return match_user(organisation=organisation, provider=provider, claims=claims)


def match_user(
    *, organisation: Organisation, provider: SsoProvider, claims: dict[str, Any]
) -> tuple[User, bool]:
    """The organisation's person for these validated claims: matched by verified email within this
    organisation only (an address with an account elsewhere is refused, never signed in there), or
    created just in time when the organisation allows it. Either way the address must be in one of
    the organisation's email domains."""
    raw = claims.get("email")
    if not isinstance(raw, str) or "@" not in raw or len(raw) > 254:
        raise SsoRefused("email_missing", organisation=organisation)
    email = normalise_email(raw)
    # email_verified (OpenID Connect); Entra ID sends none, but its optional claim xms_edov says the
    # address's domain is verified by its owner (docs/sso.md)
    if claims.get("email_verified") not in (True, "true") and claims.get("xms_edov") not in (
        True,
        "true",
        "1",
        1,
    ):
        raise SsoRefused("email_unverified", organisation=organisation, email=email)
    if email_domain(email) not in provider.email_domains:
        raise SsoRefused("domain_not_allowed", organisation=organisation, email=email)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None and user.organisation_id != organisation.id:
        raise SsoRefused("other_organisation", organisation=organisation, email=email)
    if user is not None:
        if not user.is_active:
            raise SsoRefused("account_inactive", organisation=organisation, email=email)
        return user, False
    if not provider.jit_enabled:
        raise SsoRefused("no_account", organisation=organisation, email=email)
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip() or "\x00" in name:
        name = email.split("@", 1)[0]
    user = User(
        organisation_id=organisation.id,
        email=email,
        name=name.strip()[:200],
        password_hash=SSO_ONLY_PASSWORD_HASH,
        is_practitioner=True,
    )
    db.session.add(user)
    db.session.flush()
    return user, True


def audit_sign_in(*, user: User, created: bool, now: dt.datetime) -> None:
    """Record a successful single sign-on (and an account made just in time)."""
    audit.append_event(
        kind="sso.signed_in",
        actor=f"user:{user.id}",
        subject_type="user",
        subject_id=user.id,
        data={"organisation": user.organisation.slug if user.organisation else None, "created": created},
        now=now,
    )


def audit_refusal(*, refusal: SsoRefused, now: dt.datetime) -> None:
    """Record a refused sign-in: the reason, the organisation and the address the provider vouched
    for (when it did); never a token, code or secret."""
    organisation = refusal.organisation
    audit.append_event(
        kind="sso.refused",
        actor="oidc:" + (refusal.email or "unknown"),
        subject_type="organisation",
        subject_id=organisation.id if organisation is not None else uuid.UUID(int=0),
        data={
            "reason": refusal.reason,
            "organisation": organisation.slug if organisation is not None else None,
            "detail": refusal.detail,
        },
        now=now,
    )
