"""Staff onboarding in bulk: an org admin's CSV or XLSX of staff → people, teams, registrations and
supervisor assignments, previewed row by row before anything is written, then applied all or nothing.

One function, `plan`, reads the file and works out every row's result (`create`, `update`,
`unchanged` or `error`, with each problem by row and column) without writing; `apply` runs the same
plan and, only when no row has an error, writes it in the caller's transaction (the route or the
CLI commits). Applying a file twice changes nothing the second time: a row compares what it says
with what is stored, and only a difference is written. New people get an invitation after the commit
(logbook/accounts/invitations.py). The file format and its rules: docs/onboarding.md.

The file is untrusted: exports/tables.py reads it within `BUDGET` (bytes as uploaded, rows, columns,
cells, characters per cell, ZIP parts and their inflated size, merged ranges, time) and refuses what
is over it; formulas are refused, never evaluated (the cell is reported by row and column).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from logbook.accounts.invitations import NO_PASSWORD_YET, invite
from logbook.accounts.links import SupervisionLink, active_on
from logbook.accounts.models import JobRole, Organisation, Registration, Team, User
from logbook.accounts.service import DEFAULT_FRAMEWORK, normalise_email
from logbook.errors import ValidationFailed
from logbook.exports import tables
from logbook.extensions import db
from logbook.fields import FIRST_DAY, LAST_DAY, text_problem
from logbook.mail import Mailer
from logbook.supervision import assignments

COLUMNS = (
    "name",
    "email",
    "team",
    "job_role",
    "regulator",
    "registration_number",
    "renewal_date",
    "supervisor_email",
)
OPTIONAL_COLUMNS = ("supervisor_role",)
REQUIRED = ("name", "email")
# Spellings a spreadsheet may use for a column, after lower-casing and folding spaces and dashes.
_HEADER_ALIASES = {
    "full_name": "name",
    "e_mail": "email",
    "email_address": "email",
    "role": "job_role",
    "registration_body": "regulator",
    "registration_no": "registration_number",
    "registration": "registration_number",
    "renewal": "renewal_date",
    "supervisor": "supervisor_email",
    "supervisors_email": "supervisor_email",
    "supervisor_s_email": "supervisor_email",
}
_REGULATORS = {
    "hcpc": "HCPC",
    "swe": "SWE",
    "social work england": "SWE",
    "nmc": "NMC",
    "teachers": "TEACHERS",
    "teachers' standards": "TEACHERS",
    "gmc": "GMC",
    "other": "OTHER",
}
_ROLES = (
    {code: code for code in assignments.ROLE_LABELS}
    | {label.lower(): code for code, label in assignments.ROLE_LABELS.items()}
    | {
        "internal supervisor": "professional",
        "line manager": "line",
        "practice educator": "practice_educator",
    }
)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
DEFAULT_ROLE = "professional"  # the supervisor column names an internal supervisor unless told


class StaffFileError(tables.Unreadable):
    """The file as a whole cannot be read (wrong type, over a budget, no header): nothing is planned."""

    code = "staff_file_invalid"


# A staff file's limits: tables.Budget's (a CSV in UTF-8), but these (and STAFF_IMPORT_MAX_BYTES and
# _MAX_ROWS: `budget_from`). The reading and its protections are exports/tables.py.
BUDGET = tables.Budget(max_rows=10_000, max_cells=300_000)


def budget_from(config: Any) -> tables.Budget:
    """The budget as configured (STAFF_IMPORT_MAX_BYTES, STAFF_IMPORT_MAX_ROWS)."""
    return dataclasses.replace(
        BUDGET,
        max_bytes=int(config["STAFF_IMPORT_MAX_BYTES"]),
        max_rows=int(config["STAFF_IMPORT_MAX_ROWS"]),
    )


@dataclass
class Row:
    """One data row: its number as the spreadsheet shows it, what it says, and what it will do."""

    number: int
    values: dict[str, str]
    action: str = "unchanged"
    problems: list[dict[str, str]] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    def problem(self, column: str, message: str) -> None:
        """Record a problem with one cell (or the row, with column "")."""
        self.problems.append({"column": column, "message": message})


# --- reading the file -------------------------------------------------------------------------


def _header_key(text: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")
    return _HEADER_ALIASES.get(key, key)


def _cell_text(value: Any) -> str:
    # a spreadsheet date and time is its day (a renewal date)
    return tables.cell_text(value.date() if isinstance(value, dt.datetime) else value)


def read_table(data: bytes, budget: tables.Budget) -> tuple[list[str], list[Row]]:
    """The file's columns (normalised names) and data rows; XLSX is recognised by its content."""
    table = tables.read_table(data, budget, unreadable=StaffFileError)
    header = [_header_key(_cell_text(v)) for v in table.headings]
    _check_header(header)
    rows = [_data_row(number, raw, header, budget) for number, raw in table.rows]
    return header, rows


