"""Past CPD from a spreadsheet (CSV or XLSX): the kind of file people keep before a logbook (date,
title, hours, type, notes, sometimes reflections) → entries, previewed before anything is written.

`preview` reads the file, proposes which column holds which field (the caller may send another
mapping back), guesses each row's kind from its words (the guess and the word are shown), and names
every row's problem by row number, column and reason. `apply` runs the same plan with the mapping the
practitioner confirmed and, only when no row that is not left out has a problem, writes every entry in
the caller's transaction (all or nothing); the entries are marked as imported and are never signed
off (exports/imported_entries.py). The format, the mapping field by field and what is left out:
docs/record-format.md, "Spreadsheets".

The file is untrusted. Budgets: bytes as uploaded, rows, columns, cells, characters per cell, time;
an XLSX's ZIP members and their declared inflated size are checked before openpyxl opens it (zipfile
never inflates past a member's declared size); openpyxl reads the sheet through defusedxml, in
read-only mode; formulas are never evaluated (a formula in a mapped column is a named problem); merged
cells are found in the sheet's own XML (read with defusedxml) and named.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from posixpath import join, normpath
from typing import Any

from defusedxml import ElementTree as SafeET

from logbook.accounts.models import User
from logbook.entries.schemas import date_hours_problems
from logbook.errors import DomainError, ValidationFailed
from logbook.exports import imported_entries
from logbook.fields import text_problem
from logbook.frameworks.kinds import KIND_LABELS

FIELDS = ("date", "end_date", "title", "hours", "kind", "notes", "reflection")
FIELD_LABELS = {
    "date": "Date",
    "end_date": "End date",
    "title": "Title",
    "hours": "Hours",
    "kind": "Type",
    "notes": "Notes",
    "reflection": "Reflection",
}
REQUIRED = ("date", "title", "hours")
# Words a heading may use for each field, after lower-casing and folding punctuation to spaces; the
# first list is matched whole, the second as words inside a longer heading.
_HEADINGS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "date": (
        ("date", "start date", "date of activity", "activity date", "when", "from", "date started"),
        ("date",),
    ),
    "end_date": (
        ("end date", "to", "until", "date finished", "finish date", "end"),
        ("end", "finish", "until"),
    ),
    "title": (
        ("title", "activity", "name", "event", "course", "topic", "subject", "what", "learning activity"),
        ("title", "activity", "event", "topic", "course"),
    ),
    "hours": (
        ("hours", "hrs", "duration", "time", "cpd hours", "time spent", "length"),
        ("hour", "hrs", "duration"),
    ),
    "kind": (
        ("type", "kind", "category", "activity type", "cpd type", "type of activity", "format"),
        ("type", "kind", "category"),
    ),
    "notes": (
        ("notes", "description", "details", "comments", "summary", "comment", "note"),
        ("note", "description", "detail", "comment", "summary"),
    ),
    "reflection": (
        ("reflection", "reflections", "reflective notes", "what i learned", "what i learnt", "learning"),
        ("reflect", "learned", "learnt", "impact"),
    ),
}
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_SERIAL = re.compile(r"^\d{4,6}(?:\.0+)?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 date system)
_HOURS = re.compile(
    r"^(?:(?P<num>\d+(?:[.,]\d+)?)\s*(?P<unit>h|hr|hrs|hour|hours|m|min|mins|minute|minutes)?"
    r"|(?P<h>\d+)\s*(?:h|hr|hrs|hours?)\s*(?P<m>\d+)\s*(?:m|min|mins|minutes?)?"
    r"|(?P<hh>\d+):(?P<mm>[0-5]\d))$"
)
QUARTER = Decimal("0.25")


class SpreadsheetError(ValidationFailed):
    """The file as a whole cannot be read (type, budget, no header): nothing is planned."""

    code = "spreadsheet_invalid"


class SpreadsheetTooLarge(DomainError):
    """The file is larger than the upload budget."""

    status = 413
    code = "too_large"


@dataclass(frozen=True)
class Budget:
    """How much of an untrusted file is read (SPREADSHEET_IMPORT_MAX_BYTES, _MAX_ROWS)."""

    max_bytes: int = 5 * 1024 * 1024
    max_rows: int = 5000
    max_columns: int = 50
    max_cells: int = 250_000
    max_cell_chars: int = 10_000
    max_zip_members: int = 200
    max_inflated_bytes: int = 64 * 1024 * 1024
    max_merged_ranges: int = 10_000
    max_seconds: float = 30.0


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula: never evaluated."""

    text: str


