"""A practitioner's full record: exported as one ZIP (`record.json` + evidence files) and imported into
another organisation's logbook with dates, versions and sign-offs preserved (docs/record-format.md).

Content hashes (and so sign-offs) cover an entry's id and its owner's id. An imported entry gets a new
id and a new owner here, so the ids its hashes were made with travel with it (`hashed_as`, kept in
EntryOrigin) and every hash of it is recomputed over those ids (entries.service.hash_identity): its
imported sign-offs verify here exactly as they did at the source, and are marked as imported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import uuid
import zipfile
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import or_, select

from logbook import safejson
from logbook.accounts.models import Registration, User
from logbook.audit import service as audit
from logbook.entries import service as entries
from logbook.entries.models import (
    Entry,
    EntryEvidence,
    EntryRevision,
    EntryStandard,
    Evidence,
    EvidenceUpload,
)
from logbook.entries.storage import EvidenceStore
from logbook.errors import Conflict, ValidationFailed
from logbook.exports.models import EntryOrigin, RecordImport
from logbook.extensions import db
from logbook.fields import unstorable_text
from logbook.jobs import service as jobs
from logbook.jobs.models import Job
from logbook.supervision.models import SignOff, SupervisionAction, SupervisionSession
from logbook.supervision.signoff import sign_off_fingerprint
from logbook.sync.changes import record_change

FORMAT = "cpd-logbook-record"
FORMAT_VERSION = 1
RECORD_NAME = "record.json"
MAX_RECORD_JSON = 50 * 1024 * 1024  # uncompressed: a ZIP of a few MB must not inflate to gigabytes
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


def build_record(*, user: User, now: dt.datetime) -> dict[str, Any]:
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
    }


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


def export_record(*, user: User, now: dt.datetime, store: EvidenceStore) -> bytes:
    """The person's whole record as a ZIP (the CLI; the API runs the same as a job)."""
    return write_archive(build_record(user=user, now=now), store)


def start_record_export(*, user: User, now: dt.datetime) -> Job:
    """Queue the export of the caller's own record."""
    return jobs.enqueue(kind="record_export", owner=user, params={"now": now.isoformat()}, now=now, total=2)


def run_record_export(*, job: Job, progress: jobs.Progress) -> jobs.Result:
    """The job: read the record (one transaction), commit, then pack the ZIP."""
    from logbook.entries.storage import evidence_store

    user = db.session.get(User, job.owner_id)
    now = dt.datetime.fromisoformat(job.params["now"])
    record = build_record(user=user, now=now)
    progress(1, 2)
    return jobs.Result(
        f"cpd-record-{now.date().isoformat()}.zip", "application/zip", write_archive(record, evidence_store())
    )


# --- import ----------------------------------------------------------------------------------


def _bad(reason: str) -> ValidationFailed:
    return ValidationFailed("This file is not a record this logbook can import.", fields={"file": [reason]})


