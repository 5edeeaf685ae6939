"""Entry services: create, change, delete (tombstone), read and list — with visibility enforced.

Who sees what:
- the owner sees all their entries, drafts and tombstones included;
- a current supervisor of the owner sees entries shared with supervisors or the organisation
  (not drafts, not deleted), in full;
- an org admin, and a team manager of the owner's team, see organisation-visible entries as
  metadata only: never description, reflection, impact or kind details.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import itertools
import json
import typing
import uuid
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from sqlalchemy import String, Table, and_, cast, func, insert, or_, select

from logbook.accounts import links
from logbook.accounts.models import User
from logbook.changefeed import record_change, record_changes
from logbook.entries.models import (
    Entry,
    EntryEvidence,
    EntryOrigin,
    EntryRevision,
    EntryStandard,
    Evidence,
    EvidenceUpload,
)
from logbook.entries.privacy import find_identifiers
from logbook.entries.reflection import default_template, reflection_problems
from logbook.entries.schemas import (
    NOT_PARTICIPATORY_BY_DEFAULT,
    EntrySchema,
    date_hours_problems,
    validate_details,
)
from logbook.errors import Conflict, Forbidden, NotFound, ValidationFailed
from logbook.extensions import Base, db
from logbook.frameworks import service as frameworks

OWNER, SUPERVISOR, METADATA = "owner", "supervisor", "metadata"
SHARED_WITH_SUPERVISORS = ("supervisors", "organisation")
# Statuses a person other than the owner may see: a draft is unfinished thinking.
NOT_DRAFT = ("recorded", "submitted", "signed_off", "returned")
TEXT_FIELDS = ("description", "impact_on_practice", "impact_on_people")


@dataclass(frozen=True)
class EntryView:
    """An entry together with how much of it the viewer may see."""

    entry: Entry
    access: str


# --- access ----------------------------------------------------------------------------------


def access_level(*, viewer: User, entry: Entry, today: dt.date) -> str | None:
    """How much of this entry the viewer may see: owner, supervisor, metadata, or None."""
    if entry.owner_id == viewer.id:
        return OWNER
    if entry.is_deleted or entry.status == "draft" or entry.organisation_id != viewer.organisation_id:
        return None
    if (
        entry.visibility in SHARED_WITH_SUPERVISORS
        and viewer.is_supervisor
        and entry.owner_id in links.supervisee_ids(supervisor_id=viewer.id, today=today)
    ):
        return SUPERVISOR
    if entry.visibility == "organisation":
        if viewer.is_org_admin:
            return METADATA
        if viewer.is_team_manager:
            owner = db.session.get(User, entry.owner_id)
            if owner and owner.team_id in {t.id for t in viewer.managed_teams}:
                return METADATA
    return None


def get_entry(*, viewer: User, entry_id: uuid.UUID, today: dt.date) -> EntryView:
    """One entry as the viewer may see it; NotFound when it does not exist or is not theirs to see."""
    entry = db.session.get(Entry, entry_id)
    level = access_level(viewer=viewer, entry=entry, today=today) if entry else None
    if entry is None or level is None:
        raise NotFound("No such entry.")
    return EntryView(entry, level)


# Row lock for a change: FOR NO KEY UPDATE on PostgreSQL (the id never changes, so rows that only
# reference the entry are not blocked). SQLite ignores it: its one writer holds the whole database.
ROW_LOCK = {"key_share": True}


def lock_entry(entry_id: uuid.UUID) -> Entry | None:
    """The entry read afresh with its row locked until commit, for a change that moves its version
    on: two writers then take turns, the second seeing the first's version (never the same version
    twice, which would collide on the revision or silently overwrite)."""
    return db.session.get(Entry, entry_id, with_for_update=ROW_LOCK, populate_existing=True)


def _owned(actor: User, entry_id: uuid.UUID) -> Entry:
    """The actor's own entry, locked for a change (see lock_entry)."""
    entry = lock_entry(entry_id)
    if entry is None or entry.owner_id != actor.id:
        # Someone else's entry looks exactly like a missing one: nothing leaks.
        raise NotFound("No such entry.")
    return entry


# --- validation ------------------------------------------------------------------------------


