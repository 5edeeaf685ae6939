"""A practitioner's record as Leap2A (the ePortfolio interchange format Mahara imports and exports):
an Atom feed `leap2a.xml` with the evidence files under `files/`, zipped; and a Leap2A package (a
Mahara export, or this logbook's own) imported into entries after a preview.

Export, entry by entry (docs/record-format.md, "Leap2A"): each entry that is not deleted is an Atom
entry of rdf:type leap2:entry with its dates as leap2:date (start, end), its standards and ways of
knowing as categories (Mahara shows them as tags), its description as text; its kind, hours and kind
details in this logbook's own namespace (Mahara ignores them; a re-import keeps them). Each evidence
file is an entry of rdf:type leap2:resource with an enclosure link to its bytes, linked from the entry
with leap2:has_attachment (and `related`, the link Mahara's importer attaches files by). Reflections
and impact are private: they are written, as a separate leap2:entry that leap2:reflects_on its entry,
only when the practitioner asks for them (`include_reflections`).

Import: `plan` reads a ZIP (leap2a.xml, or leap.xml / leap2.xml as Mahara names it) or a bare feed,
works out each Atom entry's result (an entry, an attached file, a reflection, or left out with the
reason) and names every item's problem; `apply` writes everything, all or nothing, as imported
entries (never signed off; exports/imported_entries.py). Untrusted input: budgets on the upload, ZIP
members, their inflated size (counted while reading), one file's size, the feed's size and depth,
the number of Atom entries and the time taken; XML through defusedxml (no DTDs, no entities).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html.parser
import io
import json
import re
import time
import urllib.parse
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from posixpath import normpath
from typing import Any
from xml.etree.ElementTree import Element  # only the type; parsing is defusedxml's  # nosec B405
from xml.sax.saxutils import escape, quoteattr  # escaping output, not parsing  # nosec B406

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from sqlalchemy import select

from logbook import safejson
from logbook.accounts.models import User
from logbook.entries import evidence as evidence_service
from logbook.entries.evidence import EXTENSIONS, sniff_media_type
from logbook.entries.models import WAYS_OF_KNOWING, Entry, Evidence, EvidenceUpload
from logbook.entries.reflection import templates as reflection_templates
from logbook.entries.schemas import date_hours_problems, validate_details
from logbook.errors import ValidationFailed
from logbook.exports import imported_entries
from logbook.extensions import db
from logbook.fields import text_problem
from logbook.frameworks import service as frameworks
from logbook.frameworks.kinds import KIND_LABELS, KINDS
from logbook.storage import EvidenceStore

ATOM = "http://www.w3.org/2005/Atom"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
# The Leap2A 2010-07 namespaces as Mahara writes them today (its importer also knows the original
# terms.leapspecs.org addresses; we read both).
LEAP2 = "https://web.archive.org/web/20100503000634/http://terms.leapspecs.org"
CATEGORIES = "https://web.archive.org/web/20120819100914/http://wiki.leapspecs.org:80/2A/categories"
LEAP2_NAMESPACES = (LEAP2, "http://terms.leapspecs.org/", "http://terms.leapspecs.org")
LEAP2_VERSION = "http://www.leapspecs.org/2010-07/2A/"
CPD = "urn:cpd-logbook:leap2a:1"  # this logbook's own elements: kind, hours, details, status
PORTFOLIO = "urn:cpd-logbook:portfolio:"
FEED_NAMES = ("leap2a.xml", "leap2.xml", "leap.xml")  # the names Mahara's importer looks for
KIND_SCHEME = f"{CPD}#kind"
STANDARD_PREFIX = "standard:"
WAY_PREFIX = "way_of_knowing:"
TYPES_AS_ENTRIES = ("entry", "activity", "meeting", "achievement", "ability", "publication", "work")


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _safe_name(name: str, media_type: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._ -]+", "_", name).strip(" ._")[:100] or "evidence"
    extension = EXTENSIONS.get(media_type, "bin")
    return stem if stem.lower().endswith(f".{extension}") else f"{stem}.{extension}"


# --- export ----------------------------------------------------------------------------------------


def _text_element(tag: str, text: str, **attrs: str) -> str:
    attributes = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
    return f"<{tag}{attributes}>{escape(text)}</{tag}>"


def _reflection_text(entry: Entry) -> list[tuple[str, str, str]]:
    """(key, label, answer) of the entry's reflection, in the template's order, answered ones only."""
    template = reflection_templates()["templates"].get((entry.reflection or {}).get("template"), {})
    answers = (entry.reflection or {}).get("answers") or {}
    return [
        (p["key"], p["label"], str(answers[p["key"]]))
        for p in template.get("prompts", [])
        if str(answers.get(p["key"]) or "").strip()
    ]


def _entry_xml(entry: Entry, files: list[dict[str, Any]], include_reflections: bool) -> list[str]:
    entry_id = f"portfolio:entry-{entry.id}"
    hours = f"{entry.hours:.2f}"
    dates = entry.start_date.strftime("%d %b %Y")
    if entry.end_date and entry.end_date != entry.start_date:
        dates += " to " + entry.end_date.strftime("%d %b %Y")
    summary = f"{KIND_LABELS.get(entry.kind, entry.kind)} · {hours} hours · {dates}"
    out = [
        "  <entry>",
        "    " + _text_element("title", entry.title),
        f"    <id>{entry_id}</id>",
        f"    <published>{_iso(entry.created_at)}</published>",
        f"    <updated>{_iso(entry.updated_at)}</updated>",
        "    " + _text_element("summary", summary),
        "    " + _text_element("content", entry.description or "", type="text"),
        '    <rdf:type rdf:resource="leap2:entry"/>',
        f'    <leap2:date leap2:point="start">{entry.start_date.isoformat()}</leap2:date>',
    ]
    if entry.end_date:
        out.append(f'    <leap2:date leap2:point="end">{entry.end_date.isoformat()}</leap2:date>')
    out.append(
        "    "
        + _text_element(
            "category", "", term=entry.kind, scheme=KIND_SCHEME, label=KIND_LABELS.get(entry.kind, entry.kind)
        ).replace("></category>", "/>")
    )
    for tag in entry.standards or []:
        term = f"{STANDARD_PREFIX}{tag['framework']}:{tag['version']}:{tag['code']}"
        out.append(f"    <category term={quoteattr(term)} label={quoteattr(str(tag['code']))}/>")
    for way in entry.ways_of_knowing or []:
        out.append(
            f"    <category term={quoteattr(WAY_PREFIX + way)} label={quoteattr(way.replace('_', ' '))}/>"
        )
    for item in files:
        out.append(f'    <link rel="leap2:has_attachment" href="{item["id"]}"/>')
        out.append(f'    <link rel="related" href="{item["id"]}"/>')
    reflection = _reflection_text(entry) if include_reflections else []
    impact = include_reflections and (entry.impact_on_practice or entry.impact_on_people)
    if reflection or impact:
        out.append(f'    <link rel="leap2:reflected_on_by" href="portfolio:reflection-{entry.id}"/>')
    out += [
        "    " + _text_element("cpd:kind", entry.kind),
        "    " + _text_element("cpd:hours", hours),
        "    " + _text_element("cpd:participatory", "true" if entry.is_participatory else "false"),
        "    " + _text_element("cpd:status", "draft" if entry.status == "draft" else "recorded"),
    ]
    if entry.details:
        out.append(
            "    "
            + _text_element("cpd:details", json.dumps(entry.details, sort_keys=True, ensure_ascii=False))
        )
    out.append("  </entry>")
    if reflection or impact:
        template = str((entry.reflection or {}).get("template", "free"))
        text = "\n\n".join(f"{label}\n{answer}" for _k, label, answer in reflection)
        if entry.impact_on_practice:
            text += f"\n\nImpact on practice\n{entry.impact_on_practice}"
        if entry.impact_on_people:
            text += f"\n\nImpact on people\n{entry.impact_on_people}"
        out += [
            "  <entry>",
            "    " + _text_element("title", f"Reflection: {entry.title}"[:250]),
            f"    <id>portfolio:reflection-{entry.id}</id>",
            f"    <published>{_iso(entry.created_at)}</published>",
            f"    <updated>{_iso(entry.updated_at)}</updated>",
            "    " + _text_element("content", text.strip(), type="text"),
            '    <rdf:type rdf:resource="leap2:entry"/>',
            f'    <link rel="leap2:reflects_on" href="{entry_id}"/>',
            f"    <cpd:reflection template={quoteattr(template)}>",
            *(f"      <cpd:answer key={quoteattr(k)}>{escape(a)}</cpd:answer>" for k, _l, a in reflection),
            "    </cpd:reflection>",
            "    " + _text_element("cpd:impact_on_practice", entry.impact_on_practice or ""),
            "    " + _text_element("cpd:impact_on_people", entry.impact_on_people or ""),
            "  </entry>",
        ]
    return out


def _file_xml(item: dict[str, Any], entry: Entry) -> list[str]:
    return [
        "  <entry>",
        "    " + _text_element("title", item["name"]),
        f"    <id>{item['id']}</id>",
        f"    <published>{_iso(item['created_at'])}</published>",
        f"    <updated>{_iso(item['created_at'])}</updated>",
        "    <content/>",
        '    <rdf:type rdf:resource="leap2:resource"/>',
        '    <category term="Offline" scheme="categories:resource_type#" label="File"/>',
        (
            f'    <link rel="enclosure" type={quoteattr(item["media_type"])} href={quoteattr(item["path"])}'
            f' length="{item["size"]}"/>'
        ),
        f'    <link rel="leap2:is_attachment_of" href="portfolio:entry-{entry.id}"/>',
        "  </entry>",
    ]


def export_package(*, user: User, include_reflections: bool, store: EvidenceStore, now: dt.datetime) -> bytes:
    """The caller's entries (not deleted) and their evidence as a Leap2A ZIP."""
    entries = list(
        db.session.scalars(
            select(Entry)
            .where(Entry.owner_id == user.id, Entry.is_deleted.is_(False))
            .order_by(Entry.start_date, Entry.created_at, Entry.id)
        )
    )
    names = dict(
        db.session.execute(
            select(EvidenceUpload.sha256, EvidenceUpload.filename).where(EvidenceUpload.user_id == user.id)
        ).all()
    )
    body: list[str] = []
    blobs: list[tuple[str, bytes]] = []
    written: dict[str, dict[str, Any]] = {}
    for entry in entries:
        files = []
        for ref in entry.evidence or []:
            sha = str(ref.get("sha256", ""))
            evidence = db.session.get(Evidence, sha) if sha in names else None
            if evidence is None:
                continue  # a hash not uploaded (yet), or not this person's: no bytes to give
            if sha not in written:
                try:
                    data = store.get(evidence.stored_sha256)
                except KeyError:
                    continue
                name = _safe_name(ref.get("name") or names.get(sha) or "", evidence.media_type)
                item = {
                    "id": f"portfolio:file-{sha}",
                    "name": ref.get("name") or names.get(sha) or name,
                    "path": f"files/{len(written) + 1}-{name}",
                    "media_type": evidence.media_type,
                    "size": len(data),
                    "created_at": evidence.created_at,
                }
                written[sha] = item
                blobs.append((str(item["path"]), data))
                files.append((item, True))
            else:
                files.append((written[sha], False))
        body += _entry_xml(entry, [f for f, _new in files], include_reflections)
        for item, new in files:
            if new:
                body += _file_xml(item, entry)
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="{ATOM}" xmlns:rdf="{RDF}" xmlns:leap2="{LEAP2}" xmlns:categories="{CATEGORIES}"',
        f'    xmlns:portfolio="{PORTFOLIO}" xmlns:cpd="{CPD}">',
        f"  <leap2:version>{LEAP2_VERSION}</leap2:version>",
        f"  <id>urn:uuid:{uuid.uuid4()}</id>",
        "  " + _text_element("title", f"CPD Logbook record of {user.name}, {now.date().isoformat()}"),
        f"  <updated>{_iso(now)}</updated>",
        '  <generator uri="urn:cpd-logbook" version="1">CPD Logbook</generator>',
        "  <author>",
        "    " + _text_element("name", user.name),
        "  </author>",
    ]
    feed = "\n".join([*head, *body, "</feed>", ""])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("leap2a.xml", feed)
        for path, data in blobs:
            archive.writestr(path, data, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


# --- import: reading the package -------------------------------------------------------------------


class Leap2aError(ValidationFailed):
    """The package as a whole cannot be read: nothing is planned."""

    code = "leap2a_invalid"


@dataclass(frozen=True)
class Budget:
    """What one import may cost."""

    max_bytes: int = 50 * 1024 * 1024  # the upload
    max_members: int = 2000  # files in the ZIP
    max_inflated_bytes: int = 200 * 1024 * 1024  # all members read, counted while inflating
    max_file_bytes: int = 10 * 1024 * 1024  # one evidence file (the upload limit)
    max_feed_bytes: int = 16 * 1024 * 1024  # leap2a.xml, parsed whole
    max_depth: int = 64  # XML nesting
    max_entries: int = 5000  # Atom entries
    max_seconds: float = 60.0


def _refuse(message: str, reason: str) -> Leap2aError:
    return Leap2aError(message, fields={"file": [reason]})


class _Package:
    """The feed and a way to read the package's other files, each against its budget."""

    def __init__(self, data: bytes, budget: Budget) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget.max_seconds
        self.inflated = 0
        self.archive: zipfile.ZipFile | None = None
        if data[:4] == b"PK\x03\x04":
            try:
                self.archive = zipfile.ZipFile(io.BytesIO(data))
                members = self.archive.infolist()
            except (zipfile.BadZipFile, ValueError, OSError) as err:
                raise _refuse("This is not a readable ZIP file.", str(err)[:200]) from err
            if len(members) > budget.max_members:
                raise _refuse("The package has too many files.", f"at most {budget.max_members:,}")
            names = {m.filename for m in members}
            feed_name = next((n for n in FEED_NAMES if n in names), None)
            if feed_name is None:
                raise _refuse(
                    "The package has no Leap2A feed.", "no leap2a.xml (or leap.xml, leap2.xml) at its top"
                )
            self.feed = self.read(feed_name, budget.max_feed_bytes)
        else:
            if len(data) > budget.max_feed_bytes:
                raise _refuse("The feed is too large.", f"at most {budget.max_feed_bytes:,} bytes")
            self.feed = data

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _refuse("The package takes too long to read.", "over the time budget")

    def member(self, href: str) -> str | None:
        """The ZIP member an enclosure names (relative to the feed), or None when it is not inside."""
        path = normpath(urllib.parse.unquote(href.strip()))
        if self.archive is None or path.startswith(("/", "..")) or "://" in href or path in FEED_NAMES:
            return None
        try:
            self.archive.getinfo(path)
        except KeyError:
            return None
        return path

    def info(self, name: str) -> zipfile.ZipInfo:
        """A member's directory entry."""
        if self.archive is None:
            raise _refuse("A bare feed has no files.", name)
        return self.archive.getinfo(name)

    def read(self, name: str, limit: int) -> bytes:
        if self.archive is None:
            raise _refuse("A bare feed has no files.", name)
        info = self.archive.getinfo(name)
        if info.flag_bits & 0x1:
            raise _refuse("The package is encrypted.", f"{name} is encrypted")
        if info.file_size > limit:
            raise _refuse("A file in the package is too large.", f"{name} is larger than {limit:,} bytes")
        out = bytearray()
        try:
            with self.archive.open(info) as stream:
                while chunk := stream.read(64 * 1024):
                    out += chunk
                    self.inflated += len(chunk)
                    if len(out) > limit or len(out) > info.file_size:
                        raise _refuse("A file in the package is too large.", f"{name} is larger than it says")
                    if self.inflated > self.budget.max_inflated_bytes:
                        raise _refuse(
                            "The package is too large once unpacked.",
                            f"at most {self.budget.max_inflated_bytes:,} bytes",
                        )
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
            raise _refuse("A file in the package cannot be read.", f"{name}: {type(err).__name__}") from err
        self.check_time()
        return bytes(out)


def _parse_feed(raw: bytes, budget: Budget) -> Element:
    """The feed's root, parsed by defusedxml (no DTD, no entities), no deeper than the budget."""
    depth = 0
    root: Element | None = None
    try:
        for event, element in SafeET.iterparse(io.BytesIO(raw), events=("start", "end"), forbid_dtd=True):
            if event == "start":
                depth += 1
                if depth > budget.max_depth:
                    raise _refuse(
                        "The feed is nested too deeply.", f"deeper than {budget.max_depth} elements"
                    )
                if root is None:
                    root = element
            else:
                depth -= 1
    except (SafeET.ParseError, DefusedXmlException) as err:
        raise _refuse("The feed is not well-formed XML this import reads.", str(err)[:200]) from err
    if root is None or root.tag != f"{{{ATOM}}}feed":
        raise _refuse("The file is not a Leap2A feed.", "its root is not an Atom feed")
    return root


# --- import: working out each item ----------------------------------------------------------------


class _HtmlText(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr"):
            self.parts.append("\n")


def _plain(text: str) -> str:
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n\s*\n\s*\n+", "\n\n", text).strip()


def _content_text(element: Element | None) -> str:
    """An Atom content (or summary) as plain text: text as is, html unescaped and stripped, xhtml's text."""
    if element is None:
        return ""
    kind = (element.get("type") or "text").lower()
    if kind == "xhtml":
        return _plain(
            "\n".join("".join(child.itertext()) for child in element) or "".join(element.itertext())
        )
    if kind == "html":
        parser = _HtmlText()
        parser.feed(element.text or "")
        parser.close()
        return _plain("".join(parser.parts))
    return (element.text or "").strip()


def _leap(element: Element, name: str) -> list[Element]:
    return [child for ns in LEAP2_NAMESPACES for child in element.findall(f"{{{ns}}}{name}")]


def _leap_attr(element: Element, name: str) -> str | None:
    for ns in LEAP2_NAMESPACES:
        value = element.get(f"{{{ns}}}{name}")
        if value is not None:
            return value
    return element.get(name)


def _rdf_type(element: Element) -> str:
    found = element.find(f"{{{RDF}}}type")
    if found is None:
        return "entry"  # Leap2A: an Atom entry without a type is an entry
    value = found.get(f"{{{RDF}}}resource") or ""
    for ns in LEAP2_NAMESPACES:
        if value.startswith(ns):
            value = value[len(ns) :].lstrip("/#")
    return value.strip("[]").split(":")[-1]


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _links(element: Element) -> list[tuple[str, str, Element]]:
    out = []
    for link in element.findall(f"{{{ATOM}}}link"):
        rel = (link.get("rel") or "alternate").strip("[]")
        for ns in LEAP2_NAMESPACES:
            if rel.startswith(ns):
                rel = "leap2:" + rel[len(ns) :].lstrip("/#")
        out.append((rel, (link.get("href") or "").strip(), link))
    return out


@dataclass
class Item:
    """One Atom entry of the feed and what it becomes."""

    atom_id: str
    title: str
    type: str  # entry, file, reflection, other
    action: str = "create"  # create, attach, skip, error
    entry: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # atom ids of attached files
    file: dict[str, Any] = field(default_factory=dict)  # a file: member, name, sha256, media type
    reflects_on: str = ""

    def problem(self, message: str) -> None:
        """Name a problem that keeps this item (and so the import) from being written."""
        self.problems.append(message)
        self.action = "error"

    def leave_out(self, reason: str) -> None:
        """This item is not imported, for a reason shown in the preview."""
        self.action = "skip"
        self.notes.append(reason)


@dataclass
class Plan:
    """What a package would do."""

    items: list[Item]
    source: dict[str, str]
    file_sha256: str
    package: _Package

    @property
    def can_apply(self) -> bool:
        """Nothing in error, and at least one entry."""
        return any(i.type == "entry" and i.action == "create" for i in self.items) and not any(
            i.action == "error" for i in self.items
        )

    def as_dict(self) -> dict[str, Any]:
        """The preview as the API sends it."""
        by_id = {i.atom_id: i for i in self.items}
        counts = {"entries": 0, "files": 0, "reflections": 0, "skip": 0, "error": 0}
        for item in self.items:
            if item.action in ("skip", "error"):
                counts[item.action] += 1
            elif item.type == "entry":
                counts["entries"] += 1
            elif item.type == "file":
                counts["files"] += 1
            elif item.type == "reflection":
                counts["reflections"] += 1
        return {
            "file_sha256": self.file_sha256,
            "source": self.source,
            "summary": counts,
            "can_apply": self.can_apply,
            "items": [
                {
                    "id": i.atom_id[:200],
                    "title": i.title[:200],
                    "type": i.type,
                    "action": i.action,
                    "kind": i.entry.get("kind", ""),
                    "kind_label": KIND_LABELS.get(i.entry.get("kind", ""), ""),
                    "start_date": i.entry.get("start_date"),
                    "end_date": i.entry.get("end_date"),
                    "hours": f"{i.entry['hours']:.2f}" if "hours" in i.entry else None,
                    "status": i.entry.get("status", ""),
                    "files": [by_id[f].title[:200] for f in i.files if f in by_id],
                    "has_reflection": bool(i.entry.get("reflection", {}).get("answers")),
                    "problems": i.problems,
                    "notes": i.notes,
                }
                for i in self.items
            ],
        }


def _cpd(element: Element, name: str) -> str | None:
    found = element.find(f"{{{CPD}}}{name}")
    return None if found is None else (found.text or "")


def _checked_text(item: Item, what: str, text: str, limit: int) -> str:
    if problem := text_problem(text):
        item.problem(f"{what}: {problem}")
        return ""
    if len(text) > limit:
        item.notes.append(f"{what} cut to {limit:,} characters")
        return text[:limit]
    return text


def _dates(element: Element, item: Item) -> tuple[dt.date | None, dt.date | None]:
    """leap2:date start and end; without a start, when the entry was published (or updated)."""
    start = end = None
    for date in _leap(element, "date"):
        point = _leap_attr(date, "point")
        if point == "start":
            start = _day(date.text)
        elif point == "end":
            end = _day(date.text)
    if start is None:
        for source in ("published", "updated"):
            start = _day(element.findtext(f"{{{ATOM}}}{source}"))
            if start:
                item.notes.append(f"no leap2:date: its date is when it was {source}")
                break
    if start is None:
        item.problem("has no date (no leap2:date, published or updated)")
    return start, end


@dataclass
class _Categories:
    kind: str = ""
    tags: list[str] = field(default_factory=list)
    standards: list[dict[str, Any]] = field(default_factory=list)
    ways: list[str] = field(default_factory=list)


def _categories(element: Element) -> _Categories:
    """The entry's kind (this logbook's scheme), standards and ways of knowing (this logbook's
    terms), and every other plain category as a tag; categories of other schemes are Mahara's own."""
    out = _Categories(kind=(_cpd(element, "kind") or "").strip())
    for category in element.findall(f"{{{ATOM}}}category"):
        term = category.get("term") or ""
        scheme = category.get("scheme")
        if scheme == KIND_SCHEME and not out.kind:
            out.kind = term
        elif scheme:
            continue
        elif term.startswith(STANDARD_PREFIX):
            parts = term[len(STANDARD_PREFIX) :].rsplit(":", 2)
            if len(parts) == 3 and parts[1].isdigit():
                out.standards.append(
                    {"framework": parts[0][:80], "version": int(parts[1]), "code": parts[2][:40]}
                )
        elif term.startswith(WAY_PREFIX):
            out.ways.append(term[len(WAY_PREFIX) :])
        elif term or category.get("label"):
            out.tags.append((category.get("label") or term)[:100])
    return out


def _kind_and_details(
    element: Element, item: Item, found: _Categories, title: str
) -> tuple[str, dict[str, Any]]:
    """This logbook's kind with its details when they are complete; otherwise a kind guessed from the
    title and tags (or Other)."""
    kind = found.kind
    if kind not in KINDS:
        guess = imported_entries.guess_kind(" ".join(found.tags), title)
        if guess["guessed"]:
            item.notes.append(f"kind {KIND_LABELS[guess['kind']]}: {guess['how']} (“{guess['word']}”)")
        return guess["kind"], imported_entries.details_from_title(guess["kind"], title)
    details: Any = {}
    if details_text := _cpd(element, "details"):
        try:
            details = safejson.loads(details_text, max_depth=8, max_int_digits=20, max_bytes=64 * 1024)
        except ValueError:
            item.notes.append("its kind details could not be read: left out")
    clean, problems = validate_details(kind, details if isinstance(details, dict) else {})
    if problems:
        clean, problems = validate_details(kind, imported_entries.details_from_title(kind, title))
    if problems:
        item.notes.append(f"recorded as Other: its {KIND_LABELS[kind]} details are incomplete")
        return "other", {}
    return kind, clean


def _hours_and_status(element: Element, item: Item) -> tuple[Decimal, str]:
    """This logbook's hours; Leap2A has none, so without them the entry is a draft of 0.25 hours."""
    hours = None
    if hours_text := _cpd(element, "hours"):
        try:
            hours = Decimal(hours_text.strip()).quantize(Decimal("0.01"))
        except InvalidOperation:
            item.notes.append("its hours could not be read")
    status = "draft" if (_cpd(element, "status") or "").strip() == "draft" else "recorded"
    if hours is None or not hours.is_finite() or hours < Decimal("0.25"):
        item.notes.append(
            "no hours (Leap2A has none): imported as a draft with 0.25 hours; set the hours and record it"
        )
        return Decimal("0.25"), "draft"
    return hours, status


def _description(element: Element, item: Item, tags: list[str]) -> str:
    content = element.find(f"{{{ATOM}}}content")
    description = _content_text(content)
    if content is not None and content.get("src"):
        item.notes.append("its content is kept in a separate file: left out")
    if tags:
        description = (
            (description + "\n\n" if description else "") + "Tags: " + ", ".join(dict.fromkeys(tags))
        )
        item.notes.append("its tags are kept in the description")
    return _checked_text(item, "content", description, 10_000)


def _entry_item(element: Element, atom_id: str, title: str, organisation_id: uuid.UUID) -> Item:
    item = Item(atom_id, title, "entry")
    if not title:
        item.problem("has no title")
    elif len(title) > 200:
        item.notes.append("title cut to 200 characters")
    start, end = _dates(element, item)
    found = _categories(element)
    kind, details = _kind_and_details(element, item, found, title)
    if found.standards and frameworks.tag_problems(organisation_id=organisation_id, tags=found.standards):
        item.notes.append("standards your organisation does not use were left out")
        found.standards = []
    hours, status = _hours_and_status(element, item)
    entry: dict[str, Any] = {
        "visibility": "private",
        "title": _checked_text(item, "title", title, 200),
        "kind": kind,
        "details": details,
        "standards": found.standards,
        "ways_of_knowing": [w for w in dict.fromkeys(found.ways) if w in WAYS_OF_KNOWING][:4],
        "description": _description(element, item, found.tags),
        "hours": hours,
        "status": status,
    }
    participatory = _cpd(element, "participatory")
    if participatory in ("true", "false"):
        entry["is_participatory"] = participatory == "true"
    if start:
        entry["start_date"] = start
    if end:
        entry["end_date"] = end
    _date_problems(item, entry, start, end, hours)
    for rel, href, _link in _links(element):
        if rel in ("leap2:has_attachment", "related", "enclosure") and href not in item.files:
            item.files.append(href)
        elif rel == "leap2:reflects_on":
            item.reflects_on = href
    item.entry = entry
    return item


def _date_problems(
    item: Item, entry: dict[str, Any], start: dt.date | None, end: dt.date | None, hours: Decimal
) -> None:
    for name, problems in date_hours_problems(start, end, hours).items():
        for message in problems:
            if name == "end_date" and "at most a year" in message:
                item.notes.append("it spans more than a year: its end date was left out")
                entry.pop("end_date", None)
            else:
                item.problem(f"{name.replace('_', ' ')} {message}")


def _reflection_of(element: Element) -> tuple[dict[str, Any], str, str]:
    """A reflection entry's answers (this logbook's own template and answers when present, else its
    text as a free reflection) and the impact fields."""
    found = element.find(f"{{{CPD}}}reflection")
    known = reflection_templates()["templates"]
    if found is not None and found.get("template") in known:
        template = str(found.get("template"))
        prompts = {p["key"] for p in known[template]["prompts"]}
        answers = {
            str(a.get("key")): (a.text or "")[:10_000]
            for a in found.findall(f"{{{CPD}}}answer")
            if a.get("key") in prompts
        }
        reflection = {"template": template, "answers": answers}
    else:
        reflection = {
            "template": "free",
            "answers": {"text": _content_text(element.find(f"{{{ATOM}}}content"))[:10_000]},
        }
    return (
        reflection,
        (_cpd(element, "impact_on_practice") or "")[:5000],
        (_cpd(element, "impact_on_people") or "")[:5000],
    )


def _file_item(element: Element, atom_id: str, title: str, package: _Package, budget: Budget) -> Item:
    item = Item(atom_id, title or atom_id, "file", action="attach")
    href = ""
    content = element.find(f"{{{ATOM}}}content")
    if content is not None and content.get("src"):
        href = content.get("src") or ""
    for rel, link_href, _link in _links(element):
        if rel == "enclosure":
            href = link_href
    member = package.member(href) if href else None
    if member is None:
        item.leave_out("its file is not in the package" if href else "it names no file")
        return item
    info = package.info(member)
    if info.file_size > budget.max_file_bytes:
        item.leave_out(f"larger than {budget.max_file_bytes // (1024 * 1024)} MB, the evidence limit")
        return item
    data = package.read(member, budget.max_file_bytes)
    media_type = sniff_media_type(data)
    if media_type is None:
        item.leave_out("not a JPEG, PNG, HEIC, PDF or DOCX file (the kinds of evidence this logbook keeps)")
        return item
    item.file = {
        "member": member,
        "name": (title or member.rsplit("/", 1)[-1])[:255],
        "sha256": hashlib.sha256(data).hexdigest(),
        "media_type": media_type,
    }
    return item


def plan(*, user: User, data: bytes, budget: Budget) -> Plan:
    """Read the package and work out every item, writing nothing."""
    if len(data) > budget.max_bytes:
        raise evidence_service.TooLarge(
            "The file is too large.", fields={"file": [f"at most {budget.max_bytes:,} bytes"]}
        )
    if not data.strip():
        raise _refuse("The file is empty.", "no Leap2A feed")
    package = _Package(data, budget)
    root = _parse_feed(package.feed, budget)
    elements = root.findall(f"{{{ATOM}}}entry")
    if len(elements) > budget.max_entries:
        raise _refuse("The feed has too many entries.", f"at most {budget.max_entries:,}")
    version = next((v.text for v in _leap(root, "version")), None)
    if version and version.strip() != LEAP2_VERSION:
        raise _refuse(
            "This Leap2A version is not supported.", f"{version.strip()[:80]}: only {LEAP2_VERSION}"
        )
    source = {
        "title": (root.findtext(f"{{{ATOM}}}title") or "").strip()[:200],
        "generator": (root.findtext(f"{{{ATOM}}}generator") or "").strip()[:100],
        "author": (root.findtext(f"{{{ATOM}}}author/{{{ATOM}}}name") or "").strip()[:200],
    }
    author_uri = (root.findtext(f"{{{ATOM}}}author/{{{ATOM}}}uri") or "").strip()
    items: list[Item] = []
    seen: set[str] = set()
    for element in elements:
        package.check_time()
        item = _item(element, seen, package, budget, organisation_id=user.organisation_id, n=len(items))
        if item.atom_id == author_uri and item.action != "skip":
            item.leave_out("the person's profile: not a CPD entry")
        seen.add(item.atom_id)
        items.append(item)
    _join(items)
    return Plan(items, source, hashlib.sha256(data).hexdigest(), package)


def _item(
    element: Element, seen: set[str], package: _Package, budget: Budget, *, organisation_id: uuid.UUID, n: int
) -> Item:
    """What one Atom entry becomes, on its own (files and reflections are joined afterwards)."""
    atom_id = (element.findtext(f"{{{ATOM}}}id") or "").strip()
    title = _content_text(element.find(f"{{{ATOM}}}title")).replace("\n", " ").strip()
    kind = _rdf_type(element)
    if not atom_id or atom_id in seen:
        item = Item(atom_id or f"(entry {n + 1})", title, "other")
        item.leave_out("it has no id of its own" if not atom_id else "its id is used twice")
    elif kind == "resource":
        item = _file_item(element, atom_id, title, package, budget)
    elif kind in TYPES_AS_ENTRIES:
        item = _entry_item(element, atom_id, title, organisation_id)
        if item.reflects_on:
            item.type = "reflection"
            item.entry["reflection"], impact_practice, impact_people = _reflection_of(element)
            item.entry["impact_on_practice"], item.entry["impact_on_people"] = impact_practice, impact_people
    else:
        item = Item(atom_id, title, "other")
        item.leave_out(
            {
                "selection": "a collection (a Mahara page, journal or folder): its entries come one by one",
                "person": "the person's profile: not a CPD entry",
                "plan": "a plan: not a CPD entry",
            }.get(kind, f"a Leap2A {kind[:40]}: not a CPD entry")
        )
    return item


def _join(items: list[Item]) -> None:
    """Reflections onto their entries; files onto the entries that attach them."""
    _join_reflections(items)
    _join_files(items)


def _join_reflections(items: list[Item]) -> None:
    by_id = {i.atom_id: i for i in items}
    for item in items:
        if item.type != "reflection":
            continue
        target = by_id.get(item.reflects_on)
        if target is None or target.type != "entry":
            item.type = "entry"  # reflects on nothing here: an entry of its own
            item.entry.pop("reflection", None)
            item.entry.pop("impact_on_practice", None)
            item.entry.pop("impact_on_people", None)
            continue
        target.entry["reflection"] = item.entry.get("reflection") or {}
        target.entry["impact_on_practice"] = item.entry.get("impact_on_practice", "")
        target.entry["impact_on_people"] = item.entry.get("impact_on_people", "")
        item.action = "attach" if item.action != "error" else "error"
        item.notes = [f"the reflection of “{target.title[:80]}”"]


def _join_files(items: list[Item]) -> None:
    by_id = {i.atom_id: i for i in items}
    attached: set[str] = set()
    for item in items:
        if item.type != "entry":
            continue
        kept = []
        for href in item.files:
            file = by_id.get(href)
            if file is None or file.type != "file":
                continue
            if file.action == "attach":
                kept.append(href)
                attached.add(href)
            else:
                item.notes.append(f"file “{file.title[:80]}” left out: {'; '.join(file.notes)}")
        item.files = kept[:30]
        if len(kept) > 30:
            item.notes.append("more than 30 files: the first 30 are attached")
    for item in items:
        if item.type == "file" and item.action == "attach" and item.atom_id not in attached:
            item.leave_out("no entry attaches it")
        if item.type == "entry" and item.action == "create" and not item.entry.get("title"):
            item.problem("has no title")


def apply(
    *,
    user: User,
    data: bytes,
    budget: Budget,
    store: EvidenceStore,
    max_evidence_bytes: int,
    now: dt.datetime,
) -> tuple[Plan, list[str]]:
    """Write everything the plan creates, all or none (422 with the preview when an item has a
    problem; 409 when this package was imported before)."""
    found = plan(user=user, data=data, budget=budget)
    if not found.can_apply:
        raise ValidationFailed(
            "Some items have problems; nothing was written.",
            fields={i.title[:80] or i.atom_id[:80]: i.problems for i in found.items if i.action == "error"}
            or {"file": ["no entry to import"]},
            code="items_invalid",
            extra={"preview": found.as_dict()},
        )
    imported_entries.refuse_repeat(user=user, source_format=imported_entries.LEAP2A, sha256=found.file_sha256)
    by_id = {i.atom_id: i for i in found.items}
    for item in found.items:
        if item.type == "file" and item.action == "attach":
            blob = found.package.read(item.file["member"], budget.max_file_bytes)
            evidence_service.upload_evidence(
                uploader=user,
                sha256=item.file["sha256"],
                data=blob,
                filename=item.file["name"],
                max_bytes=max_evidence_bytes,
                store=store,
                now=now,
            )
    imported = imported_entries.start(
        user=user,
        source_format=imported_entries.LEAP2A,
        source_name=(found.source["generator"] or "Leap2A")
        + (f": {found.source['title']}" if found.source["title"] else ""),
        sha256=found.file_sha256,
        exported_at=now,
        now=now,
    )
    items = []
    for item in found.items:
        if item.type != "entry" or item.action != "create":
            continue
        data_in = dict(item.entry)
        data_in["evidence"] = [
            {"sha256": by_id[f].file["sha256"], "name": by_id[f].file["name"], "caption": ""}
            for f in item.files
        ]
        if not data_in.get("reflection") or not data_in["reflection"].get("answers"):
            data_in.pop("reflection", None)
        items.append(data_in)
    written = imported_entries.write_entries(user=user, items=items, imported=imported, now=now)
    ids = [str(entry.id) for entry in written]
    imported_entries.finish(
        user=user,
        imported=imported,
        counts={
            "entries": len(ids),
            "files": sum(1 for i in found.items if i.type == "file" and i.action == "attach"),
            "left_out": sum(1 for i in found.items if i.action == "skip"),
        },
        now=now,
    )
    return found, ids


def budget_from(config: Any) -> Budget:
    """The budget as configured."""
    return Budget(
        max_bytes=int(config["LEAP2A_IMPORT_MAX_BYTES"]),
        max_file_bytes=int(config["EVIDENCE_MAX_BYTES"]),
    )