def _data_row(number: int, raw: list[Any], header: list[str], budget: tables.Budget) -> Row:
    """One data row's cells by column, with the problems of reading them."""
    row = Row(number=number, values={})
    for i, value in enumerate(raw):
        column = header[i] if i < len(header) else ""
        if isinstance(value, tables.Formula):
            row.problem(column or f"column {i + 1}", "is a formula: type the value itself")
            continue
        text = _cell_text(value)
        if not column:
            if text:
                row.problem(f"column {i + 1}", "has a value but no heading")
            continue
        if len(text) > budget.max_cell_chars:
            row.problem(column, f"is longer than {budget.max_cell_chars} characters")
            text = ""
        problem = text_problem(text)
        if problem:
            row.problem(column, problem)
            text = ""
        row.values[column] = text
    return row


def _check_header(header: list[str]) -> None:
    known = set(COLUMNS) | set(OPTIONAL_COLUMNS)
    problems = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(f"missing column(s): {', '.join(missing)}")
    unknown = [h for h in header if h and h not in known]
    if unknown:
        problems.append(f"unknown column(s): {', '.join(unknown)}; the columns are {', '.join(COLUMNS)}")
    repeated = sorted({h for h in header if h and header.count(h) > 1})
    if repeated:
        problems.append(f"repeated column(s): {', '.join(repeated)}")
    if problems:
        raise StaffFileError("The header row is not right.", fields={"row 1": problems})


# --- working out each row -----------------------------------------------------------------------


def _parse_date(text: str) -> dt.date | None:
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


@dataclass
class Plan:
    """What a file would do: every row's result, and the objects `apply` needs."""

    organisation_id: uuid.UUID
    rows: list[Row]
    new_teams: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        """How many rows of each result."""
        counts = {"create": 0, "update": 0, "unchanged": 0, "error": 0}
        for row in self.rows:
            counts[row.action] += 1
        return counts

    @property
    def can_apply(self) -> bool:
        """True when no row has a problem."""
        return all(not row.problems for row in self.rows)

    def as_dict(self) -> dict[str, Any]:
        """The preview as the API and the CLI show it."""
        return {
            "summary": self.summary,
            "can_apply": self.can_apply,
            "new_teams": self.new_teams,
            "rows": [
                {
                    "row": r.number,
                    "action": r.action,
                    "name": r.values.get("name", ""),
                    "email": r.values.get("email", ""),
                    "changes": r.changes,
                    "problems": r.problems,
                }
                for r in self.rows
            ],
        }


