"""Past CPD from a spreadsheet (CSV or XLSX): the kind of file people keep before a logbook (date,
title, hours, type, notes, sometimes reflections) → entries, previewed before anything is written.

`preview` reads the file, proposes which column holds which field (the caller may send another
mapping back), guesses each row's kind from its words (the guess and the word are shown), and names
every row's problem by row number, column and reason. `apply` runs the same plan with the mapping the
practitioner confirmed and, only when no row that is not left out has a problem, writes every entry in
the caller's transaction (all or nothing); the entries are marked as imported and are never signed
off (exports/imported_entries.py). The format, the mapping field by field and what is left out:
docs/record-format.md, "Spreadsheets".

The file is untrusted: exports/tables.py reads it within `BUDGET` (bytes as uploaded, rows, columns,
cells, characters per cell, ZIP parts and their inflated size, merged ranges, time) and refuses what is
over it; formulas are never evaluated (a formula in a mapped column is a named problem); a cell inside
merged cells but their first is named.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from logbook.accounts.models import User
from logbook.entries.schemas import date_hours_problems
from logbook.errors import ValidationFailed
from logbook.exports import imported_entries, tables
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


class SpreadsheetError(tables.Unreadable):
    """The file as a whole cannot be read (type, budget, no header): nothing is planned."""

    code = "spreadsheet_invalid"


# A past-CPD spreadsheet's limits: tables.Budget's, but these (and SPREADSHEET_IMPORT_MAX_BYTES and
# _MAX_ROWS: `budget_from`). The reading and its protections are exports/tables.py.
BUDGET = tables.Budget(
    max_columns=50,
    max_cell_chars=10_000,
    max_zip_members=200,
    encodings=("utf-8-sig", "cp1252"),  # Excel's plain "CSV" on Windows is cp1252
)
_text = tables.cell_text
_column_letter = tables.column_letter


def read_table(data: bytes, budget: tables.Budget) -> tables.Table:
    """The file's heading row (as text) and data rows."""
    table = tables.read_table(data, budget, unreadable=SpreadsheetError)
    table.headings = [_text(v)[:200] for v in table.headings]
    return table


# --- reading one cell -----------------------------------------------------------------------------


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

    table: tables.Table
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
        notes = list(self.table.notes)
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
    row: Row, raw: list[Any], table: tables.Table, mapping: dict[str, int | None], budget: tables.Budget
) -> dict[str, Any]:
    """The mapped cells' values, each cell's reading problem named (formula, merged, too long, bad text)."""
    values: dict[str, Any] = {}
    for name, column in mapping.items():
        if column is None:
            continue
        value = _cell(raw, column)
        where = row.names[name]
        text = _text(value)
        if isinstance(value, tables.Formula):
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


def _row(
    number: int, raw: list[Any], table: tables.Table, mapping: dict[str, int | None], budget: tables.Budget
) -> Row:
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


def _heading(table: tables.Table, column: int) -> str:
    heading = table.headings[column] if column < len(table.headings) else ""
    return heading or f"column {_column_letter(column)}"


def plan(
    *,
    data: bytes,
    budget: tables.Budget,
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
    clock = tables.Clock(budget, SpreadsheetError)
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
    budget: tables.Budget,
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


def budget_from(config: Any) -> tables.Budget:
    """The budget as configured."""
    return dataclasses.replace(
        BUDGET,
        max_bytes=int(config["SPREADSHEET_IMPORT_MAX_BYTES"]),
        max_rows=int(config["SPREADSHEET_IMPORT_MAX_ROWS"]),
    )