def _evidence_problems(owner: User, refs: list[dict[str, Any]]) -> dict[str, list[str]]:
    """An entry may name evidence its owner uploaded, or a hash not uploaded yet (offline photo)."""
    problems: dict[str, list[str]] = {}
    hashes = [r["sha256"] for r in refs]
    if len(set(hashes)) != len(hashes):
        problems["evidence"] = ["the same file is listed twice"]
    if not hashes:
        return problems
    existing = set(db.session.scalars(select(Evidence.sha256).where(Evidence.sha256.in_(hashes))))
    mine = set(
        db.session.scalars(
            select(EvidenceUpload.sha256).where(
                EvidenceUpload.sha256.in_(hashes), EvidenceUpload.user_id == owner.id
            )
        )
    )
    for i, sha in enumerate(hashes):
        if sha in existing and sha not in mine:
            problems[f"evidence.{i}.sha256"] = ["is not one of your uploads"]
    return problems


def _validated(owner: User, data: dict[str, Any]) -> dict[str, Any]:
    """Check the whole entry as it would be saved (kind details, reflection, tags, evidence)."""
    data = dict(data)
    problems = date_hours_problems(data.get("start_date"), data.get("end_date"), data.get("hours"))
    details, detail_problems = validate_details(data["kind"], data.get("details") or {})
    problems.update(detail_problems)
    data["details"] = details
    problems.update(reflection_problems(data.get("reflection") or {}))
    problems.update(
        frameworks.tag_problems(organisation_id=owner.organisation_id, tags=data.get("standards", []))
    )
    problems.update(_evidence_problems(owner, data.get("evidence", [])))
    if problems:
        raise ValidationFailed("Some fields are not valid.", fields=problems)
    return data


def wire_content(fields: dict[str, Any]) -> dict[str, Any]:
    """Editable fields as JSON-safe data (dates ISO, hours as a 2-place decimal string)."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, dt.date):
            out[name] = value.isoformat()
        elif isinstance(value, Decimal):
            out[name] = f"{value:.2f}"
        elif name == "hours" and isinstance(value, int | float):
            out[name] = f"{Decimal(str(value)):.2f}"
        else:
            out[name] = value
    return out


def hash_identity(entry_id: uuid.UUID, owner_id: uuid.UUID) -> tuple[str, str]:
    """The entry id and owner id an entry's content hashes cover: its own, or for an entry imported
    from another logbook the ids it had there, so its imported sign-offs still verify (and later
    versions hash the same way). See logbook/exports/record.py."""
    with db.session.no_autoflush:  # called mid-change: a lookup must not flush the half-made version
        origin = db.session.get(EntryOrigin, entry_id)
    if origin is None:
        return str(entry_id), str(owner_id)
    return str(origin.hashed_entry_id), str(origin.hashed_owner_id)


def canonical_content(entry: Entry, *, own_ids: bool = False) -> bytes:
    """The bytes a sign-off hash covers: the owner, id, version and every editable field, canonically."""
    entry_id, owner_id = (
        (str(entry.id), str(entry.owner_id)) if own_ids else hash_identity(entry.id, entry.owner_id)
    )
    content = {"id": entry_id, "owner_id": owner_id, "version": entry.version}
    content |= wire_content(entry_fields(entry))
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(entry: Entry, *, own_ids: bool = False) -> str:
    """SHA-256 of the entry's canonical content (own_ids: the entry is known to have no import
    origin, so its own ids are hashed without a look-up)."""
    return hashlib.sha256(canonical_content(entry, own_ids=own_ids)).hexdigest()


def revision_content_hash(*, owner_id: uuid.UUID, revision: EntryRevision) -> str:
    """SHA-256 recomputed from a stored revision, exactly as content_hash() computed it when the
    version was made: a changed revision no longer matches its own hash or any sign-off of it."""
    entry_id, owner = hash_identity(revision.entry_id, owner_id)
    content = {"id": entry_id, "owner_id": owner, "version": revision.version}
    content |= {k: v for k, v in revision.content.items() if k != "is_deleted"}
    raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()


def _is_shared(content: dict[str, Any]) -> bool:
    """Whether an entry in this state is visible to anyone but its owner."""
    return (
        content.get("visibility") in SHARED_WITH_SUPERVISORS
        and content.get("status") != "draft"
        and not content.get("is_deleted")
    )


def _change_values(entry: Entry, before: EntryRevision | None) -> dict[str, Any]:
    """The change feed row of the entry's current version (record_change's arguments); `before`
    is the previous version's revision (None for a new entry)."""
    now_shared = _is_shared({**entry_fields(entry), "is_deleted": entry.is_deleted})
    return {
        "entity": "entry",
        "record_id": entry.id,
        "owner_id": entry.owner_id,
        "is_shared": now_shared or bool(before and _is_shared(before.content)),
    }


