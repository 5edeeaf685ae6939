"""Open Badges 3.0 credentials of what was verified, the practitioner's record as a CLR 2.0
credential, and the organisation's revocation list. docs/record-format.md describes the format.

What can be issued, one rule each:

- a registration cycle of the practitioner that has ended and that the requirement engine says was
  met (progress.cycle_history_for with the sign-offs that still stand: the verdict /progress/history
  and Home show), with the entries it counted as evidence (titles, dates, hours; never reflections);

- an entry with an approved sign-off that signcore still verifies (``valid``, or ``changed``: the
  credential describes the signed version, rebuilt from its stored revision, so a later edit
  does not change what was attested);
- an entry made by attending a learning event, when the attendance was recorded by check-in or on
  the register and the event has ended (not cancelled).

Every credential is a VC-JWT (JOSE header ``alg: EdDSA``, ``kid`` from the published JWKS,
``typ: vc+jwt``; the payload is the credential itself with ``iss``, ``sub``, ``jti`` and ``nbf``
mirroring issuer.id, credentialSubject.id, id and validFrom, as Open Badges 3.0 §8.2 says), signed
with the organisation's Ed25519 key (logbook/signing/keys.py). Private reflections, impact
statements, the sign-off comment and evidence contents are never put in a credential.

Revocation: a credential's bit in the organisation's Bitstring Status List is set when its row is
revoked: by `revoke_for_withdrawal` (a sign-off withdrawn: its credentials, and the practitioner's
cycle credentials that no longer hold without it), or by `recheck_revocations` when the sign-off it
was issued for no longer verifies (signcore: ``invalid``, ``unconfirmed`` — its key compromised —,
``withdrawn`` or ``unsigned``), its event was cancelled, or its cycle is no longer met. The recheck
runs whenever the owner asks for a credential of that entry and from cron (`logbook credentials
recheck`); the public list itself only reads the table, so serving it costs no signature checks
(one sign-off check is ~17 ms on the 2-core machine).
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from logbook.accounts.models import Organisation, User
from logbook.config import KeyRing
from logbook.credentials.models import IssuedCredential
from logbook.entries.models import Entry, EntryRevision
from logbook.errors import Conflict, NotFound
from logbook.events.models import EventAttendance, LearningEvent
from logbook.extensions import db
from logbook.frameworks.engine import MET
from logbook.frameworks.kinds import KIND_LABELS
from logbook.frameworks.service import find_version
from logbook.progress import cycle_history_for
from logbook.signing.keys import signing_key
from logbook.supervision import signcore
from logbook.supervision.models import SignOff

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
OB_SCHEMA = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
JWT_ALG = "EdDSA"  # the JOSE name OB 3.0 and VC-JOSE-COSE verifiers know for Ed25519
JWT_TYP = "vc+jwt"  # VC-JOSE-COSE: a VC Data Model 2.0 credential secured as a JWT
STATUS_LIST_BITS = 131_072  # the W3C minimum (16 KiB), so that one set bit says little about whom
CHECKED_IN = ("qr", "qr_offline", "register")  # checked in with the QR code, or marked on the register
ALLOCATION_TRIES = 5  # attempts at a free status index when requests race
NOT_VALID = (
    "invalid",
    "unconfirmed",
    "withdrawn",
    "unsigned",
)  # a sign-off in this state revokes its credentials


class NothingToIssue(Conflict):
    """The entry has nothing verified that a credential could attest (409, with the reason)."""

    code = "not_verified"


@dataclass(frozen=True)
class Issued:
    """One signed credential: the compact JWT and the payload it carries."""

    jwt: str
    payload: dict[str, Any]


# --- URLs ----------------------------------------------------------------------------------------


def issuer_id(base_url: str, organisation: Organisation) -> str:
    """The stable URL of the organisation's issuer profile (served without login)."""
    return f"{base_url}/credentials/issuers/{organisation.slug}"


