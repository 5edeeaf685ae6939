"""Other organisations' public keys, trusted on purpose, and the check of an imported sign-off.

A record moved from another organisation (logbook/exports/record.py) may carry the signed statement
of each sign-off and the kid of the key that signed it. Its sign-offs are shown as "Imported —
signed at <organisation>, verified with <kid>" only when the statement verifies with a key this
server trusts — its own keys (a record moved between organisations of this server) or a key added
by `logbook keys trust JWKS_FILE` — and says what the imported sign-off says. Otherwise they are
"Imported, not verified": never Valid, never counted.

`trusted.json` (in SIGNING_KEYS_DIR, beside the own key register) lists the trusted public keys with
their kid, organisation, status as published, and when and from which file they were trusted.
Trusting is an operator's decision made out of band (the other organisation's published JWKS,
fetched over HTTPS or handed over); nothing in an imported file can add a key.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from logbook.config import KeyRing
from logbook.signing import keys as signing_keys
from logbook.signing import statements

TRUSTED = "trusted.json"


def trusted_keys(*, ring: KeyRing) -> list[dict[str, Any]]:
    """The other organisations' keys this server trusts (as JWKs with kid, org and status)."""
    path = signing_keys.keys_dir(ring) / TRUSTED
    if not path.exists():
        return []
    return list(json.loads(path.read_text())["keys"])


def trust_keys(
    jwks: dict[str, Any], *, ring: KeyRing, organisation: str | None = None, source: str = ""
) -> list[str]:
    """Add the Ed25519 public keys of a JWKS (only those of `organisation` when given) to the trusted
    list; a key already there is updated (e.g. now marked compromised). Returns the kids added or
    updated. Refuses a JWKS without usable keys, and private key material."""
    from joserfc.jwk import OKPKey  # on first use: a server starting up does not load joserfc

    found = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(found, list):
        raise ValueError("not a JWKS (no list of keys)")
    chosen = []
    for jwk in found:
        if not isinstance(jwk, dict) or (organisation and jwk.get("org") != organisation):
            continue
        if "d" in jwk:
            raise ValueError("the JWKS holds a private key: only public keys are trusted")
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519" or not isinstance(jwk.get("x"), str):
            continue
        if not isinstance(jwk.get("org"), str) or not jwk["org"]:
            raise ValueError(f"key {jwk.get('kid')!r} names no organisation (org)")
        kid = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}).thumbprint()
        if jwk.get("kid") != kid:
            raise ValueError(f"key {jwk.get('kid')!r} does not match its kid")
        chosen.append(
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": jwk["x"],
                "kid": kid,
                "org": jwk["org"],
                "status": "compromised" if jwk.get("status") == "compromised" else "trusted",
                "trusted_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                "source": source[:200],
            }
        )
    if not chosen:
        raise ValueError(
            "the JWKS has no Ed25519 public key" + (f" of {organisation}" if organisation else "")
        )
    folder = signing_keys.keys_dir(ring)
    with signing_keys.locked(folder):
        current = {k["kid"]: k for k in trusted_keys(ring=ring)}
        for jwk in chosen:
            current[jwk["kid"]] = jwk
        body = json.dumps({"keys": list(current.values())}, indent=1, sort_keys=True).encode()
        signing_keys.write_atomic(folder / TRUSTED, body, 0o644)
    return [k["kid"] for k in chosen]


def untrust(kid: str, *, ring: KeyRing) -> None:
    """Remove a key from the trusted list (KeyError_ when it is not there)."""
    folder = signing_keys.keys_dir(ring)
    with signing_keys.locked(folder):
        current = trusted_keys(ring=ring)
        if not any(k["kid"] == kid for k in current):
            raise signing_keys.KeyError_(f"No trusted key has the kid {kid!r}.")
        body = json.dumps(
            {"keys": [k for k in current if k["kid"] != kid]}, indent=1, sort_keys=True
        ).encode()
        signing_keys.write_atomic(folder / TRUSTED, body, 0o644)


