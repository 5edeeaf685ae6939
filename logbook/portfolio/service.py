"""Portfolio contexts (plain data built from the models) and public verification of sign-offs."""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from logbook.accounts.models import User
from logbook.config import KeyRing
from logbook.entries.models import Entry, EntryRevision
from logbook.entries.reflection import templates as reflection_templates
from logbook.entries.service import EDITABLE
from logbook.errors import NotFound, ValidationFailed
from logbook.extensions import db
from logbook.frameworks.engine import entry_days
from logbook.frameworks.kinds import KIND_LABELS
from logbook.frameworks.labels import StandardTitles
from logbook.portfolio.models import VerificationCode
from logbook.supervision import imported, signcore
from logbook.supervision.models import SignOff

# Unambiguous capitals and digits (no 0/O, 1/I/L, U): 30 symbols ^ 10 ≈ 49 bits, rate-limited lookups.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 10

# progress(stage, done, total): told after each step of a long export (the CLI's progress bar).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DocumentRequest:
    """What every document is made from: whose record, which days (None: the document picks its own
    default period), whether the reflections are printed, the address of the public verification
    page, when it is made, the app's signing keys (each sign-off printed is verified with them) and
    who is told of progress."""

    owner: User
    verify_url: str
    now: dt.datetime
    ring: KeyRing
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    include_reflections: bool = False
    progress: Progress | None = None

    def over(self, date_from: dt.date, date_to: dt.date) -> DocumentRequest:
        """The same request over these days (a document's own period, once worked out)."""
        return replace(self, date_from=date_from, date_to=date_to)

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """The first and last day; refused when empty (ValidationFailed)."""
        if self.date_from is None or self.date_to is None:
            raise RuntimeError("a document's period is worked out before its entries are read")
        if self.date_from > self.date_to:
            raise ValidationFailed(
                "The period is empty.", fields={"date_from": ["must not be after date_to"]}
            )
        return self.date_from, self.date_to


ROLE_LABELS = {
    "supervisor": "Supervisor",
    "reflective_discussion_partner": "Reflective discussion partner",
    "confirmer": "Confirmer",
}


# --- verification codes ----------------------------------------------------------------------


def normalise_code(code: str) -> str:
    """The code as stored: capitals, without the spaces or hyphens people type or print."""
    return "".join(ch for ch in code.upper() if ch not in " -")


def display_code(code: str) -> str:
    """The code as printed: two groups of five, easier to read out and type."""
    return f"{code[:5]}-{code[5:]}"


def verification_code_for(sign_off: SignOff) -> str:
    """The sign-off's code, made (and flushed) the first time a portfolio shows it."""
    existing = db.session.scalar(
        select(VerificationCode.code).where(VerificationCode.sign_off_id == sign_off.id)
    )
    if existing:
        return existing
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    try:
        with db.session.begin_nested():  # a savepoint: a clash undoes only this row
            db.session.add(VerificationCode(code=code, sign_off_id=sign_off.id))
    except IntegrityError:
        # Another export made this sign-off's code meanwhile (or, once in 2^49, the same code).
        return verification_code_for(sign_off)
    return code


