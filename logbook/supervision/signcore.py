"""The one sign-off core: every sign-off decision (of an entry or of a supervision session record)
is sealed here as a signed statement and written into the audit trail, and verified here.

A subject kind (entry or supervision session) differs only in where its signed content and its
live record come from; `_Kind` holds those differences, everything else is shared:

- seal(): the statement (logbook/signing/statements.py) is signed with the organisation's key and
  stored with the sign-off; the audit trail records the row's fingerprint and the statement's hash.
- verify(): checks what a reader sees, in this order, and reports the worst finding as `status`:
  the statement's signature (a known, not compromised key); that the sign-off row says what the
  statement says; that the stored signed revision still hashes to the signed content hash; the
  row's audit record; and the live entry or session against the signed revision.

Statuses, worst first: ``invalid`` (does not verify), ``unconfirmed`` (signed with a key marked
compromised), ``withdrawn`` (the signer or an org admin withdrew it, by a withdrawal statement that
itself verifies: seal_withdrawal), ``unsigned`` (made before signed statements, or imported
without a statement that verifies: never "valid"), ``changed`` (the signature and the signed
revision hold, but the live record is no longer what was signed), ``valid``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import select

from logbook.accounts.models import Organisation, User
from logbook.audit import service as audit
from logbook.audit.models import AuditEvent
from logbook.config import KeyRing
from logbook.entries import service as entries
from logbook.entries.models import Entry, EntryOrigin, EntryRevision
from logbook.errors import DomainError
from logbook.extensions import db
from logbook.signing import keys as signing_keys
from logbook.signing import statements, trust
from logbook.signing.digests import content_sha256, content_sha256_of
from logbook.supervision import sessions
from logbook.supervision.models import SignOff, SignOffWithdrawal, SupervisionSession

RANK = {"valid": 0, "changed": 1, "unsigned": 2, "withdrawn": 3, "unconfirmed": 4, "invalid": 5}
LABELS = {
    "valid": "Valid",
    "changed": "Changed since it was signed",
    "unsigned": "Not signed",
    "withdrawn": "Withdrawn",
    "unconfirmed": "Cannot be confirmed",
    "invalid": "Not valid",
}
UNSIGNED_REASON = (
    "this sign-off was recorded before sign-offs were signed; the database's own checks pass, "
    "but nothing outside the database confirms it"
)


class SigningUnavailable(DomainError):
    """The organisation has no signing key and this server may not make one (production)."""

    status = 503
    code = "signing_key_missing"


@dataclass
class Verification:
    """Whether a sign-off still proves what it claims: a status, the reason, and every problem."""

    sign_off_id: uuid.UUID
    status: str = "valid"
    reason: str = ""
    # Findings that mean the record does not verify or was changed outside the app (what
    # `logbook audit verify` reports as tampering). A later edit made through the app is not one.
    problems: list[str] = field(default_factory=list)
    kid: str | None = None
    organisation: str | None = None
    is_imported: bool = False  # moved from another logbook (logbook/signing/trust.py)
    withdrawal: dict[str, Any] | None = None  # who withdrew it, when and why (a verified withdrawal)

    @property
    def is_valid(self) -> bool:
        """True only for a signed statement whose signed and live record both match."""
        return self.status == "valid"

    @property
    def label(self) -> str:
        """The status as a reader sees it."""
        if self.is_imported and self.status == "valid":
            return f"Imported — signed at {self.organisation}, verified with {self.kid}"
        if self.is_imported and self.status == "unsigned":
            return "Imported, not verified"
        return LABELS[self.status]

    def found(self, status: str, reason: str, *, problem: bool = True) -> None:
        """Record one finding; the worst so far decides status and reason."""
        if problem:
            self.problems.append(reason)
        if RANK[status] > RANK[self.status]:
            self.status, self.reason = status, reason

    def as_dict(self) -> dict[str, Any]:
        """The shape the API returns."""
        return {
            "status": self.status,
            "label": self.label,
            "reason": self.reason,
            "is_valid": self.is_valid,
            "problems": list(self.problems),
            "kid": self.kid,
            "is_imported": self.is_imported,
            "withdrawal": self.withdrawal,
        }


# --- where verification reads from ---------------------------------------------------------


class Reads:
    """Where verify() finds what it reads besides the sign-off row and the records the session
    already holds: here one query each (a single verification). `Loaded` answers the same questions
    from a page of sign-offs' records read at once (standing_roles, verify_many); the checks made
    with the answers are the same either way."""

    def events(self, subject_type: str, subject_id: uuid.UUID) -> list[Any]:
        """Every audit event about the subject, oldest first."""
        return audit.events_for(subject_type=subject_type, subject_id=subject_id)

    def withdrawal(self, sign_off: Any) -> SignOffWithdrawal | None:
        """The withdrawal of an entry sign-off, if it was withdrawn."""
        return withdrawal_of(sign_off)

    def own_ids(self, entry_id: uuid.UUID) -> bool:
        """Whether the entry is known to have no import origin (its content hashes cover its own
        ids: entries.hash_identity need not look); False when not known."""
        return False


ONE_BY_ONE = Reads()


class Loaded(Reads):
    """What verifying these entry sign-offs reads, read in a few queries: their entries, the
    entries' signed and current revisions, organisations and import origins (held here, so the
    session's identity map answers verify()'s look-ups by key), their audit events and withdrawals."""

    def __init__(self, sign_offs: Iterable[SignOff]) -> None:
        rows = list(sign_offs)
        ids = [s.id for s in rows]
        entry_ids = list({s.entry_id for s in rows})
        self.entries = list(db.session.scalars(select(Entry).where(Entry.id.in_(entry_ids))))
        versions = {s.entry_version for s in rows} | {e.version for e in self.entries}
        self.revisions = list(
            db.session.scalars(
                select(EntryRevision).where(
                    EntryRevision.entry_id.in_(entry_ids), EntryRevision.version.in_(versions)
                )
            )
        )
        orgs = list({e.organisation_id for e in self.entries})
        self.organisations = list(db.session.scalars(select(Organisation).where(Organisation.id.in_(orgs))))
        self.origins = {
            o.entry_id: o
            for o in db.session.scalars(select(EntryOrigin).where(EntryOrigin.entry_id.in_(entry_ids)))
        }
        self._events: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for event in db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_type == ENTRY.audit_subject, AuditEvent.subject_id.in_(ids))
            .order_by(AuditEvent.seq)
        ):
            self._events[event.subject_id].append(event)
        self._withdrawals = {
            w.sign_off_id: w
            for w in db.session.scalars(
                select(SignOffWithdrawal).where(SignOffWithdrawal.sign_off_id.in_(ids))
            )
        }
        self._ids, self._entry_ids = set(ids), set(entry_ids)

    def events(self, subject_type: str, subject_id: uuid.UUID) -> list[Any]:
        if subject_type != ENTRY.audit_subject or subject_id not in self._ids:
            return super().events(subject_type, subject_id)
        return list(self._events.get(subject_id, ()))

    def withdrawal(self, sign_off: Any) -> SignOffWithdrawal | None:
        if sign_off.id not in self._ids:
            return super().withdrawal(sign_off)
        return self._withdrawals.get(sign_off.id)

    def own_ids(self, entry_id: uuid.UUID) -> bool:
        return entry_id in self._entry_ids and entry_id not in self.origins


# --- the two kinds of subject ----------------------------------------------------------------


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _fingerprint(body: dict[str, Any]) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def _without(content: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in content.items() if k not in names}


@dataclass(frozen=True)
class _Kind:
    subject_type: str  # in the statement
    audit_subject: str  # the audit trail's subject_type (and event-kind prefix)
    subject_key: str  # "entry" | "session": the audit data's <key>_id / <key>_version
    subject_id: Callable[[Any], uuid.UUID]
    version: Callable[[Any], int]
    organisation_id: Callable[[Any], uuid.UUID | None]
    fingerprint: Callable[[Any], str]
    signed_content: Callable[[Any, Reads], dict[str, Any] | None]  # the canonical dict the hash covers
    live: Callable[[Any, Verification, dict[str, Any] | None, Reads], None]  # checks the live record


def entry_fingerprint(sign_off: Any) -> str:
    """SHA-256 of every field of an entry sign-off row (written into the audit trail)."""
    return _fingerprint(
        {
            "id": str(sign_off.id),
            "entry_id": str(sign_off.entry_id),
            "entry_version": sign_off.entry_version,
            "content_sha256": sign_off.content_sha256,
            "decision": sign_off.decision,
            "comment": sign_off.comment,
            "request_id": str(sign_off.request_id) if sign_off.request_id else None,
            "signer_role": sign_off.signer_role,
            "signer_user_id": str(sign_off.signer_user_id) if sign_off.signer_user_id else None,
            "signer_name": sign_off.signer_name,
            "external_email": sign_off.external_email,
            "external_role": sign_off.external_role,
            "registration_body": sign_off.registration_body,
            "registration_number": sign_off.registration_number,
            "is_imported": bool(sign_off.is_imported),
            "signed_at": _iso(sign_off.signed_at),
        }
    )


def session_fingerprint(sign_off: Any) -> str:
    """SHA-256 of every field of a session sign-off row (written into the audit trail)."""
    return _fingerprint(
        {
            "id": str(sign_off.id),
            "session_id": str(sign_off.session_id),
            "session_version": sign_off.session_version,
            "content_sha256": sign_off.content_sha256,
            "content": sign_off.content,
            "decision": sign_off.decision,
            "comment": sign_off.comment,
            "request_id": str(sign_off.request_id) if sign_off.request_id else None,
            "signer_user_id": str(sign_off.signer_user_id) if sign_off.signer_user_id else None,
            "signer_name": sign_off.signer_name,
            "signed_at": _iso(sign_off.signed_at),
        }
    )


def signed_entry_content(sign_off: Any, reads: Reads = ONE_BY_ONE) -> dict[str, Any] | None:
    """The canonical dict of the signed entry version, rebuilt from its stored revision exactly as
    its hash was computed (None when the revision is missing)."""
    entry = db.session.get(Entry, sign_off.entry_id)
    stored = db.session.get(EntryRevision, (sign_off.entry_id, sign_off.entry_version))
    if entry is None or stored is None:
        return None
    entry_id, owner_id = (
        (str(entry.id), str(entry.owner_id))
        if reads.own_ids(entry.id)
        else entries.hash_identity(entry.id, entry.owner_id)
    )
    content = {"id": entry_id, "owner_id": owner_id, "version": stored.version}
    return content | _without(stored.content, "is_deleted")


def live_entry_content(entry: Entry, *, own_ids: bool = False) -> dict[str, Any]:
    """The canonical dict of the entry row as it is now (what content_hash covers; own_ids: the
    entry is known to have no import origin)."""
    return json.loads(entries.canonical_content(entry, own_ids=own_ids))


def _entry_live(sign_off: Any, result: Verification, signed: dict[str, Any] | None, reads: Reads) -> None:
    entry = db.session.get(Entry, sign_off.entry_id)
    if entry is None:
        return  # reported with the missing revision
    own_ids = reads.own_ids(entry.id)
    current = entries.revision(entry_id=entry.id, version=entry.version)
    if current is None or entries.content_hash(entry, own_ids=own_ids) != current.content_sha256:
        result.found(
            "changed",
            f"the entry's current text differs from its recorded version {entry.version} "
            "(changed outside the app after it was signed)",
        )
    if entry.is_deleted:
        result.found("changed", "the entry was deleted after it was signed", problem=False)
    elif signed is not None:
        live = live_entry_content(entry, own_ids=own_ids)
        if _without(live, "version", "status") != _without(signed, "version", "status"):
            result.found(
                "changed",
                f"the entry was changed after it was signed (signed version {sign_off.entry_version}, "
                f"now version {entry.version})",
                problem=False,
            )


def _session_live(sign_off: Any, result: Verification, signed: dict[str, Any] | None, reads: Reads) -> None:
    session = db.session.get(SupervisionSession, sign_off.session_id)
    if session is None:
        result.found("invalid", "the session is missing")
        return
    live = sessions.session_content(session)
    if (
        session.version == sign_off.session_version
        and sessions.content_sha256(live) != sign_off.content_sha256
    ):
        result.found(
            "changed",
            f"the session record (version {session.version}) was changed outside the app after it was signed",
        )
    elif signed is not None and _without(live, "version") != _without(signed, "version"):
        result.found(
            "changed",
            f"the session record was changed after it was signed (signed version "
            f"{sign_off.session_version}, now version {session.version})",
            problem=False,
        )


def _session_signed(sign_off: Any, reads: Reads = ONE_BY_ONE) -> dict[str, Any] | None:
    return dict(sign_off.content) if isinstance(sign_off.content, dict) else None


def _session_org(sign_off: Any) -> uuid.UUID | None:
    session = db.session.get(SupervisionSession, sign_off.session_id)
    supervisor = db.session.get(User, session.supervisor_id) if session else None
    return supervisor.organisation_id if supervisor else None


def _entry_org(sign_off: Any) -> uuid.UUID | None:
    entry = db.session.get(Entry, sign_off.entry_id)
    return entry.organisation_id if entry else None


ENTRY = _Kind(
    subject_type="entry",
    audit_subject="sign_off",
    subject_key="entry",
    subject_id=lambda s: s.entry_id,
    version=lambda s: s.entry_version,
    organisation_id=_entry_org,
    fingerprint=entry_fingerprint,
    signed_content=signed_entry_content,
    live=_entry_live,
)
SESSION = _Kind(
    subject_type="supervision_session",
    audit_subject="session_sign_off",
    subject_key="session",
    subject_id=lambda s: s.session_id,
    version=lambda s: s.session_version,
    organisation_id=_session_org,
    fingerprint=session_fingerprint,
    signed_content=_session_signed,
    live=_session_live,
)


def kind_of(sign_off: Any) -> _Kind:
    """The subject kind of a sign-off row (entry or supervision session)."""
    return SESSION if hasattr(sign_off, "session_id") else ENTRY


# --- statements --------------------------------------------------------------------------------


def _signer(sign_off: Any) -> dict[str, Any]:
    if getattr(sign_off, "signer_user_id", None) is not None or not getattr(sign_off, "external_email", None):
        return {
            "kind": "internal",
            "user_id": str(sign_off.signer_user_id) if sign_off.signer_user_id else None,
            "name": sign_off.signer_name,
            "registration_body": getattr(sign_off, "registration_body", None),
            "registration_number": getattr(sign_off, "registration_number", None),
        }
    return {
        "kind": "external",
        "name": sign_off.signer_name,
        "role": sign_off.external_role,
        "email": sign_off.external_email,
        "registration_body": sign_off.registration_body,
        "registration_number": sign_off.registration_number,
    }


def field_digests(content: dict[str, Any]) -> dict[str, str]:
    """SHA-256 of each field of a signed content dict (canonical JSON of [name, value]). A document
    that leaves a field out (a portfolio without reflections) can still prove every field it
    prints against the statement, without carrying the field it leaves out."""
    return {name: content_sha256_of([name, value]) for name, value in content.items()}


def statement_payload(sign_off: Any, organisation: Organisation | None = None) -> dict[str, Any]:
    """What the sign-off row says, as the statement that is signed (and compared on verification;
    the subject's per-field digests are added when sealing, from the signed content)."""
    kind = kind_of(sign_off)
    if organisation is None:
        org_id = kind.organisation_id(sign_off)
        organisation = db.session.get(Organisation, org_id) if org_id else None
    return {
        "v": 1,
        "type": "logbook.sign_off",
        "id": str(sign_off.id),
        "subject": {
            "type": kind.subject_type,
            "id": str(kind.subject_id(sign_off)),
            "version": kind.version(sign_off),
            "content_sha256": sign_off.content_sha256,
        },
        "signer": _signer(sign_off),
        "signer_role": getattr(sign_off, "signer_role", None),
        "decision": sign_off.decision,
        "comment": sign_off.comment,
        "signed_at": _iso(sign_off.signed_at),
        "organisation": {
            "id": str(organisation.id) if organisation else None,
            "slug": organisation.slug if organisation else None,
            "name": organisation.name if organisation else None,
        },
    }


def _comparable(payload: dict[str, Any]) -> dict[str, Any]:
    # An organisation may be renamed after it signed: its id and slug are what the key vouches for.
    # The field digests are checked with the signed content (they restate its hash field by field).
    org = payload.get("organisation") or {}
    subject = {k: v for k, v in (payload.get("subject") or {}).items() if k != "fields"}
    return payload | {"subject": subject, "organisation": {"id": org.get("id"), "slug": org.get("slug")}}


def seal(sign_off: Any, *, actor: str, request_id: uuid.UUID | None, now: dt.datetime, ring: KeyRing) -> None:
    """Sign the new sign-off row's statement with its organisation's key, store it on the row, and
    write the decision into the audit trail (the row's fingerprint and the statement's hash)."""
    kind = kind_of(sign_off)
    payload = statement_payload(sign_off)
    signed = kind.signed_content(sign_off, ONE_BY_ONE)
    if signed is None or content_sha256(signed) != sign_off.content_sha256:
        raise RuntimeError(f"sign-off {sign_off.id}: the signed content is not the content hashed")
    payload["subject"]["fields"] = field_digests(signed)
    slug = payload["organisation"]["slug"]
    try:
        sign_off.statement = statements.sign(payload, ring=ring, organisation=slug)
    except signing_keys.SigningKeyMissing as exc:
        raise SigningUnavailable(str(exc)) from exc
    db.session.flush()
    audit.append_event(
        kind=f"{kind.audit_subject}.{sign_off.decision}",
        actor=actor,
        subject_type=kind.audit_subject,
        subject_id=sign_off.id,
        data={
            f"{kind.subject_key}_id": str(kind.subject_id(sign_off)),
            f"{kind.subject_key}_version": kind.version(sign_off),
            "content_sha256": sign_off.content_sha256,
            "request_id": str(request_id) if request_id else None,
            "sign_off_sha256": kind.fingerprint(sign_off),
            "statement_sha256": hashlib.sha256(sign_off.statement.encode()).hexdigest(),
        },
        now=now,
    )


# --- withdrawal ---------------------------------------------------------------------------------

WITHDRAWAL_TYPE = "logbook.sign_off_withdrawal"


def withdrawal_fingerprint(withdrawal: SignOffWithdrawal) -> str:
    """SHA-256 of every field of a withdrawal row but its statement (written into the audit trail)."""
    return _fingerprint(
        {
            "id": str(withdrawal.id),
            "sign_off_id": str(withdrawal.sign_off_id),
            "withdrawn_by_id": str(withdrawal.withdrawn_by_id) if withdrawal.withdrawn_by_id else None,
            "withdrawn_by_name": withdrawal.withdrawn_by_name,
            "withdrawn_as": withdrawal.withdrawn_as,
            "reason": withdrawal.reason,
            "withdrawn_at": _iso(withdrawal.withdrawn_at),
        }
    )


def withdrawal_payload(withdrawal: SignOffWithdrawal, sign_off: SignOff) -> dict[str, Any]:
    """What a withdrawal says, as the statement that is signed: which signed statement it takes back
    (by its hash), who withdrew it in which capacity, when and why."""
    org_id = ENTRY.organisation_id(sign_off)
    organisation = db.session.get(Organisation, org_id) if org_id else None
    return {
        "v": 1,
        "type": WITHDRAWAL_TYPE,
        "id": str(withdrawal.id),
        "sign_off": {
            "id": str(sign_off.id),
            "statement_sha256": hashlib.sha256((sign_off.statement or "").encode()).hexdigest(),
        },
        "subject": {"type": "entry", "id": str(sign_off.entry_id), "version": sign_off.entry_version},
        "withdrawn_by": {
            "user_id": str(withdrawal.withdrawn_by_id) if withdrawal.withdrawn_by_id else None,
            "name": withdrawal.withdrawn_by_name,
            "as": withdrawal.withdrawn_as,
        },
        "reason": withdrawal.reason,
        "withdrawn_at": _iso(withdrawal.withdrawn_at),
        "organisation": {
            "id": str(organisation.id) if organisation else None,
            "slug": organisation.slug if organisation else None,
        },
    }


def withdrawal_of(sign_off: Any) -> SignOffWithdrawal | None:
    """The withdrawal of an entry sign-off, if it was withdrawn."""
    return db.session.scalar(select(SignOffWithdrawal).where(SignOffWithdrawal.sign_off_id == sign_off.id))


def seal_withdrawal(
    withdrawal: SignOffWithdrawal, sign_off: SignOff, *, actor: str, now: dt.datetime, ring: KeyRing
) -> None:
    """Sign the withdrawal's statement with the organisation's key, store it on the new row, and write
    it into the audit trail under the sign-off (so that a withdrawal row removed later is noticed)."""
    payload = withdrawal_payload(withdrawal, sign_off)
    try:
        withdrawal.statement = statements.sign(
            payload, organisation=payload["organisation"]["slug"], ring=ring
        )
    except signing_keys.SigningKeyMissing as exc:
        raise SigningUnavailable(str(exc)) from exc
    db.session.add(withdrawal)
    db.session.flush()
    audit.append_event(
        kind=f"{ENTRY.audit_subject}.withdrawn",
        actor=actor,
        subject_type=ENTRY.audit_subject,
        subject_id=sign_off.id,
        data={
            "withdrawal_id": str(withdrawal.id),
            "entry_id": str(sign_off.entry_id),
            "entry_version": sign_off.entry_version,
            "withdrawn_as": withdrawal.withdrawn_as,
            "reason": withdrawal.reason,
            "withdrawal_sha256": withdrawal_fingerprint(withdrawal),
            "statement_sha256": hashlib.sha256(withdrawal.statement.encode()).hexdigest(),
        },
        now=now,
    )


def _check_withdrawal(
    sign_off: Any, result: Verification, keys: list[dict[str, Any]], events: list[Any], reads: Reads
) -> None:
    """A withdrawal whose statement verifies makes the sign-off ``withdrawn``; one that does not
    verify, or a withdrawal the audit trail records but the database no longer holds, ``invalid``."""
    withdrawal = reads.withdrawal(sign_off)
    recorded = [e for e in events if e.kind == f"{ENTRY.audit_subject}.withdrawn"]
    if withdrawal is None:
        if recorded:
            result.found("invalid", "the sign-off was withdrawn, but its withdrawal record is missing")
        return
    checked = statements.check(withdrawal.statement, keys)
    if not checked.ok or checked.payload is None:
        result.found("invalid", f"the withdrawal of this sign-off does not verify: {checked.reason}")
        return
    if checked.payload != withdrawal_payload(withdrawal, sign_off):
        result.found("invalid", "the withdrawal record differs from its signed statement")
        return
    if not recorded or recorded[0].data.get("withdrawal_sha256") != withdrawal_fingerprint(withdrawal):
        result.found("invalid", "the withdrawal record was changed after it was made")
        return
    result.withdrawal = {
        "withdrawn_by_name": withdrawal.withdrawn_by_name,
        "withdrawn_as": withdrawal.withdrawn_as,
        "reason": withdrawal.reason,
        "withdrawn_at": _iso(withdrawal.withdrawn_at),
    }
    result.found(
        "withdrawn",
        f"withdrawn by {withdrawal.withdrawn_by_name} on {withdrawal.withdrawn_at.date().isoformat()}: "
        f"{withdrawal.reason}",
        problem=False,
    )


# --- verification ------------------------------------------------------------------------------


def published_keys(*, ring: KeyRing) -> list[dict[str, Any]]:
    """The keys this server verifies its own statements with: its register (every status)."""
    return signing_keys.jwks(ring=ring)["keys"]


def check_statement(sign_off: Any, result: Verification, keys: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The statement's signature and that the row says what it says; the payload when it holds."""
    checked = statements.check(sign_off.statement, keys)
    result.kid, result.organisation = checked.kid, checked.organisation
    if not checked.ok:
        result.found(checked.status, checked.reason)
        return None
    if checked.payload is None:
        raise RuntimeError("an ok statement always carries its payload: cannot be missing")
    if _comparable(checked.payload) != _comparable(statement_payload(sign_off)):
        result.found("invalid", "the sign-off record differs from its signed statement")
        return None
    return checked.payload


def _check_signed(kind: _Kind, sign_off: Any, result: Verification, reads: Reads) -> dict[str, Any] | None:
    """The stored signed revision still hashes to the signed content hash."""
    version = kind.version(sign_off)
    signed = kind.signed_content(sign_off, reads)
    if signed is None:
        result.found("invalid", f"version {version} of the signed record is missing")
        return None
    recomputed = content_sha256(signed)
    if kind is SESSION and (signed.get("version") != version or signed.get("id") != str(sign_off.session_id)):
        result.found("invalid", "the signed record is not the record and version the sign-off names")
    if recomputed != sign_off.content_sha256:
        result.found(
            "invalid",
            f"the signed record of version {version} was changed after signing"
            if kind is SESSION
            else f"the stored text of version {version} is not the text that was signed",
        )
    if kind is ENTRY:
        stored = db.session.get(EntryRevision, (sign_off.entry_id, sign_off.entry_version))
        if stored is not None and recomputed != stored.content_sha256:
            result.found("invalid", f"the stored text of version {version} was changed after it was saved")
    return signed


def _check_audit(kind: _Kind, sign_off: Any, result: Verification, recorded: list[Any]) -> None:
    """The row still matches the fingerprint (and statement hash) its audit record wrote."""
    events = [e for e in recorded if e.kind.startswith(f"{kind.audit_subject}.")]
    if not events:
        result.found("invalid", "the audit trail has no record of this sign-off")
        return
    data = events[0].data
    if data.get("sign_off_sha256") != kind.fingerprint(sign_off):
        result.found("invalid", "the sign-off record was changed after it was made")
    elif "statement_sha256" in data and (
        sign_off.statement is None
        or data["statement_sha256"] != hashlib.sha256(sign_off.statement.encode()).hexdigest()
    ):
        result.found("invalid", "the signed statement was replaced after it was made")


def _check_imported(sign_off: Any, result: Verification, ring: KeyRing) -> None:
    """An imported sign-off is valid only with a statement a trusted key verifies (trust.py)."""
    checked = trust.check_imported(
        sign_off.statement,
        entry_version=sign_off.entry_version,
        content_sha256=sign_off.content_sha256,
        decision=sign_off.decision,
        signer_name=sign_off.signer_name,
        signed_at=sign_off.signed_at,
        ring=ring,
    )
    result.kid = checked.kid
    if checked.verified:
        result.organisation = checked.organisation
    else:
        result.found("unsigned", f"imported, not verified: {checked.reason}", problem=False)


def verify(
    sign_off: Any, *, ring: KeyRing, keys: list[dict[str, Any]] | None = None, reads: Reads = ONE_BY_ONE
) -> Verification:
    """The one verification of a sign-off (the public page, the API, the CLI and documents; `reads`:
    where the records it reads come from, verify_many's for many sign-offs)."""
    kind = kind_of(sign_off)
    result = Verification(sign_off.id, is_imported=bool(getattr(sign_off, "is_imported", False)))
    if result.is_imported:
        _check_imported(sign_off, result, ring)
    elif sign_off.statement is None:
        result.found("unsigned", UNSIGNED_REASON, problem=False)
    else:
        check_statement(sign_off, result, published_keys(ring=ring) if keys is None else keys)
    signed = _check_signed(kind, sign_off, result, reads)
    recorded = reads.events(kind.audit_subject, sign_off.id)
    _check_audit(kind, sign_off, result, recorded)
    kind.live(sign_off, result, signed, reads)
    if kind is ENTRY:
        _check_withdrawal(
            sign_off, result, published_keys(ring=ring) if keys is None else keys, recorded, reads
        )
    return result


def verify_many(
    sign_offs: list[SignOff], *, ring: KeyRing, keys: list[dict[str, Any]] | None = None
) -> dict[uuid.UUID, Verification]:
    """verify() of each of these entry sign-offs, with what it reads loaded for all of them at once
    (a few queries instead of several per sign-off): the same verification, by sign-off id."""
    keys = published_keys(ring=ring) if keys is None else keys
    loaded = Loaded(sign_offs)
    return {s.id: verify(s, ring=ring, keys=keys, reads=loaded) for s in sign_offs}


def standing_roles(entry_ids: list[uuid.UUID], *, ring: KeyRing) -> dict[uuid.UUID, frozenset[str]]:
    """For each entry, the roles of its approved sign-offs that still stand (verify() says valid: the
    statement verifies and the live entry is the text that was signed). A role is given bare and with
    the signer's registration body ("reflective_discussion_partner:NMC"). The requirement engine reads
    these as an entry's signed_roles (progress.Signatures)."""
    out: dict[uuid.UUID, set[str]] = {}
    if not entry_ids:
        return {}
    keys = published_keys(ring=ring)
    for start in range(0, len(entry_ids), 500):
        chunk = entry_ids[start : start + 500]
        rows = list(
            db.session.scalars(
                select(SignOff).where(SignOff.entry_id.in_(chunk), SignOff.decision == "approved")
            )
        )
        checked = verify_many(rows, ring=ring, keys=keys)
        for sign_off in rows:
            if checked[sign_off.id].is_valid:
                roles = out.setdefault(sign_off.entry_id, set())
                roles.add(sign_off.signer_role)
                if sign_off.registration_body:
                    roles.add(f"{sign_off.signer_role}:{sign_off.registration_body}")
    return {entry: frozenset(roles) for entry, roles in out.items()}


def signatures(*, ring: KeyRing) -> Callable[[list[uuid.UUID]], dict[uuid.UUID, frozenset[str]]]:
    """standing_roles with the app's key ring: what the progress queries take as `signatures`."""
    return partial(standing_roles, ring=ring)


def standing_roles_of(owner_id: uuid.UUID, *, ring: KeyRing) -> dict[str, list[str]]:
    """standing_roles of every signed-off entry of one person, as JSON (what the phone's engine needs
    besides the entries it holds: GET /api/v1/progress/inputs)."""
    ids = list(
        db.session.scalars(
            select(Entry.id).where(
                Entry.owner_id == owner_id, Entry.status == "signed_off", Entry.is_deleted.is_(False)
            )
        )
    )
    return {str(entry): sorted(roles) for entry, roles in standing_roles(ids, ring=ring).items()}