@dataclass
class Table:
    """The file read: its heading row, its data rows by row number, and where cells are merged."""

    headings: list[str]
    heading_row: int
    rows: list[tuple[int, list[Any]]]
    merged: dict[tuple[int, int], str]  # (row, column index) → the merged range, e.g. "A5:A7"
    blank_rows: list[int]
    file_notes: list[str] = field(default_factory=list)
    kind: str = "csv"


# --- reading the file -------------------------------------------------------------------------


def _too_large(budget: Budget) -> SpreadsheetTooLarge:
    return SpreadsheetTooLarge(
        "The file is too large.", fields={"file": [f"at most {budget.max_bytes:,} bytes"]}
    )


def _refuse(message: str, reason: str) -> SpreadsheetError:
    return SpreadsheetError(message, fields={"file": [reason]})


class _Clock:
    def __init__(self, budget: Budget) -> None:
        self.deadline = time.monotonic() + budget.max_seconds

    def check(self) -> None:
        if time.monotonic() > self.deadline:
            raise _refuse("The file takes too long to read.", "over the time budget")


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell_index(ref: str) -> tuple[int, int] | None:
    """ "B7" → (7, 1)."""
    match = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d{1,7})", ref.strip().upper())
    if not match:
        return None
    column = 0
    for char in match.group(1):
        column = column * 26 + (ord(char) - 64)
    return int(match.group(2)), column - 1


def _first_sheet_path(archive: zipfile.ZipFile, budget: Budget) -> str | None:
    """The first worksheet's part name, from the workbook and its relationships (as openpyxl finds it)."""
    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        book = SafeET.fromstring(_member(archive, "xl/workbook.xml", budget))
        rels = SafeET.fromstring(_member(archive, "xl/_rels/workbook.xml.rels", budget))
    except (KeyError, SafeET.ParseError):
        return None
    sheet = book.find(f"{ns_main}sheets/{ns_main}sheet")
    if sheet is None:
        return None
    rid = sheet.get(f"{ns_rel}id")
    for rel in rels:
        if rel.get("Id") == rid:
            target = rel.get("Target") or ""
            return target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
    return None


def _member(archive: zipfile.ZipFile, name: str, budget: Budget) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > budget.max_inflated_bytes:
        raise _refuse("The workbook is too large once unpacked.", f"{name} is over the budget")
    return archive.read(info)


def _merged_cells(archive: zipfile.ZipFile, budget: Budget) -> dict[tuple[int, int], str]:
    """Every cell inside a merged range of the first sheet, but its first (which holds the value)."""
    path = _first_sheet_path(archive, budget)
    if path is None or path not in archive.namelist():
        return {}
    found: dict[tuple[int, int], str] = {}
    ranges = 0
    try:
        with archive.open(path) as stream:
            for _event, element in SafeET.iterparse(stream, events=("end",)):
                if element.tag.endswith("}mergeCell"):
                    ranges += 1
                    if ranges > budget.max_merged_ranges:
                        raise _refuse("The workbook has too many merged cells.", "too many merged ranges")
                    ref = element.get("ref") or ""
                    start, _, end = ref.partition(":")
                    first, last = _cell_index(start), _cell_index(end or start)
                    if first and last:
                        rows = range(first[0], min(last[0], first[0] + budget.max_rows) + 1)
                        cols = range(first[1], min(last[1], budget.max_columns) + 1)
                        for r in rows:
                            for c in cols:
                                if (r, c) != first:
                                    found[(r, c)] = ref
                elif element.tag.endswith("}sheetData"):
                    element.clear()  # the cells are openpyxl's to read; free them
    except SafeET.ParseError as err:
        raise _refuse("The workbook cannot be read.", f"{path}: {err}") from err
    return found