def verify_code(*, code: str, ring: KeyRing) -> dict[str, Any]:
    """What the public page may show for a code: the signed title and date, who signed and when,
    and whether the stored text still matches what was signed. NotFound for an unknown code."""
    code = normalise_code(code)
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        raise NotFound("No sign-off has this code.")
    row = db.session.get(VerificationCode, code)
    sign_off = db.session.get(SignOff, row.sign_off_id) if row else None
    if sign_off is None:
        raise NotFound("No sign-off has this code.")
    revision = db.session.get(EntryRevision, (sign_off.entry_id, sign_off.entry_version))
    content = revision.content if revision else {}
    result = signcore.verify(sign_off, ring=ring)
    status, reason = result.status, result.reason
    if sign_off.decision != "approved" and status in ("valid", "changed"):
        status, reason = "invalid", "this is not an approval: the record was returned to its author"
    if status == "withdrawn" and result.withdrawal is not None:
        # who withdrew it and when; the reason is for the practitioner, not for anyone holding the code
        when = result.withdrawal["withdrawn_at"][:10]
        reason = f"withdrawn by {result.withdrawal['withdrawn_by_name']} on {when}"
    return {
        "code": display_code(code),
        "title": content.get("title", ""),
        "date": content.get("start_date", ""),
        "signer_name": sign_off.signer_name,
        "is_external": sign_off.external_email is not None,
        "external_role": sign_off.external_role or "",
        "registration": " ".join(p for p in (sign_off.registration_body, sign_off.registration_number) if p),
        "signed_at": sign_off.signed_at,
        "status": status,
        "label": result.label if status == result.status else signcore.LABELS[status],
        "is_imported": result.is_imported,
        "reason": reason,
        "kid": result.kid,
        "is_valid": status == "valid",
    }


# --- contexts --------------------------------------------------------------------------------


def hours_text(value: Decimal | float) -> str:
    """Hours as documents print them: at most two decimals, no trailing zeros (7.5, 12)."""
    return f"{Decimal(value):.2f}".rstrip("0").rstrip(".")


EN_DASH = "\u2013"


def date_span(start: dt.date, end: dt.date | None) -> str:
    """An activity's days as documents print them: "3 Mar 2026", "3-5 Mar 2026", "28 Feb - 2 Mar 2026",
    "30 Dec 2025 - 2 Jan 2026", with an en dash (its days as engine.entry_days reads them)."""
    first, last = entry_days(SimpleNamespace(start_date=start, end_date=end))
    if first == last:
        return f"{first.day} {first:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}{EN_DASH}{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} {EN_DASH} {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} {EN_DASH} {last.day} {last:%b %Y}"


def reflection_lines(entry: Entry) -> list[dict[str, str]]:
    """The entry's reflection as prompt and answer pairs, in its template's order (answered prompts)."""
    known = reflection_templates()["templates"]
    template = known.get((entry.reflection or {}).get("template"), {})
    answers = (entry.reflection or {}).get("answers") or {}
    out = []
    for prompt in template.get("prompts", []):
        text = (answers.get(prompt["key"]) or "").strip()
        if text:
            out.append({"label": prompt["label"], "text": text})
    return out


def _same_text(entry: Entry, signed_version: int, other_version: int | None = None) -> bool:
    """Whether the entry's current text (or that of other_version) is the signed version's (a
    sign-off itself makes a new version that changes only the status)."""
    other_version = entry.version if other_version is None else other_version
    if signed_version == other_version:
        return True
    signed = db.session.get(EntryRevision, (entry.id, signed_version))
    current = db.session.get(EntryRevision, (entry.id, other_version))
    if signed is None or current is None:
        return False
    ignore = {"status"}
    return {k: v for k, v in signed.content.items() if k not in ignore} == {
        k: v for k, v in current.content.items() if k not in ignore
    }


# What a document prints of an entry: every field a person edits but who may see it and its status.
PRINTED_FIELDS = tuple(f for f in EDITABLE if f not in ("visibility", "status"))


class PrintedEntry:
    """An entry as documents print it: the text of its latest approved sign-off's version (what was
    signed), everything else (id, owner, current version) from the live row. An entry nobody
    approved prints as it stands."""

    def __init__(self, entry: Entry, content: dict[str, Any], signed_version: int) -> None:
        self._entry = entry
        self._content = content
        self.printed_version = signed_version

    def __getattr__(self, name: str) -> Any:
        if name in PRINTED_FIELDS and name in self._content:
            value = self._content[name]
            if name in ("start_date", "end_date") and value:
                return dt.date.fromisoformat(value)
            if name == "hours":
                return Decimal(str(value))
            return value
        return getattr(self._entry, name)


