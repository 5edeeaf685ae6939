"""The org admin's staff export: registration evidence for a team or chosen people, as a ZIP of one
PDF per person plus a CSV of compliance figures, made by a background job.

What it shows is exactly what an org admin may already see in the app, nothing more:
- each registration's current cycle from the requirement engine (figures and rule outcomes: counts and
  hours, never entry text);
- the person's organisation-visible entries (not drafts, not deleted), read through the entries
  service with the admin as viewer, so the metadata-only rule applies: title, kind, dates, hours,
  standards, status and sign-offs. Descriptions, impact, kind details, evidence and reflections are
  never read into the context, and private or supervisor-only entries are not listed at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
import zipfile
from decimal import Decimal
from typing import Any

from flask import render_template
from sqlalchemy import select

from logbook.accounts.models import Team, User
from logbook.config import KeyRing
from logbook.entries import service as entries
from logbook.errors import Forbidden, ValidationFailed
from logbook.extensions import db
from logbook.frameworks.kinds import KIND_LABELS
from logbook.frameworks.labels import StandardTitles
from logbook.jobs import service as jobs
from logbook.jobs.models import Job
from logbook.jobs.runner import JobRunner
from logbook.progress import progress_for
from logbook.supervision import imported, signcore
from logbook.supervision.models import SignOff
from logbook.supervision.signoff import verify_sign_off

MAX_PEOPLE = 500
CSV_NAME = "staff-evidence.csv"
CSV_COLUMNS = (
    "name",
    "email",
    "team",
    "job_role",
    "regulator",
    "profession",
    "registration_number",
    "framework",
    "cycle_starts_on",
    "cycle_ends_on",
    "status",
    "records",
    "hours",
    "participatory_hours",
    "signed_off",
    "rules_met",
    "rules_total",
    "organisation_visible_entries",
    "pdf",
)
DEFAULT_YEARS = 2


def _check_admin(admin: User) -> None:
    if not admin.is_org_admin:
        raise Forbidden("Only an organisation's admins can export staff evidence.")


def _active_people(query: Any) -> list[User]:
    return list(db.session.scalars(query.where(User.is_active.is_(True)).order_by(User.name, User.id)))


def _people(
    admin: User,
    team_id: uuid.UUID | None,
    user_ids: list[uuid.UUID],
    service_area: str | None = None,
    organisation: bool = False,
) -> list[User]:
    """The people asked for, all in the admin's organisation (anyone else is refused by id): one
    team, one service area (every team in it), the whole organisation, or chosen people."""
    chosen = [team_id is not None, bool(user_ids), service_area is not None, organisation]
    if sum(chosen) != 1:
        raise ValidationFailed(
            "Choose a team, a service area, the whole organisation or some people.",
            fields={"team_id": ["give exactly one of team_id, service_area, organisation or user_ids"]},
        )
    if team_id is not None:
        team = db.session.get(Team, team_id)
        if team is None or team.organisation_id != admin.organisation_id:
            raise ValidationFailed(
                "No such team.", fields={"team_id": ["is not a team of your organisation"]}
            )
        people = _active_people(select(User).where(User.team_id == team.id))
        if not people:
            raise ValidationFailed(
                "That team has nobody in it.", fields={"team_id": ["has no active members"]}
            )
        return people
    if service_area is not None:
        people = _active_people(
            select(User)
            .join(Team, User.team_id == Team.id)
            .where(Team.organisation_id == admin.organisation_id, Team.service_area == service_area)
        )
        if not people:
            raise ValidationFailed(
                "Nobody works in a team of that service area.",
                fields={"service_area": ["has no active members in any team"]},
            )
        return people
    if organisation:
        return _active_people(select(User).where(User.organisation_id == admin.organisation_id))
    wanted = list(dict.fromkeys(user_ids))
    found = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(
                User.id.in_(wanted), User.organisation_id == admin.organisation_id, User.is_active.is_(True)
            )
        )
    }
    missing = [str(i) for i in wanted if i not in found]
    if missing:
        # Someone in another organisation looks exactly like nobody.
        raise ValidationFailed(
            "Some people are not in your organisation.",
            fields={"user_ids": [f"not active people of your organisation: {', '.join(missing)}"]},
        )
    return sorted(found.values(), key=lambda u: (u.name, str(u.id)))


def start_staff_export(
    *,
    admin: User,
    now: dt.datetime,
    team_id: uuid.UUID | None = None,
    user_ids: list[uuid.UUID] | None = None,
    service_area: str | None = None,
    organisation: bool = False,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    runner: JobRunner,
) -> Job:
    """Check the request and queue the export job (org admins only) on the app's runner."""
    _check_admin(admin)
    people = _people(admin, team_id, user_ids or [], service_area, organisation)
    if len(people) > MAX_PEOPLE:
        field = "organisation" if organisation else "service_area" if service_area else "user_ids"
        raise ValidationFailed(
            "Too many people for one export.",
            fields={
                field: [f"at most {MAX_PEOPLE} people per export ({len(people)} chosen): export by team"]
            },
        )
    date_to = date_to or now.date()
    date_from = date_from or date_to.replace(year=date_to.year - DEFAULT_YEARS, day=min(date_to.day, 28))
    if date_from > date_to:
        raise ValidationFailed("The period is empty.", fields={"date_from": ["must not be after date_to"]})
    params = {
        "user_ids": [str(p.id) for p in people],
        "team_id": str(team_id) if team_id else None,
        "service_area": service_area,
        "organisation": organisation,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "today": now.date().isoformat(),
        "generated_at": now.isoformat(),
    }
    return jobs.enqueue(
        kind="staff_export", owner=admin, params=params, now=now, runner=runner, total=len(people)
    )


