"""Sync services: push (idempotent, per-mutation results, field-level merge) and pull (gap-free feed).

The contract and the design of the feed are in docs/sync.md.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import typing
import uuid
from collections.abc import Callable
from typing import Any

import rfc8785
from itsdangerous import BadSignature, URLSafeSerializer
from marshmallow import ValidationError
from sqlalchemy import (
    Float,
    String,
    Table,
    Text,
    Uuid,
    and_,
    cast,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
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


# Set by push on an entry create whose id the batch's one look-up found free (first try only).
NEW_ID = "logbook.new_id"

# Schema instances are reused: building one costs more than loading a record with it.
_ENTRY_IN = EntryInSchema()
_ENTRY_CHANGES = EntryInSchema(partial=True)


def _new_entry_data(mutation: dict[str, Any]) -> dict[str, Any]:
    """An entry create's fields loaded (ValidationFailed when they are not valid)."""
    try:
        return _ENTRY_IN.load({**(mutation.get("fields") or {}), "id": str(mutation["id"])})
    except ValidationError as err:
        raise ValidationFailed("Some fields are not valid.", fields=_field_errors(err)) from err


def _check_new_entry(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str
) -> entries.NewEntry | dict[str, Any] | None:
    """An entry create whose id the batch's look-up found free (NEW_ID), checked exactly as
    _apply_entry checks it, with nothing written: the rows to write with the batch's other checked
    creates (_write_checked), or the refusal (nothing was written, so nothing needs rolling back),
    or None when it must be applied on its own (_apply): an entry that may make a supervision
    session, which is made from the written entry and may still refuse it."""
    try:
        checked = entries.check_new_entry(
            owner=user, data=_new_entry_data(mutation), now=now, client_id=client_id
        )
    except DomainError as err:
        if err.status >= 500:
            raise
        return _result_for(err)
    if sessions.is_session_entry(actor=user, entry=checked.entry):
        return None
    return checked


def _apply_entry(
    user: User, mutation: dict[str, Any], now: dt.datetime, client_id: str, settings: PushSettings
) -> dict[str, Any]:
    op, fields = mutation["op"], mutation.get("fields") or {}
    if op == "create":
        data = _new_entry_data(mutation)
        # NEW_ID: the push read in one query for the whole batch that no entry has this id.
        existing = None if mutation.get(NEW_ID) else db.session.get(Entry, mutation["id"])
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
        entry = entries.create_entry(
            owner=user, data=data, now=now, client_id=client_id, id_checked=bool(mutation.get(NEW_ID))
        )
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