def status_list_id(base_url: str, organisation: Organisation) -> str:
    """The stable URL of the organisation's revocation list (served without login)."""
    return f"{base_url}/credentials/status/{organisation.slug}"


def issuer_profile(*, organisation: Organisation, base_url: str) -> dict[str, Any]:
    """The issuer as an Open Badges 3.0 Profile (the document at its id)."""
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": issuer_id(base_url, organisation),
        "type": ["Profile"],
        "name": organisation.name,
        "url": base_url,
        "otherIdentifier": [
            {
                "type": ["IdentifierEntry"],
                "identifier": f"{base_url}/.well-known/jwks/{organisation.slug}.json",
                "identifierType": "identifier",
            }
        ],
    }


def organisation_by_slug(slug: str) -> Organisation:
    """The organisation a public credential URL names (NotFound otherwise)."""
    org = db.session.scalar(select(Organisation).where(Organisation.slug == slug[:80]))
    if org is None:
        raise NotFound("No such issuer.")
    return org


# --- signing ---------------------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sign_vc_jwt(credential: dict[str, Any], *, organisation: Organisation, ring: KeyRing) -> Issued:
    """The credential as a VC-JWT signed with the organisation's active key (OB 3.0 §8.2)."""
    kid, key = signing_key(ring=ring, organisation=organisation.slug)
    valid_from = dt.datetime.fromisoformat(credential["validFrom"].replace("Z", "+00:00"))
    payload = dict(credential)
    payload["iss"] = credential["issuer"]["id"]
    payload["jti"] = credential["id"]
    payload["nbf"] = int(valid_from.timestamp())
    subject_id = credential["credentialSubject"].get("id")
    if subject_id:
        payload["sub"] = subject_id
    header = {"alg": JWT_ALG, "kid": kid, "typ": JWT_TYP}
    signing_input = (
        _b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    )
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # on first use

    private = key.private_key
    if not isinstance(private, Ed25519PrivateKey):
        raise TypeError("an organisation's signing key is always Ed25519")
    signature = private.sign(signing_input.encode("ascii"))
    return Issued(f"{signing_input}.{_b64url(signature)}", payload)


# --- what may be issued -------------------------------------------------------------------------


def _own_entry(owner: User, entry_id: uuid.UUID) -> Entry:
    entry = db.session.get(Entry, entry_id)
    if entry is None or entry.owner_id != owner.id or entry.is_deleted:
        raise NotFound("No such entry.")
    return entry


def verified_sign_off(entry: Entry, now: dt.datetime, ring: KeyRing) -> SignOff | None:
    """The latest approved sign-off of the entry that signcore still verifies (valid or changed); the
    credentials of its approvals that no longer verify are revoked on the way."""
    rows = db.session.scalars(
        select(SignOff)
        .where(SignOff.entry_id == entry.id, SignOff.decision == "approved")
        .order_by(SignOff.signed_at.desc())
    ).all()
    found = None
    for sign_off in rows:
        status = signcore.verify(sign_off, ring=ring).status
        if status in NOT_VALID:  # what was issued for it must not verify any more
            revoke_for_sign_off(sign_off_id=sign_off.id, reason=f"the sign-off is {status}", now=now)
        elif found is None:
            found = sign_off
    return found


def completed_attendance(entry: Entry, now: dt.datetime) -> tuple[EventAttendance, LearningEvent] | None:
    """The attendance this entry records, when it was confirmed and its event has ended."""
    attendance = db.session.scalar(select(EventAttendance).where(EventAttendance.entry_id == entry.id))
    if attendance is None or attendance.user_id != entry.owner_id:
        return None
    event = db.session.get(LearningEvent, attendance.event_id)
    if event is None or event.is_cancelled or attendance.method not in CHECKED_IN:
        return None
    if event.starts_at + dt.timedelta(minutes=event.duration_minutes) > now:
        return None
    return attendance, event


