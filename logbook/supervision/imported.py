"""Imported sign-offs never certify themselves (docs/record-format.md).

A sign-off that came in with a record from another logbook is stored with an import-verification state
(`SignOff.import_verification`):

- ``"unverified"``: anyone can write a record file and recompute its SHA-256 values, so an imported
  sign-off proves nothing by itself. It is kept and shown as "Imported, not verified", but it is never
  valid (API, /verify, documents) and never counts as signed off (progress, the requirement engine's
  roles, the portfolio and regulator documents, staff exports, insights).
  ``import_organisation`` and ``import_kid`` then hold only what the file claimed.
- ``"verified"``: the statement was checked against the public key of an organisation this logbook
  trusts; ``import_organisation`` and ``import_kid`` say whose key. Only the code that checks such a
  signature sets this state (`import_state` is where it plugs in); nothing in a record file can.
- ``None``: a sign-off made here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from logbook.config import KeyRing
from logbook.signing import trust
from logbook.supervision.models import SignOff

UNVERIFIED = "unverified"
VERIFIED = "verified"
IMPORT_STATES = (UNVERIFIED, VERIFIED)
NOT_VERIFIED_LABEL = "Imported, not verified"


def is_unverified_import(sign_off: SignOff) -> bool:
    """True for an imported sign-off whose statement was not verified with a trusted key."""
    return bool(sign_off.is_imported) and sign_off.import_verification != VERIFIED


def counts(sign_off: SignOff) -> bool:
    """Whether the sign-off may count as signed off at all (made here, or imported and verified)."""
    return not is_unverified_import(sign_off)


def countable() -> ColumnElement[bool]:
    """The SQL condition of `counts`, for queries that count sign-offs."""
    return or_(SignOff.is_imported.is_(False), SignOff.import_verification == VERIFIED)


def not_verified_reason(sign_off: SignOff) -> str | None:
    """Why the sign-off cannot be vouched for by this logbook, or None."""
    if not is_unverified_import(sign_off):
        return None
    source = f" (the file says from {sign_off.import_organisation})" if sign_off.import_organisation else ""
    return (
        f"imported{source} without a signature this logbook can check against a trusted organisation's key: "
        "not verified"
    )


def signer_kind(sign_off: SignOff) -> str:
    """internal (a colleague here), external (by emailed link) or imported (from another logbook)."""
    if sign_off.is_imported:
        return "imported"
    return "external" if sign_off.signer_user_id is None and sign_off.external_email else "internal"


def signer_label(sign_off: SignOff) -> str:
    """Who signed, as a label beside the signer's name: "External (HCPC PYL12345)" for an external
    signer, "Imported" for a sign-off moved from another logbook, "" for a colleague here. Whether a
    sign-off verifies (and so "Imported, not verified") is the verification's label (signcore.py)."""
    if sign_off.is_imported:
        return "Imported"
    if signer_kind(sign_off) == "external":
        number = " ".join(p for p in (sign_off.registration_body, sign_off.registration_number) if p)
        return f"External{f' ({number})' if number else ''}"
    return ""


def presented(sign_off: SignOff) -> dict[str, Any]:
    """The signer's kind and label, and whether it counts, added to a sign-off wherever it is presented."""
    return {
        "signer_kind": signer_kind(sign_off),
        "signer_label": signer_label(sign_off),
        "is_imported_unverified": is_unverified_import(sign_off),
    }


def import_state(
    sign_off: dict[str, Any], *, source_organisation: str, ring: KeyRing
) -> dict[str, str | None]:
    """The import-verification columns for one sign-off of a record being imported.

    A record file proves nothing by itself, so an imported sign-off is "unverified" whatever fields (a
    made-up `signature`, `verified`, `kid`...) the file adds, unless the signed statement it carries
    verifies with a key this server trusts and says what the sign-off says
    (logbook/signing/trust.py). Only then is it VERIFIED, naming the organisation and kid of the key
    that verified it, never the file's claims. The statement is kept either way: what a reader is told
    is checked afresh from it (signcore.verify); this state is what counting reads.
    """
    statement = sign_off.get("statement")
    statement = statement if isinstance(statement, str) and statement else None
    checked = trust.check_record_sign_off(sign_off, ring=ring)
    if checked.verified:
        return {
            "import_verification": VERIFIED,
            "import_organisation": (checked.organisation or "")[:200] or None,
            "import_kid": checked.kid,
            "statement": statement,
        }
    kid = sign_off.get("kid")
    return {
        "import_verification": UNVERIFIED,
        # What the file claims, kept for the reader; it decides nothing.
        "import_organisation": source_organisation[:200] or None,
        "import_kid": kid[:200] if isinstance(kid, str) and kid else None,
        "statement": statement,
    }
