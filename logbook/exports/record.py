"""A practitioner's full record: exported as one ZIP (`record.json` + evidence files) and imported into
another organisation's logbook with dates, versions and sign-offs preserved (docs/record-format.md).

Content hashes (and so sign-offs) cover an entry's id and its owner's id. An imported entry gets a new
id and a new owner here, so the ids its hashes were made with travel with it (`hashed_as`, kept in
entries.models.EntryOrigin) and every hash of it is recomputed over those ids
(entries.service.hash_identity): its
imported sign-offs stay intact here exactly as at the source, but are "Imported, not verified" (never
valid, never counted) unless a trusted organisation's key verifies them (supervision/imported.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tempfile
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import or_, select

from logbook import safejson
from logbook.accounts.models import User
from logbook.audit import service as audit
from logbook.changefeed import record_change
from logbook.config import KeyRing
from logbook.entries import gaps as gap_explanations
from logbook.entries import service as entries
from logbook.entries.evidence import UnsupportedType, sniff_media_type, strip_location
from logbook.entries.models import (
    Entry,
    EntryEvidence,
    EntryOrigin,
    EntryRevision,
    EntryStandard,
    Evidence,
    EvidenceUpload,
)
from logbook.entries.schemas import EntryInSchema, GapExplanationInSchema
from logbook.errors import Conflict, ValidationFailed
from logbook.exports import registration_proposals
from logbook.exports.models import RecordImport
from logbook.extensions import db
from logbook.fields import unstorable_text
from logbook.jobs import service as jobs
from logbook.jobs.models import Job
from logbook.jobs.runner import JobRunner
from logbook.signing import trust
from logbook.storage import EvidenceStore, evidence_store
from logbook.supervision import imported as imported_sign_offs
from logbook.supervision.models import SignOff, SupervisionAction, SupervisionSession
from logbook.supervision.signcore import withdrawal_of
from logbook.supervision.signoff import sign_off_fingerprint

FORMAT = "cpd-logbook-record"
FORMAT_VERSION = 1
RECORD_NAME = "record.json"
CHUNK = 64 * 1024  # archive files are read this much at a time
SHA256 = re.compile(r"^[0-9a-f]{64}$")
SIGN_OFF_FIELDS = (
    "entry_version",
    "content_sha256",
    "decision",
    "comment",
    "signer_role",
    "signer_name",
    "external_email",
    "external_role",
    "registration_body",
    "registration_number",
)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    return value.isoformat()


# --- export ----------------------------------------------------------------------------------


def _entry_record(entry: Entry) -> dict[str, Any]:
    hashed_entry_id, hashed_owner_id = entries.hash_identity(entry.id, entry.owner_id)
    revisions = db.session.scalars(
        select(EntryRevision).where(EntryRevision.entry_id == entry.id).order_by(EntryRevision.version)
    )
    sign_offs = db.session.scalars(
        select(SignOff).where(SignOff.entry_id == entry.id).order_by(SignOff.signed_at, SignOff.entry_version)
    )
    return {
        "id": str(entry.id),
        "hashed_as": {"entry_id": hashed_entry_id, "owner_id": hashed_owner_id},
        "version": entry.version,
        "is_deleted": entry.is_deleted,
        "created_at": _iso(entry.created_at),
        "updated_at": _iso(entry.updated_at),
        "content": entries.wire_content(entries.entry_fields(entry)),
        "revisions": [
            {
                "version": r.version,
                "content": r.content,
                "content_sha256": r.content_sha256,
                "created_at": _iso(r.created_at),
            }
            for r in revisions
        ],
        "sign_offs": [
            {
                "id": str(s.id),
                **{k: getattr(s, k) for k in SIGN_OFF_FIELDS},
                "is_imported": bool(s.is_imported),
                "signed_at": _iso(s.signed_at),
                # The signed statement and its kid: another organisation that trusts this one's
                # published keys keeps the sign-off as verified (logbook/signing/trust.py). A withdrawn
                # sign-off leaves without it, so no import can count it as signed again.
                **(
                    {"statement": None, "kid": None}
                    if withdrawal_of(s) is not None
                    else trust.exported_statement(s)
                ),
            }
            for s in sign_offs
        ],
    }


def _sessions(user: User) -> list[dict[str, Any]]:
    """Supervision sessions the person was party to (here, and carried in from earlier imports)."""
    rows = db.session.scalars(
        select(SupervisionSession).where(
            or_(SupervisionSession.supervisor_id == user.id, SupervisionSession.supervisee_id == user.id)
        )
    )
    out = []
    for s in rows:
        other = db.session.get(User, s.supervisee_id if s.supervisor_id == user.id else s.supervisor_id)
        actions = db.session.scalars(
            select(SupervisionAction)
            .where(SupervisionAction.session_id == s.id)
            .order_by(SupervisionAction.created_at)
        )
        out.append(
            {
                "id": str(s.id),
                "role": "supervisor" if s.supervisor_id == user.id else "supervisee",
                "other_party": other.name if other else "",
                "starts_at": _iso(s.starts_at),
                "duration_minutes": s.duration_minutes,
                "format": s.format,
                "location": s.location,
                "agenda": s.agenda,
                "summary": s.summary,
                "is_cancelled": s.is_cancelled,
                "supervisor_confirmed_at": _iso(s.supervisor_confirmed_at),
                "supervisee_confirmed_at": _iso(s.supervisee_confirmed_at),
                "version": s.version,
                "actions": [
                    {
                        "description": a.description,
                        "owner": "me" if a.owner_id == user.id else "other_party",
                        "due_on": _iso(a.due_on),
                        "closed_at": _iso(a.closed_at),
                    }
                    for a in actions
                ],
            }
        )
    for imported in db.session.scalars(select(RecordImport).where(RecordImport.user_id == user.id)):
        out += imported.supervision_sessions
    return sorted(out, key=lambda s: (str(s.get("starts_at") or ""), str(s.get("id") or "")))


def build_record(*, user: User, now: dt.datetime, ring: KeyRing) -> dict[str, Any]:
    """Everything of the person's record as plain JSON (evidence listed; its bytes go in the ZIP)."""
    rows = db.session.scalars(select(Entry).where(Entry.owner_id == user.id))
    records = sorted(
        (_entry_record(e) for e in rows), key=lambda e: (e["created_at"], e["hashed_as"]["entry_id"])
    )
    uploads = db.session.execute(
        select(Evidence, EvidenceUpload.filename)
        .join(EvidenceUpload, EvidenceUpload.sha256 == Evidence.sha256)
        .where(EvidenceUpload.user_id == user.id)
        .order_by(Evidence.sha256)
    )
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(now),
        "source": {"organisation": user.organisation.name, "organisation_slug": user.organisation.slug},
        "signing": trust.record_signing(user.organisation.slug, ring=ring),
        "person": {
            "id": str(user.id),
            "name": user.name,
            "email": user.email,
            "registrations": sorted(
                (
                    {
                        "regulator": r.regulator,
                        "profession": r.profession,
                        "registration_number": r.registration_number,
                        "framework_id": r.framework_id,
                        "registered_since": _iso(r.registered_since),
                        "renewal_date": _iso(r.renewal_date),
                        "is_dual_registration": r.is_dual_registration,
                    }
                    for r in user.registrations
                ),
                key=lambda r: (r["regulator"], r["registration_number"] or "", r["profession"]),
            ),
        },
        "entries": records,
        "evidence": [
            {
                "sha256": ev.sha256,
                "stored_sha256": ev.stored_sha256,
                "media_type": ev.media_type,
                "size": ev.size,
                "filename": filename or "",
                "path": f"evidence/{ev.stored_sha256}",
            }
            for ev, filename in uploads
        ],
        "supervision_sessions": _sessions(user),
        # The practitioner's explanations of breaks in their CPD (private, like reflections; optional:
        # records made before they existed have none).
        "gap_explanations": [
            {"starts_on": _iso(x.starts_on), "ends_on": _iso(x.ends_on), "reason": x.reason}
            for x in gap_explanations.list_explanations(owner=user)
        ],
    }


