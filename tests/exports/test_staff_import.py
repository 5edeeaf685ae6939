"""Staff onboarding in bulk: preview by row and column, apply all or nothing, idempotent, invitations
after the commit, budgets, XLSX without formulas, and the command line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select

from logbook import cli
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import JobRole, Registration, Team, User
from logbook.audit.models import AuditEvent
from logbook.extensions import db
from tests.factories import persist

PREVIEW = "/api/v1/admin/staff-import/preview"
APPLY = "/api/v1/admin/staff-import/apply"
HEADER = "name,email,team,job_role,regulator,registration_number,renewal_date,supervisor_email\n"


@pytest.fixture
def roles(app, org):
    persist(
        app,
        JobRole(
            organisation_id=org.id,
            name="Social Worker",
            service_area="social_care",
            profession="social worker",
            usual_regulator="SWE",
        ),
        JobRole(
            organisation_id=org.id,
            name="Senior Practitioner",
            service_area="social_care",
            profession="social worker",
            usual_regulator="SWE",
        ),
    )


@pytest.fixture
def outbox(app):
    app.config["MAIL_URL"] = "memory://"
    return app.extensions.setdefault("logbook.outbox", [])


def staff_csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


GOOD = (
    "Sam Senior,sam@test.example,Assessment,Senior Practitioner,SWE,SW11111,2027-11-30,",
    (
        "Alex Ash,alex@test.example,Assessment,Social Worker,Social Work England,SW22222,30/11/2027,"
        "sam@test.example"
    ),
    "Bo Birch,bo@test.example,Duty,Social Worker,,,,sam@test.example",
)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def post(client, url, data: bytes):
    return client.api("POST", url, data=data, content_type="application/octet-stream")


def test_preview_names_every_problem_by_row_and_column_and_writes_nothing(app, admin_client, roles):
    bad = staff_csv(
        GOOD[0],
        "Alex Ash,not-an-email,Assessment,Plumber,HCPX,SW2,31/02/2027,nobody@test.example",
        ",bo@test.example,Duty,Social Worker,,,,bo@test.example",
        "Sam Again,SAM@test.example,,,,,,",
    )
    users_before = count(app, User)
    answer = post(admin_client, PREVIEW, bad)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["summary"] == {"create": 1, "update": 0, "unchanged": 0, "error": 3}
    assert body["can_apply"] is False
    by_row = {r["row"]: {p["column"] for p in r["problems"]} for r in body["rows"]}
    assert by_row[2] == set()
    assert by_row[3] == {"email", "job_role", "regulator", "renewal_date", "supervisor_email"}
    assert by_row[4] == {"name", "supervisor_email"}
    assert by_row[5] == {"email"}  # the same address as row 2, in another case
    assert [r["action"] for r in body["rows"]] == ["create", "error", "error", "error"]
    assert count(app, User) == users_before
    assert count(app, Team) == 0

    refused = post(admin_client, APPLY, bad)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert "row 3" in error["fields"]
    assert error["preview"]["summary"]["error"] == 3
    assert count(app, User) == users_before  # all or nothing: row 2 was not written either


def test_apply_creates_people_invites_them_and_is_idempotent(app, admin_client, roles, outbox, client):
    answer = post(admin_client, APPLY, staff_csv(*GOOD))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["summary"] == {"create": 3, "update": 0, "unchanged": 0, "error": 0}
    assert answer.get_json()["new_teams"] == ["Assessment", "Duty"]
    with app.app_context():
        alex = db.session.scalar(select(User).where(User.email == "alex@test.example"))
        assert (alex.team.name, alex.job_role.name) == ("Assessment", "Social Worker")
        reg = db.session.scalar(select(Registration).where(Registration.user_id == alex.id))
        assert (reg.regulator, reg.registration_number, reg.renewal_date, reg.framework_id) == (
            "SWE",
            "SW22222",
            dt.date(2027, 11, 30),
            "swe",
        )
        links = db.session.scalars(select(SupervisionLink)).all()
        assert len(links) == 2
        sam = db.session.scalar(select(User).where(User.email == "sam@test.example"))
        assert {link.supervisor_id for link in links} == {sam.id}
        assert sam.is_supervisor
        assigned = db.session.scalar(
            select(func.count()).where(AuditEvent.kind == "supervision_link.assigned")
        )
        assert assigned == 2
    # an invitation each, sent after the commit, with a single-use link to set a password
    assert sorted(m.to for m in outbox) == ["alex@test.example", "bo@test.example", "sam@test.example"]
    mail = next(m for m in outbox if m.to == "alex@test.example")
    token = re.search(r"/reset-password/(\S+)", mail.body).group(1)
    # an invited person cannot log in before choosing a password
    assert client.login("alex@test.example", "").status_code in (401, 422)
    page = client.get(f"/reset-password/{token}")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    chosen = "Meadow-Kestrel-Pylon-77"
    done = client.post(
        f"/reset-password/{token}", data={"password": chosen, "confirm": chosen, "csrf_token": csrf}
    )
    assert done.status_code == 200
    assert client.login("alex@test.example", chosen).status_code == 200
    assert client.get(f"/reset-password/{token}").status_code == 404  # used up

    # the same file again changes nothing and sends nothing
    outbox.clear()
    events = count(app, AuditEvent)
    again = post(admin_client, APPLY, staff_csv(*GOOD))
    assert again.status_code == 200
    assert again.get_json()["summary"] == {"create": 0, "update": 0, "unchanged": 3, "error": 0}
    assert outbox == []
    assert count(app, AuditEvent) == events
    assert count(app, SupervisionLink) == 2


def test_a_changed_row_updates_and_a_new_supervisor_replaces_the_old_one(app, admin_client, roles, outbox):
    assert post(admin_client, APPLY, staff_csv(*GOOD)).status_code == 200
    changed = staff_csv(
        GOOD[0],
        "Alex Ash,alex@test.example,Duty,Senior Practitioner,SWE,SW22222,2028-11-30,bo@test.example",
        GOOD[2],
    )
    preview = post(admin_client, PREVIEW, changed).get_json()
    assert preview["summary"] == {"create": 0, "update": 1, "unchanged": 2, "error": 0}
    row = next(r for r in preview["rows"] if r["email"] == "alex@test.example")
    assert row["changes"] == ["team", "job_role", "renewal_date", "supervisor_email"]
    assert post(admin_client, APPLY, changed).status_code == 200
    today = dt.date.today()  # noqa: DTZ011 - the server's date, as the import's
    with app.app_context():
        alex = db.session.scalar(select(User).where(User.email == "alex@test.example"))
        assert alex.team.name == "Duty"
        links = db.session.scalars(
            select(SupervisionLink).where(SupervisionLink.supervisee_id == alex.id)
        ).all()
        ended = [link for link in links if link.ends_on is not None]
        current = [link for link in links if link.ends_on is None]
        assert len(ended) == 1  # the old assignment is kept as history
        assert ended[0].ends_on == today - dt.timedelta(days=1)
        assert db.session.get(User, current[0].supervisor_id).email == "bo@test.example"
    again = post(admin_client, PREVIEW, changed).get_json()
    assert again["summary"]["unchanged"] == 3


def test_someone_of_another_organisation_is_refused(app, admin_client, roles, make_user, other_org):
    make_user("practitioner", organisation=other_org, email="taken@test.example")
    answer = post(admin_client, PREVIEW, staff_csv("Tay Ken,taken@test.example,,,,,,"))
    problems = answer.get_json()["rows"][0]["problems"]
    assert problems == [{"column": "email", "message": "already has an account in another organisation"}]


def xlsx(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_with_dates_and_a_formula_refused_by_cell(app, admin_client, roles):
    header = HEADER.strip().split(",")
    data = xlsx(
        [
            header,
            [
                "Sam Senior",
                "sam@test.example",
                "Assessment",
                "Senior Practitioner",
                "SWE",
                11111,
                dt.datetime(2027, 11, 30),
                None,
            ],
            ["Alex Ash", "alex@test.example", "Assessment", "Social Worker", "SWE", "=1+1", None, None],
        ]
    )
    body = post(admin_client, PREVIEW, data).get_json()
    assert [r["action"] for r in body["rows"]] == ["create", "error"]
    assert body["rows"][1]["problems"] == [
        {"column": "registration_number", "message": "is a formula: type the value itself"}
    ]
    # the same workbook without the formula applies, the spreadsheet's date and number read as text
    fixed = xlsx([header, [*data_row(), dt.datetime(2027, 11, 30), None]])
    assert post(admin_client, APPLY, fixed).status_code == 200
    with app.app_context():
        reg = db.session.scalar(select(Registration))
        assert (reg.registration_number, reg.renewal_date) == ("11111", dt.date(2027, 11, 30))


def data_row() -> list:
    return ["Sam Senior", "sam@test.example", "Assessment", "Senior Practitioner", "SWE", 11111]


def test_budgets_and_unreadable_files(app, admin_client, roles):
    app.config["STAFF_IMPORT_MAX_ROWS"] = 2
    three = post(admin_client, PREVIEW, staff_csv(*GOOD))
    assert three.status_code == 422
    assert "at most 2 rows" in str(three.get_json()["error"]["fields"])
    app.config["STAFF_IMPORT_MAX_BYTES"] = 100
    assert post(admin_client, PREVIEW, staff_csv(*GOOD)).status_code == 413
    app.config["STAFF_IMPORT_MAX_BYTES"] = 5 * 1024 * 1024
    latin1 = post(admin_client, PREVIEW, "name,email\nZoë,z@test.example\n".encode("latin-1"))
    assert latin1.status_code == 422
    assert latin1.get_json()["error"]["code"] == "staff_file_invalid"
    no_email = post(admin_client, PREVIEW, b"name,team\nA,B\n")
    assert no_email.status_code == 422
    assert "missing column(s): email" in str(no_email.get_json()["error"]["fields"])
    broken_zip = post(admin_client, PREVIEW, b"PK\x03\x04not really a workbook")
    assert broken_zip.status_code == 422
    assert post(admin_client, PREVIEW, b"").status_code == 422


def test_a_workbook_that_inflates_too_far_is_refused_before_parsing(app, admin_client, roles):
    big = xlsx([HEADER.strip().split(","), *[["x" * 900, f"p{i}@test.example"] for i in range(3000)]])
    assert len(big) < 5 * 1024 * 1024
    from logbook.exports import staff_import

    with pytest.raises(staff_import.StaffFileError, match="too large once unpacked"):
        staff_import.read_table(big, dataclasses.replace(staff_import.BUDGET, max_inflated_bytes=1024 * 1024))


def test_non_admins_are_refused(app, make_client, make_user, roles):
    for person in (make_user("practitioner"), make_user("supervisor"), make_user("team_manager")):
        browser = make_client(person)
        assert post(browser, PREVIEW, staff_csv(*GOOD)).status_code == 403
        assert post(browser, APPLY, staff_csv(*GOOD)).status_code == 403
    assert count(app, User) == 3


def test_cli_previews_then_applies_with_a_progress_bar(app, org, roles, outbox, tmp_path, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda: app)
    path = tmp_path / "staff.csv"
    path.write_bytes(staff_csv(*GOOD))
    runner = CliRunner()
    preview = runner.invoke(cli.main, ["import-staff", str(path), "--organisation", org.slug])
    assert preview.exit_code == 0, preview.output
    assert "3 to create" in preview.output
    assert count(app, User) == 0
    applied = runner.invoke(cli.main, ["import-staff", str(path), "--organisation", org.slug, "--apply"])
    assert applied.exit_code == 0, applied.output
    assert "people" in applied.output  # the progress bar's label (stderr is mixed in here)
    assert count(app, User) == 3
    assert len(outbox) == 3
    path.write_bytes(staff_csv(GOOD[0], "Bad Row,bad,,,,,,"))
    refused = runner.invoke(cli.main, ["import-staff", str(path), "--organisation", org.slug, "--apply"])
    assert refused.exit_code == 1
    assert "row 3 email" in refused.output


def test_an_invitation_link_expires(app, org, roles, outbox, client):
    from logbook.exports import staff_import
    from logbook.mail import MemoryMailer
    from logbook.timeutil import utcnow

    long_ago = utcnow() - dt.timedelta(days=15)
    with app.app_context():
        staff_import.apply(
            organisation_id=org.id,
            data=staff_csv(GOOD[0]),
            budget=staff_import.BUDGET,
            by="system",
            invitations=staff_import.Invitations(
                lifetime=dt.timedelta(days=14), base_url="https://cpd.example.org", mailer=MemoryMailer()
            ),
            now=long_ago,
        )
        db.session.commit()
    (mail,) = outbox
    assert "https://cpd.example.org/reset-password/" in mail.body
    assert "within 14 days" in mail.body
    token = re.search(r"/reset-password/(\S+)", mail.body).group(1)
    assert client.get(f"/reset-password/{token}").status_code == 404  # 15 days later: expired


def test_a_damaged_or_empty_workbook_is_a_clear_422(app, admin_client, roles):
    good = xlsx([HEADER.strip().split(","), data_row()])
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(damaged, "w") as out:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = body[: len(body) // 2]  # cut off in the middle of a row
            out.writestr(item, body)
    answer = post(admin_client, PREVIEW, damaged.getvalue())
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["error"]["code"] == "staff_file_invalid"
    assert count(app, User) == 1


def test_protections_of_the_shared_reader_hold_for_staff_files(app, admin_client, roles):
    """Gained from the spreadsheet import's reader (exports/tables.py): a data row wider than the
    budget, a workbook with an encrypted part, and the time budget refuse the file (422, naming it)."""
    wide = post(admin_client, PREVIEW, staff_csv(GOOD[0] + ",x" * 40))
    assert wide.status_code == 422
    assert wide.get_json()["error"]["code"] == "staff_file_invalid"
    assert wide.get_json()["error"]["fields"] == {"file": ["at most 30 columns"]}
    encrypted = bytearray(xlsx([HEADER.strip().split(","), data_row()]))
    at = encrypted.find(b"PK\x01\x02")
    encrypted[at + 8] |= 0x1
    answer = post(admin_client, PREVIEW, bytes(encrypted))
    assert answer.status_code == 422
    assert answer.get_json()["error"]["message"] == "The workbook is encrypted."
    from logbook.exports import staff_import

    with pytest.raises(staff_import.StaffFileError, match="takes too long"):
        staff_import.read_table(staff_csv(*GOOD), dataclasses.replace(staff_import.BUDGET, max_seconds=-1))
    assert count(app, User) == 1