def _xlsx_rows(data: bytes, budget: Budget, clock: _Clock) -> tuple[Iterator[tuple[int, list[Any]]], dict]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise _refuse("The file is not a readable XLSX workbook.", str(err)[:200]) from err
    if len(members) > budget.max_zip_members:
        raise _refuse("The workbook has too many parts.", f"at most {budget.max_zip_members} parts")
    if sum(m.file_size for m in members) > budget.max_inflated_bytes:
        raise _refuse(
            "The workbook is too large once unpacked.", f"at most {budget.max_inflated_bytes:,} bytes"
        )
    if any(m.flag_bits & 0x1 for m in members):
        raise _refuse("The workbook is encrypted.", "save it without a password")
    merged = _merged_cells(archive, budget)
    # openpyxl is imported here, not at the top: only XLSX uploads pay its import (0.3 s).
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as err:  # openpyxl raises many kinds for a damaged workbook
        raise _refuse("The file is not a readable XLSX workbook.", type(err).__name__) from err

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            if not book.worksheets:
                raise _refuse("The workbook has no worksheet.", "no worksheet")
            cells_iter = book.worksheets[0].iter_rows(max_col=budget.max_columns + 1)
            number = 0
            while True:
                clock.check()
                try:
                    cells = next(cells_iter, None)
                except Exception as err:  # parsed lazily: a damaged sheet fails while it is read
                    raise _refuse(
                        "The workbook cannot be read.", f"after row {number}: {type(err).__name__}"
                    ) from err
                if cells is None:
                    return
                number = getattr(cells[0], "row", None) or number + 1 if cells else number + 1
                values = [
                    Formula(str(c.value))
                    if getattr(c, "data_type", None) == "f"
                    else getattr(c, "value", None)
                    for c in cells
                ]
                while values and values[-1] is None:
                    values.pop()
                yield number, values
        finally:
            book.close()

    return rows(), merged


def _decode(data: bytes) -> tuple[str, list[str]]:
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        # Excel's plain "CSV" on Windows is cp1252; it decodes every byte but five
        try:
            return data.decode("cp1252"), ["The file is not UTF-8; it was read as Windows text (cp1252)."]
        except UnicodeDecodeError as err:
            raise _refuse(
                "The CSV is not text: save it as “CSV UTF-8”.", f"byte {err.start} is not text"
            ) from err


def _csv_rows(
    data: bytes, budget: Budget, clock: _Clock, notes: list[str]
) -> Iterator[tuple[int, list[Any]]]:
    if b"\x00" in data:
        raise _refuse("The file is not a CSV or XLSX file.", "contains NUL bytes")
    text, decode_notes = _decode(data)
    notes += decode_notes
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(budget.max_cell_chars * 4 + 16)
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        for row in reader:
            clock.check()
            yield reader.line_num, row[: budget.max_columns + 1]
    except csv.Error as err:
        raise _refuse("The CSV cannot be read.", f"line {reader.line_num}: {err}") from err


def read_table(data: bytes, budget: Budget) -> Table:
    """The file's heading row and data rows (XLSX is recognised by its content, anything else is CSV)."""
    if len(data) > budget.max_bytes:
        raise _too_large(budget)
    if not data.strip():
        raise _refuse("The file is empty.", "no heading row")
    clock = _Clock(budget)
    notes: list[str] = []
    merged: dict[tuple[int, int], str] = {}
    if data[:4] == b"PK\x03\x04":
        source, merged = _xlsx_rows(data, budget, clock)
        kind = "xlsx"
    else:
        source, kind = _csv_rows(data, budget, clock, notes), "csv"
    headings: list[str] | None = None
    heading_row = 0
    rows: list[tuple[int, list[Any]]] = []
    blank: list[int] = []
    cells = 0
    for number, raw in source:
        cells += len(raw)
        if cells > budget.max_cells:
            raise _refuse("The file has too many cells.", f"at most {budget.max_cells:,}")
        if len(raw) > budget.max_columns:
            raise _refuse("The file has too many columns.", f"at most {budget.max_columns}")
        if headings is None:
            if any(_text(v) for v in raw):
                headings, heading_row = [_text(v)[:200] for v in raw], number
            continue
        if not any(isinstance(v, Formula) or _text(v) for v in raw):
            blank.append(number)
            continue
        if len(rows) >= budget.max_rows:
            raise _refuse("The file has too many rows.", f"at most {budget.max_rows:,} rows")
        rows.append((number, raw))
    if headings is None:
        raise _refuse("The file is empty.", "no heading row")
    # a blank row at the very end is nothing; only blank rows between data rows are reported
    last = rows[-1][0] if rows else heading_row
    blank = [n for n in blank if n < last]
    return Table(headings, heading_row, rows, merged, blank, notes, kind)