MAX_GAP_EXPLANATIONS = 1000
_GAP_IN = GapExplanationInSchema()


def _checked_gap_explanations(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The record's gap explanations, each as the API would accept it (none in older records)."""
    items = record.get("gap_explanations") or []
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise _bad("gap_explanations is not a list of objects")
    if len(items) > MAX_GAP_EXPLANATIONS:
        raise _bad(f"more than {MAX_GAP_EXPLANATIONS} gap explanations")
    out = []
    for n, item in enumerate(items, start=1):
        try:
            out.append(_GAP_IN.load({k: item.get(k) for k in ("starts_on", "ends_on", "reason")}))
        except ValidationError as err:
            raise _bad(f"gap explanation {n} is not valid: {sorted(err.messages)}") from err
    return out


def write_archive(record: dict[str, Any], store: EvidenceStore) -> bytes:
    """The ZIP: record.json first, then each evidence file under its path."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(RECORD_NAME, json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True))
        for item in record["evidence"]:
            try:
                data = store.get(item["stored_sha256"])
            except KeyError:
                continue  # listed but missing from the store: the importer reports it as missing
            archive.writestr(item["path"], data, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def export_record(*, user: User, now: dt.datetime, store: EvidenceStore, ring: KeyRing) -> bytes:
    """The person's whole record as a ZIP (the CLI; the API runs the same as a job)."""
    return write_archive(build_record(user=user, now=now, ring=ring), store)


def start_record_export(*, user: User, now: dt.datetime, runner: JobRunner) -> Job:
    """Queue the export of the caller's own record on the app's runner."""
    params = {"now": now.isoformat()}
    return jobs.enqueue(kind="record_export", owner=user, params=params, now=now, runner=runner, total=2)


def run_record_export(*, job: Job, progress: jobs.Progress, ring: KeyRing) -> jobs.Result:
    """The job: read the record (one transaction), commit, then pack the ZIP."""
    user = db.session.get(User, job.owner_id)
    if user is None:
        raise RuntimeError("the job's owner is gone (deleting a user deletes their jobs)")
    now = dt.datetime.fromisoformat(job.params["now"])
    record = build_record(user=user, now=now, ring=ring)
    progress(1, 2)
    return jobs.Result(
        f"cpd-record-{now.date().isoformat()}.zip", "application/zip", write_archive(record, evidence_store())
    )


# --- import ----------------------------------------------------------------------------------


def _bad(reason: str) -> ValidationFailed:
    return ValidationFailed("This file is not a record this logbook can import.", fields={"file": [reason]})


@dataclass(frozen=True)
class ImportLimits:
    """What one import may cost (docs/record-format.md, "Limits"): every file is read in chunks and
    counted as it inflates, whatever its ZIP header declares."""

    max_files: int = 2000  # entries in the ZIP's directory
    max_total_bytes: int = 100 * 1024 * 1024  # decompressed, all files read together
    max_file_bytes: int = 10 * 1024 * 1024  # one evidence file (the upload limit)
    max_record_json_bytes: int = 8 * 1024 * 1024  # record.json: parsed whole, so kept smaller


class _Reader:
    """Reads an archive's files one at a time in chunks, each against its own limit and its declared
    size, and all of them against the total budget."""

    def __init__(self, archive: zipfile.ZipFile, limits: ImportLimits) -> None:
        self.archive = archive
        self.limits = limits
        self.total = 0

    def read(self, info: zipfile.ZipInfo, limit: int, what: str) -> bytes:
        if info.file_size > limit:
            raise _bad(f"{what} is larger than {limit:,} bytes")
        if info.flag_bits & 0x1:
            raise _bad(f"{what} is encrypted")
        out = bytearray()
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    out += chunk
                    self.total += len(chunk)
                    if len(out) > limit:
                        raise _bad(f"{what} is larger than {limit:,} bytes")
                    if len(out) > info.file_size:
                        raise _bad(f"{what} is larger than the size its archive entry declares")
                    if self.total > self.limits.max_total_bytes:
                        raise _bad(
                            f"the archive's files come to more than {self.limits.max_total_bytes:,} bytes "
                            "uncompressed"
                        )
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
            raise _bad(f"{what} could not be read from the archive ({type(err).__name__})") from err
        return bytes(out)


def limits_from(config: Any) -> ImportLimits:
    """The import limits as configured (RECORD_IMPORT_MAX_FILES, RECORD_IMPORT_MAX_BYTES,
    RECORD_JSON_MAX_BYTES; one evidence file: EVIDENCE_MAX_BYTES)."""
    return ImportLimits(
        max_files=int(config["RECORD_IMPORT_MAX_FILES"]),
        max_total_bytes=int(config["RECORD_IMPORT_MAX_BYTES"]),
        max_file_bytes=int(config["EVIDENCE_MAX_BYTES"]),
        max_record_json_bytes=int(config["RECORD_JSON_MAX_BYTES"]),
    )


def _load_json(raw: bytes) -> Any:
    """record.json parsed (the one place it is parsed), within the JSON budgets (docs/security.md)."""
    return safejson.loads(raw, max_depth=64, max_int_digits=100)


def read_archive(data: bytes, limits: ImportLimits | None = None) -> tuple[dict[str, Any], _Reader, str]:
    """The record.json of an archive, checked for format and version; the reader for its other files;
    the SHA-256 of record.json. The archive's directory is checked first: how many files, no path
    twice."""
    limits = limits or ImportLimits()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError) as err:
        raise _bad("is not a ZIP archive with a record.json") from err
    if len(infos) > limits.max_files:
        raise _bad(f"the archive holds {len(infos):,} files; at most {limits.max_files:,} are accepted")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})[:3]
        raise _bad(f"the archive names a path more than once ({', '.join(twice)})")
    if RECORD_NAME not in names:
        raise _bad("is not a ZIP archive with a record.json")
    reader = _Reader(archive, limits)
    raw = reader.read(archive.getinfo(RECORD_NAME), limits.max_record_json_bytes, RECORD_NAME)
    try:
        record = _load_json(raw)
    except safejson.JSONBudgetError as err:
        raise _bad(f"record.json: {err.message}") from err
    except ValueError as err:
        raise _bad("record.json is not valid JSON") from err
    unstorable = unstorable_text(record)  # NUL, lone surrogates: PostgreSQL cannot store them
    if unstorable:
        path, reason = next(iter(unstorable.items()))
        raise _bad(f"record.json: {path}: {reason}")
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise _bad(f"record.json is not a {FORMAT} file")
    if record.get("format_version") != FORMAT_VERSION:
        raise _bad(
            f"format_version {record.get('format_version')!r} is not supported "
            f"(this logbook reads {FORMAT_VERSION})"
        )
    return record, reader, hashlib.sha256(raw).hexdigest()