@dataclass(frozen=True)
class ImportCheck:
    """Whether an imported sign-off's statement verifies with a trusted key and matches it."""

    verified: bool
    reason: str = ""
    kid: str | None = None
    organisation: str | None = None  # the organisation's name as its statement gives it

    @property
    def label(self) -> str:
        """How the imported sign-off is shown."""
        if self.verified:
            return f"Imported — signed at {self.organisation}, verified with {self.kid}"
        return "Imported, not verified"


def check_imported(
    statement: str | None,
    *,
    entry_version: int | None,
    content_sha256: str | None,
    decision: str | None,
    signer_name: str | None,
    signed_at: dt.datetime,
    ring: KeyRing,
) -> ImportCheck:
    """Check an imported sign-off's statement against the keys this server trusts (its own and the
    trusted list) and against what the imported row says. A compromised key verifies nothing."""
    if not statement:
        return ImportCheck(False, "the record carried no signed statement for this sign-off")
    keys = signing_keys.jwks(ring=ring)["keys"] + trusted_keys(ring=ring)
    checked = statements.check(statement, keys)
    if checked.status == "unconfirmed":
        return ImportCheck(False, checked.reason, checked.kid)
    if not checked.ok:
        if checked.reason.startswith("the statement is signed with an unknown key"):
            return ImportCheck(
                False, f"the key that signed it ({checked.kid}) is not trusted here", checked.kid
            )
        return ImportCheck(False, checked.reason, checked.kid)
    payload = checked.payload
    if payload is None:
        raise RuntimeError("statements.check() said 'ok' without a payload")
    subject = payload.get("subject") or {}
    expected = {
        "type": "entry",
        "version": entry_version,
        "content_sha256": content_sha256,
        "decision": decision,
        "signer": signer_name,
        "signed_at": signed_at.astimezone(dt.UTC).isoformat(),
    }
    found = {
        "type": subject.get("type"),
        "version": subject.get("version"),
        "content_sha256": subject.get("content_sha256"),
        "decision": payload.get("decision"),
        "signer": (payload.get("signer") or {}).get("name"),
        "signed_at": payload.get("signed_at"),
    }
    differ = sorted(k for k in expected if expected[k] != found[k])
    if differ:
        return ImportCheck(
            False, f"the imported sign-off differs from its statement ({', '.join(differ)})", checked.kid
        )
    org = payload.get("organisation") or {}
    return ImportCheck(True, "", checked.kid, str(org.get("name") or org.get("slug")))


def exported_statement(sign_off: Any) -> dict[str, Any]:
    """What a record export adds to each sign-off: its statement and the kid that signed it."""
    header = statements.unverified_header(sign_off.statement) if sign_off.statement else None
    return {"statement": sign_off.statement, "kid": (header or {}).get("kid")}


def check_record_sign_off(sign_off: dict[str, Any], *, ring: KeyRing) -> ImportCheck:
    """check_imported() for one sign-off of a record file being imported (logbook/exports/record.py):
    the file's statement against the file's own claims. A verified answer names the organisation and
    kid from the key that verified it, never from the file."""
    signed_at = sign_off.get("signed_at")
    if isinstance(signed_at, str):
        try:
            signed_at = dt.datetime.fromisoformat(signed_at)
        except ValueError:
            return ImportCheck(False, "the sign-off's time is not valid")
    if not isinstance(signed_at, dt.datetime) or signed_at.tzinfo is None:
        return ImportCheck(False, "the sign-off's time is not valid")
    statement = sign_off.get("statement")
    return check_imported(
        statement if isinstance(statement, str) else None,
        entry_version=sign_off.get("entry_version"),
        content_sha256=sign_off.get("content_sha256"),
        decision=sign_off.get("decision"),
        signer_name=sign_off.get("signer_name"),
        signed_at=signed_at,
        ring=ring,
    )


def record_signing(organisation: str, *, ring: KeyRing) -> dict[str, Any]:
    """What a record export says about its organisation's keys: its slug and the kids of its keys
    that are not compromised (the importer still needs the public keys from the organisation itself)."""
    kids = [
        r.kid
        for r in signing_keys.list_keys(ring=ring)
        if r.organisation == organisation and r.status != "compromised"
    ]
    return {"organisation": organisation, "kids": kids, "jwks": "/.well-known/jwks.json"}