def printed_entry(entry: Entry) -> Entry | PrintedEntry:
    """The entry as signed, when someone approved it (see PrintedEntry)."""
    latest = db.session.scalar(
        select(SignOff)
        .where(SignOff.entry_id == entry.id, SignOff.decision == "approved")
        .order_by(SignOff.signed_at.desc())
        .limit(1)
    )
    if latest is None:
        return entry
    revision = db.session.get(EntryRevision, (entry.id, latest.entry_version))
    if revision is None:
        return entry
    return PrintedEntry(entry, revision.content, latest.entry_version)


def _signer_email(sign_off: SignOff) -> str:
    """The signer's email as the NMC forms ask for it (an external signer's, or the colleague's)."""
    if sign_off.external_email:
        return sign_off.external_email
    if sign_off.signer_user_id:
        user = db.session.get(User, sign_off.signer_user_id)
        return user.email if user else ""
    return ""


# Fields of the signed text a document without reflections leaves out of its attached data too.
SENSITIVE_FIELDS = ("reflection",)


def _sign_offs(entry: Entry, request: DocumentRequest) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(SignOff)
        .where(SignOff.entry_id == entry.id, SignOff.decision == "approved")
        .order_by(SignOff.signed_at)
    )
    out = []
    printed_version = getattr(entry, "printed_version", entry.version)
    for sign_off in rows:
        code = verification_code_for(sign_off)
        result = signcore.verify(sign_off, ring=request.ring)
        signed = signcore.signed_entry_content(sign_off) or {}
        out.append(
            {
                "signer_name": sign_off.signer_name,
                "role": sign_off.signer_role,
                "signer_role": ROLE_LABELS.get(sign_off.signer_role, sign_off.signer_role),
                "registration_body": sign_off.registration_body or "",
                "registration_number": sign_off.registration_number or "",
                "signer_email": _signer_email(sign_off),
                "signed_on": sign_off.signed_at.date().isoformat(),
                "external_role": sign_off.external_role or "",
                "registration": " ".join(
                    p for p in (sign_off.registration_body, sign_off.registration_number) if p
                ),
                "signed_at": sign_off.signed_at.strftime("%d %b %Y %H:%M UTC"),
                "entry_version": sign_off.entry_version,
                "is_current_text": _same_text(entry, sign_off.entry_version),
                "is_printed_text": _same_text(entry, sign_off.entry_version, printed_version),
                "is_external": sign_off.external_email is not None,
                "comment": sign_off.comment,
                "code": display_code(code),
                "verify_url": f"{request.verify_url.rstrip('/')}/{code}",
                "is_valid": result.is_valid,
                "status": result.status,
                "status_label": result.label,
                "reason": result.reason,
                # For `logbook verify-pdf`: the signed statement and the signed text. The text is
                # left out field by field where the document leaves it out (reflections).
                "statement": sign_off.statement,
                "signed_content": {
                    k: v
                    for k, v in signed.items()
                    if request.include_reflections or k not in SENSITIVE_FIELDS
                },
                **imported.presented(sign_off),
            }
        )
    return out


def _entry(entry: Entry, request: DocumentRequest, titles: StandardTitles) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "title": entry.title,
        "kind": KIND_LABELS.get(entry.kind, entry.kind),
        "kind_code": entry.kind,
        "start_date": entry.start_date.isoformat(),
        "end_date": entry.end_date.isoformat() if entry.end_date else "",
        "dates": date_span(entry.start_date, entry.end_date),
        "hours": hours_text(entry.hours),
        "is_participatory": entry.is_participatory,
        "description": entry.description,
        "impact_on_practice": entry.impact_on_practice,
        "impact_on_people": entry.impact_on_people,
        "standards": [titles.label(s) for s in entry.standards],
        "evidence": [
            {"name": e.get("name") or "file", "caption": e.get("caption", ""), "sha256": e["sha256"][:12]}
            for e in entry.evidence
        ],
        "reflection": reflection_lines(entry) if request.include_reflections else [],
        "sign_offs": (sign_offs := _sign_offs(entry, request)),
        "printed_version": getattr(entry, "printed_version", entry.version),
        "current_version": entry.version,
        # Digests of the live record, field by field (no text): `logbook verify-pdf` compares them
        # with the signed statement to say "changed since it was signed" from the file alone.
        "current_fields": signcore.field_digests(signcore.live_entry_content(entry._entry))
        if sign_offs and isinstance(entry, PrintedEntry)
        else {},
    }