def _revision_values(entry: Entry, now: dt.datetime, client_id: str | None, *, new: bool) -> dict[str, Any]:
    """The revision row of the entry's current version (see _snapshot for `new`)."""
    return {
        "entry_id": entry.id,
        "version": entry.version,
        "content": wire_content(entry_fields(entry)) | {"is_deleted": entry.is_deleted},
        "content_sha256": content_hash(entry, own_ids=new),
        "client_id": client_id,
        "created_at": now,
    }


def _snapshot(entry: Entry, now: dt.datetime, client_id: str | None = None, *, new: bool = False) -> None:
    """Record the entry's current version (its revision and the change feed row). `new`: the entry
    is being created, so no import origin can exist for it yet (EntryOrigin's key is a foreign key
    to the entry): its hash covers its own ids without looking one up."""
    before = revision(entry_id=entry.id, version=entry.version - 1) if entry.version > 1 else None
    record_change(**_change_values(entry, before))
    db.session.add(EntryRevision(**_revision_values(entry, now, client_id, new=new)))


def revision(*, entry_id: uuid.UUID, version: int) -> EntryRevision | None:
    """The stored content of one version of an entry."""
    return db.session.get(EntryRevision, (entry_id, version))


def _link_keys(entry: Entry) -> tuple[list[tuple[str, int, str]], list[str]]:
    """The index rows an entry's standards and evidence make: (framework, version, code) of each
    standard once, and each evidence file's hash."""
    standards = {(t["framework"], t["version"], t["code"]): None for t in entry.standards}
    return list(standards), [e["sha256"] for e in entry.evidence]


def _sync_links(entry: Entry) -> None:
    standards, evidence = _link_keys(entry)
    entry.standard_links = [EntryStandard(framework_id=f, version=v, code=c) for f, v, c in standards]
    entry.evidence_links = [EntryEvidence(sha256=sha) for sha in evidence]


# --- changes ---------------------------------------------------------------------------------


def create_entry(
    *,
    owner: User,
    data: dict[str, Any],
    now: dt.datetime,
    client_id: str | None = None,
    id_checked: bool = False,
) -> Entry:
    """Record a new entry; the device may choose its id (an existing id is a conflict, not an overwrite).
    id_checked: the caller has just read that no entry has this id (a sync push reads a batch's ids
    in one query); should one appear meanwhile, the INSERT fails on the key instead."""
    entry_id = data.get("id") or uuid.uuid4()
    if not id_checked and db.session.get(Entry, entry_id) is not None:
        raise Conflict("An entry with this id already exists.", code="duplicate_id")
    entry = _new_entry(owner, _validated(owner, data), entry_id, now)
    _sync_links(entry)
    db.session.add(entry)
    _snapshot(entry, now, client_id, new=True)
    db.session.flush()  # the entry, its revision and its change in one flush
    return entry


@dataclass(frozen=True)
class NewEntry:
    """A new entry checked exactly as create_entry checks it, with the rows create_entry would write
    for it (the entry, its links, its revision, its change), nothing written yet: write_new_entries
    writes many at once (a sync push's batch)."""

    entry: Entry  # its values read as an Entry's attributes, never a mapped instance
    row: dict[str, Any]
    standards: list[tuple[str, int, str]]
    evidence: list[str]
    revision: dict[str, Any]
    change: dict[str, Any]


