"""Sync services: push (idempotent, per-mutation results, field-level merge) and pull (gap-free feed).

The contract and the design of the feed are in docs/sync.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import rfc8785
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import ValidationError
from sqlalchemy import and_, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from logbook.accounts import links
from logbook.accounts.models import User
from logbook.changefeed import Change
from logbook.config import PushSettings
from logbook.entries import service as entries
from logbook.entries.gaps import apply_gap_explanation, pull_explanations
from logbook.entries.models import Entry
from logbook.entries.schemas import EntryInSchema, EntrySchema
from logbook.errors import Conflict, DomainError, NotFound, ValidationFailed, flatten_messages
from logbook.events.sync import apply_event_check_in
from logbook.extensions import db
from logbook.supervision import sessions
from logbook.supervision.models import SupervisionSession
from logbook.supervision.sync import (
    apply_session,
    apply_session_confirm,
    apply_session_sign_off,
    apply_session_sign_off_request,
    apply_sign_off,
    apply_sign_off_request,
    pull_sessions,
    pull_sign_off_requests,
)
from logbook.sync.models import SyncClient, SyncMutation

CURSOR_SALT = "logbook.sync.cursor.v1"


# --- push ------------------------------------------------------------------------------------


def _field_errors(err: ValidationError) -> dict[str, list[str]]:
    return flatten_messages(err.messages)


# Schema instances are reused: building one costs more than loading a record with it.
_ENTRY_IN = EntryInSchema()
_ENTRY_CHANGES = EntryInSchema(partial=True)


def _apply_entry(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    op, fields = mutation["op"], mutation.get("fields") or {}
    if op == "create":
        try:
            data = _ENTRY_IN.load({**fields, "id": str(mutation["id"])})
        except ValidationError as err:
            raise ValidationFailed("Some fields are not valid.", fields=_field_errors(err)) from err
        existing = db.session.get(Entry, mutation["id"])
        if existing is not None and existing.owner_id != user.id:
            raise NotFound("No such entry.")
        if existing is not None:
            raise Conflict(
                "An entry with this id already exists.",
                code="duplicate_id",
                extra={
                    "current": EntrySchema().dump(entries.present(entries.EntryView(existing, entries.OWNER)))
                },
            )
        entry = entries.create_entry(owner=user, data=data, now=now, client_id=client_id)
    elif op == "update":
        try:
            changes = _ENTRY_CHANGES.load(fields)
        except ValidationError as err:
            raise ValidationFailed("Some fields are not valid.", fields=_field_errors(err)) from err
        entry = entries.merge_update(
            actor=user,
            entry_id=mutation["id"],
            base_version=mutation["base_version"],
            changes=changes,
            now=now,
            client_id=client_id,
        )
    else:
        entry = entries.merge_delete(
            actor=user,
            entry_id=mutation["id"],
            base_version=mutation["base_version"],
            now=now,
            client_id=client_id,
        )
    # A supervision logged on the phone becomes (or changes, or cancels) its supervision session.
    sessions.session_for_entry(actor=user, entry=entry, now=now)
    return {"status": "applied", "version": entry.version}


log = logging.getLogger("logbook")  # the app's logger (Flask names it after the package)

# Entity → applier. Other domains (sign-offs, supervision records) add theirs here.
APPLIERS: dict[str, Callable[[User, dict[str, Any], dt.datetime, str, PushSettings], dict[str, Any]]] = {
    "entry": _apply_entry,
    "sign_off": apply_sign_off,
    "event_check_in": apply_event_check_in,
    "sign_off_request": apply_sign_off_request,
    "supervision_session": apply_session,
    "supervision_session_confirm": apply_session_confirm,
    "session_sign_off_request": apply_session_sign_off_request,
    "session_sign_off": apply_session_sign_off,
    "gap_explanation": apply_gap_explanation,
}

# Entity → puller for records other than entries: (user, record ids in feed order, today) → items
# ({"entity", "id", "op": "upsert" | "remove", "version", "record"?}), each checking the user may see it.
PULLERS: dict[str, Callable[[User, list[uuid.UUID], dt.date], list[dict[str, Any]]]] = {
    "sign_off_request": pull_sign_off_requests,
    "supervision_session": pull_sessions,
    "gap_explanation": pull_explanations,
}


def _result_for(err: DomainError) -> dict[str, Any]:
    if isinstance(err, Conflict):
        return {"status": "conflict", "code": err.code, "message": err.message, **err.extra}
    # Another person's record is reported exactly like a missing one: nothing leaks.
    return {"status": "rejected", "code": err.code, "message": err.message, "errors": err.fields}


def _client(user: User, client_id: str, now: dt.datetime) -> SyncClient:
    """The device's row, made on its first push, and locked until commit: two pushes of one device
    (a retry while the first is still running, two tabs, the service worker) take turns, the second
    seeing the first's results. Two first pushes at once must not collide on the new row: it is
    inserted with ON CONFLICT DO NOTHING (both engines), then read under the lock."""
    insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.session.execute(
        insert(SyncClient)
        .values(client_id=client_id, user_id=user.id, last_mutation_id=0, created_at=now, last_seen_at=now)
        .on_conflict_do_nothing(index_elements=[SyncClient.client_id])
    )
    client = db.session.get(SyncClient, client_id, with_for_update=True, populate_existing=True)
    if client is None or client.user_id != user.id:
        raise Conflict(
            "This device id belongs to another account; the app must start a new device id after logout.",
            code="client_of_another_user",
        )
    client.last_seen_at = now
    return client


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _field(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda m: (m.get("fields") or {}).get(name) if isinstance(m.get("fields"), dict) else None


# Entity → (the table whose row the mutation changes the version of, where its id is). Locked for
# the whole batch before anything is applied, entries first, then sessions, each in id order.
_LOCKED: dict[str, tuple[Any, Callable[[dict[str, Any]], Any]]] = {
    "entry": (Entry, lambda m: m["id"]),
    "sign_off": (Entry, _field("entry_id")),
    "sign_off_request": (Entry, _field("entry_id")),
    "supervision_session": (SupervisionSession, lambda m: m["id"]),
    "supervision_session_confirm": (SupervisionSession, _field("session_id")),
    "session_sign_off_request": (SupervisionSession, _field("session_id")),
    "session_sign_off": (SupervisionSession, _field("session_id")),
}


def _lock_records(mutations: list[dict[str, Any]]) -> None:
    """Lock every existing record the batch will change, in one order (table, then id) shared by
    all pushes. Each applier locks its record again as it reads it (a no-op by then); taking them
    one by one in mutation order instead would let two batches naming the same two entries in
    opposite orders deadlock. SQLite needs none of this: its one writer holds the database."""
    wanted: dict[Any, set[uuid.UUID]] = {Entry: set(), SupervisionSession: set()}
    for mutation in mutations:
        if mutation["entity"] in _LOCKED:  # a check-in makes new rows only
            table, where = _LOCKED[mutation["entity"]]
            record_id = _uuid(where(mutation))
            if record_id is not None:
                wanted[table].add(record_id)
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table, ids in wanted.items():
        if ids:
            db.session.execute(
                select(table.id).where(table.id.in_(ids)).order_by(table.id).with_for_update(key_share=True)
            )


# Stored beside each result, never sent back: the SHA-256 of the mutation's canonical JSON
# (RFC 8785), so `2` and `2.0`, or keys in another order, are the same change. Results stored
# before canonical digests carry the old digest under the old name and are compared with it.
_DIGEST = "request_jcs_sha256"
_LEGACY_DIGEST = "request_sha256"
_HIDDEN = (_DIGEST, _LEGACY_DIGEST)


def _what(mutation: dict[str, Any]) -> dict[str, Any]:
    return {k: mutation.get(k) for k in ("entity", "id", "op", "base_version", "fields")}


def mutation_digest(mutation: dict[str, Any]) -> str:
    """SHA-256 of what a mutation asks for, to tell a true replay from a reused mutation id."""
    what = _what(mutation) | {"id": str(mutation.get("id"))}
    try:
        body = rfc8785.dumps(what)
    except rfc8785.CanonicalizationError:
        # Outside I-JSON (NaN, an integer beyond 2^53 - 1): no canonical form. Such a value never
        # passes an entity's schema; a stable digest of Python's reading keeps replays answerable.
        body = b"python:" + json.dumps(what, sort_keys=True, default=str).encode()
    return hashlib.sha256(body).hexdigest()


def _legacy_digest(mutation: dict[str, Any]) -> str:
    """The digest stored before canonical JSON (Python's dump of the parsed values)."""
    return hashlib.sha256(json.dumps(_what(mutation), sort_keys=True, default=str).encode()).hexdigest()


def _same_change(mutation: dict[str, Any], prior: dict[str, Any], digest: str) -> bool:
    if _DIGEST in prior:
        return prior[_DIGEST] == digest
    if _LEGACY_DIGEST in prior:
        return prior[_LEGACY_DIGEST] == _legacy_digest(mutation)
    return True  # stored before digests existed


def _replayed(mutation: dict[str, Any], prior: dict[str, Any], digest: str) -> dict[str, Any]:
    """The answer to a mutation id seen before: the first result again if it is the same change.
    A different change under a used id would otherwise be acknowledged and lost without a trace."""
    mid = mutation["mutation_id"]
    if not _same_change(mutation, prior, digest):
        return {
            "mutation_id": mid,
            "id": str(mutation["id"]),
            "entity": mutation["entity"],
            "status": "rejected",
            "code": "mutation_id_reused",
            "message": "This change number was already used for a different change; nothing was applied. "
            "The app must send every new change under a new number.",
            "errors": {"mutation_id": ["already used for a different change"]},
        }
    first = {k: v for k, v in prior.items() if k not in _HIDDEN}
    return {**first, "mutation_id": mid, "status": "duplicate", "first_status": first["status"]}


def _out_of_order(last: int) -> dict[str, Any]:
    return {
        "status": "rejected",
        "code": "out_of_order",
        "message": "This change is older than a change this device sent before, and the server never "
        "received it; applying it now could undo the newer one. Nothing was applied.",
        "errors": {"mutation_id": [f"is not after {last}, the last change received from this device"]},
    }


# Errors of one mutation that a second try may not meet: a row another transaction inserted or
# changed meanwhile (unique key), a deadlock or serialization failure (PostgreSQL SQLSTATE).
_RETRY_STATES = {"40001", "40P01", "55P03"}
_TRIES = 3


def _retryable(err: Exception) -> bool:
    if isinstance(err, IntegrityError | StaleDataError):
        return True
    return isinstance(err, OperationalError) and getattr(err.orig, "sqlstate", None) in _RETRY_STATES


def _apply(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    """One mutation inside its own SAVEPOINT: a domain refusal, or a clash with a transaction that
    committed meanwhile, rolls back only this mutation. A clash is tried again (reading what the
    other transaction wrote, e.g. the entry another device just created: then a `duplicate_id`
    conflict); one that persists is reported, never allowed to fail the batch."""
    reason = ""
    for _ in range(_TRIES):
        try:
            with db.session.begin_nested():
                return APPLIERS[mutation["entity"]](user, mutation, now, client_id, settings)
        except DomainError as err:
            if err.status >= 500:
                raise  # the server cannot apply it now (e.g. no signing key): the device retries later
            return _result_for(err)
        except (IntegrityError, OperationalError, StaleDataError) as err:
            if not _retryable(err):
                raise
            reason = type(getattr(err, "orig", err)).__name__
    log.warning("sync mutation clashed %d times (%s)", _TRIES, reason)
    return {
        "status": "rejected",
        "code": "concurrent_change",
        "message": "This record was being changed by another request at the same moment; nothing was "
        "applied. Make the change again.",
        "errors": {"id": ["changed by another request at the same moment"]},
    }


def push(
    *,
    user: User,
    client_id: str,
    mutations: list[dict[str, Any]],
    now: dt.datetime,
    settings: PushSettings,
) -> dict[str, Any]:
    """Apply a batch of mutations, each once, each in its own savepoint; one result per mutation
    (settings: what the appliers need from the configuration, `PushSettings.from_config`)."""
    client = _client(user, client_id, now)
    ordered = sorted(mutations, key=lambda m: m["mutation_id"])
    # Every earlier result for this batch in one query: a replayed batch costs one SELECT.
    priors = {
        row.mutation_id: row.result
        for row in db.session.scalars(
            select(SyncMutation).where(
                SyncMutation.client_id == client_id,
                SyncMutation.mutation_id.in_([m["mutation_id"] for m in ordered]),
            )
        )
    }
    _lock_records([m for m in ordered if m["mutation_id"] not in priors])
    results, stored = [], []
    for mutation in ordered:
        mid = mutation["mutation_id"]
        digest = mutation_digest(mutation)
        prior = priors.get(mid)
        if prior is not None:
            results.append(_replayed(mutation, prior, digest))
            continue
        if mid <= client.last_mutation_id:
            # A device numbers its changes in the order it makes them and sends the oldest unsent
            # first, so an unseen id below its last one is a change that arrived after a newer one.
            result = _out_of_order(client.last_mutation_id)
        else:
            result = _apply(user, mutation, now, client_id, settings)
        result = {"mutation_id": mid, "id": str(mutation["id"]), "entity": mutation["entity"], **result}
        # Stored in the same transaction as the effects (one batched INSERT at the end): either both
        # commit or neither does, so a retry after a lost response is answered "duplicate".
        stored.append(
            SyncMutation(
                client_id=client_id,
                mutation_id=mid,
                result={**result, _DIGEST: digest},
                created_at=now,
            )
        )
        client.last_mutation_id = max(client.last_mutation_id, mid)
        results.append(result)
    db.session.add_all(stored)
    db.session.flush()
    return {"results": results, "last_mutation_id": client.last_mutation_id}


# --- pull ------------------------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=CURSOR_SALT)


def _scope(user: User, today: dt.date) -> tuple[set[uuid.UUID], str]:
    """Whose records this user's devices pull, and a fingerprint that changes when that set changes."""
    owners = {user.id} | links.supervisee_ids(supervisor_id=user.id, today=today)
    fingerprint = hashlib.sha256(",".join(sorted(str(o) for o in owners)).encode()).hexdigest()[:16]
    return owners, fingerprint


def _horizon() -> int | None:
    """On PostgreSQL, the oldest transaction still running: every change with a smaller txid is final."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return int(
        db.session.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one()
    )


def _decode(
    cursor: str | None, *, user: User, fingerprint: str, epoch: int, secret: str
) -> tuple[int, int] | None:
    """(txid, seq) after which to read, or None when the client must start again (reset)."""
    if not cursor:
        return (-1, 0)
    try:
        data = _serializer(secret).loads(cursor)
    except BadSignature:
        return None
    if data.get("u") != str(user.id) or data.get("h") != fingerprint or data.get("e") != epoch:
        return None
    return int(data["t"]), int(data["s"])


def _encode(position: tuple[int, int], *, user: User, fingerprint: str, epoch: int, secret: str) -> str:
    return _serializer(secret).dumps(
        {"u": str(user.id), "t": position[0], "s": position[1], "h": fingerprint, "e": epoch}
    )


def _only(item: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: item[name] for name in names if name in item}


def _entry_record(row: Any, access: str) -> dict[str, Any]:
    """An entry row as EntrySchema dumps it (owner or supervisor view), built straight from the
    row: the pull serves thousands of records, and ORM objects plus marshmallow cost several times
    the query. tests/sync/test_push_pull.py checks this equals the entries API's own output."""
    return {
        "id": str(row.id),
        "owner_id": str(row.owner_id),
        "kind": row.kind,
        "title": row.title,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat() if row.end_date else None,
        "hours": float(row.hours),
        "is_participatory": row.is_participatory,
        "includes_peer_reflection": row.includes_peer_reflection,
        "ways_of_knowing": row.ways_of_knowing,
        "other_professions": row.other_professions,
        "standards": [_only(t, ("framework", "version", "code")) for t in row.standards],
        "common_core": row.common_core,
        "visibility": row.visibility,
        "status": row.status,
        "version": row.version,
        "is_deleted": row.is_deleted,
        "updated_at": row.updated_at.isoformat(),
        "description": row.description,
        "reflection": row.reflection,
        "impact_on_practice": row.impact_on_practice,
        "impact_on_people": row.impact_on_people,
        "details": row.details,
        "evidence": [_only(e, ("sha256", "name", "caption")) for e in row.evidence],
        "created_at": row.created_at.isoformat(),
        "access": access,
        "warnings": [],  # computed while typing and on save, never for a pull
    }


def _pull_access(user: User, entry: Any, supervisees: set[uuid.UUID]) -> str | None:
    """entries.access_level() for the records a device pulls (its user's own and their current
    supervisees'), without a query per record: the supervisee set was read once for the page."""
    if entry.owner_id == user.id:
        return entries.OWNER
    if (
        entry.owner_id in supervisees
        and user.is_supervisor
        and entry.organisation_id == user.organisation_id
        and not entry.is_deleted
        and entry.status != "draft"
        and entry.visibility in entries.SHARED_WITH_SUPERVISORS
    ):
        return entries.SUPERVISOR
    return None


def pull(
    *, user: User, cursor: str | None, limit: int, today: dt.date, epoch: int, secret: str
) -> dict[str, Any]:
    """Changes after the cursor that this user may see, oldest first, at most `limit` changes."""
    owners, fingerprint = _scope(user, today)
    position = _decode(cursor, user=user, fingerprint=fingerprint, epoch=epoch, secret=secret)
    if position is None:
        return {"reset": True, "items": [], "next_cursor": None, "has_more": True}
    txid, seq = position
    others = owners - {user.id}
    query = select(Change.txid, Change.seq, Change.entity, Change.record_id).where(
        or_(Change.owner_id == user.id, and_(Change.owner_id.in_(others), Change.is_shared.is_(True))),
        or_(Change.txid > txid, and_(Change.txid == txid, Change.seq > seq)),
    )
    horizon = _horizon()
    if horizon is not None:
        query = query.where(Change.txid < horizon)
    rows = db.session.execute(query.order_by(Change.txid, Change.seq).limit(limit + 1)).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        position = (rows[-1].txid, rows[-1].seq)
    record_ids = list(dict.fromkeys(r.record_id for r in rows if r.entity == "entry"))
    table = Entry.__table__
    found = (
        {row.id: row for row in db.session.execute(select(table).where(table.c.id.in_(record_ids)))}
        if record_ids
        else {}
    )
    items = []
    for record_id in record_ids:
        row = found[record_id]
        level = _pull_access(user, row, others)
        if level is None:
            # Visible before (e.g. shared), not now: the device must drop its copy.
            items.append({"entity": "entry", "id": str(record_id), "op": "remove", "version": row.version})
        else:
            items.append(
                {
                    "entity": "entry",
                    "id": str(record_id),
                    "op": "upsert",
                    "version": row.version,
                    "record": _entry_record(row, level),
                }
            )
    others_by_entity: dict[str, dict[uuid.UUID, None]] = {}
    for r in rows:
        if r.entity in PULLERS:
            others_by_entity.setdefault(r.entity, {})[r.record_id] = None
    for entity, ids in others_by_entity.items():
        items.extend(PULLERS[entity](user, list(ids), today))
    return {
        "reset": False,
        "items": items,
        "next_cursor": _encode(position, user=user, fingerprint=fingerprint, epoch=epoch, secret=secret),
        "has_more": has_more,
    }
