"""Entries brought in from outside a CPD Logbook (a Leap2A package, a spreadsheet): written through
the entry service like any new entry, then marked as imported the way the full-record import marks
its entries (an `EntryOrigin` row pointing at a `RecordImport` that names the source format).

Nothing written here is ever signed off: an imported entry is "recorded" (or a draft when the source
lacks something an entry needs, such as hours) and no sign-off comes with it. The same file imported
twice into one account is refused (409), recognised by its SHA-256.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any

from sqlalchemy import select

from logbook.accounts.models import User
from logbook.audit import service as audit
from logbook.entries import service as entries
from logbook.entries.models import Entry, EntryOrigin
from logbook.entries.schemas import DETAILS_BY_KIND, details_schema, validate_details
from logbook.errors import Conflict
from logbook.exports.models import RecordImport
from logbook.extensions import db
from logbook.frameworks.kinds import KIND_LABELS

LEAP2A = "leap2a"
SPREADSHEET = "spreadsheet"
FORMAT_VERSIONS = {LEAP2A: 1, SPREADSHEET: 1}
# Words that suggest a kind, most specific first. Kinds whose entries need details a spreadsheet does
# not hold (a supervision's format, a shadowing's profession...) are recorded as Other, with the guess
# shown so the practitioner can change the entry afterwards.
_KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("team_study_day", ("team study day", "team day", "away day")),
    ("study_day", ("study day",)),
    ("conference", ("conference", "congress", "symposium", "summit")),
    ("bite_size_workshop", ("bite size", "bitesize", "bite-size", "workshop", "webinar", "lunch and learn")),
    ("reflective_learning_set", ("learning set", "action learning")),
    (
        "course",
        (
            "course",
            "module",
            "e-learning",
            "elearning",
            "online learning",
            "training",
            "masterclass",
            "diploma",
            "certificate",
        ),
    ),
    (
        "reading",
        (
            "reading",
            "read ",
            "article",
            "book",
            "podcast",
            "research paper",
            "self-directed",
            "self directed",
        ),
    ),
    ("supervision", ("supervision",)),
    ("appraisal", ("appraisal",)),
    ("shadowing", ("shadowing", "shadowed")),
    ("peer_reflection", ("peer reflection",)),
    ("reflective_account", ("reflective account",)),
    ("reflective_discussion", ("reflective discussion",)),
    ("practice_feedback", ("feedback",)),
    ("practice_hours", ("practice hours",)),
)
# What a spreadsheet row can fill of a kind's required details.
DETAILS_FROM_TITLE = {"reading": "source", "reflective_learning_set": "set_name"}


def refuse_repeat(*, user: User, source_format: str, sha256: str) -> None:
    """409 when this very file was already imported into this account."""
    found = db.session.scalar(
        select(RecordImport.id).where(
            RecordImport.user_id == user.id,
            RecordImport.source_format == source_format,
            RecordImport.record_sha256 == sha256,
        )
    )
    if found is not None:
        raise Conflict("This file is already in your logbook.", code="already_imported")


def start(
    *,
    user: User,
    source_format: str,
    source_name: str,
    sha256: str,
    exported_at: dt.datetime,
    now: dt.datetime,
) -> RecordImport:
    """The import's own row (what every imported entry points at)."""
    refuse_repeat(user=user, source_format=source_format, sha256=sha256)
    imported = RecordImport(
        user_id=user.id,
        organisation_id=user.organisation_id,
        source_organisation=source_name[:200],
        source_exported_at=exported_at,
        format_version=FORMAT_VERSIONS[source_format],
        source_format=source_format,
        record_sha256=sha256,
        supervision_sessions=[],
        imported_at=now,
    )
    db.session.add(imported)
    db.session.flush()
    return imported


def write_entries(
    *, user: User, items: list[dict[str, Any]], imported: RecordImport, now: dt.datetime
) -> list[Entry]:
    """The entries through the entry service (its checks hold; written in bulk), each marked as
    imported. The status is "recorded" or "draft", never anything a sign-off gives."""
    if any(data.get("status") not in ("draft", "recorded") for data in items):
        raise ValueError("an imported entry is recorded or a draft, never signed off")
    written = entries.create_entries(owner=user, items=items, now=now)
    db.session.add_all(
        EntryOrigin(
            entry_id=entry.id,
            hashed_entry_id=entry.id,  # made here: its hashes cover its own ids
            hashed_owner_id=user.id,
            record_import_id=imported.id,
        )
        for entry in written
    )
    db.session.flush()
    return written


def finish(*, user: User, imported: RecordImport, counts: dict[str, int], now: dt.datetime) -> None:
    """The audit event of the import (counts only: never titles, notes or reflections)."""
    audit.append_event(
        kind=f"record.imported_{imported.source_format}",
        actor=f"user:{user.id}",
        subject_type="record_import",
        subject_id=imported.id,
        data={"source_format": imported.source_format, "file_sha256": imported.record_sha256, **counts},
        now=now,
    )
    db.session.flush()


# --- kinds from words ----------------------------------------------------------------------------


def guess_kind(kind_text: str, title: str) -> dict[str, Any]:
    """The kind for a row and why: named in the type column (a kind's code or label), guessed from a
    word in the type column or the title, or Other. A kind whose entries need details the file does
    not hold is recorded as Other, the guess kept in `guessed`."""
    lowered_kind = kind_text.strip().lower()
    for code, label in KIND_LABELS.items():
        if lowered_kind and lowered_kind in (code, code.replace("_", " "), label.lower()):
            return _usable({"kind": code, "how": "named", "word": kind_text.strip()})
    for source, text in (("type", lowered_kind), ("title", title.lower())):
        padded = f" {re.sub(r'[^a-z0-9-]+', ' ', text)} "
        for code, words in _KIND_WORDS:
            for word in words:
                if f" {word.strip()} " in padded or (word.endswith(" ") and f" {word}" in padded):
                    return _usable({"kind": code, "how": f"guessed from the {source}", "word": word.strip()})
    return {"kind": "other", "how": "no word matched", "word": "", "guessed": None}


@lru_cache(maxsize=len(DETAILS_BY_KIND))
def _needs(kind: str) -> tuple[str, ...]:
    """The details a kind requires that a title cannot give."""
    fields = details_schema(kind).fields.items()
    return tuple(n for n, f in fields if f.required and n != DETAILS_FROM_TITLE.get(kind))


def _usable(guess: dict[str, Any]) -> dict[str, Any]:
    kind = guess["kind"]
    needs = _needs(kind)
    if needs:
        return {
            **guess,
            "kind": "other",
            "guessed": kind,
            "how": f"{guess['how']}: recorded as Other ({KIND_LABELS[kind]} needs {', '.join(needs)})",
        }
    return {**guess, "guessed": kind}


def details_from_title(kind: str, title: str) -> dict[str, Any]:
    """The details a kind needs that its title can give (a reading's source, a learning set's name)."""
    if kind not in DETAILS_FROM_TITLE:
        return {}
    details, _problems = validate_details(kind, {DETAILS_FROM_TITLE[kind]: title[:200] or "-"})
    return details