def _datetime(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return parsed


def _fields(content: dict[str, Any]) -> dict[str, Any]:
    """An entry's editable fields from wire content (dates and hours back to their types)."""
    out = {name: content[name] for name in entries.EDITABLE}
    out["start_date"] = dt.date.fromisoformat(out["start_date"])
    out["end_date"] = dt.date.fromisoformat(out["end_date"]) if out["end_date"] else None
    out["hours"] = Decimal(out["hours"])
    return out


def _revision_hash(hashed_as: dict[str, str], version: int, content: dict[str, Any]) -> str:
    body = {"id": hashed_as["entry_id"], "owner_id": hashed_as["owner_id"], "version": version}
    body |= {k: v for k, v in content.items() if k != "is_deleted"}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()


STATUSES = ("draft", "recorded", "submitted", "signed_off", "returned")
_SIGN_OFF_LIMITS = {
    "decision": 20,
    "signer_role": 40,
    "signer_name": 200,
    "external_email": 254,
    "external_role": 200,
    "registration_body": 20,
    "registration_number": 40,
}


def _check_content(entry_id: str, content: dict[str, Any]) -> None:
    """The shape and sizes the entries API would accept (a record's hashes prove it is consistent,
    not that it is safe: anyone can compute SHA-256)."""

    if content.get("status") not in STATUSES:
        raise _bad(f"entry {entry_id}: status {content.get('status')!r} is not known")
    try:
        EntryInSchema().load({k: v for k, v in content.items() if k not in ("status", "details")})
    except ValidationError as err:
        raise _bad(f"entry {entry_id}: {sorted(err.messages)} not valid") from err
    if not isinstance(content.get("details"), dict):
        raise _bad(f"entry {entry_id}: details is not an object")


def _check_sign_off(entry_id: str, so: dict[str, Any]) -> None:
    for key, limit in _SIGN_OFF_LIMITS.items():
        value = so.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise _bad(f"entry {entry_id}: a sign-off's {key} is not valid")
    if so.get("decision") not in ("approved", "returned") or not so.get("signer_name"):
        raise _bad(f"entry {entry_id}: a sign-off has no decision or signer")
    if not isinstance(so.get("comment") or "", str) or not isinstance(so.get("entry_version"), int):
        raise _bad(f"entry {entry_id}: a sign-off is not valid")


def _checked_entry(item: dict[str, Any], source: str, ring: KeyRing) -> dict[str, Any]:
    """One entry of the record, checked and parsed: every revision matches its hash, every sign-off
    names a revision and that revision's hash, the current content is the last revision's."""
    entry_id = str(item["id"])
    hashed_as = {
        "entry_id": str(uuid.UUID(item["hashed_as"]["entry_id"])),
        "owner_id": str(uuid.UUID(item["hashed_as"]["owner_id"])),
    }
    revisions = {}
    for rev in item["revisions"]:
        if not isinstance(rev["content"], dict):
            raise _bad(f"entry {entry_id} version {rev['version']} has no content")
        if _revision_hash(hashed_as, int(rev["version"]), rev["content"]) != rev["content_sha256"]:
            raise _bad(f"entry {entry_id} version {rev['version']} does not match its hash (altered)")
        revisions[int(rev["version"])] = rev
    version = int(item["version"])
    last = revisions.get(version)
    if last is None or {k: v for k, v in last["content"].items() if k != "is_deleted"} != item["content"]:
        raise _bad(f"entry {entry_id}: its content is not that of its version {version}")
    _check_content(entry_id, item["content"])
    for so in item["sign_offs"]:
        _check_sign_off(entry_id, so)
        signed = revisions.get(so["entry_version"])
        if signed is None or signed["content_sha256"] != so["content_sha256"]:
            raise _bad(f"entry {entry_id}: a sign-off does not match the version it names")
    return {
        "hashed_as": hashed_as,
        "fields": _fields(item["content"]),
        "version": version,
        "is_deleted": bool(item["is_deleted"]),
        "created_at": _datetime(item["created_at"]),
        "updated_at": _datetime(item["updated_at"]),
        "revisions": [
            {
                "version": int(r["version"]),
                "content": r["content"],
                "content_sha256": r["content_sha256"],
                "created_at": _datetime(r["created_at"]),
            }
            for r in item["revisions"]
        ],
        "sign_offs": [
            {
                **{k: so.get(k) for k in SIGN_OFF_FIELDS},
                "id": str(so.get("id")),
                "signed_at": _datetime(so["signed_at"]),
                "import_state": imported_sign_offs.import_state(so, source_organisation=source, ring=ring),
            }
            for so in item["sign_offs"]
        ],
    }


def _checked_evidence(record: dict[str, Any], reader: _Reader, spool: Path) -> list[dict[str, Any]]:
    """Each evidence file, read one at a time and checked as an upload is: its bytes match the record,
    its type is decided by its content (JPEG, PNG, HEIC, PDF, DOCX only), photos lose any location
    data, and a SHA-256 already stored here must name the same bytes (claiming someone else's file by
    its hash gets nothing). What will be stored is spooled to `spool` (one file in memory at a time)."""
    items = record["evidence"]
    if not isinstance(items, list):
        raise _bad("evidence is not a list")
    if len(items) > reader.limits.max_files:
        raise _bad(f"the record lists more than {reader.limits.max_files:,} evidence files")
    paths = [str(item["path"]) for item in items]
    if len(set(paths)) != len(paths):
        raise _bad("the record lists an evidence path more than once")
    out = []
    for item, path in zip(items, paths, strict=True):
        if not (SHA256.match(item["sha256"]) and SHA256.match(item["stored_sha256"])):
            raise _bad("an evidence file has no valid SHA-256")
        if path == RECORD_NAME:
            raise _bad("record.json is not an evidence file")
        try:
            info = reader.archive.getinfo(path)
        except KeyError as err:
            raise _bad(f"evidence file {path} is missing from the archive") from err
        blob = reader.read(info, reader.limits.max_file_bytes, f"evidence file {path}")
        if hashlib.sha256(blob).hexdigest() != item["stored_sha256"]:
            raise _bad(f"evidence file {path} does not match its SHA-256")
        media_type = sniff_media_type(blob)
        if media_type is None:
            raise _bad(f"evidence file {path} is not a JPEG, PNG, HEIC, PDF or DOCX file")
        try:
            kept = strip_location(media_type, blob)
        except UnsupportedType as err:
            raise _bad(f"evidence file {path} could not be read as {media_type}") from err
        del blob
        kept_sha256 = hashlib.sha256(kept).hexdigest()
        existing = db.session.get(Evidence, item["sha256"])
        if existing is not None and existing.stored_sha256 != kept_sha256:
            raise _bad(f"evidence file {path} is not the file this logbook holds under its SHA-256")
        (spool / kept_sha256).write_bytes(kept)
        out.append({**item, "stored_sha256": kept_sha256, "media_type": media_type, "size": len(kept)})
        del kept
    return out


PROPOSED_REGISTRATION = (
    "regulator",
    "profession",
    "registration_number",
    "framework_id",
    "registered_since",
    "renewal_date",
)
MAX_PROPOSALS = 20
MAX_PROPOSED_CHARS = 200


def _proposed_registration(reg: dict[str, Any]) -> dict[str, Any]:
    """A registration the record claims, as plain strings (each cut at 200 characters): only a proposal
    (registration_proposals.confirm validates it like any registration when an admin confirms it)."""
    if not isinstance(reg, dict):
        raise _bad("a registration is not an object")
    out: dict[str, Any] = {}
    for key in PROPOSED_REGISTRATION:
        value = reg.get(key)
        out[key] = value[:MAX_PROPOSED_CHARS] if isinstance(value, str) and value else None
    out["is_dual_registration"] = reg.get("is_dual_registration") is True
    return out


def _parse(
    record: dict[str, Any], reader: _Reader, record_sha256: str, spool: Path, ring: KeyRing
) -> dict[str, Any]:
    """Everything the import will write, checked, before anything is written."""
    try:
        sessions = record.get("supervision_sessions") or []
        if not isinstance(sessions, list) or not all(isinstance(s, dict) for s in sessions):
            raise _bad("supervision_sessions is not a list of objects")
        source = str(record["source"]["organisation"])[:200]
        return {
            "entries": [_checked_entry(item, source, ring) for item in record["entries"]],
            "evidence": _checked_evidence(record, reader, spool),
            "sessions": sessions,
            "gap_explanations": _checked_gap_explanations(record),
            "source": source,
            "exported_at": _datetime(record["exported_at"]),
            "registrations": [
                _proposed_registration(r)
                for r in (record["person"].get("registrations") or [])[:MAX_PROPOSALS]
            ],
            "record_sha256": record_sha256,
        }
    except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation, zipfile.BadZipFile) as err:
        raise _bad(
            f"record.json is incomplete or malformed ({type(err).__name__}: {str(err)[:120]})"
        ) from err


