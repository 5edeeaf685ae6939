"""Signed statements: what a sign-off says, as a compact JWS signed with the organisation's key.

A statement's payload is canonical JSON (sorted keys, no spaces, UTF-8):

    {"v": 1, "type": "logbook.sign_off",
     "id": <sign-off id>,
     "subject": {"type": "entry" | "supervision_session", "id", "version", "content_sha256"},
     "signer": {"kind": "internal", "user_id", "name"}
             | {"kind": "external", "name", "role", "email", "registration_body", "registration_number"},
     "signer_role", "decision", "comment", "signed_at",
     "organisation": {"id", "slug", "name"}}

The protected header is {"alg": "Ed25519", "kid": <key id>, "typ": "logbook-statement+jws"}.
check() is the only place a statement is verified (the app, `logbook verify-pdf` and imports all
come here), against a list of published keys (JWKs with kid, org and status).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from logbook.config import KeyRing
from logbook.signing.keys import ALG, signing_key

# joserfc (and the parts of cryptography it loads) is imported by the functions that sign or check:
# a server starting up does not load it (issue 24, tests/architecture/test_cold_start.py).

TYP = "logbook-statement+jws"
MAX_STATEMENT_CHARS = 16_384  # a statement is well under 2 kB; refuse anything absurd before parsing


def canonical(payload: dict[str, Any]) -> bytes:
    """The bytes signed: canonical JSON of the payload."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(payload: dict[str, Any], *, ring: KeyRing, organisation: str) -> str:
    """The payload signed as a compact JWS with the organisation's active key (from the app's ring)."""
    from joserfc import jws

    kid, key = signing_key(ring=ring, organisation=organisation)
    header = {"alg": ALG, "kid": kid, "typ": TYP}
    return jws.serialize_compact(header, canonical(payload), key, algorithms=[ALG])


@dataclass(frozen=True)
class Checked:
    """The result of checking one statement: ok (signature good with a usable key), or why not."""

    status: str  # "ok" | "invalid" | "unconfirmed"
    reason: str = ""
    kid: str | None = None
    organisation: str | None = None  # the slug the key belongs to
    payload: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when the signature verifies with a known key that is not compromised."""
        return self.status == "ok"


def _b64json(part: str) -> Any:
    padded = part + "=" * (-len(part) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def unverified_header(token: str) -> dict[str, Any] | None:
    """The protected header, read without checking anything (to find the kid); None if malformed."""
    try:
        header = _b64json(token.split(".", maxsplit=1)[0])
    except (ValueError, UnicodeError, binascii.Error):
        return None
    return header if isinstance(header, dict) else None


def check(token: str | None, keys: list[dict[str, Any]]) -> Checked:  # noqa: PLR0911 - one return per reason
    """Verify a statement against published keys: a known kid, not compromised, the algorithm
    Ed25519, a signature that matches, and a payload signed by the key's own organisation."""
    if not token:
        return Checked("invalid", "there is no signed statement")
    if len(token) > MAX_STATEMENT_CHARS or token.count(".") != 2:
        return Checked("invalid", "the signed statement is malformed")
    header = unverified_header(token)
    if header is None or not isinstance(header.get("kid"), str):
        return Checked("invalid", "the signed statement is malformed")
    kid = header["kid"]
    if header.get("alg") != ALG:
        return Checked("invalid", "the statement is not signed with Ed25519", kid)
    found = [k for k in keys if k.get("kid") == kid]
    if not found:
        return Checked("invalid", f"the statement is signed with an unknown key ({kid})", kid)
    jwk = found[0]
    if jwk.get("status") == "compromised":
        return Checked(
            "unconfirmed", f"the key that signed it ({kid}) was reported compromised", kid, jwk.get("org")
        )
    from joserfc import jws
    from joserfc.errors import JoseError
    from joserfc.jwk import OKPKey

    try:
        key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]})
        if key.thumbprint() != kid:
            return Checked("invalid", f"the published key {kid} does not match its kid", kid)
        result = jws.deserialize_compact(token, key, algorithms=[ALG])
        payload = json.loads(result.payload)
    except (JoseError, ValueError, KeyError, TypeError):
        return Checked("invalid", "the signature does not match the statement", kid, jwk.get("org"))
    if not isinstance(payload, dict):
        return Checked("invalid", "the signed statement is malformed", kid, jwk.get("org"))
    if (payload.get("organisation") or {}).get("slug") != jwk.get("org"):
        return Checked(
            "invalid", f"the statement names another organisation than its key's ({kid})", kid, jwk.get("org")
        )
    return Checked("ok", "", kid, jwk.get("org"), payload)