def _lock_records(mutations: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Lock every existing record the batch will change, in one order (table, then id) shared by
    all pushes. Each applier locks its record again as it reads it (a no-op by then); taking them
    one by one in mutation order instead would let two batches naming the same two entries in
    opposite orders deadlock. SQLite needs no lock: its one writer holds the database.

    Answers which of the entries the batch names exist (one query on both engines), so that an
    entry create need not look its new id up again: a row with that id made by another transaction
    meanwhile fails the INSERT, and the mutation's retry reads it (`_apply`)."""
    wanted: dict[Any, set[uuid.UUID]] = {Entry: set(), SupervisionSession: set()}
    for mutation in mutations:
        if mutation["entity"] in _LOCKED:  # a check-in makes new rows only
            table, where = _LOCKED[mutation["entity"]]
            record_id = _uuid(where(mutation))
            if record_id is not None:
                wanted[table].add(record_id)
    locking = db.session.get_bind().dialect.name == "postgresql"
    existing: set[uuid.UUID] = set()
    for table, ids in wanted.items():
        if not ids or (table is not Entry and not locking):
            continue
        query = select(table.id).where(table.id.in_(ids)).order_by(table.id)
        found = db.session.scalars(query.with_for_update(key_share=True) if locking else query)
        if table is Entry:
            existing = set(found)
        else:
            found.all()
    return existing


# Stored beside each result, never sent back: the SHA-256 of the mutation's canonical JSON
# (RFC 8785), so `2` and `2.0`, or keys in another order, are the same change. Results stored
# before canonical digests carry the old digest under the old name and are compared with it.
_DIGEST = "request_jcs_sha256"
# __table__ is declared as a FromClause; a mapped class's is a Table.
_STORED = typing.cast(Table, SyncMutation.__table__)
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
    for attempt in range(_TRIES):
        try:
            with db.session.begin_nested():
                # A retry reads everything again: what made the first try clash may be the new id.
                given = mutation if attempt == 0 else {k: v for k, v in mutation.items() if k != NEW_ID}
                return APPLIERS[mutation["entity"]](user, given, now, client_id, settings)
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
    existing = _lock_records([m for m in ordered if m["mutation_id"] not in priors])
    results: list[dict[str, Any]] = []  # each mutation's answer, in mutation id order
    stored: list[tuple[int, str]] = []  # (index in results, digest) of the answers to store
    pending: list[tuple[int, dict[str, Any], entries.NewEntry]] = []  # checked creates not written yet
    created: set[uuid.UUID | None] = set()  # the ids of the entry creates seen in this batch
    # The device's highest id, written once at the end (not an UPDATE flushed in every savepoint).
    last = client.last_mutation_id
    for mutation in ordered:
        mid = mutation["mutation_id"]
        digest = mutation_digest(mutation)
        prior = priors.get(mid)
        if prior is not None:
            results.append(_replayed(mutation, prior, digest))
            continue
        result: dict[str, Any] | None = None
        if mid <= last:
            # A device numbers its changes in the order it makes them and sends the oldest unsent
            # first, so an unseen id below its last one is a change that arrived after a newer one.
            result = _out_of_order(last)
        else:
            create = mutation["entity"] == "entry" and mutation["op"] == "create"
            record_id = _uuid(mutation["id"]) if create else None
            # Free at the look-up, and not created earlier in this batch (then it is read again).
            new_id = create and record_id not in existing and record_id not in created
            if new_id:
                # Checked before anything is written, written later with the batch's others.
                checked = _check_new_entry(user, mutation, now, client_id)
                if isinstance(checked, entries.NewEntry):
                    pending.append((len(results), {**mutation, NEW_ID: True}, checked))
                    result = {"status": "applied", "version": checked.entry.version}
                else:
                    result = checked
            if result is None:
                # Whatever this mutation reads (an entry created earlier in the batch, its revision)
                # is written before it is applied, and its change follows theirs in the feed.
                _write_checked(pending, results, user=user, now=now, client_id=client_id, settings=settings)
                result = _apply(
                    user, {**mutation, NEW_ID: True} if new_id else mutation, now, client_id, settings
                )
            if create:
                created.add(record_id)
        # Stored in the same transaction as the effects (one batched INSERT at the end): either both
        # commit or neither does, so a retry after a lost response is answered "duplicate".
        stored.append((len(results), digest))
        results.append(_answer(mutation, result))
        last = max(last, mid)
    _write_checked(pending, results, user=user, now=now, client_id=client_id, settings=settings)
    client.last_mutation_id = last
    if stored:
        # One INSERT of many rows, straight from the answers (no mapped instances).
        db.session.execute(
            insert(_STORED),
            [
                {
                    "client_id": client_id,
                    "mutation_id": results[index]["mutation_id"],
                    "result": {**results[index], _DIGEST: digest},
                    "created_at": now,
                }
                for index, digest in stored
            ],
        )
    db.session.flush()
    return {"results": results, "last_mutation_id": client.last_mutation_id}


def _answer(mutation: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    return {
        "mutation_id": mutation["mutation_id"],
        "id": str(mutation["id"]),
        "entity": mutation["entity"],
        **result,
    }


def _write_checked(
    pending: list[tuple[int, dict[str, Any], entries.NewEntry]],
    results: list[dict[str, Any]],
    *,
    user: User,
    now: dt.datetime,
    client_id: str,
    settings: PushSettings,
) -> None:
    """Write the checked creates (in mutation order, so the feed orders their changes as it would
    have had each been written on its own) with one INSERT per table, in a savepoint. Should that
    fail (an id another transaction took since the batch's look-up, a deadlock), it is rolled back
    and each of them is applied on its own as any other mutation is (_apply: a clash tried again,
    then reported), so each gets the answer it would have had; an error no mutation's savepoint
    answers fails the batch, as it would have."""
    if not pending:
        return
    try:
        with db.session.begin_nested():
            entries.write_new_entries([checked for _, _, checked in pending])
    except DBAPIError:
        for index, mutation, _ in pending:
            results[index] = _answer(mutation, _apply(user, mutation, now, client_id, settings))
    pending.clear()


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


# --- the pull's wire form, written here -------------------------------------------------------
#
# A pull serves thousands of records. The JSON columns are stored as JSON text in the record's own
# shape, so they are spliced into the answer as read, never decoded and encoded again; the other
# columns are read as plain values (no UUID objects, no ORM) and written into a template holding
# EntrySchema's keys. tests/sync/test_pull_shape.py holds every pulled record equal to what the
# record's own API answers.

_str = json.encoder.encode_basestring_ascii  # the C encoder json.dumps uses for a str
_TRUE_FALSE = ("false", "true")
# JSON columns whose stored form is the wire form, spliced as stored.
_AS_STORED = ("ways_of_knowing", "other_professions", "common_core", "reflection", "details")
# JSON columns whose items the wire form cuts to some keys (spliced when nothing needs cutting).
_CUT = {"standards": ("framework", "version", "code"), "evidence": ("sha256", "name", "caption")}
_ENTRY_JSON = (
    '{"id":"%s","owner_id":"%s","kind":%s,"title":%s,"start_date":"%s","end_date":%s,"hours":%s,'
    '"is_participatory":%s,"includes_peer_reflection":%s,"ways_of_knowing":%s,"other_professions":%s,'
    '"standards":%s,"common_core":%s,"visibility":%s,"status":%s,"version":%d,"is_deleted":%s,'
    '"updated_at":"%s","description":%s,"reflection":%s,"impact_on_practice":%s,"impact_on_people":%s,'
    '"details":%s,"evidence":%s,"created_at":"%s","access":"%s","warnings":[]}'
)


def _cut(stored: str, names: tuple[str, ...]) -> str:
    """A list of objects in wire form: as stored when its items hold only `names` (always so for
    what the entries service writes), else cut to them."""
    if stored == "[]":
        return stored
    items = json.loads(stored)
    if all(isinstance(i, dict) and i.keys() <= set(names) for i in items):
        return stored
    return json.dumps([_only(i, names) for i in items])


class _Dialect:
    """How one engine hands back what the template needs, each as cheaply as it can: ids, dates and
    timestamps as text where the engine stores them as text (SQLite), JSON columns as their text."""

    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"

    def raw(self, column: Any) -> Any:
        # SQLite stores uuids, dates and timestamps as text: read them as stored. PostgreSQL: uuids
        # and JSON as text (cast), dates and timestamps as the driver's objects (parsed in C).
        if self.sqlite:
            return type_coerce(column, String)
        return cast(column, Text)

    def joinable(self, raw: Any) -> Any:
        """A raw uuid column back in the engine's uuid type, to join on (PostgreSQL: cast back)."""
        return raw if self.sqlite else cast(raw, Uuid)

    def key(self, value: uuid.UUID) -> str:
        """A uuid as this engine's raw text of it."""
        return value.hex if self.sqlite else str(value)

    def uuid_text(self, raw: str) -> str:
        if self.sqlite:  # 32 hex digits
            return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
        return raw

    def date_text(self, value: Any) -> str:
        return value if self.sqlite else value.isoformat()

    def timestamp_text(self, value: Any) -> str:
        """UTCDateTime's value as datetime.isoformat() writes it (the entries API's form)."""
        if not self.sqlite:
            return value.astimezone(dt.UTC).isoformat()
        # SQLAlchemy stores 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) on SQLite; isoformat drops zero µs.
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            micro = value[19:] if value[20:] != "000000" else ""
            return f"{value[:10]}T{value[11:19]}{micro}+00:00"
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC).isoformat()


def _entry_columns(d: _Dialect) -> list[Any]:
    t = Entry.__table__.c
    return [
        d.raw(t.id).label("id"),
        d.raw(t.owner_id).label("owner_id"),
        d.raw(t.organisation_id).label("organisation_id"),
        t.kind,
        t.title,
        type_coerce(t.start_date, String).label("start_date") if d.sqlite else t.start_date,
        type_coerce(t.end_date, String).label("end_date") if d.sqlite else t.end_date,
        cast(t.hours, Float).label("hours"),
        t.is_participatory,
        t.includes_peer_reflection,
        *(d.raw(t[name]).label(name) for name in (*_AS_STORED, *_CUT)),
        t.visibility,
        t.status,
        t.version,
        t.is_deleted,
        type_coerce(t.updated_at, String).label("updated_at") if d.sqlite else t.updated_at,
        type_coerce(t.created_at, String).label("created_at") if d.sqlite else t.created_at,
        t.description,
        t.impact_on_practice,
        t.impact_on_people,
    ]


def _entry_json(row: Any, access: str, d: _Dialect) -> str:
    """An entry row as EntrySchema dumps it (owner or supervisor view), as JSON text."""
    return _ENTRY_JSON % (
        d.uuid_text(row.id),
        d.uuid_text(row.owner_id),
        _str(row.kind),
        _str(row.title),
        d.date_text(row.start_date),
        f'"{d.date_text(row.end_date)}"' if row.end_date is not None else "null",
        repr(float(row.hours)),
        _TRUE_FALSE[bool(row.is_participatory)],
        _TRUE_FALSE[bool(row.includes_peer_reflection)],
        row.ways_of_knowing,
        row.other_professions,
        _cut(row.standards, _CUT["standards"]),
        row.common_core,
        _str(row.visibility),
        _str(row.status),
        row.version,
        _TRUE_FALSE[bool(row.is_deleted)],
        d.timestamp_text(row.updated_at),
        _str(row.description),
        row.reflection,
        _str(row.impact_on_practice),
        _str(row.impact_on_people),
        row.details,
        _cut(row.evidence, _CUT["evidence"]),
        d.timestamp_text(row.created_at),
        access,
    )


def _access(
    *,
    me: Any,
    my_organisation: Any,
    is_supervisor: bool,
    owner: Any,
    organisation: Any,
    is_deleted: bool,
    status: str,
    visibility: str,
    supervisees: set[Any],
) -> str | None:
    """entries.access_level() for the records a device pulls (its user's own and their current
    supervisees'), without a query per record: the supervisee set was read once for the page. Ids
    in any one form (uuids, or the engine's text of them)."""
    if owner == me:
        return entries.OWNER
    if (
        owner in supervisees
        and is_supervisor
        and organisation == my_organisation
        and not is_deleted
        and status != "draft"
        and visibility in entries.SHARED_WITH_SUPERVISORS
    ):
        return entries.SUPERVISOR
    return None


def _pull_access(user: User, entry: Any, supervisees: set[uuid.UUID]) -> str | None:
    return _access(
        me=user.id,
        my_organisation=user.organisation_id,
        is_supervisor=user.is_supervisor,
        owner=entry.owner_id,
        organisation=entry.organisation_id,
        is_deleted=entry.is_deleted,
        status=entry.status,
        visibility=entry.visibility,
        supervisees=supervisees,
    )


def _feed_page(
    d: _Dialect, *, me: uuid.UUID, others: set[uuid.UUID], after: tuple[int, int], limit: int
) -> Any:
    """The next `limit` changes of the feed this user pulls, as a subquery in (txid, seq) order.

    One branch per owner, each a range of ix_sync_change_owner_txid_seq read in order and cut at
    `limit` (the own feed; each supervisee's shared changes), merged and cut again: a page reads at
    most `limit` rows per owner, however long the feed (EXPLAIN QUERY PLAN on SQLite: each branch a
    SEARCH of the index on (owner_id=? AND txid=? AND seq>?) or (owner_id=? AND txid>?), sorted
    only where the branches' few rows merge). On PostgreSQL only changes of transactions older
    than every running one are served (docs/sync.md)."""
    c = Change.__table__.c
    horizon = _horizon()
    txid, seq = after
    branches = []
    for owner in [me, *sorted(others)]:
        # (txid, seq) > (t, s) as two ranges of the index: SQLite bounds a row-value comparison by
        # its first column only, and read every row of the owner's feed after txid t (all of it,
        # txid being 0 there) on every page.
        for later in (and_(c.txid == txid, c.seq > seq), c.txid > txid):
            query = select(c.txid, c.seq, c.entity, d.raw(c.record_id).label("record_id")).where(
                c.owner_id == owner, later
            )
            if owner != me:
                query = query.where(c.is_shared.is_(True))
            if horizon is not None:
                query = query.where(c.txid < horizon)
            branches.append(select(query.order_by(c.txid, c.seq).limit(limit).subquery()))
    merged = union_all(*branches).subquery()
    return select(merged).order_by(merged.c.txid, merged.c.seq).limit(limit).subquery("page")


def _withheld(*, me: uuid.UUID, others: set[uuid.UUID], after: tuple[int, int]) -> bool:
    """PostgreSQL: whether this user's feed has changes after `after` that the horizon held back (their
    transaction, or an older one anywhere on the cluster, was still running when the page was read).
    The device pulls again shortly instead of waiting for its next sync: without it a phone said
    "All synced" without the change another device had just committed."""
    horizon = _horizon()
    if horizon is None:
        return False
    c = Change.__table__.c
    txid, seq = after
    # Every change after `after` below the page's horizon was served (the page was not full): any
    # change after it still in the feed is one the horizon held back.
    later = or_(and_(c.txid == txid, c.seq > seq), c.txid > txid)
    scope = c.owner_id == me
    if others:
        scope = or_(scope, and_(c.owner_id.in_(others), c.is_shared.is_(True)))
    held = select(literal(1)).where(later, scope).limit(1)
    return db.session.execute(held).first() is not None


def pull(*, user: User, cursor: str | None, limit: int, today: dt.date, epoch: int, secret: str) -> str:
    """Changes after the cursor that this user may see, oldest first, at most `limit` changes: the
    PullResult as JSON text (records written straight from the rows, see _entry_json)."""
    owners, fingerprint = _scope(user, today)
    position = _decode(cursor, user=user, fingerprint=fingerprint, epoch=epoch, secret=secret)
    if position is None:
        return json.dumps({"reset": True, "items": [], "next_cursor": None, "has_more": True})
    d = _Dialect(db.session.get_bind().dialect.name)
    others = owners - {user.id}
    page = _feed_page(d, me=user.id, others=others, after=position, limit=limit + 1)
    entry = Entry.__table__
    # One query: the page of the feed, each entry change with its entry's row.
    rows = db.session.execute(
        select(page, *_entry_columns(d))
        .select_from(
            page.outerjoin(entry, and_(page.c.entity == "entry", entry.c.id == d.joinable(page.c.record_id)))
        )
        .order_by(page.c.txid, page.c.seq)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        position = (rows[-1].txid, rows[-1].seq)
    withheld = not has_more and _withheld(me=user.id, others=others, after=position)
    me, my_org = d.key(user.id), d.key(user.organisation_id)
    supervisees = {d.key(o) for o in others}
    items: list[str] = []
    seen: set[str] = set()
    others_by_entity: dict[str, dict[uuid.UUID, None]] = {}
    for row in rows:
        if row.entity != "entry":
            if row.entity in PULLERS:
                others_by_entity.setdefault(row.entity, {})[uuid.UUID(row.record_id)] = None
            continue
        if row.record_id in seen:
            continue
        seen.add(row.record_id)
        rid = d.uuid_text(row.record_id)
        if row.id is None:  # no such entry (never so: entries are tombstoned, not deleted)
            items.append(f'{{"entity":"entry","id":"{rid}","op":"remove","version":0}}')
            continue
        level = _access(
            me=me,
            my_organisation=my_org,
            is_supervisor=user.is_supervisor,
            owner=row.owner_id,
            organisation=row.organisation_id,
            is_deleted=bool(row.is_deleted),
            status=row.status,
            visibility=row.visibility,
            supervisees=supervisees,
        )
        if level is None:
            # Visible before (e.g. shared), not now: the device must drop its copy.
            items.append(f'{{"entity":"entry","id":"{rid}","op":"remove","version":{row.version:d}}}')
        else:
            record = _entry_json(row, level, d)
            items.append(
                f'{{"entity":"entry","id":"{rid}","op":"upsert","version":{row.version:d},"record":{record}}}'
            )
    for entity, ids in others_by_entity.items():
        items.extend(json.dumps(item) for item in PULLERS[entity](user, list(ids), today))
    next_cursor = _encode(position, user=user, fingerprint=fingerprint, epoch=epoch, secret=secret)
    return (
        f'{{"reset":false,"items":[{",".join(items)}],"next_cursor":{_str(next_cursor)},'
        f'"has_more":{_TRUE_FALSE[has_more]},"withheld":{_TRUE_FALSE[withheld]}}}'
    )