def read_archive(data: bytes) -> tuple[dict[str, Any], zipfile.ZipFile]:
    """The record.json of an archive, checked for format and version."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        info = archive.getinfo(RECORD_NAME)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError) as err:
        raise _bad("is not a ZIP archive with a record.json") from err
    if info.file_size > MAX_RECORD_JSON:
        raise _bad("record.json is too large")
    try:
        record = safejson.loads(archive.read(info), max_depth=64, max_int_digits=100)  # docs/security.md
    except safejson.JSONBudgetError as err:
        raise _bad(f"record.json: {err.message}") from err
    except (ValueError, zipfile.BadZipFile) as err:
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
    return record, archive


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
    from marshmallow import ValidationError

    from logbook.entries.schemas import EntryInSchema

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


def _checked_entry(item: dict[str, Any]) -> dict[str, Any]:
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
            }
            for so in item["sign_offs"]
        ],
    }


def _checked_evidence(
    record: dict[str, Any], archive: zipfile.ZipFile, max_file_bytes: int
) -> list[tuple[dict[str, Any], bytes]]:
    """Each evidence file, checked as an upload is: its bytes match the record, its type is decided by
    its content (JPEG, PNG, HEIC, PDF, DOCX only), photos lose any location data, and a SHA-256 already
    stored here must name the same bytes (claiming someone else's file by its hash gets nothing)."""
    from logbook.entries.evidence import UnsupportedType, sniff_media_type, strip_location

    out = []
    for item in record["evidence"]:
        if not (SHA256.match(item["sha256"]) and SHA256.match(item["stored_sha256"])):
            raise _bad("an evidence file has no valid SHA-256")
        path = str(item["path"])
        try:
            if archive.getinfo(path).file_size > max_file_bytes:
                raise _bad(f"evidence file {path} is larger than {max_file_bytes:,} bytes")
            blob = archive.read(path)
        except KeyError as err:
            raise _bad(f"evidence file {path} is missing from the archive") from err
        if hashlib.sha256(blob).hexdigest() != item["stored_sha256"]:
            raise _bad(f"evidence file {path} does not match its SHA-256")
        media_type = sniff_media_type(blob)
        if media_type is None:
            raise _bad(f"evidence file {path} is not a JPEG, PNG, HEIC, PDF or DOCX file")
        try:
            kept = strip_location(media_type, blob)
        except UnsupportedType as err:
            raise _bad(f"evidence file {path} could not be read as {media_type}") from err
        kept_sha256 = hashlib.sha256(kept).hexdigest()
        existing = db.session.get(Evidence, item["sha256"])
        if existing is not None and existing.stored_sha256 != kept_sha256:
            raise _bad(f"evidence file {path} is not the file this logbook holds under its SHA-256")
        out.append(({**item, "stored_sha256": kept_sha256, "media_type": media_type}, kept))
    return out


def _registration(reg: dict[str, Any], now: dt.datetime) -> Registration:
    day = dt.date.fromisoformat
    return Registration(
        regulator=str(reg["regulator"])[:40],
        profession=str(reg["profession"])[:120],
        registration_number=(reg.get("registration_number") or None) and str(reg["registration_number"])[:40],
        framework_id=(reg.get("framework_id") or None) and str(reg["framework_id"])[:80],
        registered_since=day(reg["registered_since"]) if reg.get("registered_since") else None,
        renewal_date=day(reg["renewal_date"]) if reg.get("renewal_date") else None,
        is_dual_registration=bool(reg.get("is_dual_registration")),
        created_at=now,
    )


def _parse(
    record: dict[str, Any], archive: zipfile.ZipFile, now: dt.datetime, max_file_bytes: int
) -> dict[str, Any]:
    """Everything the import will write, checked, before anything is written."""
    try:
        sessions = record.get("supervision_sessions") or []
        if not isinstance(sessions, list) or not all(isinstance(s, dict) for s in sessions):
            raise _bad("supervision_sessions is not a list of objects")
        return {
            "entries": [_checked_entry(item) for item in record["entries"]],
            "evidence": _checked_evidence(record, archive, max_file_bytes),
            "sessions": sessions,
            "source": str(record["source"]["organisation"])[:200],
            "exported_at": _datetime(record["exported_at"]),
            "registrations": [_registration(r, now) for r in record["person"].get("registrations") or []],
            "record_sha256": hashlib.sha256(archive.read(RECORD_NAME)).hexdigest(),
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


def _write_evidence(user: User, items: list[tuple[dict[str, Any], bytes]], store: EvidenceStore, now) -> None:
    for item, blob in items:
        store.put(item["stored_sha256"], blob)
        if db.session.get(Evidence, item["sha256"]) is None:
            db.session.add(
                Evidence(
                    sha256=item["sha256"],
                    stored_sha256=item["stored_sha256"],
                    media_type=str(item["media_type"])[:100],
                    size=len(blob),
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


def _write_entry(user: User, c: dict[str, Any], imported: RecordImport, now: dt.datetime) -> int:
    """One imported entry, its revisions as they were, and its sign-offs (marked imported, each with
    an audit event holding its fingerprint); returns how many sign-offs."""
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
    for so in c["sign_offs"]:
        sign_off = SignOff(
            id=uuid.uuid4(),
            entry_id=entry.id,
            request_id=None,
            signer_user_id=None,
            is_imported=True,
            signed_at=so["signed_at"],
            **{k: so[k] for k in SIGN_OFF_FIELDS},
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
            },
            now=now,
        )
    return len(c["sign_offs"])


def import_record(
    *, user: User, data: bytes, store: EvidenceStore, now: dt.datetime, max_file_bytes: int = 10 * 1024 * 1024
) -> dict[str, Any]:
    """Import a record archive into the user's own logbook (flushes); returns what came in. Everything
    is checked before anything is written; a record already imported into this account is refused (409)."""
    record, archive = read_archive(data)
    parsed = _parse(record, archive, now, max_file_bytes)
    if _already_here(user, [uuid.UUID(c["hashed_as"]["entry_id"]) for c in parsed["entries"]]):
        raise Conflict("This record (or part of it) is already in your logbook.", code="already_imported")
    _write_evidence(user, parsed["evidence"], store, now)
    known = {(r.regulator, r.registration_number or "", r.profession) for r in user.registrations}
    for reg in parsed["registrations"]:
        key = (reg.regulator, reg.registration_number or "", reg.profession)
        if key not in known:
            known.add(key)
            user.registrations.append(reg)
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
    sign_offs = sum(_write_entry(user, c, imported, now) for c in parsed["entries"])
    counts = {
        "entries": len(parsed["entries"]),
        "sign_offs": sign_offs,
        "evidence_files": len(parsed["evidence"]),
        "supervision_sessions": len(parsed["sessions"]),
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
