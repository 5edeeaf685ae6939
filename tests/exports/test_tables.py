"""The one table reader (logbook/exports/tables.py) both importers use: past CPD from a spreadsheet and
staff onboarding read a file the same way, each within its own budget and with its own error code;
every protection holds for both (staff onboarding gained the time budget, the refusal of a wide row,
of an encrypted workbook, of too many merged ranges, and the CSV cell cap from the spreadsheet import's
reader)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook

from logbook.exports import spreadsheet, staff_import, tables

IMPORTERS = {
    "spreadsheet": (spreadsheet.BUDGET, spreadsheet.SpreadsheetError, "spreadsheet_invalid"),
    "staff": (staff_import.BUDGET, staff_import.StaffFileError, "staff_file_invalid"),
}


@pytest.fixture(params=sorted(IMPORTERS))
def importer(request):
    return IMPORTERS[request.param]


def read(data: bytes, budget: tables.Budget, error: type[tables.Unreadable]) -> tables.Table:
    return tables.read_table(data, budget, unreadable=error)


def workbook(rows: list[list], merge: list[str] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for ref in merge:
        sheet.merge_cells(ref)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def refused(importer, data: bytes, match: str, **limits) -> tables.Unreadable:
    budget, error, code = importer
    with pytest.raises(error, match=match) as caught:
        read(data, dataclasses.replace(budget, **limits), error)
    assert caught.value.code == code
    assert caught.value.status == 422
    assert list(caught.value.fields) == ["file"]
    return caught.value


def test_both_importers_read_a_file_to_the_same_rows(importer):
    budget, error, _code = importer
    data = workbook(
        [
            [],
            ["name", "email", "when"],
            ["Sam", '=A3&"@x"', dt.datetime(2027, 11, 30)],
            [],
            ["Alex", "alex@test.example", 3.0],
            [],
        ]
    )
    table = read(data, budget, error)
    assert (table.kind, table.heading_row, table.headings) == ("xlsx", 2, ["name", "email", "when"])
    assert table.rows == [
        (3, ["Sam", tables.Formula('=A3&"@x"'), dt.datetime(2027, 11, 30)]),
        (5, ["Alex", "alex@test.example", 3]),
    ]
    assert table.blank_rows == [4]  # between data rows; the last one is nothing
    csv_table = read(b"name;email\r\nSam;sam@test.example\r\n", budget, error)
    assert (csv_table.headings, csv_table.rows) == (["name", "email"], [(2, ["Sam", "sam@test.example"])])


def test_the_file_is_too_large_before_it_is_read(importer):
    budget, error, _code = importer
    with pytest.raises(tables.TooLarge) as caught:
        read(b"a,b\n" * 100, dataclasses.replace(budget, max_bytes=100), error)
    assert caught.value.status == 413
    assert caught.value.fields == {"file": ["at most 100 bytes"]}


def test_the_time_budget(importer):
    refused(importer, b"name,email\nSam,sam@test.example\n", "takes too long", max_seconds=-1)
    refused(importer, workbook([["name"], ["Sam"]]), "takes too long", max_seconds=-1)


def test_a_row_wider_than_the_budget_anywhere_in_the_file(importer):
    budget, _error, _code = importer
    wide = "a," * budget.max_columns + "a\n"
    refused(importer, ("name,email\n" + wide).encode(), "too many columns")
    refused(importer, workbook([["name", "email"], ["x"] * (budget.max_columns + 5)]), "too many columns")


def test_cells_and_rows(importer):
    refused(importer, b"a,b\n" + b"1,2\n" * 10, "too many cells", max_cells=10)
    refused(importer, b"a,b\n" + b"1,2\n" * 10, "too many rows", max_rows=9)


def test_a_zip_bomb_and_too_many_parts_before_openpyxl(importer):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (80 * 1024 * 1024))
    refused(importer, bomb.getvalue(), "too large once unpacked")
    parts = io.BytesIO()
    with zipfile.ZipFile(parts, "w") as archive:
        for i in range(300):
            archive.writestr(f"p{i}.xml", b"<x/>")
    refused(importer, parts.getvalue(), "too many parts")


def test_an_encrypted_workbook(importer):
    good = io.BytesIO(workbook([["name"], ["Sam"]]))
    encrypted = bytearray(good.getvalue())
    # set the "encrypted" flag bit of every entry in the central directory
    at = encrypted.find(b"PK\x01\x02")
    while at != -1:
        encrypted[at + 8] |= 0x1
        at = encrypted.find(b"PK\x01\x02", at + 4)
    refused(importer, bytes(encrypted), "encrypted")


def test_merged_ranges_are_found_and_capped(importer):
    budget, error, _code = importer
    data = workbook([["name", "email"], ["Sam", "a"], [None, "b"], ["Bo", "c"]], merge=["A2:A3"])
    assert read(data, budget, error).merged == {(3, 0): "A2:A3"}
    many = workbook(
        [["name", "email"], *[["x", "y"] for _ in range(10)]], merge=[f"A{i}:B{i}" for i in range(2, 12)]
    )
    refused(importer, many, "too many merged", max_merged_ranges=5)


def test_merged_ranges_cannot_make_millions_of_cells(importer):
    """A few bytes of XML merge a huge area: the cells they cover are capped by the cell budget (before,
    10,000 ranges of 5,000 x 50 cells each were each put in the map)."""
    data = workbook([["name", "email"], ["Sam", "a"]], merge=["A10:Z400", "A500:Z900"])
    error = refused(importer, data, "too many merged cells", max_cells=10_000)
    assert error.fields == {"file": ["at most 10,000 merged cells"]}


def test_a_huge_csv_cell_stops_the_parser(importer):
    budget, _error, _code = importer
    huge = b"name,email\n" + b"x" * (budget.max_cell_chars * 4 + 100) + b",e\n"
    refused(importer, huge, "cannot be read")


def test_damaged_files(importer):
    refused(importer, b"PK\x03\x04garbage", "not a readable XLSX")
    refused(importer, b"\x00\x01\x02", "not a CSV or XLSX")
    refused(importer, b"  \n", "empty")
    refused(importer, b",,\n,,\n", "empty")


def test_each_importer_sets_which_encodings_a_csv_may_be_in():
    windows = "Title;Notes\nCafé;x\n".encode("cp1252")
    table = read(windows, spreadsheet.BUDGET, spreadsheet.SpreadsheetError)
    assert table.rows == [(2, ["Café", "x"])]
    assert table.notes == ["The file is not UTF-8; it was read as Windows text (cp1252)."]
    error = refused(IMPORTERS["staff"], windows, "not UTF-8 text")
    assert error.fields == {"file": ["byte 15 is not UTF-8 text"]}