def _already_here(user: User, hashed_ids: list[uuid.UUID]) -> bool:
    if not hashed_ids:
        return False
    own = select(Entry.id).where(Entry.owner_id == user.id, Entry.id.in_(hashed_ids))
    imported = (
        select(EntryOrigin.entry_id)
        .join(Entry, Entry.id == EntryOrigin.entry_id)
        .where(Entry.owner_id == user.id, EntryOrigin.hashed_entry_id.in_(hashed_ids))
    )
    return bool(db.session.scalar(own.limit(1)) or db.session.scalar(imported.limit(1)))


def _write_evidence(
    user: User, items: list[dict[str, Any]], spool: Path, store: EvidenceStore, now: dt.datetime
) -> None:
    """Store each checked evidence file from the spool, one at a time, and record it."""
    for item in items:
        store.put(item["stored_sha256"], (spool / item["stored_sha256"]).read_bytes())
        if db.session.get(Evidence, item["sha256"]) is None:
            db.session.add(
                Evidence(
                    sha256=item["sha256"],
                    stored_sha256=item["stored_sha256"],
                    media_type=str(item["media_type"])[:100],
                    size=item["size"],
                    created_at=now,
                )
            )
        if db.session.get(EvidenceUpload, (item["sha256"], user.id)) is None:
            db.session.add(
                EvidenceUpload(
                    sha256=item["sha256"],
                    user_id=user.id,
                    filename=str(item.get("filename") or "")[:255],
                    created_at=now,
                )
            )


