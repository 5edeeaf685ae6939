"""The one reader of an uploaded table (CSV or XLSX): bytes → its heading row and data rows of raw
cells, refusing a hostile file before it costs much. Used by the past-CPD spreadsheet import
(exports/spreadsheet.py) and staff onboarding (exports/staff_import.py); each keeps its own heading
and row rules and its own error code, and sets the limits of one `Budget`.

What is refused, each with a 4xx naming the file and the reason (`unreadable`, the caller's
ValidationFailed subclass, 422; `TooLarge`, 413):
- more bytes than `max_bytes` as uploaded (before anything is read);
- an XLSX whose ZIP directory declares more than `max_zip_members` parts or more than
  `max_inflated_bytes` inflated (all parts, or any one part read here), or an encrypted part, before
  openpyxl opens it (zipfile never inflates past a part's declared size); openpyxl reads the first
  worksheet read-only through defusedxml (no entity expansion); formulas are never evaluated: a
  formula cell is a `Formula` for the caller to name; merged ranges (at most `max_merged_ranges`, and
  at most `max_cells` cells in them) are read from the sheet's own XML with defusedxml;
- a CSV with NUL bytes, or not text in one of `encodings` (the first that decodes is used; a note says
  when it is not the first); its delimiter is sniffed (comma, semicolon, tab); a cell longer than
  about four times `max_cell_chars` stops the CSV parser;
- a row wider than `max_columns`, more than `max_cells` cells, more than `max_rows` data rows;
- reading for longer than `max_seconds`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from posixpath import join, normpath
from typing import Any

from defusedxml import ElementTree as SafeET

from logbook.entries.evidence import TooLarge  # an upload over its size limit: 413
from logbook.errors import ValidationFailed


class Unreadable(ValidationFailed):
    """The file as a whole cannot be read (type, budget, no heading): callers subclass it for their code."""

    code = "table_invalid"


@dataclass(frozen=True)
class Budget:
    """How much of an untrusted file is read. The defaults are the stricter of the two importers';
    each sets where its own limits are wider (spreadsheet.BUDGET, staff_import.BUDGET; their docs)."""

    max_bytes: int = 5 * 1024 * 1024
    max_rows: int = 5000
    max_columns: int = 30
    max_cells: int = 250_000
    max_cell_chars: int = 1000
    max_zip_members: int = 100
    max_inflated_bytes: int = 64 * 1024 * 1024
    max_merged_ranges: int = 10_000
    max_seconds: float = 30.0
    encodings: tuple[str, ...] = ("utf-8-sig",)  # a CSV's, tried in order


@dataclass(frozen=True)
class Formula:
    """A cell holding a formula: never evaluated."""

    text: str


@dataclass
class Table:
    """The file read: its heading row (the first with text), its data rows by row number, the blank
    rows between them, and where cells are merged (XLSX)."""

    headings: list[Any]
    heading_row: int
    rows: list[tuple[int, list[Any]]]
    merged: dict[tuple[int, int], str]  # (row, column index) → the merged range, e.g. "A5:A7"
    blank_rows: list[int]
    notes: list[str] = field(default_factory=list)
    kind: str = "csv"


def cell_text(value: Any) -> str:
    """A cell as text: a spreadsheet date as yyyy-mm-dd, a whole float without ".0", a formula as written."""
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


def column_letter(index: int) -> str:
    """0 → "A", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Clock:
    """The time budget: `check` refuses once `max_seconds` have passed."""

    def __init__(self, budget: Budget, unreadable: type[Unreadable]) -> None:
        self.deadline = time.monotonic() + budget.max_seconds
        self.unreadable = unreadable

    def check(self) -> None:
        """Refuse the file if its time is up."""
        if time.monotonic() > self.deadline:
            raise self.unreadable(
                "The file takes too long to read.", fields={"file": ["over the time budget"]}
            )