# --- building one person's evidence ----------------------------------------------------------


def _hours(value: Decimal | float) -> str:
    return f"{Decimal(str(value)):.2f}".rstrip("0").rstrip(".")


def _visible_entries(admin: User, person: User, date_from: dt.date, date_to: dt.date, today: dt.date):
    """The person's entries the admin may see, through the entries service (metadata access)."""
    filters: dict[str, Any] = {
        "scope": "organisation",
        "owner_id": person.id,
        "date_from": date_from,
        "date_to": date_to,
        "limit": 200,
    }
    views = []
    while True:
        page, cursor = entries.list_entries(viewer=admin, filters=filters, today=today)
        views += page
        if not cursor:
            return sorted(views, key=lambda v: (v.entry.start_date, v.entry.title, str(v.entry.id)))
        filters["cursor"] = cursor


def _sign_offs(entry_id: uuid.UUID, ring: KeyRing) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(SignOff)
        .where(SignOff.entry_id == entry_id, SignOff.decision == "approved")
        .order_by(SignOff.signed_at)
    )
    out = []
    for s in rows:
        result = verify_sign_off(s, ring=ring)
        out.append(
            {
                "signer_name": s.signer_name,
                "signed_at": s.signed_at.strftime("%d %b %Y"),
                "is_imported": bool(s.is_imported),
                "is_valid": result.is_valid,
                "status_label": result.label,
                **imported.presented(s),
            }
        )
    return out


def _entry(view: entries.EntryView, titles: StandardTitles, ring: KeyRing) -> dict[str, Any]:
    """Only the fields a metadata viewer may see (present() drops the narrative; we list what we keep)."""
    shown = entries.present(view, with_warnings=False)
    if view.access != entries.METADATA or "reflection" in shown:  # the admin's view is metadata only
        raise RuntimeError("staff export reached more than an entry's metadata")
    return {
        "title": shown["title"],
        "kind": KIND_LABELS.get(shown["kind"], shown["kind"]),
        "start_date": shown["start_date"].isoformat(),
        "end_date": shown["end_date"].isoformat() if shown["end_date"] else "",
        "hours": _hours(shown["hours"]),
        "is_participatory": shown["is_participatory"],
        "standards": [titles.label(s) for s in shown["standards"]],
        "status": shown["status"].replace("_", " "),
        "sign_offs": _sign_offs(view.entry.id, ring),
    }