@dataclass
class _World:
    """What is stored already, read once for the whole file (no query per row)."""

    org: Organisation
    people: dict[str, User]  # email → person of this organisation
    elsewhere: set[str]  # emails with an account in another organisation
    teams: dict[str, Team]
    roles: dict[str, JobRole]
    registrations: dict[uuid.UUID, list[Registration]]
    supervisors: dict[tuple[uuid.UUID, str], set[uuid.UUID]]  # (supervisee, kind) → supervisors now


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _world(organisation_id: uuid.UUID, emails: list[str], today: dt.date) -> _World:
    org = db.session.get(Organisation, organisation_id)
    if org is None:
        raise ValidationFailed("No such organisation.", fields={"organisation": ["unknown"]})
    people = {
        u.email: u for u in db.session.scalars(select(User).where(User.organisation_id == organisation_id))
    }
    elsewhere: set[str] = set()
    outside = [e for e in emails if e not in people]
    for chunk in _chunks(outside):
        elsewhere.update(db.session.scalars(select(User.email).where(User.email.in_(chunk))))
    teams = {
        t.name.lower(): t
        for t in db.session.scalars(select(Team).where(Team.organisation_id == organisation_id))
    }
    roles = {
        r.name.lower(): r
        for r in db.session.scalars(select(JobRole).where(JobRole.organisation_id == organisation_id))
    }
    registrations: dict[uuid.UUID, list[Registration]] = {}
    query = (
        select(Registration)
        .join(User, User.id == Registration.user_id)
        .where(User.organisation_id == organisation_id)
    )
    for reg in db.session.scalars(query):
        registrations.setdefault(reg.user_id, []).append(reg)
    supervisors: dict[tuple[uuid.UUID, str], set[uuid.UUID]] = {}
    links = (
        select(SupervisionLink)
        .join(User, User.id == SupervisionLink.supervisee_id)
        .where(User.organisation_id == organisation_id, active_on(today))
    )
    for link in db.session.scalars(links):
        supervisors.setdefault((link.supervisee_id, link.kind), set()).add(link.supervisor_id)
    return _World(org, people, elsewhere, teams, roles, registrations, supervisors)


def _check_row(row: Row, world: _World, file_emails: dict[str, int]) -> None:
    v = row.values
    name, email = v.get("name", ""), normalise_email(v.get("email", ""))
    v["email"] = email
    if not name:
        row.problem("name", "is empty")
    elif len(name) > 200:
        row.problem("name", "is longer than 200 characters")
    if not email:
        row.problem("email", "is empty")
    elif len(email) > 254 or not _EMAIL.match(email):
        row.problem("email", f"“{email}” is not an email address")
    elif email in world.elsewhere:
        row.problem("email", "already has an account in another organisation")
    elif file_emails.get(email, row.number) != row.number:
        row.problem("email", f"is also on row {file_emails[email]}")
    _check_registration(row, world)
    _check_supervisor(row, world, file_emails)


def _check_registration(row: Row, world: _World) -> None:
    v = row.values
    role = v.get("job_role", "")
    if role and role.lower() not in world.roles:
        row.problem("job_role", f"“{role}” is not one of the organisation's job roles")
    regulator = v.get("regulator", "")
    if regulator and regulator.lower() not in _REGULATORS:
        row.problem("regulator", f"“{regulator}” is not one of HCPC, SWE, NMC, TEACHERS, GMC, OTHER")
    number = v.get("registration_number", "")
    if number and len(number) > 40:
        row.problem("registration_number", "is longer than 40 characters")
    if (number or v.get("renewal_date")) and not regulator:
        row.problem("regulator", "is needed with a registration number or renewal date")
    renewal = v.get("renewal_date", "")
    if renewal:
        day = _parse_date(renewal)
        if day is None:
            row.problem("renewal_date", f"“{renewal}” is not a date (use YYYY-MM-DD or DD/MM/YYYY)")
        elif not FIRST_DAY <= day <= LAST_DAY:
            row.problem("renewal_date", f"must be between {FIRST_DAY} and {LAST_DAY}")


def _check_supervisor(row: Row, world: _World, file_emails: dict[str, int]) -> None:
    v = row.values
    email = v["email"]
    kind = v.get("supervisor_role", "")
    if kind and kind.lower() not in _ROLES:
        row.problem(
            "supervisor_role", f"“{kind}” is not one of {', '.join(assignments.ROLE_LABELS.values())}"
        )
    supervisor = normalise_email(v.get("supervisor_email", ""))
    v["supervisor_email"] = supervisor
    if supervisor:
        if supervisor == email:
            row.problem("supervisor_email", "a person cannot supervise themself")
        elif supervisor not in world.people and supervisor not in file_emails:
            row.problem("supervisor_email", f"“{supervisor}” is neither in the organisation nor in this file")
        elif supervisor in world.people and not world.people[supervisor].is_active:
            row.problem("supervisor_email", f"“{supervisor}” is deactivated")


