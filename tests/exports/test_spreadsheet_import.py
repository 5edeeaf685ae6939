"""Past CPD from a spreadsheet: the preview proposes a column mapping and guesses kinds (showing the
guess), names every row's problem, writes nothing; apply writes all rows or none, marked as imported
and never signed off. Hostile files (formulas, merged cells, blank rows, dates in several formats,
zip bombs, huge files, many columns) get named problems or a 4xx, never a crash."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from logbook.entries.models import Entry, EntryOrigin
from logbook.exports import spreadsheet
from logbook.exports.models import RecordImport
from logbook.extensions import db

PREVIEW = "/api/v1/record/spreadsheet/preview"
APPLY = "/api/v1/record/spreadsheet/apply"

GOOD_CSV = (
    b"Date,Activity,Hours,Type,Notes,Reflection\n"
    b"03/04/2025,Safeguarding conference,6,Conference,Keynote on neglect,I will use the toolkit\n"
    b"2025-04-10,Read an article on attachment,1.5,,,\n"
    b"3 April 2025,Webinar on county lines,90 min,,,\n"
)


def post(client, url, data, **query):
    return client.api("POST", url, data=data, query_string=query, content_type="application/octet-stream")


def count_entries(app, user_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Entry).where(Entry.owner_id == user_id))


def hostile_workbook() -> bytes:
    """A formula, a merged cell, an empty row, dates in three formats plus an Excel serial number."""
    book = Workbook()
    sheet = book.active
    sheet.append(["Date", "Title", "Hours", "Type", "Notes"])
    sheet.append(["03/04/2025", "Study day on neglect", 6, "study day", "Good"])  # row 2
    sheet.append(
        [dt.datetime(2025, 4, 3), "Course: trauma-informed practice", "=2+1", "", ""]
    )  # row 3: formula
    sheet.append([])  # row 4: empty
    sheet.append(["3 April 2025", "Conference on adoption", 5, "", ""])  # row 5: merged down into row 6
    sheet.append([None, "Conference day two", 5, "", ""])  # row 6: its date is part of A5:A6
    sheet.append([45750, "Webinar on county lines", 1, "", ""])  # row 7: an Excel serial date as a number
    sheet.append(["2025-04-12", "Read a journal article", "1:30", "", ""])  # row 8
    sheet.merge_cells("A5:A6")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_preview_proposes_a_mapping_and_guesses_kinds_writing_nothing(app, me, practitioner):
    before = count_entries(app, practitioner.id)
    response = post(me, PREVIEW, GOOD_CSV)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    mapping = {f["name"]: f["column"] for f in body["fields"]}
    assert mapping == {
        "date": 0,
        "title": 1,
        "hours": 2,
        "kind": 3,
        "notes": 4,
        "reflection": 5,
        "end_date": None,
    }
    rows = {r["row"]: r for r in body["rows"]}
    assert rows[2]["kind"] == "conference"
    assert rows[2]["kind_guess"]["how"] == "named"
    assert rows[3]["kind"] == "reading"
    assert rows[3]["kind_guess"]["word"] == "read"
    assert rows[4]["kind"] == "bite_size_workshop"
    assert rows[4]["hours"] == "1.50"
    assert [r["start_date"] for r in body["rows"]] == ["2025-04-03", "2025-04-10", "2025-04-03"]
    assert body["can_apply"] is True
    assert set(body["date_formats"]) == {"dd/mm/yyyy", "yyyy-mm-dd", "day month year"}
    assert any("day first" in n for n in body["notes"])
    assert count_entries(app, practitioner.id) == before


def test_apply_writes_every_row_marked_imported_never_signed_off(app, me, practitioner):
    response = post(me, APPLY, GOOD_CSV, filename="my-cpd.csv")
    assert response.status_code == 201, response.get_json()
    ids = response.get_json()["entry_ids"]
    assert len(ids) == 3
    with app.app_context():
        entries = db.session.scalars(select(Entry).where(Entry.owner_id == practitioner.id)).all()
        assert {e.status for e in entries} == {"recorded"}
        conference = next(e for e in entries if e.kind == "conference")
        assert conference.description == "Keynote on neglect"
        assert conference.reflection == {"template": "free", "answers": {"text": "I will use the toolkit"}}
        assert conference.visibility == "private"
        origins = db.session.scalars(
            select(EntryOrigin).where(EntryOrigin.entry_id.in_([e.id for e in entries]))
        )
        imports = {db.session.get(RecordImport, o.record_import_id).source_format for o in origins}
        assert imports == {"spreadsheet"}
    # the entries are the practitioner's, listed like any other
    listed = me.api("GET", "/api/v1/entries").get_json()
    assert {e["title"] for e in listed["items"]} >= {"Safeguarding conference", "Webinar on county lines"}
    # the same file again: refused, nothing doubled
    again = post(me, APPLY, GOOD_CSV)
    assert again.status_code == 409
    assert count_entries(app, practitioner.id) == 3


def test_hostile_workbook_gets_named_problems_not_a_crash(app, me, practitioner):
    response = post(me, PREVIEW, hostile_workbook())
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    rows = {r["row"]: r for r in body["rows"]}
    assert rows[2]["action"] == "create"
    assert rows[2]["start_date"] == "2025-04-03"
    assert rows[3]["action"] == "error"
    assert rows[3]["problems"][0]["column"] == "C (Hours)"
    assert "formula" in rows[3]["problems"][0]["message"]
    assert rows[4]["action"] == "skip"
    assert "empty row" in rows[4]["notes"][0]
    assert rows[5]["start_date"] == "2025-04-03"
    assert rows[6]["action"] == "error"
    assert "merged cells A5:A6" in rows[6]["problems"][0]["message"]
    assert rows[7]["start_date"] == "2025-04-03"
    assert rows[7]["action"] == "create"
    assert rows[8]["hours"] == "1.50"
    assert {"dd/mm/yyyy", "spreadsheet date", "day month year", "Excel serial number", "yyyy-mm-dd"} <= set(
        body["date_formats"]
    )
    assert body["can_apply"] is False
    # apply refuses, names the rows, writes nothing
    refused = post(me, APPLY, hostile_workbook())
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert set(error["fields"]) == {"row 3", "row 6"}
    assert error["preview"]["summary"]["error"] == 2
    assert count_entries(app, practitioner.id) == 0
    # leaving the two rows out: the rest is written
    done = post(me, APPLY, hostile_workbook(), skip=[3, 6])
    assert done.status_code == 201, done.get_json()
    assert len(done.get_json()["entry_ids"]) == 4


def test_the_practitioner_fixes_the_mapping(app, me, practitioner):
    data = b"When,What we did,Time spent,Comments\n2025-04-03,Team study day,6,notes here\n"
    proposed = post(me, PREVIEW, data).get_json()
    by_name = {f["name"]: f["column"] for f in proposed["fields"]}
    assert by_name["date"] == 0
    assert by_name["hours"] == 2
    assert by_name["notes"] == 3
    # "What we did" is not recognised: the title is missing, the preview says so and waits
    assert by_name["title"] is None
    assert proposed["mapping_problems"] == {"title": ["choose the column it is in"]}
    assert proposed["rows"] == []
    assert proposed["can_apply"] is False
    assert post(me, APPLY, data).status_code == 422
    fixed = {"date": 0, "title": 1, "hours": 2, "notes": -1}
    again = post(me, PREVIEW, data, **fixed).get_json()
    assert {f["name"]: f["column"] for f in again["fields"]}["title"] == 1
    assert again["rows"][0]["kind"] == "team_study_day"
    assert again["rows"][0]["has_notes"] is False
    # a mapping without a required field, or two fields on one column: 422 naming the field
    missing = post(me, PREVIEW, data, date=0, hours=2)
    assert missing.status_code == 200
    assert "title" in missing.get_json()["mapping_problems"]
    twice = post(me, PREVIEW, data, date=0, title=0, hours=2)
    assert twice.status_code == 422
    assert "title" in twice.get_json()["error"]["fields"]
    beyond = post(me, PREVIEW, data, date=0, title=9, hours=2)
    assert beyond.status_code == 422
    assert post(me, APPLY, data, **fixed).status_code == 201


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/04/2025", dt.date(2025, 4, 3)),
        ("2025-04-03", dt.date(2025, 4, 3)),
        ("3 April 2025", dt.date(2025, 4, 3)),
        ("3rd Apr 2025", dt.date(2025, 4, 3)),
        ("April 3, 2025", dt.date(2025, 4, 3)),
        ("45750", dt.date(2025, 4, 3)),
        (45750, dt.date(2025, 4, 3)),
        ("03/04/25", dt.date(2025, 4, 3)),
        ("2025-04-03 00:00:00", dt.date(2025, 4, 3)),
    ],
)
def test_dates_in_every_format_people_write(text, expected):
    assert spreadsheet.parse_date(text)[0] == expected


@pytest.mark.parametrize("text", ["04/23/2025", "31/02/2025", "soon", "3 Smarch 2025", "-1", True])
def test_dates_that_are_not_dates_say_why(text):
    day, why = spreadsheet.parse_date(text)
    assert day is None
    assert why


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("1.5", "1.50"),
        ("1,5", "1.50"),
        ("90 min", "1.50"),
        ("2 hrs", "2.00"),
        ("1h30", "1.50"),
        ("1:45", "1.75"),
    ],
)
def test_hours_as_people_write_them(text, hours):
    assert f"{spreadsheet.parse_hours(text)[0]:.2f}" == hours


@pytest.mark.parametrize("text", ["0", "5 min", "lots", "nan", "inf", "1e400"])
def test_hours_that_are_not_hours(text):
    assert spreadsheet.parse_hours(text)[0] is None


def test_hostile_files_are_refused_with_4xx(app, me):
    # larger than the budget: 413 before it is read
    app.config["SPREADSHEET_IMPORT_MAX_BYTES"] = 10_000
    assert post(me, PREVIEW, b"a" * 20_000).status_code == 413
    app.config["SPREADSHEET_IMPORT_MAX_BYTES"] = 5 * 1024 * 1024
    # a zip bomb: one member that claims (and inflates to) far more than the budget
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (80 * 1024 * 1024))
    response = post(me, PREVIEW, bomb.getvalue())
    assert response.status_code == 422
    assert "unpacked" in response.get_json()["error"]["message"]
    # many columns
    wide = ",".join(f"c{i}" for i in range(500)).encode() + b"\n"
    response = post(me, PREVIEW, wide)
    assert response.status_code == 422
    assert "columns" in response.get_json()["error"]["message"]
    # too many rows
    app.config["SPREADSHEET_IMPORT_MAX_ROWS"] = 10
    rows = b"Date,Title,Hours\n" + b"2025-04-03,x,1\n" * 11
    assert post(me, PREVIEW, rows).status_code == 422
    # not a workbook though it looks like one; binary junk; empty
    assert post(me, PREVIEW, b"PK\x03\x04garbage").status_code == 422
    assert post(me, PREVIEW, b"\x00\x01\x02").status_code == 422
    assert post(me, PREVIEW, b"").status_code == 422
    # a huge cell
    big = b"Date,Title,Hours\n2025-04-03," + b"x" * 50_000 + b",1\n"
    response = post(me, PREVIEW, big)
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert response.get_json()["rows"][0]["action"] == "error"


def test_windows_csv_and_semicolons_are_read(me):
    data = "Date;Title;Hours\n03/04/2025;Café study day;6\n".encode("cp1252")
    body = post(me, PREVIEW, data).get_json()
    assert body["rows"][0]["title"] == "Café study day"
    assert any("cp1252" in n for n in body["notes"])


def test_someone_elses_session_cannot_apply_without_login(client):
    assert post(client, APPLY, GOOD_CSV).status_code == 401