def check_new_entry(
    *, owner: User, data: dict[str, Any], now: dt.datetime, client_id: str | None = None
) -> NewEntry:
    """create_entry's checks and rows for an entry whose id the caller has just read is free (as
    create_entry's id_checked), without writing anything: a refused entry raises as create_entry
    does and leaves nothing behind."""
    row = _new_entry_values(owner, _validated(owner, data), data.get("id") or uuid.uuid4(), now)
    # Read by the same functions as a mapped Entry (attributes only), without the cost of making one
    # (a sync push checks hundreds): never added to the session.
    entry = typing.cast(Entry, SimpleNamespace(**row))
    standards, evidence = _link_keys(entry)
    return NewEntry(
        entry=entry,
        row=row,
        standards=standards,
        evidence=evidence,
        revision=_revision_values(entry, now, client_id, new=True),
        change=_change_values(entry, None),
    )


def _insert(model: type[Base], rows: list[dict[str, Any]]) -> None:
    """One INSERT of many rows into a model's table (the driver's executemany), in list order."""
    if rows:
        # __table__ is declared as a FromClause; a mapped class's is a Table.
        db.session.execute(insert(typing.cast(Table, model.__table__)), rows)


def write_new_entries(new: list[NewEntry]) -> None:
    """Write checked new entries (check_new_entry) with one INSERT of many rows per table, their
    changes in list order. One row that cannot be written (an id another transaction took since it
    was checked) fails the statement: the caller runs it in a savepoint and decides what then."""
    if not new:
        return
    _insert(Entry, [n.row for n in new])
    _insert(
        EntryStandard,
        [
            {"entry_id": n.entry.id, "framework_id": f, "version": v, "code": c}
            for n in new
            for f, v, c in n.standards
        ],
    )
    _insert(EntryEvidence, [{"entry_id": n.entry.id, "sha256": sha} for n in new for sha in n.evidence])
    _insert(EntryRevision, [n.revision for n in new])
    record_changes([n.change for n in new])


def _new_entry(owner: User, clean: dict[str, Any], entry_id: uuid.UUID, now: dt.datetime) -> Entry:
    return Entry(**_new_entry_values(owner, clean, entry_id, now))


def _new_entry_values(
    owner: User, clean: dict[str, Any], entry_id: uuid.UUID, now: dt.datetime
) -> dict[str, Any]:
    """A new entry's column values, from its checked fields."""
    kind = clean["kind"]
    return {
        "id": entry_id,
        "owner_id": owner.id,
        "organisation_id": owner.organisation_id,
        "kind": kind,
        "title": clean["title"],
        "description": clean.get("description", ""),
        "start_date": clean["start_date"],
        "end_date": clean.get("end_date"),
        "hours": clean["hours"],
        "is_participatory": clean.get("is_participatory", kind not in NOT_PARTICIPATORY_BY_DEFAULT),
        "includes_peer_reflection": clean.get("includes_peer_reflection", kind == "peer_reflection"),
        "reflection": clean.get("reflection") or {"template": default_template(kind), "answers": {}},
        "impact_on_practice": clean.get("impact_on_practice", ""),
        "impact_on_people": clean.get("impact_on_people", ""),
        "ways_of_knowing": clean.get("ways_of_knowing", []),
        "other_professions": clean.get("other_professions", []),
        "standards": clean.get("standards", []),
        "common_core": clean.get("common_core", []),
        "details": clean["details"],
        "evidence": clean.get("evidence", []),
        "visibility": clean.get("visibility", "private"),
        "status": clean.get("status", "recorded"),
        "version": 1,
        "is_deleted": False,  # set here: the revision is made before the INSERT applies defaults
        "created_at": now,
        "updated_at": now,
    }


def create_entries(*, owner: User, items: list[dict[str, Any]], now: dt.datetime) -> list[Entry]:
    """Many new entries of one owner at once (an import of past CPD): each checked exactly as
    create_entry checks it (ids are always new here), all written with a few flushes instead of
    several round trips each. The caller's transaction commits them or none."""
    built = []
    for data in items:
        entry = _new_entry(owner, _validated(owner, data), uuid.uuid4(), now)
        _sync_links(entry)
        built.append(entry)
    db.session.add_all(built)
    db.session.flush()
    for entry in built:
        _snapshot(entry, now, new=True)
    db.session.flush()
    return built


EDITABLE = (
    "kind",
    "title",
    "description",
    "start_date",
    "end_date",
    "hours",
    "is_participatory",
    "includes_peer_reflection",
    "reflection",
    "impact_on_practice",
    "impact_on_people",
    "ways_of_knowing",
    "other_professions",
    "standards",
    "common_core",
    "details",
    "evidence",
    "visibility",
    "status",
)