def _row_changes(row: Row, world: _World) -> list[str]:
    """What applying this (valid) row would change for an existing person: column names."""
    v = row.values
    person = world.people.get(v["email"])
    if person is None:
        return []
    changes = []
    if v["name"] and v["name"] != person.name:
        changes.append("name")
    team = v.get("team", "")
    if team and (person.team is None or person.team.name.lower() != team.lower()):
        changes.append("team")
    role = v.get("job_role", "")
    if role and (person.job_role is None or person.job_role.name.lower() != role.lower()):
        changes.append("job_role")
    regulator = _REGULATORS.get(v.get("regulator", "").lower())
    if regulator:
        reg = _registration(world.registrations.get(person.id, []), regulator)
        renewal = _parse_date(v["renewal_date"]) if v.get("renewal_date") else None
        if reg is None:
            changes.append("regulator")
        else:
            if v.get("registration_number") and reg.registration_number != v["registration_number"]:
                changes.append("registration_number")
            if renewal and reg.renewal_date != renewal:
                changes.append("renewal_date")
    supervisor_email = v.get("supervisor_email", "")
    if supervisor_email:
        supervisor = world.people.get(supervisor_email)
        kind = _ROLES.get(v.get("supervisor_role", "").lower(), DEFAULT_ROLE)
        if supervisor is None or supervisor.id not in world.supervisors.get((person.id, kind), set()):
            changes.append("supervisor_email")
    return changes


def _registration(regs: list[Registration], regulator: str) -> Registration | None:
    return next((r for r in regs if r.regulator == regulator), None)


def plan(*, organisation_id: uuid.UUID, data: bytes, budget: tables.Budget, today: dt.date) -> Plan:
    """Read the file and work out each row's result, writing nothing."""
    return _plan(organisation_id, data, budget, today)[0]


def _plan(
    organisation_id: uuid.UUID, data: bytes, budget: tables.Budget, today: dt.date
) -> tuple[Plan, _World]:
    _, rows = read_table(data, budget)
    file_emails: dict[str, int] = {}
    for row in rows:
        email = normalise_email(row.values.get("email", ""))
        if email:
            file_emails.setdefault(email, row.number)
    world = _world(organisation_id, list(file_emails), today)
    new_teams: dict[str, str] = {}
    for row in rows:
        _check_row(row, world, file_emails)
        team = row.values.get("team", "")
        if len(team) > 200:
            row.problem("team", "is longer than 200 characters")
        elif team and team.lower() not in world.teams:
            new_teams.setdefault(team.lower(), team)
        if row.problems:
            row.action = "error"
        elif row.values["email"] not in world.people:
            row.action = "create"
        else:
            row.changes = _row_changes(row, world)
            row.action = "update" if row.changes else "unchanged"
    found = Plan(organisation_id=organisation_id, rows=rows, new_teams=sorted(new_teams.values()))
    return found, world


# --- applying it --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invitations:
    """How new people are invited: the link's lifetime, the public base URL, the mailer, and the
    organisation's single sign-on address if it signs in with OpenID Connect (then no password link)."""

    lifetime: dt.timedelta
    base_url: str
    mailer: Mailer
    sso_login_url: str | None = None


Progress = Callable[[str, int, int], None]


def apply(
    *,
    organisation_id: uuid.UUID,
    data: bytes,
    budget: tables.Budget,
    by: str,
    invitations: Invitations,
    now: dt.datetime,
    progress: Progress | None = None,
) -> Plan:
    """Plan the file; if any row has a problem, raise ValidationFailed carrying the preview (nothing
    written); otherwise write every row (flushes; the caller commits) and queue the invitations."""
    today = now.date()
    result, world = _plan(organisation_id, data, budget, today)
    if not result.can_apply:
        raise ValidationFailed(
            "Nothing was imported: fix the rows with problems and upload the file again.",
            fields={
                f"row {r.number}": [
                    f"{p['column']}: {p['message']}" if p["column"] else p["message"] for p in r.problems
                ]
                for r in result.rows
                if r.problems
            },
            extra={"preview": result.as_dict()},
        )
    for key, name in ((n.lower(), n) for n in result.new_teams):
        team = Team(organisation_id=organisation_id, name=name, service_area="other")
        db.session.add(team)
        world.teams[key] = team
    db.session.flush()
    total = len(result.rows)
    created: list[User] = []
    # People first (a supervisor may be a new person further down the file), then the links.
    for done, row in enumerate(result.rows, start=1):
        if row.action == "create":
            created.append(_create(row, world))
        elif row.action == "update":
            _update(row, world)
        if progress is not None:
            progress("people", done, total)
    db.session.flush()
    for done, row in enumerate(result.rows, start=1):
        if row.action != "unchanged":
            _registration_of(row, world)
            _supervision_of(row, world, by=by, now=now)
        if progress is not None:
            progress("registrations and supervisors", done, total)
    db.session.flush()
    for person in created:
        invite(
            user=person,
            organisation_name=world.org.name,
            now=now,
            lifetime=invitations.lifetime,
            base_url=invitations.base_url,
            mailer=invitations.mailer,
            sso_login_url=invitations.sso_login_url,
        )
    db.session.flush()
    return result