# --- reading one cell -----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _serial(number: float) -> dt.date | None:
    if not 1 <= number < 2_958_466:  # Excel's last day is 9999-12-31
        return None
    return _EXCEL_EPOCH + dt.timedelta(days=int(number))


def parse_date(value: Any) -> tuple[dt.date | None, str]:  # noqa: PLR0911 - one return per format
    """A cell as a calendar date and the format it was written in; (None, reason) when it is not one.
    Day first: 03/04/2025 is 3 April 2025 (a UK logbook)."""
    if isinstance(value, dt.datetime):
        return value.date(), "spreadsheet date"
    if isinstance(value, dt.date):
        return value, "spreadsheet date"
    if isinstance(value, int | float) and not isinstance(value, bool):
        day = _serial(float(value))
        return (day, "Excel serial number") if day else (None, f"{value} is not a date")
    text = _text(value).lower()
    if not text:
        return None, "is empty"
    try:
        if match := _ISO.match(text):
            return dt.date(int(match[1]), int(match[2]), int(match[3])), "yyyy-mm-dd"
        if match := _DMY.match(text):
            first, month, year = int(match[1]), int(match[2]), int(match[3])
            if month > 12 and first <= 12:
                return (
                    None,
                    f"“{_text(value)}” looks month first (US style): write it day first or as yyyy-mm-dd",
                )
            year = year + 2000 if year < 100 else year
            return dt.date(year, month, first), "dd/mm/yyyy"
        if (match := _DAY_MONTH_YEAR.match(text)) and match[2] in _MONTHS:
            return dt.date(int(match[3]), _MONTHS[match[2]], int(match[1])), "day month year"
        if (match := _MONTH_DAY_YEAR.match(text)) and match[1] in _MONTHS:
            return dt.date(int(match[3]), _MONTHS[match[1]], int(match[2])), "month day, year"
        if _SERIAL.match(text):
            day = _serial(float(text))
            if day:
                return day, "Excel serial number"
    except ValueError:
        return None, f"“{_text(value)[:40]}” is not a real date"
    return (
        None,
        f"“{_text(value)[:40]}” is not a date this import reads (e.g. 03/04/2025, 2025-04-03, 3 April 2025)",
    )


def parse_hours(value: Any) -> tuple[Decimal | None, str]:  # noqa: PLR0911, PLR0912 - one per form
    """Hours as a number (1.5), with a unit (90 min, 2 hrs, 1h30) or as h:mm; rounded to 2 places."""
    if isinstance(value, bool):
        return None, "is not a number of hours"
    if isinstance(value, int | float | Decimal):
        try:
            hours = Decimal(str(value))
        except InvalidOperation:
            return None, "is not a number of hours"
    else:
        text = _text(value).lower()
        if not text:
            return None, "is empty"
        match = _HOURS.match(text)
        if not match:
            return None, f"“{_text(value)[:40]}” is not a number of hours (e.g. 1.5, 90 min, 1:30)"
        if match["num"] is not None:
            hours = Decimal(match["num"].replace(",", "."))
            if (match["unit"] or "").startswith("m"):
                hours = hours / 60
        elif match["h"] is not None:
            hours = Decimal(match["h"]) + Decimal(match["m"]) / 60
        else:
            hours = Decimal(match["hh"]) + Decimal(match["mm"]) / 60
    if not hours.is_finite():
        return None, "is not a number of hours"
    hours = hours.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if hours < QUARTER:
        return None, f"{hours} hours is less than a quarter of an hour"
    if hours >= 100_000:
        return None, f"{hours} hours is too many"
    return hours, ""


# --- the plan -------------------------------------------------------------------------------------