def entry_fields(entry: Entry) -> dict[str, Any]:
    """The editable content of an entry as plain data."""
    return {name: getattr(entry, name) for name in EDITABLE}


def update_entry(
    *,
    actor: User,
    entry_id: uuid.UUID,
    base_version: int,
    changes: dict[str, Any],
    now: dt.datetime,
    client_id: str | None = None,
) -> Entry:
    """Change an entry made against base_version; a stale version is a 409 carrying the current copy."""
    entry = _owned(actor, entry_id)
    if entry.is_deleted:
        raise Conflict("This entry was deleted.", code="deleted")
    if base_version != entry.version:
        raise Conflict(
            "This entry changed since you opened it; compare and try again.",
            code="stale_version",
            extra={"current": _current_copy(entry)},
        )
    changes = {k: v for k, v in changes.items() if k in EDITABLE}
    if "status" in changes and changes["status"] not in ("draft", "recorded"):
        raise ValidationFailed(
            "Status changes through sign-off.", fields={"status": ["use draft or recorded"]}
        )
    merged = entry_fields(entry) | changes
    if "kind" in changes and "details" not in changes and changes["kind"] != entry.kind:
        merged["details"] = {}
    clean = _validated(actor, merged)
    for name in EDITABLE:
        setattr(entry, name, clean.get(name, getattr(entry, name)))
    if entry.status in ("submitted", "signed_off", "returned") and "status" not in changes:
        # A changed entry is not the text a supervisor saw: it needs signing again.
        entry.status = "recorded"
    entry.version += 1
    entry.updated_at = now
    _sync_links(entry)
    _snapshot(entry, now, client_id)
    db.session.flush()
    return entry


def set_sign_off_status(
    *, entry: Entry, status: str, now: dt.datetime, visibility: str | None = None
) -> Entry:
    """Move an entry through sign-off (submitted, signed_off, returned) as a new version, so the
    revision history shows each step and devices pull it like any change (used by supervision).
    The row is locked here if the caller has not done so (lock_entry): if another change moved the
    version on since the caller read the entry, its checks were made on an old copy: a conflict."""
    seen = entry.version
    db.session.flush()
    db.session.refresh(entry, with_for_update=ROW_LOCK)
    if entry.version != seen:
        raise Conflict(
            "This entry changed a moment ago; read it again.",
            code="stale_version",
            extra={"version": entry.version},
        )
    entry.status = status
    if visibility is not None:
        entry.visibility = visibility
    entry.version += 1
    entry.updated_at = now
    _snapshot(entry, now)
    db.session.flush()
    return entry


def delete_entry(
    *, actor: User, entry_id: uuid.UUID, base_version: int, now: dt.datetime, client_id: str | None = None
) -> Entry:
    """Delete an entry: it becomes a tombstone that syncs like any change."""
    entry = _owned(actor, entry_id)
    if entry.is_deleted:
        return entry
    if base_version != entry.version:
        raise Conflict(
            "This entry changed since you opened it; look at the changes before deleting.",
            code="stale_version",
            extra={"current": _current_copy(entry)},
        )
    entry.is_deleted = True
    entry.version += 1
    entry.updated_at = now
    _snapshot(entry, now, client_id)
    db.session.flush()
    return entry


# --- listing ---------------------------------------------------------------------------------