def _registrations(progress: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for reg in progress["registrations"]:
        cycle = next((c for c in reg.get("cycles", []) if c.get("which") == "current"), None)
        cycle = cycle or (reg.get("cycles") or [None])[0]
        rules = [
            {k: r[k] for k in ("title", "status", "unit", "missing", "advisory")}
            | {"value": _hours(r["value"]), "target": _hours(r["target"])}
            for r in (cycle or {}).get("rules", [])
        ]
        numbers = (cycle or {}).get("numbers", {})
        out.append(
            {
                "regulator": reg["regulator"],
                "profession": reg["profession"],
                "registration_number": reg["registration_number"] or "",
                "framework": ((reg.get("framework") or {}).get("name")) or "",
                "note": reg.get("note", ""),
                "cycle_starts_on": (cycle or {}).get("starts_on", ""),
                "cycle_ends_on": (cycle or {}).get("ends_on", ""),
                "status": ((cycle or {}).get("status") or "").replace("_", " "),
                "records": numbers.get("records", 0),
                "hours": _hours(numbers.get("hours", 0)),
                "participatory_hours": _hours(numbers.get("participatory_hours", 0)),
                "signed_off": numbers.get("signed_off", 0),
                "rules": rules,
                "rules_met": sum(1 for r in rules if r["status"] == "met"),
            }
        )
    return out


def person_evidence(
    *,
    admin: User,
    person: User,
    date_from: dt.date,
    date_to: dt.date,
    today: dt.date,
    generated_at: str,
    ring: KeyRing,
) -> dict[str, Any]:
    """One person's registration evidence as plain data (what the PDF and the CSV rows are made of)."""
    progress = progress_for(
        viewer=admin, today=today, user_id=person.id, signatures=signcore.signatures(ring=ring)
    )["people"][0]
    titles = StandardTitles(person.organisation_id)
    return {
        "document": {
            "title": "Registration evidence",
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "generated_at": generated_at,
            "generated_by": admin.name,
        },
        "person": {
            "name": person.name,
            "email": person.email,
            "organisation": person.organisation.name if person.organisation else "",
            "team": person.team.name if person.team else "",
            "job_role": person.job_role.name if person.job_role else "",
        },
        "registrations": _registrations(progress),
        "entries": [
            _entry(v, titles, ring) for v in _visible_entries(admin, person, date_from, date_to, today)
        ],
    }


def render_evidence_pdf(context: dict[str, Any]) -> bytes:
    """The person's PDF (the portfolio's print CSS and font, its fetcher that refuses any other URL)."""
    from weasyprint import HTML  # measured start-up cost: imported on use

    from logbook.portfolio import render  # deferred with WeasyPrint, which it imports

    html = render_template("exports/staff_evidence.html", doc=context, asset=render.ASSET_URL)
    return HTML(string=html, url_fetcher=render.AssetFetcher(), base_url=render.ASSET_URL).write_pdf()


def csv_rows(context: dict[str, Any], pdf_name: str) -> list[dict[str, Any]]:
    """One CSV row per registration (one row with empty registration columns for someone with none)."""
    person = context["person"]
    common = {
        "name": person["name"],
        "email": person["email"],
        "team": person["team"],
        "job_role": person["job_role"],
        "organisation_visible_entries": len(context["entries"]),
        "pdf": pdf_name,
    }
    if not context["registrations"]:
        return [dict.fromkeys(CSV_COLUMNS, "") | common]
    return [
        dict.fromkeys(CSV_COLUMNS, "")
        | common
        | {k: reg[k] for k in CSV_COLUMNS if k in reg}
        | {"rules_total": len(reg["rules"])}
        for reg in context["registrations"]
    ]


def _file_name(person: User, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", person.name.lower()).strip("-") or "person"
    name = f"{base}.pdf"
    if name in taken:
        name = f"{base}-{str(person.id)[:8]}.pdf"
    taken.add(name)
    return name


def _csv_safe(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas: prefix such text with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def run_staff_export(*, job: Job, progress: jobs.Progress, ring: KeyRing) -> jobs.Result:
    """The job: for each person, build their evidence (short transaction), commit, render their PDF;
    then the CSV. The admin's rights are checked again: they may have lost them since queuing."""
    params = job.params
    admin_id, ids = job.owner_id, [uuid.UUID(i) for i in params["user_ids"]]
    date_from, date_to = dt.date.fromisoformat(params["date_from"]), dt.date.fromisoformat(params["date_to"])
    today = dt.date.fromisoformat(params["today"])
    generated_at = dt.datetime.fromisoformat(params["generated_at"]).strftime("%d %b %Y %H:%M UTC")
    buffer = io.BytesIO()
    rows: list[dict[str, Any]] = []
    taken: set[str] = {CSV_NAME}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for done, person_id in enumerate(ids):
            admin = db.session.get(User, admin_id)
            if admin is None:
                raise RuntimeError("the job's owner is gone (deleting a user deletes their jobs)")
            _check_admin(admin)
            person = db.session.get(User, person_id)
            if person is None or person.organisation_id != admin.organisation_id or not person.is_active:
                progress(done + 1, len(ids))
                continue  # left the organisation (or was deactivated) since the export was asked for
            context = person_evidence(
                admin=admin,
                person=person,
                date_from=date_from,
                date_to=date_to,
                today=today,
                generated_at=generated_at,
                ring=ring,
            )
            name = _file_name(person, taken)
            rows += csv_rows(context, name)
            progress(done, len(ids))  # commits: no transaction is held while the PDF is laid out
            archive.writestr(name, render_evidence_pdf(context))
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_safe(v) for k, v in row.items()})
        archive.writestr(CSV_NAME, "\ufeff" + text.getvalue())  # BOM: Excel reads UTF-8 names right
    progress(len(ids), len(ids))
    stamp = params["today"]
    return jobs.Result(f"staff-evidence-{stamp}.zip", "application/zip", buffer.getvalue())