def _norm(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", heading.lower()).strip()


def propose_mapping(headings: list[str]) -> dict[str, int | None]:
    """Which column each field is in, from the headings: whole-heading matches first, then words."""
    mapping: dict[str, int | None] = dict.fromkeys(FIELDS)
    taken: set[int] = set()
    normalised = [_norm(h) for h in headings]
    for whole in (True, False):
        for name in FIELDS:
            if mapping[name] is not None:
                continue
            exact, words = _HEADINGS[name]
            for i, heading in enumerate(normalised):
                if i in taken or not heading:
                    continue
                hit = heading in exact if whole else any(w in heading.split() or w in heading for w in words)
                if hit:
                    mapping[name] = i
                    taken.add(i)
                    break
    return mapping


def check_mapping(mapping: dict[str, int | None], width: int) -> None:
    """A mapping the caller sent: known fields, existing columns, one field per column."""
    problems: dict[str, list[str]] = {}
    seen: dict[int, str] = {}
    for name, column in mapping.items():
        if name not in FIELDS:
            problems[name] = ["is not a field of an entry this import fills"]
        elif column is not None and not 0 <= column < width:
            problems[name] = [f"column {column} does not exist (the file has {width})"]
        elif column is not None and column in seen:
            problems[name] = [f"column {_column_letter(column)} is already mapped to {seen[column]}"]
        elif column is not None:
            seen[column] = name
    if problems:
        raise ValidationFailed("The column mapping is not right.", fields=problems, code="mapping_invalid")


def missing_fields(mapping: dict[str, int | None]) -> dict[str, list[str]]:
    """Required fields the mapping leaves out (the preview says so; the rows wait for them)."""
    return {name: ["choose the column it is in"] for name in REQUIRED if mapping.get(name) is None}


@dataclass
class Row:
    """One data row: its number as the spreadsheet shows it, the entry it makes, and its problems."""

    number: int
    action: str = "create"
    entry: dict[str, Any] = field(default_factory=dict)
    kind_guess: dict[str, Any] = field(default_factory=dict)
    date_format: str = ""
    problems: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # field → its column as shown ("B (Title)")

    def has_problem(self, field_name: str) -> bool:
        """Whether a problem is already named for this field."""
        return any(p["field"] == field_name for p in self.problems)

    def problem(self, column: str, field_name: str, message: str) -> None:
        """Name a problem with one cell (or the row: column "")."""
        self.problems.append({"column": column, "field": field_name, "message": message})
        self.action = "error"


@dataclass
class Plan:
    """What the file would do."""

    table: Table
    mapping: dict[str, int | None]
    proposed: dict[str, int | None]
    rows: list[Row]
    file_sha256: str
    skipped: list[int]
    missing: dict[str, list[str]] = field(default_factory=dict)

    @property
    def can_apply(self) -> bool:
        """No row that is not left out has a problem, and there is something to write."""
        return (
            not self.missing
            and any(r.action == "create" for r in self.rows)
            and not any(r.action == "error" for r in self.rows)
        )

    def as_dict(self) -> dict[str, Any]:
        """The preview, as the API sends it."""
        headings = self.table.headings
        width = max([len(headings)] + [len(raw) for _n, raw in self.table.rows[:200]])
        samples: dict[int, list[str]] = {i: [] for i in range(width)}
        for _n, raw in self.table.rows[:50]:
            for i, value in enumerate(raw):
                text = _text(value)
                if text and len(samples[i]) < 3:
                    samples[i].append(text[:60])
        by_column = {c: name for name, c in self.mapping.items() if c is not None}
        formats: dict[str, int] = {}
        for row in self.rows:
            if row.date_format:
                formats[row.date_format] = formats.get(row.date_format, 0) + 1
        notes = list(self.table.file_notes)
        if "dd/mm/yyyy" in formats:
            notes.append("Dates like 03/04/2025 were read day first: 3 April 2025.")
        if len(formats) > 1:
            notes.append(f"The dates are written in {len(formats)} ways: " + ", ".join(sorted(formats)) + ".")
        counts = {"create": 0, "error": 0, "skip": 0}
        for row in self.rows:
            counts[row.action] += 1
        return {
            "file_sha256": self.file_sha256,
            "file_kind": self.table.kind,
            "heading_row": self.table.heading_row,
            "columns": [
                {
                    "index": i,
                    "letter": _column_letter(i),
                    "heading": headings[i] if i < len(headings) else "",
                    "samples": samples[i],
                    "field": by_column.get(i),
                }
                for i in range(width)
            ],
            "fields": [
                {
                    "name": name,
                    "label": FIELD_LABELS[name],
                    "required": name in REQUIRED,
                    "column": self.mapping[name],
                    "proposed": self.proposed[name],
                }
                for name in FIELDS
            ],
            "date_formats": formats,
            "mapping_problems": self.missing,
            "notes": notes,
            "summary": {**counts, "rows": len(self.rows)},
            "can_apply": self.can_apply,
            "rows": [
                {
                    "row": r.number,
                    "action": r.action,
                    "title": r.entry.get("title", ""),
                    "kind": r.entry.get("kind", ""),
                    "kind_label": KIND_LABELS.get(r.entry.get("kind", ""), ""),
                    "kind_guess": r.kind_guess,
                    "start_date": r.entry.get("start_date"),
                    "end_date": r.entry.get("end_date"),
                    "hours": f"{r.entry['hours']:.2f}" if "hours" in r.entry else None,
                    "has_notes": bool(r.entry.get("description")),
                    "has_reflection": bool(r.entry.get("reflection")),
                    "problems": r.problems,
                    "notes": r.notes,
                }
                for r in self.rows
            ],
        }


def _cell(raw: list[Any], column: int | None) -> Any:
    return raw[column] if column is not None and column < len(raw) else None


def _cells(
    row: Row, raw: list[Any], table: Table, mapping: dict[str, int | None], budget: Budget
) -> dict[str, Any]:
    """The mapped cells' values, each cell's reading problem named (formula, merged, too long, bad text)."""
    values: dict[str, Any] = {}
    for name, column in mapping.items():
        if column is None:
            continue
        value = _cell(raw, column)
        where = row.names[name]
        text = _text(value)
        if isinstance(value, Formula):
            row.problem(where, name, f"is a formula ({value.text[:40]}): type the value itself")
        elif (row.number, column) in table.merged and not text:
            merged = table.merged[(row.number, column)]
            row.problem(where, name, f"is part of merged cells {merged}: unmerge them and fill each row")
        elif len(text) > budget.max_cell_chars:
            row.problem(where, name, f"is longer than {budget.max_cell_chars:,} characters")
        elif problem := text_problem(text):
            row.problem(where, name, problem)
        else:
            values[name] = value
    return values


def _read_dates_and_hours(
    row: Row, values: dict[str, Any]
) -> tuple[dt.date | None, dt.date | None, Decimal | None]:
    start = end = hours = None
    if not row.has_problem("date"):
        start, why = parse_date(values.get("date"))
        if start is None:
            row.problem(row.names["date"], "date", why)
        else:
            row.date_format = why
    if "end_date" in row.names and _text(values.get("end_date")):
        end, why = parse_date(values.get("end_date"))
        if end is None:
            row.problem(row.names["end_date"], "end_date", why)
    if not row.has_problem("hours"):
        hours, why = parse_hours(values.get("hours"))
        if hours is None:
            row.problem(row.names["hours"], "hours", why)
    for name, problems in date_hours_problems(start, end, hours).items():
        target = {"start_date": "date"}.get(name, name)
        for message in problems:
            row.problem(row.names.get(target, FIELD_LABELS.get(target, target)), target, message)
    return start, end, hours


def _row(number: int, raw: list[Any], table: Table, mapping: dict[str, int | None], budget: Budget) -> Row:
    row = Row(number)
    row.names = {
        name: f"{_column_letter(c)} ({_heading(table, c)})" for name, c in mapping.items() if c is not None
    }
    values = _cells(row, raw, table, mapping, budget)
    title = _text(values.get("title"))
    if not row.has_problem("title") and not title:
        row.problem(row.names["title"], "title", "is empty")
    elif not row.has_problem("title") and len(title) > 200:
        row.problem(row.names["title"], "title", f"is {len(title)} characters long; at most 200")
    start, end, hours = _read_dates_and_hours(row, values)
    guess = imported_entries.guess_kind(_text(values.get("kind")), title)
    row.kind_guess = guess
    entry: dict[str, Any] = {
        "kind": guess["kind"],
        "title": title[:200],
        "status": "recorded",
        "visibility": "private",
        "details": imported_entries.details_from_title(guess["kind"], title),
    }
    optional = {
        "start_date": start,
        "end_date": end,
        "hours": hours,
        "description": _text(values.get("notes")),
    }
    entry |= {k: v for k, v in optional.items() if v is not None and v != ""}
    if reflection := _text(values.get("reflection")):
        entry["reflection"] = {"template": "free", "answers": {"text": reflection}}
    row.entry = entry
    return row


def _heading(table: Table, column: int) -> str:
    heading = table.headings[column] if column < len(table.headings) else ""
    return heading or f"column {_column_letter(column)}"


def plan(
    *,
    data: bytes,
    budget: Budget,
    mapping: dict[str, int | None] | None = None,
    skip: list[int] | None = None,
) -> Plan:
    """Read the file and work out every row, writing nothing."""
    table = read_table(data, budget)
    proposed = propose_mapping(table.headings)
    chosen = dict.fromkeys(FIELDS) | (mapping if mapping is not None else proposed)
    width = max([len(table.headings)] + [len(raw) for _n, raw in table.rows])
    check_mapping(chosen, width)
    skipped = sorted(set(skip or []))
    missing = missing_fields(chosen)
    clock = _Clock(budget)
    rows: list[Row] = []
    for number, raw in [] if missing else table.rows:
        clock.check()
        if number in skipped:
            row = Row(number, action="skip", notes=["left out: you chose to skip this row"])
        else:
            row = _row(number, raw, table, chosen, budget)
        rows.append(row)
    for number in table.blank_rows:
        rows.append(Row(number, action="skip", notes=["an empty row: nothing to import"]))
    rows.sort(key=lambda r: r.number)
    return Plan(table, chosen, proposed, rows, hashlib.sha256(data).hexdigest(), skipped, missing)


def apply(
    *,
    user: User,
    data: bytes,
    budget: Budget,
    mapping: dict[str, int | None] | None,
    skip: list[int] | None,
    filename: str,
    now: dt.datetime,
) -> tuple[Plan, list[str]]:
    """Write every row the plan creates, all or none (422 with the preview when a row has a problem;
    409 when this file was imported before). Returns the plan and the new entries' ids."""
    found = plan(data=data, budget=budget, mapping=mapping, skip=skip)
    if found.missing:
        raise ValidationFailed(
            "Choose the columns of the date, title and hours. Nothing was written.",
            fields=found.missing,
            code="mapping_invalid",
            extra={"preview": found.as_dict()},
        )
    if not found.can_apply:
        raise ValidationFailed(
            "Some rows have problems (fix them, change the mapping or leave them out); nothing was written.",
            fields={
                f"row {r.number}": [f"{p['column']}: {p['message']}" for p in r.problems]
                for r in found.rows
                if r.action == "error"
            }
            or {"file": ["no row to import"]},
            code="rows_invalid",
            extra={"preview": found.as_dict()},
        )
    imported = imported_entries.start(
        user=user,
        source_format=imported_entries.SPREADSHEET,
        source_name=f"Spreadsheet {filename}".strip()[:200],
        sha256=found.file_sha256,
        exported_at=now,
        now=now,
    )
    written = imported_entries.write_entries(
        user=user, items=[r.entry for r in found.rows if r.action == "create"], imported=imported, now=now
    )
    ids = [str(entry.id) for entry in written]
    imported_entries.finish(
        user=user,
        imported=imported,
        counts={"entries": len(ids), "rows_left_out": sum(1 for r in found.rows if r.action == "skip")},
        now=now,
    )
    return found, ids


def budget_from(config: Any) -> Budget:
    """The budget as configured."""
    return Budget(
        max_bytes=int(config["SPREADSHEET_IMPORT_MAX_BYTES"]),
        max_rows=int(config["SPREADSHEET_IMPORT_MAX_ROWS"]),
    )