def _existing(kind: str, subject_id: uuid.UUID) -> IssuedCredential | None:
    return db.session.scalar(
        select(IssuedCredential).where(
            IssuedCredential.subject_kind == kind, IssuedCredential.subject_id == subject_id
        )
    )


def _allocate(
    *,
    owner: User,
    entry: Entry | None,
    kind: str,
    subject_id: uuid.UUID,
    now: dt.datetime,
    organisation_id: uuid.UUID | None = None,
) -> IssuedCredential:
    """The row of this subject's credential (made once: its id and status index never change). Two
    requests racing for the next index (or for the same subject) meet the unique constraints; the
    loser's savepoint is rolled back and it tries again with the winner's row in sight."""
    org_id = entry.organisation_id if entry is not None else organisation_id
    for _attempt in range(ALLOCATION_TRIES):
        row = _existing(kind, subject_id)
        if row is not None:
            return row
        highest = db.session.scalar(
            select(func.max(IssuedCredential.status_index)).where(IssuedCredential.organisation_id == org_id)
        )
        index = 0 if highest is None else highest + 1
        if index >= STATUS_LIST_BITS:
            raise Conflict("This organisation's revocation list is full.", code="status_list_full")
        row = IssuedCredential(
            organisation_id=org_id,
            owner_id=owner.id,
            entry_id=entry.id if entry is not None else None,
            subject_kind=kind,
            subject_id=subject_id,
            status_index=index,
            issued_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            continue
        return row
    raise Conflict("The credential could not be issued just now; try again.", code="busy")


# --- the credential ------------------------------------------------------------------------------


def _hours(value: Any) -> float:
    return float(Decimal(str(value)))


def _alignments(organisation_id: uuid.UUID, tags: list[dict[str, Any]]) -> list[dict[str, Any]]:
    titles: dict[tuple[str, int], dict[str, str]] = {}
    out = []
    for tag in tags:
        key = (str(tag.get("framework", "")), int(tag.get("version", 0)))
        if key not in titles:
            row = find_version(organisation_id=organisation_id, framework_id=key[0], version=key[1])
            standards = (row.summary.get("standards") or []) if row else []
            titles[key] = {s["code"]: s.get("title", "") for s in standards}
            titles[key]["_name"] = row.name if row else key[0]
        code = str(tag.get("code", ""))
        out.append(
            {
                "type": ["Alignment"],
                "targetName": titles[key].get(code) or code,
                "targetCode": code,
                "targetFramework": f"{titles[key]['_name']} (version {key[1]})",
                "targetType": "ext:Standard",
                "targetUrl": f"urn:logbook:framework:{key[0]}:{key[1]}:{code}",
            }
        )
    return out


def _evidence(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Names and captions of the evidence files (never their contents, never a download link)."""
    return [
        {
            "id": f"urn:sha256:{f['sha256']}",
            "type": ["Evidence"],
            "name": f.get("name") or "Evidence file",
            **({"description": f["caption"]} if f.get("caption") else {}),
        }
        for f in files
        if f.get("sha256")
    ]


def _credential(
    *,
    row: IssuedCredential,
    organisation: Organisation,
    owner: User,
    base_url: str,
    achievement: dict[str, Any],
    evidence: list[dict[str, Any]],
    valid_from: dt.datetime,
    hours: float,
    name: str,
) -> dict[str, Any]:
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{row.id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": {"id": issuer_id(base_url, organisation), "type": ["Profile"], "name": organisation.name},
        "validFrom": _iso(valid_from),
        "credentialSubject": {
            "id": f"urn:uuid:{owner.id}",
            "type": ["AchievementSubject"],
            "achievement": achievement,
            "creditsEarned": hours,
        },
        "evidence": evidence,
        "credentialSchema": [{"id": OB_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "credentialStatus": {
            "id": f"{status_list_id(base_url, organisation)}#{row.status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(row.status_index),
            "statusListCredential": status_list_id(base_url, organisation),
        },
    }


def _sign_off_credential(
    *, owner: User, entry: Entry, sign_off: SignOff, base_url: str, now: dt.datetime, ring: KeyRing
) -> Issued:
    organisation = db.session.get(Organisation, entry.organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    revision = db.session.get(EntryRevision, (entry.id, sign_off.entry_version))
    content = dict(revision.content) if revision is not None else {}
    row = _allocate(owner=owner, entry=entry, kind="sign_off", subject_id=sign_off.id, now=now)
    hours = _hours(content.get("hours", entry.hours))
    title = str(content.get("title", entry.title))
    dates = str(content.get("start_date", ""))
    if content.get("end_date"):
        dates += f" to {content['end_date']}"
    achievement = {
        "id": f"urn:uuid:{entry.id}",
        "type": ["Achievement"],
        "name": title,
        "description": (
            f"{content.get('description') or title} ({content.get('kind', entry.kind)}, {dates}; "
            f"{hours:g} CPD hours). Signed off by {sign_off.signer_name} ({sign_off.signer_role})."
        ),
        "criteria": {
            "narrative": (
                f"A continuing professional development activity recorded by the practitioner and "
                f"approved by their {sign_off.signer_role.replace('_', ' ')}, {sign_off.signer_name}, "
                f"on {sign_off.signed_at.date().isoformat()} (version {sign_off.entry_version} of the "
                f"record, SHA-256 {sign_off.content_sha256})."
            )
        },
        "creditsAvailable": hours,
        "alignment": _alignments(entry.organisation_id, list(content.get("standards") or [])),
        "tag": [str(content.get("kind", entry.kind))],
    }
    credential = _credential(
        row=row,
        organisation=organisation,
        owner=owner,
        base_url=base_url,
        achievement=achievement,
        evidence=_evidence(list(content.get("evidence") or [])),
        valid_from=sign_off.signed_at,
        hours=hours,
        name=f"Signed-off CPD: {title}",
    )
    return sign_vc_jwt(credential, organisation=organisation, ring=ring)


def _attendance_credential(
    *,
    owner: User,
    entry: Entry,
    attendance: EventAttendance,
    event: LearningEvent,
    base_url: str,
    now: dt.datetime,
    ring: KeyRing,
) -> Issued:
    organisation = db.session.get(Organisation, event.organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    row = _allocate(owner=owner, entry=entry, kind="attendance", subject_id=attendance.entry_id, now=now)
    hours = _hours(event.hours)
    ended = event.starts_at + dt.timedelta(minutes=event.duration_minutes)
    how = (
        "the event's register" if attendance.method == "register" else "checking in with the event's QR code"
    )
    achievement = {
        "id": f"urn:uuid:{event.id}",
        "type": ["Achievement"],
        "achievementType": "Course",
        "name": event.title,
        "description": (
            f"{event.description or event.title} ({event.kind}, {event.starts_at.date().isoformat()}; "
            f"{hours:g} CPD hours)."
        ),
        "criteria": {
            "narrative": (
                f"Attended the learning event on {event.starts_at.date().isoformat()}, attendance "
                f"confirmed by {how}."
            )
        },
        "creditsAvailable": hours,
        "alignment": _alignments(event.organisation_id, list(event.standards or [])),
        "tag": [event.kind],
    }
    credential = _credential(
        row=row,
        organisation=organisation,
        owner=owner,
        base_url=base_url,
        achievement=achievement,
        evidence=[],
        valid_from=ended,
        hours=hours,
        name=f"Attended: {event.title}",
    )
    return sign_vc_jwt(credential, organisation=organisation, ring=ring)


def _issue(*, owner: User, entry: Entry, base_url: str, now: dt.datetime, ring: KeyRing) -> Issued | None:
    """The entry's credential: for its verified sign-off, else its confirmed attendance, else None."""
    sign_off = verified_sign_off(entry, now, ring)
    if sign_off is not None:
        return _sign_off_credential(
            owner=owner, entry=entry, sign_off=sign_off, base_url=base_url, now=now, ring=ring
        )
    found = completed_attendance(entry, now)
    if found is not None:
        return _attendance_credential(
            owner=owner,
            entry=entry,
            attendance=found[0],
            event=found[1],
            base_url=base_url,
            now=now,
            ring=ring,
        )
    return None


def credential_for_entry(
    *, owner: User, entry_id: uuid.UUID, base_url: str, now: dt.datetime, ring: KeyRing
) -> Issued:
    """The owner's credential for one entry: its verified sign-off, or its confirmed attendance.
    NotFound for anyone else's entry; NothingToIssue (409) when nothing about it was verified."""
    issued = _issue(owner=owner, entry=_own_entry(owner, entry_id), base_url=base_url, now=now, ring=ring)
    if issued is None:
        raise NothingToIssue(
            "This entry has no sign-off that still verifies and is not a completed, checked-in event, "
            "so there is nothing a credential could attest."
        )
    return issued


# --- registration cycles -------------------------------------------------------------------------

CYCLE_NAMESPACE = uuid.UUID("5b0c6f1e-7a3d-4c1e-9a53-0c7d1f2e8b40")  # names cycle subjects (uuid5)


def cycle_subject_id(owner_id: uuid.UUID, registration_id: uuid.UUID, starts_on: dt.date) -> uuid.UUID:
    """The stable id of one registration cycle of one person (its credential's subject)."""
    return uuid.uuid5(CYCLE_NAMESPACE, f"{owner_id}:{registration_id}:{starts_on.isoformat()}")


@dataclass(frozen=True)
class FoundCycle:
    """One cycle of one registration as the engine evaluated it (progress.cycle_history_for)."""

    registration: dict[str, Any]
    cycle: dict[str, Any]

    @property
    def starts_on(self) -> dt.date:
        """The cycle's first day."""
        return dt.date.fromisoformat(self.cycle["starts_on"])

    @property
    def ends_on(self) -> dt.date:
        """The cycle's last day."""
        return dt.date.fromisoformat(self.cycle["ends_on"])


def owner_cycles(*, owner: User, today: dt.date, ring: KeyRing) -> list[FoundCycle]:
    """Every cycle of every registration of the owner, with the engine's verdict counting only the
    sign-offs that still stand (the history /api/v1/progress/history serves)."""
    history = cycle_history_for(viewer=owner, today=today, signatures=signcore.signatures(ring=ring))
    return [FoundCycle(reg, cycle) for reg in history["registrations"] for cycle in reg["cycles"]]


def completed(found: FoundCycle, today: dt.date) -> bool:
    """A cycle a credential may attest: over, and met by the engine's rules."""
    return found.ends_on < today and found.cycle["status"] == MET


def _number(value: Any) -> str:
    try:
        return f"{float(Decimal(str(value))):g}"
    except ArithmeticError:
        return str(value)


def _criteria(cycle: dict[str, Any], today: dt.date) -> str:
    framework = cycle["framework"]
    rules = "; ".join(
        f"{r['title']}: {_number(r['value'])} of {_number(r['target'])} {r.get('unit') or ''}".rstrip()
        + (" (advisory)" if r.get("advisory") else "")
        for r in cycle["rules"]
    )
    return (
        f"Every requirement of {framework['name']} (version {framework['version']}) for the registration "
        f"cycle {cycle['starts_on']} to {cycle['ends_on']} met, as the logbook's requirement engine "
        f"evaluated it on {today.isoformat()}, counting only sign-offs that still verify. "
        f"The rules: {rules}."
    )


def _cycle_credential(
    *, owner: User, found: FoundCycle, base_url: str, now: dt.datetime, ring: KeyRing
) -> Issued:
    organisation = db.session.get(Organisation, owner.organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    cycle = found.cycle
    subject = cycle_subject_id(owner.id, found.registration["registration_id"], found.starts_on)
    row = _allocate(
        owner=owner, entry=None, kind="cycle", subject_id=subject, now=now, organisation_id=organisation.id
    )
    counted_ids = {uuid.UUID(i) for r in cycle["rules"] for i in r.get("counted") or [] if i}
    counted = list(
        db.session.scalars(
            select(Entry)
            .where(Entry.id.in_(counted_ids), Entry.owner_id == owner.id, Entry.is_deleted.is_(False))
            .order_by(Entry.start_date, Entry.id)
        )
    )
    evidence = []
    for e in counted:  # title, kind, dates and hours only: never a description, reflection or impact
        dates = e.start_date.isoformat() + (f" to {e.end_date.isoformat()}" if e.end_date else "")
        evidence.append(
            {
                "id": f"urn:uuid:{e.id}",
                "type": ["Evidence"],
                "name": e.title,
                "description": f"{KIND_LABELS.get(e.kind, e.kind)}, {dates}; {_hours(e.hours):g} hours",
                "genre": e.kind,
            }
        )
    tags: dict[tuple[str, int, str], dict[str, Any]] = {}
    for e in counted:
        for tag in e.standards or []:
            key = (str(tag.get("framework", "")), int(tag.get("version", 0)), str(tag.get("code", "")))
            tags.setdefault(key, tag)
    framework = cycle["framework"]
    dates = f"{cycle['starts_on']} to {cycle['ends_on']}"
    hours = _hours(cycle["numbers"].get("hours", 0))
    name = f"{framework['name']} registration cycle {dates} completed"
    achievement = {
        "id": f"urn:uuid:{subject}",
        "type": ["Achievement"],
        "name": name,
        "description": (
            f"{owner.name}'s {found.registration['regulator']} registration cycle {dates}, completed: "
            f"{cycle['numbers'].get('records', len(counted))} CPD records, {hours:g} CPD hours."
        ),
        "criteria": {"narrative": _criteria(cycle, now.date())},
        "creditsAvailable": hours,
        "alignment": _alignments(organisation.id, [tags[k] for k in sorted(tags)]),
        "tag": ["registration_cycle", str(found.registration["regulator"])],
    }
    ended = dt.datetime.combine(found.ends_on + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    credential = _credential(
        row=row,
        organisation=organisation,
        owner=owner,
        base_url=base_url,
        achievement=achievement,
        evidence=evidence,
        valid_from=ended,
        hours=hours,
        name=name,
    )
    return sign_vc_jwt(credential, organisation=organisation, ring=ring)


class CycleNotCompleted(Conflict):
    """The cycle has not ended, or was not met (409, naming which)."""

    code = "cycle_not_completed"


def credential_for_cycle(
    *,
    owner: User,
    registration_id: uuid.UUID,
    starts_on: dt.date,
    base_url: str,
    now: dt.datetime,
    ring: KeyRing,
) -> Issued:
    """The owner's credential for one registration cycle (a registration of theirs and the first day
    of the cycle, as /api/v1/progress/history lists them). NotFound for no such cycle; 409
    `cycle_not_ended` while it runs, `cycle_not_met` when the engine says its rules were not met."""
    today = now.date()
    found = next(
        (
            c
            for c in owner_cycles(owner=owner, today=today, ring=ring)
            if str(c.registration["registration_id"]) == str(registration_id) and c.starts_on == starts_on
        ),
        None,
    )
    if found is None:
        raise NotFound("No such registration cycle.")
    if found.ends_on >= today:
        raise CycleNotCompleted(
            f"This cycle has not ended yet (it ends on {found.ends_on.isoformat()}); a credential is "
            "issued for a completed cycle.",
            code="cycle_not_ended",
        )
    if found.cycle["status"] != MET:
        missing = [r["title"] for r in found.cycle["rules"] if r["status"] != MET and not r.get("advisory")]
        raise CycleNotCompleted(
            "This cycle's requirements were not met"
            + (f" ({'; '.join(missing)})" if missing else "")
            + ", so there is nothing a credential could attest.",
            code="cycle_not_met",
        )
    return _cycle_credential(owner=owner, found=found, base_url=base_url, now=now, ring=ring)


def candidate_entries(*, owner: User) -> list[Entry]:
    """The owner's entries that might have a credential (an approval, or an attendance), oldest first."""
    approved = select(SignOff.entry_id).where(SignOff.decision == "approved")
    attended = select(EventAttendance.entry_id).where(EventAttendance.user_id == owner.id)
    return list(
        db.session.scalars(
            select(Entry)
            .where(
                Entry.owner_id == owner.id,
                Entry.is_deleted.is_(False),
                Entry.id.in_(approved) | Entry.id.in_(attended),
            )
            .order_by(Entry.start_date, Entry.created_at)
        ).all()
    )


def clr_for(*, owner: User, base_url: str, now: dt.datetime, ring: KeyRing) -> Issued:
    """The owner's whole verified record as a CLR 2.0 ClrCredential, each OB 3.0 credential
    enveloped (VC Data Model 2.0 `EnvelopedVerifiableCredential`, a `data:application/vc+jwt` URL)."""
    organisation = db.session.get(Organisation, owner.organisation_id)
    if organisation is None:
        raise NotFound("No such organisation.")
    made = (
        _issue(owner=owner, entry=e, base_url=base_url, now=now, ring=ring)
        for e in candidate_entries(owner=owner)
    )
    issued = [i for i in made if i is not None]
    issued += [
        _cycle_credential(owner=owner, found=c, base_url=base_url, now=now, ring=ring)
        for c in owner_cycles(owner=owner, today=now.date(), ring=ring)
        if completed(c, now.date())
    ]
    if not issued:
        raise NothingToIssue(
            "Nothing in this record has been verified yet "
            "(no sign-off, no attended event, no completed cycle)."
        )
    clr = {
        "@context": [VC_CONTEXT, CLR_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": f"CPD record of {owner.name}",
        "issuer": {"id": issuer_id(base_url, organisation), "type": ["Profile"], "name": organisation.name},
        "validFrom": _iso(now),
        "credentialSubject": {
            "id": f"urn:uuid:{owner.id}",
            "type": ["ClrSubject"],
            "achievement": [i.payload["credentialSubject"]["achievement"] for i in issued],
            "verifiableCredential": [
                {
                    "@context": VC_CONTEXT,
                    "id": f"data:application/vc+jwt,{i.jwt}",
                    "type": "EnvelopedVerifiableCredential",
                }
                for i in issued
            ],
        },
    }
    return sign_vc_jwt(clr, organisation=organisation, ring=ring)


# --- revocation ----------------------------------------------------------------------------------


def revoke_for_sign_off(*, sign_off_id: uuid.UUID, reason: str, now: dt.datetime) -> int:
    """Revoke the credentials issued for a sign-off (the call a withdrawal makes); how many."""
    rows = db.session.scalars(
        select(IssuedCredential).where(
            IssuedCredential.subject_kind == "sign_off",
            IssuedCredential.subject_id == sign_off_id,
            IssuedCredential.revoked_at.is_(None),
        )
    ).all()
    for row in rows:
        row.revoked_at, row.revocation_reason = now, reason[:200]
    db.session.flush()
    return len(rows)


def revoke_for_withdrawal(*, sign_off_id: uuid.UUID, reason: str, now: dt.datetime, ring: KeyRing) -> int:
    """A sign-off was withdrawn (supervision.withdrawal.withdraw's hook, in its transaction): revoke its
    credentials, and the owner's cycle credentials that no longer hold without it; how many."""
    revoked = revoke_for_sign_off(sign_off_id=sign_off_id, reason=reason, now=now)
    sign_off = db.session.get(SignOff, sign_off_id)
    entry = db.session.get(Entry, sign_off.entry_id) if sign_off is not None else None
    if entry is not None:
        revoked += recheck_revocations(now=now, ring=ring, owner_id=entry.owner_id, kinds=("cycle",))
    return revoked


def _cycle_no_longer_holds(
    row: IssuedCredential, now: dt.datetime, ring: KeyRing, seen: dict[uuid.UUID, list[FoundCycle]]
) -> str | None:
    owner = db.session.get(User, row.owner_id)
    if owner is None:
        return "the practitioner is missing"
    if owner.id not in seen:  # one cycle history per person, however many of their cycles were issued
        seen[owner.id] = owner_cycles(owner=owner, today=now.date(), ring=ring)
    for c in seen[owner.id]:
        if cycle_subject_id(owner.id, c.registration["registration_id"], c.starts_on) == row.subject_id:
            return None if completed(c, now.date()) else "the cycle's requirements are no longer met"
    return "the cycle is missing"


def _no_longer_holds(
    row: IssuedCredential, now: dt.datetime, ring: KeyRing, seen: dict[uuid.UUID, list[FoundCycle]]
) -> str | None:
    """Why an issued credential's subject no longer holds (None while it does); `seen` keeps each
    person's cycle history for the rest of the recheck."""
    if row.subject_kind == "cycle":
        return _cycle_no_longer_holds(row, now, ring, seen)
    if row.subject_kind == "sign_off":
        sign_off = db.session.get(SignOff, row.subject_id)
        if sign_off is None:
            return "the sign-off is missing"
        status = signcore.verify(sign_off, ring=ring).status
        return f"the sign-off is {status}" if status in NOT_VALID else None
    attendance = db.session.scalar(select(EventAttendance).where(EventAttendance.entry_id == row.subject_id))
    event = db.session.get(LearningEvent, attendance.event_id) if attendance is not None else None
    if event is None:
        return "the attendance is missing"
    return "the event was cancelled" if event.is_cancelled else None


def recheck_revocations(
    *,
    now: dt.datetime,
    ring: KeyRing,
    organisation_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    kinds: tuple[str, ...] | None = None,
) -> int:
    """Revoke every issued credential whose sign-off no longer verifies, whose event was cancelled or
    whose cycle is no longer met (`logbook credentials recheck`, from cron); how many were revoked."""
    query = select(IssuedCredential).where(IssuedCredential.revoked_at.is_(None))
    if organisation_id is not None:
        query = query.where(IssuedCredential.organisation_id == organisation_id)
    if owner_id is not None:
        query = query.where(IssuedCredential.owner_id == owner_id)
    if kinds is not None:
        query = query.where(IssuedCredential.subject_kind.in_(kinds))
    revoked = 0
    seen: dict[uuid.UUID, list[FoundCycle]] = {}
    for row in db.session.scalars(query).all():
        reason = _no_longer_holds(row, now, ring, seen)
        if reason is not None:
            row.revoked_at, row.revocation_reason = now, reason
            revoked += 1
    db.session.flush()
    return revoked


def encoded_list(indexes: list[int]) -> str:
    """A W3C Bitstring Status List: bit i (most significant bit of byte i // 8 first), gzipped,
    base64url without padding, multibase prefix 'u'."""
    bits = bytearray(STATUS_LIST_BITS // 8)
    for i in indexes:
        bits[i // 8] |= 0x80 >> (i % 8)
    return "u" + _b64url(gzip.compress(bytes(bits), mtime=0))


def status_list(*, organisation: Organisation, base_url: str, now: dt.datetime, ring: KeyRing) -> Issued:
    """The organisation's revocation list as a signed BitstringStatusListCredential."""
    rows = db.session.scalars(
        select(IssuedCredential).where(IssuedCredential.organisation_id == organisation.id)
    ).all()
    url = status_list_id(base_url, organisation)
    credential = {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": issuer_id(base_url, organisation), "type": ["Profile"], "name": organisation.name},
        "validFrom": _iso(now),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded_list([r.status_index for r in rows if r.revoked_at is not None]),
        },
    }
    return sign_vc_jwt(credential, organisation=organisation, ring=ring)