def entries_in_period(owner: User, date_from: dt.date, date_to: dt.date) -> list[Entry]:
    """The owner's recorded entries with any day in the period (engine.in_period), as documents print
    them (printed_entry)."""
    # A PrintedEntry stands in for its Entry (it answers every attribute, from the signed text or
    # the live row), so documents read both as an Entry.
    return [cast(Entry, printed_entry(e)) for e in _live_entries(owner, date_from, date_to)]


def _live_entries(owner: User, date_from: dt.date, date_to: dt.date) -> list[Entry]:
    return list(
        db.session.scalars(
            select(Entry)
            .where(
                Entry.owner_id == owner.id,
                Entry.is_deleted.is_(False),
                Entry.status != "draft",
                Entry.start_date <= date_to,
                func.coalesce(Entry.end_date, Entry.start_date) >= date_from,
            )
            .order_by(Entry.start_date, Entry.title, Entry.id)
        )
    )


def _summary(rows: list[Entry], entries: list[dict[str, Any]], titles: StandardTitles) -> dict[str, Any]:
    by_kind: dict[str, Decimal] = defaultdict(Decimal)
    standards: dict[str, int] = defaultdict(int)
    for entry in rows:
        by_kind[KIND_LABELS.get(entry.kind, entry.kind)] += entry.hours
        for tag in entry.standards:
            standards[titles.label(tag)] += 1
    return {
        "entry_count": len(rows),
        # Signed off: a sign-off that verifies and still covers the entry's current text (an entry
        # changed after signing is not; engine.is_signed reads the same from signcore.standing_roles).
        "signed_count": sum(
            1 for e in entries if any(so["is_valid"] and so["is_current_text"] for so in e["sign_offs"])
        ),
        "total_hours": hours_text(sum((e.hours for e in rows), Decimal(0))),
        "participatory_hours": hours_text(sum((e.hours for e in rows if e.is_participatory), Decimal(0))),
        "hours_by_kind": [{"kind": k, "hours": hours_text(v)} for k, v in sorted(by_kind.items())],
        "standards": [{"standard": k, "entries": v} for k, v in sorted(standards.items())],
    }


def _person(owner: User) -> dict[str, Any]:
    return {
        "name": owner.name,
        "email": owner.email,
        "organisation": owner.organisation.name if owner.organisation else "",
        "registrations": [
            {
                "regulator": r.regulator,
                "profession": r.profession,
                "registration_number": r.registration_number or "",
            }
            for r in owner.registrations
        ],
    }


def build_portfolio(request: DocumentRequest) -> dict[str, Any]:
    """The generic portfolio of the owner's own entries in the request's period, as plain data.
    `progress(stage, done, total)` is called after each activity (the CLI's progress bar)."""
    date_from, date_to = request.period
    return portfolio_context(request, entries_in_period(request.owner, date_from, date_to))


def portfolio_context(request: DocumentRequest, rows: list[Entry]) -> dict[str, Any]:
    """The generic context of these entry rows (every document starts from it)."""
    date_from, date_to = request.period
    entries = []
    titles = StandardTitles(request.owner.organisation_id)
    for done, row in enumerate(rows, start=1):
        entries.append(_entry(row, request, titles))
        if request.progress:
            request.progress("Reading activities", done, len(rows))
    return {
        "document": {
            "format": "generic",
            "title": "CPD portfolio",
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "generated_at": request.now.strftime("%d %b %Y %H:%M UTC"),
            "include_reflections": request.include_reflections,
            "verify_url": request.verify_url,
        },
        "person": _person(request.owner),
        "summary": _summary(rows, entries, titles),
        "entries": entries,
    }


def get_user_by_email(*, email: str) -> User:
    """The user with this email (for the CLI)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound("No user has this email.")
    return user