def _uncertified_status(entry: Entry, sign_offs: list[SignOff], now: dt.datetime) -> None:
    """A record file's "signed_off" (or "submitted") status proves nothing: unless an approval of the
    signed version was verified with a trusted organisation's key, the entry moves to "recorded" as a
    new version (the history keeps the status it came with). It is then counted nowhere as signed off,
    and the phone shows it as recorded."""
    if entry.is_deleted or entry.status not in ("signed_off", "submitted"):
        return
    if entry.status == "signed_off" and any(
        s.decision == "approved" and s.entry_version == entry.version - 1 and imported_sign_offs.counts(s)
        for s in sign_offs
    ):
        return
    entries.set_sign_off_status(entry=entry, status="recorded", now=now)


def _write_entry(user: User, c: dict[str, Any], imported: RecordImport, now: dt.datetime) -> list[SignOff]:
    """One imported entry, its revisions as they were, and its sign-offs (marked imported and "not
    verified" unless a trusted key verified them, each with an audit event holding its fingerprint)."""
    fields = c["fields"]
    entry = Entry(
        id=uuid.uuid4(),
        owner_id=user.id,
        organisation_id=user.organisation_id,
        version=c["version"],
        is_deleted=c["is_deleted"],
        created_at=c["created_at"],
        updated_at=c["updated_at"],
        **fields,
    )
    entry.standard_links = [
        EntryStandard(framework_id=t["framework"], version=t["version"], code=t["code"])
        for t in {(t["framework"], t["version"], t["code"]): t for t in fields["standards"]}.values()
    ]
    entry.evidence_links = [EntryEvidence(sha256=e["sha256"]) for e in fields["evidence"]]
    db.session.add(entry)
    db.session.flush()
    db.session.add(
        EntryOrigin(
            entry_id=entry.id,
            hashed_entry_id=uuid.UUID(c["hashed_as"]["entry_id"]),
            hashed_owner_id=uuid.UUID(c["hashed_as"]["owner_id"]),
            record_import_id=imported.id,
        )
    )
    for rev in c["revisions"]:
        db.session.add(EntryRevision(entry_id=entry.id, client_id=None, **rev))
    record_change(
        entity="entry",
        record_id=entry.id,
        owner_id=user.id,
        is_shared=fields["visibility"] in entries.SHARED_WITH_SUPERVISORS
        and fields["status"] != "draft"
        and not entry.is_deleted,
    )
    db.session.flush()
    written: list[SignOff] = []
    for so in c["sign_offs"]:
        sign_off = SignOff(
            id=uuid.uuid4(),
            entry_id=entry.id,
            request_id=None,
            signer_user_id=None,
            is_imported=True,
            signed_at=so["signed_at"],
            **{k: so[k] for k in SIGN_OFF_FIELDS},
            **so["import_state"],
        )
        sign_off.comment = sign_off.comment or ""
        db.session.add(sign_off)
        db.session.flush()
        audit.append_event(
            kind="sign_off.imported",
            actor=f"user:{user.id}",
            subject_type="sign_off",
            subject_id=sign_off.id,
            data={
                "entry_id": str(entry.id),
                "entry_version": sign_off.entry_version,
                "content_sha256": sign_off.content_sha256,
                "original_sign_off_id": so["id"],
                "source_organisation": imported.source_organisation,
                "record_import_id": str(imported.id),
                "sign_off_sha256": sign_off_fingerprint(sign_off),
                "import_verification": sign_off.import_verification,
            },
            now=now,
        )
        written.append(sign_off)
    _uncertified_status(entry, written, now)
    return written