class _Reader:
    def __init__(self, budget: Budget, unreadable: type[Unreadable]) -> None:
        self.budget = budget
        self.unreadable = unreadable
        self.clock = Clock(budget, unreadable)

    def refuse(self, message: str, reason: str) -> Unreadable:
        return self.unreadable(message, fields={"file": [reason]})

    # --- XLSX ---

    def member(self, archive: zipfile.ZipFile, name: str) -> bytes:
        info = archive.getinfo(name)
        if info.file_size > self.budget.max_inflated_bytes:
            raise self.refuse("The workbook is too large once unpacked.", f"{name} is over the budget")
        return archive.read(info)

    def first_sheet_path(self, archive: zipfile.ZipFile) -> str | None:
        """The first worksheet's part name, from the workbook and its relationships (as openpyxl finds it)."""
        ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
        ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
        try:
            book = SafeET.fromstring(self.member(archive, "xl/workbook.xml"))
            rels = SafeET.fromstring(self.member(archive, "xl/_rels/workbook.xml.rels"))
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

    def merged_cells(self, archive: zipfile.ZipFile) -> dict[tuple[int, int], str]:
        """Every cell inside a merged range of the first sheet, but its first (which holds the value):
        at most `max_merged_ranges` ranges and `max_cells` cells in them (a few bytes of XML can merge
        millions of cells), within the time budget."""
        budget = self.budget
        path = self.first_sheet_path(archive)
        if path is None or path not in archive.namelist():
            return {}
        found: dict[tuple[int, int], str] = {}
        ranges = 0
        try:
            with archive.open(path) as stream:
                for _event, element in SafeET.iterparse(stream, events=("end",)):
                    tag = element.tag
                    if tag.endswith(("}row", "}sheetData")):
                        element.clear()  # the cells are openpyxl's to read; free them as they pass
                        self.clock.check()
                    elif tag.endswith("}mergeCell"):
                        ranges += 1
                        if ranges > budget.max_merged_ranges:
                            raise self.refuse(
                                "The workbook has too many merged cells.", "too many merged ranges"
                            )
                        self._merge(element.get("ref") or "", found)
        except SafeET.ParseError as err:
            raise self.refuse("The workbook cannot be read.", f"{path}: {err}") from err
        return found

    def _merge(self, ref: str, found: dict[tuple[int, int], str]) -> None:
        budget = self.budget
        start, _, end = ref.partition(":")
        first, last = _cell_index(start), _cell_index(end or start)
        if not (first and last):
            return
        cols = range(first[1], min(last[1], budget.max_columns) + 1)
        for r in range(first[0], min(last[0], first[0] + budget.max_rows) + 1):
            for c in cols:
                if (r, c) != first:
                    found[(r, c)] = ref
            if len(found) > budget.max_cells:
                raise self.refuse(
                    "The workbook has too many merged cells.", f"at most {budget.max_cells:,} merged cells"
                )
        self.clock.check()

    def xlsx_rows(self, data: bytes) -> tuple[Iterator[tuple[int, list[Any]]], dict[tuple[int, int], str]]:
        budget = self.budget
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            members = archive.infolist()
        except (zipfile.BadZipFile, ValueError, OSError) as err:
            raise self.refuse("The file is not a readable XLSX workbook.", str(err)[:200]) from err
        if len(members) > budget.max_zip_members:
            raise self.refuse("The workbook has too many parts.", f"at most {budget.max_zip_members} parts")
        if sum(m.file_size for m in members) > budget.max_inflated_bytes:
            raise self.refuse(
                "The workbook is too large once unpacked.", f"at most {budget.max_inflated_bytes:,} bytes"
            )
        if any(m.flag_bits & 0x1 for m in members):
            raise self.refuse("The workbook is encrypted.", "save it without a password")
        merged = self.merged_cells(archive)
        # openpyxl is imported here, not at the top: only XLSX uploads pay its import (0.3 s).
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        except Exception as err:  # openpyxl raises many kinds for a damaged workbook
            raise self.refuse("The file is not a readable XLSX workbook.", type(err).__name__) from err

        def rows() -> Iterator[tuple[int, list[Any]]]:
            try:
                if not book.worksheets:
                    raise self.refuse("The workbook has no worksheet.", "no worksheet")
                cells_iter = book.worksheets[0].iter_rows(max_col=budget.max_columns + 1)
                number = 0
                while True:
                    self.clock.check()
                    try:
                        cells = next(cells_iter, None)
                    except Exception as err:  # parsed lazily: a damaged sheet fails while it is read
                        raise self.refuse(
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
                    while values and values[-1] is None:  # read-only rows are padded to max_col
                        values.pop()
                    yield number, values
            finally:
                book.close()

        return rows(), merged

    # --- CSV ---

    def decode(self, data: bytes) -> tuple[str, list[str]]:
        encodings = self.budget.encodings
        for i, encoding in enumerate(encodings):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as err:
                if i == len(encodings) - 1:
                    only = "UTF-8 " if encodings == ("utf-8-sig",) else ""
                    raise self.refuse(
                        f"The CSV is not {only}text: save it as “CSV UTF-8”.",
                        f"byte {err.start} is not {only}text",
                    ) from err
                continue
            # Excel's plain "CSV" on Windows is cp1252; it decodes every byte but five
            note = f"The file is not UTF-8; it was read as {_ENCODING_NAMES.get(encoding, encoding)}."
            return text, [] if i == 0 else [note]
        raise self.refuse("The CSV is not text: save it as “CSV UTF-8”.", "no encoding to read it with")

    def csv_rows(self, data: bytes, notes: list[str]) -> Iterator[tuple[int, list[Any]]]:
        budget = self.budget
        if b"\x00" in data:
            raise self.refuse("The file is not a CSV or XLSX file.", "contains NUL bytes")
        text, decode_notes = self.decode(data)
        notes += decode_notes
        try:
            dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        return self._csv_parse(text, dialect, budget)

    def _csv_parse(self, text: str, dialect: Any, budget: Budget) -> Iterator[tuple[int, list[Any]]]:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        limit = csv.field_size_limit(budget.max_cell_chars * 4 + 16)
        try:
            for row in reader:
                self.clock.check()
                yield reader.line_num, row[: budget.max_columns + 1]
        except csv.Error as err:
            raise self.refuse("The CSV cannot be read.", f"line {reader.line_num}: {err}") from err
        finally:
            csv.field_size_limit(limit)


_ENCODING_NAMES = {"cp1252": "Windows text (cp1252)"}


def _cell_index(ref: str) -> tuple[int, int] | None:
    """ "B7" → (7, 1)."""
    match = re.fullmatch(r"\$?([A-Z]{1,3})\$?(\d{1,7})", ref.strip().upper())
    if not match:
        return None
    column = 0
    for char in match.group(1):
        column = column * 26 + (ord(char) - 64)
    return int(match.group(2)), column - 1


def read_table(data: bytes, budget: Budget, *, unreadable: type[Unreadable] = Unreadable) -> Table:
    """The file's heading row and data rows (XLSX is recognised by its content, anything else is CSV).
    A row with no text and no formula is blank: before the heading it is passed over, between data
    rows it is listed in `blank_rows`, after the last it is nothing."""
    if len(data) > budget.max_bytes:
        raise TooLarge("The file is too large.", fields={"file": [f"at most {budget.max_bytes:,} bytes"]})
    reader = _Reader(budget, unreadable)
    if not data.strip():
        raise reader.refuse("The file is empty.", "no heading row")
    notes: list[str] = []
    merged: dict[tuple[int, int], str] = {}
    if data[:4] == b"PK\x03\x04":
        source, merged = reader.xlsx_rows(data)
        kind = "xlsx"
    else:
        source, kind = reader.csv_rows(data, notes), "csv"
    headings: list[Any] | None = None
    heading_row = 0
    rows: list[tuple[int, list[Any]]] = []
    blank: list[int] = []
    cells = 0
    for number, raw in source:
        cells += len(raw)
        if cells > budget.max_cells:
            raise reader.refuse("The file has too many cells.", f"at most {budget.max_cells:,}")
        if len(raw) > budget.max_columns:
            raise reader.refuse("The file has too many columns.", f"at most {budget.max_columns} columns")
        if headings is None:
            if any(cell_text(v) for v in raw):
                headings, heading_row = raw, number
            continue
        if not any(isinstance(v, Formula) or cell_text(v) for v in raw):
            blank.append(number)
            continue
        if len(rows) >= budget.max_rows:
            raise reader.refuse("The file has too many rows.", f"at most {budget.max_rows:,} rows")
        rows.append((number, raw))
    if headings is None:
        raise reader.refuse("The file is empty.", "no heading row")
    # a blank row at the very end is nothing; only blank rows between data rows are listed
    last = rows[-1][0] if rows else heading_row
    return Table(headings, heading_row, rows, merged, [n for n in blank if n < last], notes, kind)
