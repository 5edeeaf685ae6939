"""The organisations' Ed25519 signing keys, kept in a folder outside the database.

The folder (SIGNING_KEYS_DIR, default `signing-keys` in the instance folder; the app's `KeyRing`,
logbook/config.py, which the routes and the CLI pass in as `ring=`) holds one PEM file per
private key (`<kid>.pem`, mode 0600) and `keys.json`, the register of every key ever made: its kid
(the RFC 7638 thumbprint of the public key), the organisation's slug, its public key, and its status:

- ``active``: the key new statements of that organisation are signed with (one per organisation);
- ``retired``: replaced by `logbook keys rotate`; statements it signed still verify;
- ``compromised``: marked by `logbook keys compromise`; every statement it signed "cannot be confirmed".

Nothing here is in the database, so whoever can write to the database cannot make a statement that
verifies, nor make a key look trustworthy. `trusted.json` (see logbook/signing/trust.py) lists other
organisations' public keys. Writes are atomic (a temporary file renamed over the old one) and made
under an exclusive lock of `keys.lock`, so two workers making an organisation's first key at once
end with one key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from logbook.config import KeyRing

if TYPE_CHECKING:
    from joserfc.jwk import OKPKey

# joserfc (and the parts of cryptography it loads) is imported by the functions that sign or check:
# a server starting up does not load it (issue 24, tests/architecture/test_cold_start.py).

REGISTER = "keys.json"
STATUSES = ("active", "retired", "compromised")
ALG = "Ed25519"  # RFC 9864's name for EdDSA with Ed25519 (joserfc warns about the older "EdDSA")


class SigningKeyMissing(RuntimeError):
    """No active key for the organisation, and this environment may not make one by itself."""


class KeyError_(LookupError):  # noqa: N801 - not the built-in KeyError
    """No key has this kid, or the request makes no sense for it (e.g. compromising it twice)."""


@dataclass(frozen=True)
class KeyRecord:
    """One key of the register (public part and status only)."""

    kid: str
    organisation: str
    status: str
    created_at: str
    public: dict[str, Any]
    retired_at: str | None = None
    compromised_at: str | None = None

    def jwk(self) -> dict[str, Any]:
        """The public key as published: a JWK with kid, alg, use, the organisation and the status."""
        out = {**self.public, "kid": self.kid, "alg": ALG, "use": "sig"}
        out |= {"org": self.organisation, "status": self.status, "created_at": self.created_at}
        if self.retired_at:
            out["retired_at"] = self.retired_at
        if self.compromised_at:
            out["compromised_at"] = self.compromised_at
        return out


def keys_dir(ring: KeyRing) -> Path:
    """The key folder of this ring (made, owner-only, if missing)."""
    ring.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return ring.folder


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """An exclusive lock of the key folder (every write of a register is made under it)."""
    with open(folder / "keys.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomic(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a file whole or not at all (a temporary file renamed over the old one)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _read(folder: Path) -> list[KeyRecord]:
    path = folder / REGISTER
    if not path.exists():
        return []
    return [KeyRecord(**row) for row in json.loads(path.read_text())["keys"]]


def _save(folder: Path, records: list[KeyRecord]) -> None:
    body = {"keys": [r.__dict__ for r in records]}
    write_atomic(folder / REGISTER, json.dumps(body, indent=1, sort_keys=True).encode(), 0o644)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def list_keys(*, ring: KeyRing) -> list[KeyRecord]:
    """Every key of the register, oldest first."""
    return _read(keys_dir(ring))


def jwks(*, ring: KeyRing) -> dict[str, Any]:
    """The public keys as a JWK Set, every status included (a retired key still verifies old
    statements; a compromised one is listed so that readers know to distrust it)."""
    return {"keys": [r.jwk() for r in list_keys(ring=ring)]}


def _make(folder: Path, records: list[KeyRecord], organisation: str) -> KeyRecord:
    from joserfc.jwk import OKPKey

    key = OKPKey.generate_key("Ed25519", private=True)
    kid = key.thumbprint()
    write_atomic(folder / f"{kid}.pem", key.as_pem(private=True))
    record = KeyRecord(
        kid=kid,
        organisation=organisation,
        status="active",
        created_at=_now(),
        public=key.as_dict(private=False),
    )
    records.append(record)
    return record


def create_key(*, ring: KeyRing, organisation: str) -> KeyRecord:
    """An organisation's first key. Refused when it already has an active key (use rotate_key)."""
    folder = keys_dir(ring)
    with locked(folder):
        records = _read(folder)
        if any(r.organisation == organisation and r.status == "active" for r in records):
            raise KeyError_(
                f"Organisation {organisation!r} already has an active key; use `logbook keys rotate`."
            )
        record = _make(folder, records, organisation)
        _save(folder, records)
    return record


def rotate_key(*, ring: KeyRing, organisation: str) -> KeyRecord:
    """A new active key for the organisation; its previous key is retired (it keeps verifying the
    statements it signed). Its private key file is kept, so that an operator may archive it."""
    folder = keys_dir(ring)
    with locked(folder):
        records = _read(folder)
        now = _now()
        records = [
            KeyRecord(**(r.__dict__ | {"status": "retired", "retired_at": now}))
            if r.organisation == organisation and r.status == "active"
            else r
            for r in records
        ]
        record = _make(folder, records, organisation)
        _save(folder, records)
    return record


def compromise_key(*, ring: KeyRing, kid: str) -> KeyRecord:
    """Mark a key compromised: every statement it signed becomes "cannot be confirmed", and its
    organisation has no active key until `logbook keys create` (or `rotate`) makes one."""
    folder = keys_dir(ring)
    with locked(folder):
        records = _read(folder)
        match = [r for r in records if r.kid == kid]
        if not match:
            raise KeyError_(f"No key has the kid {kid!r}.")
        if match[0].status == "compromised":
            raise KeyError_(f"Key {kid} is already marked compromised.")
        marked = KeyRecord(**(match[0].__dict__ | {"status": "compromised", "compromised_at": _now()}))
        records = [marked if r.kid == kid else r for r in records]
        _save(folder, records)
        # The private key is of no further use to anyone honest.
        with contextlib.suppress(FileNotFoundError):
            (folder / f"{kid}.pem").unlink()
    return marked


def signing_key(*, ring: KeyRing, organisation: str) -> tuple[str, OKPKey]:
    """The organisation's active key (kid, private key), made now where that is allowed."""
    from joserfc.jwk import OKPKey

    folder = keys_dir(ring)
    active = [r for r in _read(folder) if r.organisation == organisation and r.status == "active"]
    if not active:
        if not ring.autocreate:
            raise SigningKeyMissing(
                f"Organisation {organisation!r} has no signing key, so sign-offs cannot be recorded. "
                f"Make one with: logbook keys create --organisation {organisation}"
            )
        with locked(folder):
            records = _read(folder)
            active = [r for r in records if r.organisation == organisation and r.status == "active"]
            if not active:
                active = [_make(folder, records, organisation)]
                _save(folder, records)
    record = active[0]
    pem = (folder / f"{record.kid}.pem").read_bytes()
    return record.kid, OKPKey.import_key(pem)