def _encode_cursor(entry: Entry) -> str:
    return base64.urlsafe_b64encode(f"{entry.start_date.isoformat()}|{entry.id}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[dt.date, uuid.UUID]:
    try:
        day, ident = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return dt.date.fromisoformat(day), uuid.UUID(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as err:
        raise ValidationFailed(
            "The cursor is not valid.", fields={"cursor": ["not a cursor from this API"]}
        ) from err


def _scope_clause(viewer: User, scope: str, today: dt.date):
    if scope == "mine":
        return Entry.owner_id == viewer.id, OWNER
    shared = and_(Entry.is_deleted.is_(False), Entry.status.in_(NOT_DRAFT))
    if scope == "supervisees":
        if not viewer.is_supervisor:
            raise Forbidden("Only supervisors can list supervisees' entries.")
        ids = links.supervisee_ids(supervisor_id=viewer.id, today=today)
        return and_(
            shared, Entry.owner_id.in_(ids), Entry.visibility.in_(SHARED_WITH_SUPERVISORS)
        ), SUPERVISOR
    org_visible = and_(
        shared, Entry.organisation_id == viewer.organisation_id, Entry.visibility == "organisation"
    )
    if viewer.is_org_admin:
        return org_visible, METADATA
    if viewer.is_team_manager:
        team_ids = [t.id for t in viewer.managed_teams]
        members = select(User.id).where(User.team_id.in_(team_ids))
        return and_(org_visible, Entry.owner_id.in_(members)), METADATA
    raise Forbidden("Only org admins and team managers can list the organisation's entries.")


def list_entries(
    *, viewer: User, filters: dict[str, Any], today: dt.date
) -> tuple[list[EntryView], str | None]:
    """A page of the entries the viewer may see, newest first, filtered; returns (views, next cursor)."""
    clause, level = _scope_clause(viewer, filters.get("scope", "mine"), today)
    query = select(Entry).where(clause)
    if not (level == OWNER and filters.get("include_deleted")):
        query = query.where(Entry.is_deleted.is_(False))
    for name in ("kind", "status", "visibility"):
        if filters.get(name):
            query = query.where(getattr(Entry, name) == filters[name])
    if filters.get("owner_id"):
        query = query.where(Entry.owner_id == filters["owner_id"])
    if filters.get("date_from"):
        query = query.where(func.coalesce(Entry.end_date, Entry.start_date) >= filters["date_from"])
    if filters.get("date_to"):
        query = query.where(Entry.start_date <= filters["date_to"])
    if filters.get("standard"):
        framework_id, code = filters["standard"].split(":", 1)
        query = query.where(
            Entry.id.in_(
                select(EntryStandard.entry_id).where(
                    EntryStandard.framework_id == framework_id, EntryStandard.code == code
                )
            )
        )
    if filters.get("q"):
        needle = f"%{filters['q'].lower()}%"
        searchable = (
            [Entry.title]
            if level == METADATA
            else [
                Entry.title,
                Entry.description,
                Entry.impact_on_practice,
                Entry.impact_on_people,
                cast(Entry.reflection, String),
            ]
        )
        query = query.where(or_(*[func.lower(col).like(needle) for col in searchable]))
    if filters.get("cursor"):
        day, ident = _decode_cursor(filters["cursor"])
        query = query.where(or_(Entry.start_date < day, and_(Entry.start_date == day, Entry.id < ident)))
    limit = filters.get("limit", 50)
    rows = db.session.scalars(query.order_by(Entry.start_date.desc(), Entry.id.desc()).limit(limit + 1)).all()
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return [EntryView(e, level) for e in rows[:limit]], next_cursor


# --- identifying data ------------------------------------------------------------------------


def entry_texts(entry: Entry) -> list[tuple[str, str]]:
    """(field path, text) for every free-text part of an entry that may mention people."""
    texts = [(name, getattr(entry, name) or "") for name in TEXT_FIELDS]
    answers = (entry.reflection or {}).get("answers") or {}
    texts += [(f"reflection.answers.{k}", v) for k, v in answers.items() if isinstance(v, str)]
    for key, value in (entry.details or {}).items():
        if isinstance(value, str):
            texts.append((f"details.{key}", value))
    return texts


def identifier_warnings(entry: Entry) -> list[dict[str, Any]]:
    """Warnings for text that looks like it identifies a child, family or colleague."""
    return [
        {"field": field, "start": w.start, "end": w.end, "kind": w.kind, "reason": w.reason}
        for field, text in entry_texts(entry)
        for w in find_identifiers(text)
    ]


def check_text(*, text: str) -> list[dict[str, Any]]:
    """Warnings for a piece of text being typed (nothing is stored or logged)."""
    return [
        {"field": "text", "start": w.start, "end": w.end, "kind": w.kind, "reason": w.reason}
        for w in find_identifiers(text)
    ]


NARRATIVE = ("description", "reflection", "impact_on_practice", "impact_on_people", "details", "evidence")


def present(view: EntryView, *, with_warnings: bool = True) -> dict[str, Any]:
    """Plain data for dumping an entry view: metadata viewers never get narrative text; only the
    owner gets identifying-data warnings (they are the one who can act on them)."""
    entry = view.entry
    names = (*EDITABLE, "id", "owner_id", "version", "is_deleted", "updated_at", "created_at")
    out = {name: getattr(entry, name) for name in names}
    out["hours"] = Decimal(entry.hours)
    out["access"] = view.access
    if view.access == METADATA:
        for name in NARRATIVE:
            out.pop(name)
    out["warnings"] = identifier_warnings(entry) if view.access == OWNER and with_warnings else []
    return out


def _current_copy(entry: Entry) -> dict[str, Any]:
    return EntrySchema().dump(present(EntryView(entry, OWNER)))


# --- offline merges (used by sync) -----------------------------------------------------------


def _changed_since(entry: Entry, base_version: int, client_id: str | None) -> set[str] | None:
    """Editable fields changed after base_version by anyone but this device; None if history is missing."""
    rows = db.session.scalars(
        select(EntryRevision)
        .where(EntryRevision.entry_id == entry.id, EntryRevision.version >= base_version)
        .order_by(EntryRevision.version)
    ).all()
    if not rows or rows[0].version != base_version or len(rows) != entry.version - base_version + 1:
        return None
    changed: set[str] = set()
    for before, after in itertools.pairwise(rows):
        if client_id is None or after.client_id != client_id:
            changed |= {name for name in EDITABLE if before.content.get(name) != after.content.get(name)}
    return changed


def _merge_conflict(
    entry: Entry, code: str, message: str, clashes: list[str], yours: dict[str, Any]
) -> Conflict:
    return Conflict(
        message,
        code=code,
        extra={"current": _current_copy(entry), "conflicting_fields": clashes, "yours": yours},
    )


def merge_update(
    *,
    actor: User,
    entry_id: uuid.UUID,
    base_version: int,
    changes: dict[str, Any],
    now: dt.datetime,
    client_id: str | None = None,
) -> Entry:
    """Apply an offline change made against base_version, merging with changes made since on other
    fields. The same field changed on both sides, a deleted entry, or an entry signed off since, is a
    conflict carrying both versions: text is never silently overwritten."""
    entry = _owned(actor, entry_id)
    changes = {k: v for k, v in changes.items() if k in EDITABLE}
    yours = wire_content(changes)
    if entry.is_deleted:
        raise _merge_conflict(
            entry, "deleted", "This entry was deleted on another device.", list(changes), yours
        )
    if base_version > entry.version:
        raise ValidationFailed(
            "base_version is newer than the entry.", fields={"base_version": ["unknown version"]}
        )
    if base_version < entry.version:
        if entry.status == "signed_off":
            raise _merge_conflict(
                entry,
                "signed_off",
                "This entry was signed off after you changed it; your change would alter signed evidence. "
                "Review the signed version and edit it again if you still need to.",
                list(changes),
                yours,
            )
        changed = _changed_since(entry, base_version, client_id)
        current = wire_content(entry_fields(entry))
        clashes = sorted(
            name for name in changes if changed is None or (name in changed and yours[name] != current[name])
        )
        if clashes:
            raise _merge_conflict(
                entry, "edit_conflict", "This entry was also changed on another device.", clashes, yours
            )
    return update_entry(
        actor=actor,
        entry_id=entry_id,
        base_version=entry.version,
        changes=changes,
        now=now,
        client_id=client_id,
    )


def merge_delete(
    *, actor: User, entry_id: uuid.UUID, base_version: int, now: dt.datetime, client_id: str | None = None
) -> Entry:
    """Delete an entry from an offline device; if it changed since the device saw it, that is a conflict."""
    entry = _owned(actor, entry_id)
    if entry.is_deleted:
        return entry
    if base_version < entry.version:
        changed = _changed_since(entry, base_version, client_id)
        if changed is None or changed:
            raise _merge_conflict(
                entry,
                "edit_conflict",
                "This entry changed on another device after you deleted it here; look before deleting.",
                sorted(changed or []),
                {},
            )
    return delete_entry(
        actor=actor, entry_id=entry_id, base_version=entry.version, now=now, client_id=client_id
    )