def _team_and_role(row: Row, world: _World) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if row.values.get("team"):
        out["team"] = world.teams[row.values["team"].lower()]
    if row.values.get("job_role"):
        out["job_role"] = world.roles[row.values["job_role"].lower()]
    return out


def _create(row: Row, world: _World) -> User:
    v = row.values
    person = User(
        organisation_id=world.org.id,
        email=v["email"],
        name=v["name"],
        password_hash=NO_PASSWORD_YET,
        is_practitioner=True,
        is_supervisor=False,
        is_team_manager=False,
        is_org_admin=False,
        is_active=True,
        **_team_and_role(row, world),
    )
    db.session.add(person)
    world.people[person.email] = person
    return person


def _update(row: Row, world: _World) -> None:
    person = world.people[row.values["email"]]
    if "name" in row.changes:
        person.name = row.values["name"]
    for key, value in _team_and_role(row, world).items():
        setattr(person, key, value)


def _registration_of(row: Row, world: _World) -> None:
    v = row.values
    regulator = _REGULATORS.get(v.get("regulator", "").lower())
    if not regulator:
        return
    person = world.people[v["email"]]
    regs = world.registrations.setdefault(person.id, [])
    reg = _registration(regs, regulator)
    renewal = _parse_date(v["renewal_date"]) if v.get("renewal_date") else None
    if reg is None:
        role = world.roles.get(v.get("job_role", "").lower())
        reg = Registration(
            user_id=person.id,
            regulator=regulator,
            profession=role.profession if role else regulator,
            registration_number=v.get("registration_number") or None,
            renewal_date=renewal,
            framework_id=DEFAULT_FRAMEWORK.get(regulator),
            is_dual_registration=False,
        )
        db.session.add(reg)
        regs.append(reg)
        return
    if v.get("registration_number"):
        reg.registration_number = v["registration_number"]
    if renewal:
        reg.renewal_date = renewal


def _supervision_of(row: Row, world: _World, *, by: str, now: dt.datetime) -> None:
    v = row.values
    if not v.get("supervisor_email"):
        return
    person = world.people[v["email"]]
    supervisor = world.people[v["supervisor_email"]]
    kind = _ROLES.get(v.get("supervisor_role", "").lower(), DEFAULT_ROLE)
    current = world.supervisors.setdefault((person.id, kind), set())
    if supervisor.id in current:
        return
    today = now.date()
    # The file names the person's supervisor in this role: one who is no longer named ends today
    # (kept as history), and the one named starts today.
    replaced: Iterable[SupervisionLink] = (
        db.session.scalars(
            select(SupervisionLink).where(
                SupervisionLink.supervisee_id == person.id, SupervisionLink.kind == kind, active_on(today)
            )
        )
        if current
        else []
    )
    for link in replaced:
        assignments.end(link=link, by=by, ends_on=today - dt.timedelta(days=1), today=today, now=now)
    assignments.assign(
        organisation_id=world.org.id,
        by=by,
        wanted=assignments.Assignment(
            supervisor_id=supervisor.id, supervisee_id=person.id, kind=kind, starts_on=today
        ),
        today=today,
        now=now,
    )
    current.clear()
    current.add(supervisor.id)