def import_record(
    *,
    user: User,
    data: bytes,
    store: EvidenceStore,
    now: dt.datetime,
    ring: KeyRing,
    limits: ImportLimits | None = None,
) -> dict[str, Any]:
    """Import a record archive into the user's own logbook (flushes); returns what came in. Everything
    is checked before anything is written (evidence waits in a temporary folder, one file in memory at
    a time); a record already imported into this account is refused (409)."""
    limits = limits or ImportLimits()
    with tempfile.TemporaryDirectory(prefix="record-import-") as folder:
        spool = Path(folder)
        record, reader, record_sha256 = read_archive(data, limits)
        parsed = _parse(record, reader, record_sha256, spool, ring)
        if _already_here(user, [uuid.UUID(c["hashed_as"]["entry_id"]) for c in parsed["entries"]]):
            raise Conflict("This record (or part of it) is already in your logbook.", code="already_imported")
        _write_evidence(user, parsed["evidence"], spool, store, now)
    imported = RecordImport(
        user_id=user.id,
        organisation_id=user.organisation_id,
        source_organisation=parsed["source"],
        source_exported_at=parsed["exported_at"],
        format_version=FORMAT_VERSION,
        record_sha256=parsed["record_sha256"],
        supervision_sessions=parsed["sessions"],
        imported_at=now,
    )
    db.session.add(imported)
    db.session.flush()
    sign_offs = [s for c in parsed["entries"] for s in _write_entry(user, c, imported, now)]
    for explanation in parsed["gap_explanations"]:
        gap_explanations.create_explanation(owner=user, data=explanation, now=now)
    proposals = registration_proposals.propose(
        user=user, proposed=parsed["registrations"], record_import_id=imported.id, now=now
    )
    counts = {
        "entries": len(parsed["entries"]),
        "sign_offs": len(sign_offs),
        "sign_offs_verified": sum(1 for s in sign_offs if imported_sign_offs.counts(s)),
        "sign_offs_not_verified": sum(1 for s in sign_offs if not imported_sign_offs.counts(s)),
        "registration_proposals": len(proposals),
        "evidence_files": len(parsed["evidence"]),
        "supervision_sessions": len(parsed["sessions"]),
        "gap_explanations": len(parsed["gap_explanations"]),
    }
    audit.append_event(
        kind="record.imported",
        actor=f"user:{user.id}",
        subject_type="record_import",
        subject_id=imported.id,
        data={
            "source_organisation": parsed["source"],
            "source_exported_at": _iso(parsed["exported_at"]),
            "record_sha256": parsed["record_sha256"],
            **counts,
        },
        now=now,
    )
    db.session.flush()
    return {
        "id": imported.id,
        "source_organisation": parsed["source"],
        "source_exported_at": parsed["exported_at"],
        "imported_at": now,
        **counts,
    }
