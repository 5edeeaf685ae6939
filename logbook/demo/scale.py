"""`logbook demo --scale N`: a large, realistic organisation for trying insights and benchmarking.

N practitioners across the 74 job roles of `logbook/data/job-roles.csv`, in teams of about 20 within
service areas, with registrations for the regulated roles (the role's regulator, the shipped framework,
renewal dates by regulator), line supervision links with sessions and some agreements, and on average
`entries_each` CPD entries each (a realistic mix of kinds, Common Core tags, shadowing of and joint
learning with other professions, 60 % shared with the organisation, some drafts).

Everything after the 74 job roles is written with bulk INSERTs (executemany in batches), never one ORM
object at a time, so 5,000 x 60 (300,000 entries) loads in minutes on SQLite and PostgreSQL. Random
choices come from a seeded generator: the same N and seed give the same organisation.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import insert, select, text

from logbook.accounts import service as accounts
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import JobRole, Organisation, Registration, Team, User, team_manager
from logbook.accounts.passwords import hash_password
from logbook.entries.models import Entry
from logbook.errors import Conflict
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.supervision.models import SupervisionAgreement, SupervisionSession
from logbook.timeutil import utcnow

BATCH = 5_000
DOMAIN = "scale.example"  # .example never resolves
PASSWORD = "northshire-scale-2026"  # noqa: S105 - published demo login, printed by the command  # nosec B105
TEAM_SIZE = 20
HISTORY_DAYS = 3 * 365  # entries spread over the last three years

# Kind mix: weight, (min hours, max hours). Supervision, reading and short workshops are common;
# conferences and appraisals rare (one appraisal a year).
KIND_MIX: dict[str, tuple[int, tuple[float, float]]] = {
    "supervision": (14, (1.0, 1.5)),
    "reading": (11, (0.5, 2.0)),
    "bite_size_workshop": (10, (1.0, 1.5)),
    "course": (9, (3.0, 7.0)),
    "reflective_account": (7, (0.5, 1.5)),
    "study_day": (6, (6.0, 7.0)),
    "team_study_day": (6, (3.0, 7.0)),
    "peer_reflection": (5, (0.5, 1.5)),
    "practice_feedback": (5, (0.25, 1.0)),
    "reflective_learning_set": (5, (1.5, 3.0)),
    "shadowing": (4, (2.0, 7.0)),
    "practice_hours": (4, (7.5, 7.5)),
    "reflective_discussion": (3, (0.5, 1.5)),
    "other": (3, (0.5, 3.0)),
    "appraisal": (2, (1.0, 2.0)),
    "conference": (2, (6.0, 14.0)),
}
JOINT_KINDS = {"team_study_day", "bite_size_workshop", "reflective_learning_set", "conference", "course"}
TITLES = {
    "supervision": ["Supervision", "Reflective supervision", "Case supervision"],
    "reading": [
        "Article on trauma-informed practice",
        "Practice guidance update",
        "Research in practice briefing",
    ],
    "bite_size_workshop": [
        "Lunch-and-learn: neglect",
        "Bite-size: contextual safeguarding",
        "Bite-size: SEND law",
    ],
    "course": ["Safeguarding level 3", "Motivational interviewing", "Signs of Safety", "Autism awareness"],
    "reflective_account": ["Reflective account", "Reflection on a home visit"],
    "study_day": ["Regional study day", "Attachment study day"],
    "team_study_day": ["Team study day", "Multi-agency team study day"],
    "peer_reflection": ["Peer reflection", "Reflective conversation with a colleague"],
    "practice_feedback": ["Feedback from a family", "Feedback from a colleague"],
    "reflective_learning_set": ["Reflective learning set", "Action learning set"],
    "shadowing": ["Shadowing a colleague from another profession", "Joint visit"],
    "practice_hours": ["Practice hours"],
    "reflective_discussion": ["Reflective discussion"],
    "other": ["E-learning module", "Webinar"],
    "appraisal": ["Annual appraisal"],
    "conference": ["National conference", "Regional conference"],
}
# Some groups get more CPD than others, as the research found: a multiplier on hours per service area.
AREA_HOURS = {
    "social_care": 1.3,
    "health": 1.2,
    "education": 1.0,
    "send": 0.9,
    "early_help": 0.7,
    "early_years": 0.6,
    "business_support": 0.8,
    "other": 0.8,
}
# Which Common Core areas each service area's learning tends to touch (1-6).
AREA_CORE = {
    "social_care": "1223346",
    "health": "1224566",
    "education": "1334455",
    "send": "1345566",
    "early_help": "1223456",
    "early_years": "1122345",
    "business_support": "16",
    "other": "123456",
}
FIRST = [
    "Amara",
    "Tom",
    "Priya",
    "Gareth",
    "Hannah",
    "Daniel",
    "Fiona",
    "Sarah",
    "Leo",
    "Aisha",
    "Megan",
    "Oliver",
    "Chloe",
    "Joanne",
    "Ruth",
    "Kate",
    "Mark",
    "Sophie",
    "Imran",
    "Emily",
    "Natalie",
    "Grace",
    "Jade",
    "Liam",
    "Zara",
    "Paul",
    "Beth",
    "Nadia",
    "Chris",
    "Helen",
    "Sam",
    "Yusuf",
    "Maria",
    "Owen",
]
LAST = [
    "Okafor",
    "Bradley",
    "Shah",
    "Evans",
    "Kowalski",
    "Mensah",
    "Campbell",
    "Whitfield",
    "Fernandes",
    "Rahman",
    "Lloyd",
    "Grant",
    "Adeyemi",
    "Price",
    "Adebayo",
    "Sullivan",
    "Jennings",
    "Turner",
    "Hussain",
    "Clarke",
    "Brooks",
    "O'Connor",
    "Williams",
    "Murphy",
    "Ahmed",
    "Robinson",
    "Morgan",
]
LOCALITIES = ["North", "South", "East", "West", "Central"]
AREA_TEAM = {
    "social_care": "Children's Social Work",
    "health": "0-19 Health and Therapies",
    "education": "Education and Inclusion",
    "send": "SEND Assessment",
    "early_help": "Early Help",
    "early_years": "Early Years",
    "business_support": "Workforce Development",
    "other": "Services",
}
AREA_WEIGHT = {
    "social_care": 30,
    "education": 20,
    "health": 14,
    "early_help": 14,
    "early_years": 10,
    "send": 9,
    "business_support": 3,
}
SENIOR = ("manager", "director", "head", "principal", "lead", "coordinator")


@dataclass
class _Context:
    rng: random.Random
    today: dt.date
    now: dt.datetime
    slug: str
    org_id: uuid.UUID | None = None


def _weighted(rng: random.Random, weights: dict[str, int]) -> Callable[[], str]:
    keys, cum = list(weights), []
    total = 0
    for k in keys:
        total += weights[k]
        cum.append(total)
    return lambda: rng.choices(keys, cum_weights=cum)[0]


def _renewal(regulator: str, rng: random.Random, today: dt.date) -> dt.date | None:
    """When the registration renews, by regulator (Teachers' Standards have no renewal)."""
    if regulator == "SWE":  # every year on 30 November
        year = today.year if today <= dt.date(today.year, 11, 30) else today.year + 1
        return dt.date(year, 11, 30)
    if regulator == "HCPC":  # every two years, month by profession: a spread of dates
        return today + dt.timedelta(days=rng.randrange(20, 730))
    if regulator == "NMC":  # every three years at the end of the month first registered
        end = today + dt.timedelta(days=rng.randrange(10, 3 * 365))
        return dt.date(end.year + (end.month == 12), end.month % 12 + 1, 1) - dt.timedelta(days=1)
    return None


def _bulk(table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(table), rows[start : start + BATCH])


def _entry_counts(rng: random.Random, people: int, each: int) -> list[int]:
    """Entries per person: varied (some record much more than others), adding up to people x each."""
    counts = [max(3, round(rng.gauss(each, each / 3))) for _ in range(people)]
    gap = people * each - sum(counts)
    while gap:
        k = rng.randrange(people)
        step = 1 if gap > 0 else -1
        if counts[k] + step >= 3:
            counts[k] += step
            gap -= step
    return counts


def build_scale_demo(
    *, people: int, today: dt.date, entries_each: int = 60, seed: int = 9, slug: str | None = None
) -> dict[str, Any]:
    """Create an organisation of `people` practitioners (plus one org admin); returns what was made.
    Refuses (Conflict) when the organisation already exists: use a fresh database or another slug."""
    if people < 1:
        raise ValueError("people must be at least 1")
    slug = slug or f"scale-{people}"
    if db.session.scalar(select(Organisation).where(Organisation.slug == slug)) is not None:
        raise Conflict(f"An organisation '{slug}' already exists: use another --slug or a fresh database.")
    ctx = _Context(rng=random.Random(seed), today=today, now=utcnow(), slug=slug)  # noqa: S311 - not secret  # nosec B311
    load_shipped_frameworks()
    org = Organisation(name=f"Northshire at scale ({people:,} practitioners)", slug=slug)
    db.session.add(org)
    db.session.flush()
    roles_csv = resources.files("logbook.data").joinpath("job-roles.csv").read_text(encoding="utf-8")
    accounts.import_job_roles_csv(organisation_id=org.id, text=roles_csv)
    roles = list(
        db.session.scalars(select(JobRole).where(JobRole.organisation_id == org.id).order_by(JobRole.name))
    )
    by_area: dict[str, list[JobRole]] = {}
    for role in roles:
        by_area.setdefault(role.service_area, []).append(role)
    professions = sorted({r.profession for r in roles})
    areas = {a: w for a, w in AREA_WEIGHT.items() if a in by_area}

    ctx.org_id = org.id
    team_rows = _teams(ctx, areas, people)
    users, person_team, person_role, managers, regs = _people(ctx, team_rows, by_area, people)
    links, agreements, sessions = _supervision(ctx, users, person_team)
    _bulk(User.__table__, users)
    _bulk(team_manager, managers)
    _bulk(Registration.__table__, regs)
    _bulk(SupervisionLink.__table__, links)
    _bulk(SupervisionAgreement.__table__, agreements)
    _bulk(SupervisionSession.__table__, sessions)
    counts = _entry_counts(ctx.rng, people, entries_each)
    made = _entries(
        ctx,
        users=users[1:],
        person_team=person_team,
        person_role=person_role,
        counts=counts,
        professions=professions,
    )
    db.session.flush()
    return {
        "organisation": org.name,
        "organisation_id": org.id,
        "admin_email": users[0]["email"],
        "manager_email": users[1]["email"],
        "password": PASSWORD,
        "people": people,
        "teams": len(team_rows),
        "job_roles": len(roles),
        "registrations": len(regs),
        "supervision_links": len(links),
        "supervision_sessions": len(sessions),
        "entries": made,
    }


def _teams(ctx: _Context, areas: dict[str, int], people: int) -> list[dict[str, Any]]:
    """Teams of about TEAM_SIZE, in service areas by weight (each area at least once)."""
    rng, org_id, now = ctx.rng, ctx.org_id, ctx.now
    pick_area = _weighted(rng, areas)
    team_rows: list[dict[str, Any]] = []
    numbering: dict[str, int] = {}
    for n in range(max(1, round(people / TEAM_SIZE))):
        area = pick_area() if n >= len(areas) else list(areas)[n]
        numbering[area] = numbering.get(area, 0) + 1
        k = numbering[area]
        name = f"{AREA_TEAM[area]} {LOCALITIES[(k - 1) % len(LOCALITIES)]}"
        name += f" {(k - 1) // len(LOCALITIES) + 1}" if k > len(LOCALITIES) else ""
        team_rows.append(
            {
                "id": uuid.uuid4(),
                "organisation_id": org_id,
                "name": name,
                "service_area": area,
                "created_at": now,
            }
        )
    _bulk(Team.__table__, team_rows)
    return team_rows


def _people(
    ctx: _Context, team_rows: list[dict[str, Any]], by_area: dict[str, list[JobRole]], people: int
) -> tuple[
    list[dict[str, Any]], list[dict[str, Any]], list[JobRole], list[dict[str, Any]], list[dict[str, Any]]
]:
    """The org admin, then the practitioners (the first of each team manages it), and registrations."""
    rng, org_id, now, today, slug = ctx.rng, ctx.org_id, ctx.now, ctx.today, ctx.slug
    password_hash = hash_password(PASSWORD)  # one hash shared by every demo login: hashing is slow
    admin_id = uuid.uuid4()
    users: list[dict[str, Any]] = [
        {
            "id": admin_id,
            "organisation_id": org_id,
            "email": f"admin@{slug}.{DOMAIN}",
            "name": "Scale Admin",
            "password_hash": password_hash,
            "team_id": None,
            "job_role_id": None,
            "is_practitioner": False,
            "is_supervisor": False,
            "is_team_manager": False,
            "is_org_admin": True,
            "is_active": True,
            "created_at": now,
        }
    ]
    managers: list[dict[str, Any]] = []
    regs: list[dict[str, Any]] = []
    person_team: list[dict[str, Any]] = []
    person_role: list[JobRole] = []
    for n in range(people):
        team = team_rows[n % len(team_rows)]
        first_in_team = n < len(team_rows)
        area_roles = by_area[team["service_area"]]
        senior = [r for r in area_roles if any(w in r.name.lower() for w in SENIOR)] or area_roles
        if first_in_team:
            role = rng.choice(senior)
        else:  # senior roles are rarer
            role = rng.choices(area_roles, weights=[1 if r in senior else 6 for r in area_roles])[0]
        uid = uuid.uuid4()
        first, last = rng.choice(FIRST), rng.choice(LAST)
        # One in six is a supervisor; the first person of each team manages it.
        supervisor = first_in_team or n % 6 == 1
        users.append(
            {
                "id": uid,
                "organisation_id": org_id,
                "email": f"{first.lower()}.{last.lower().replace(chr(39), '')}.{n}@{slug}.{DOMAIN}",
                "name": f"{first} {last}",
                "password_hash": password_hash,
                "team_id": team["id"],
                "job_role_id": role.id,
                "is_practitioner": True,
                "is_supervisor": supervisor,
                "is_team_manager": first_in_team,
                "is_org_admin": False,
                "is_active": True,
                "created_at": now,
            }
        )
        person_team.append(team)
        person_role.append(role)
        if first_in_team:
            managers.append({"user_id": uid, "team_id": team["id"]})
        if role.usual_regulator and role.usual_regulator in accounts.DEFAULT_FRAMEWORK:
            since = today - dt.timedelta(days=rng.randrange(60, 25 * 365))
            regs.append(
                {
                    "id": uuid.uuid4(),
                    "user_id": uid,
                    "regulator": role.usual_regulator,
                    "profession": role.profession,
                    "registration_number": f"{role.usual_regulator[:2]}{n:06d}",
                    "framework_id": accounts.DEFAULT_FRAMEWORK[role.usual_regulator],
                    "registered_since": since,
                    "renewal_date": _renewal(role.usual_regulator, rng, today),
                    "is_dual_registration": False,
                    "created_at": now,
                }
            )
    return users, person_team, person_role, managers, regs


def _supervision(
    ctx: _Context, users: list[dict[str, Any]], person_team: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Supervision links, agreements (30 %) and sessions over the last year."""
    rng, now, today = ctx.rng, ctx.now, ctx.today
    links: list[dict[str, Any]] = []
    agreements: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    # Line supervision: everyone but the team manager has a supervisor in their team (the manager,
    # or a supervisor of the team); sessions every 4-8 weeks, some people overdue.
    team_supervisors: dict[Any, list[uuid.UUID]] = {}
    for user, team in zip(users[1:], person_team, strict=True):
        if user["is_supervisor"]:
            team_supervisors.setdefault(team["id"], []).append(user["id"])
    for user, team in zip(users[1:], person_team, strict=True):
        if user["is_team_manager"]:
            continue
        supervisor_id = rng.choice(team_supervisors[team["id"]])
        if supervisor_id == user["id"]:
            supervisor_id = team_supervisors[team["id"]][0]
            if supervisor_id == user["id"]:
                continue
        link_id = uuid.uuid4()
        starts = today - dt.timedelta(days=rng.randrange(30, 900))
        links.append(
            {
                "id": link_id,
                "supervisor_id": supervisor_id,
                "supervisee_id": user["id"],
                "kind": "line",
                "starts_on": starts,
                "ends_on": None,
                "created_at": now,
            }
        )
        if rng.random() < 0.3:
            agreements.append(
                {
                    "link_id": link_id,
                    "frequency_days": rng.choice((28, 42, 56)),
                    "session_minutes": 90,
                    "recorded_where": "",
                    "notes": "",
                    "agreed_on": starts,
                    "updated_at": now,
                }
            )
        gap = rng.choice((28, 35, 42, 56))
        # 15 % stopped having supervision some months ago (overdue now).
        last = today - dt.timedelta(
            days=rng.randrange(90, 200) if rng.random() < 0.15 else rng.randrange(1, gap)
        )
        day = last
        while day >= max(starts, today - dt.timedelta(days=365)):
            at = dt.datetime.combine(day, dt.time(10, 0), dt.UTC)
            sessions.append(
                {
                    "id": uuid.uuid4(),
                    "supervisor_id": supervisor_id,
                    "supervisee_id": user["id"],
                    "starts_at": at,
                    "duration_minutes": 90,
                    "format": "individual",
                    "location": "",
                    "agenda": "",
                    "summary": "",
                    "is_cancelled": rng.random() < 0.05,
                    "supervisor_confirmed_at": at,
                    "supervisee_confirmed_at": at,
                    "version": 1,
                    "created_by_id": supervisor_id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            day -= dt.timedelta(days=gap + rng.randrange(-5, 6))
    return links, agreements, sessions


def _entries(
    ctx: _Context,
    *,
    users: list[dict[str, Any]],
    person_team: list[dict[str, Any]],
    person_role: list[JobRole],
    counts: list[int],
    professions: list[str],
) -> int:
    """Each person's CPD entries, inserted in batches; returns how many."""
    rng, org_id, now, today = ctx.rng, ctx.org_id, ctx.now, ctx.today
    pick_kind = _weighted(rng, {k: w for k, (w, _) in KIND_MIX.items()})
    made = 0
    rows: list[dict[str, Any]] = []
    for user, team, role, count in zip(users, person_team, person_role, counts, strict=True):
        area = team["service_area"]
        others = [p for p in professions if p != role.profession]
        for _ in range(count):
            kind = pick_kind()
            low, high = KIND_MIX[kind][1]
            hours = (low + (high - low) * rng.random()) * (
                AREA_HOURS.get(area, 1.0) if kind != "practice_hours" else 1
            )
            other_professions: list[str] = []
            if kind == "shadowing":
                other_professions = [rng.choice(others)]
            elif kind in JOINT_KINDS and rng.random() < 0.35:
                other_professions = rng.sample(others, rng.randrange(1, 3))
            common_core = (
                sorted(set(rng.sample(AREA_CORE[area], rng.randrange(1, 3)))) if rng.random() < 0.45 else []
            )
            start = today - dt.timedelta(days=rng.randrange(HISTORY_DAYS))
            status = "draft" if rng.random() < 0.04 else ("signed_off" if rng.random() < 0.2 else "recorded")
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "owner_id": user["id"],
                    "organisation_id": org_id,
                    "kind": kind,
                    "title": rng.choice(TITLES[kind]),
                    "description": "",
                    "start_date": start,
                    "end_date": None,
                    "hours": Decimal(round(hours * 4) / 4).quantize(Decimal("0.01")),
                    "is_participatory": kind not in {"reading", "reflective_account", "practice_hours"},
                    "includes_peer_reflection": kind
                    in {"peer_reflection", "reflective_discussion", "supervision"},
                    "reflection": {},
                    "impact_on_practice": "",
                    "impact_on_people": "",
                    "ways_of_knowing": [],
                    "other_professions": other_professions,
                    "standards": [],
                    "common_core": common_core,
                    "details": {"duration_minutes": 90} if kind == "supervision" else {},
                    "evidence": [],
                    "visibility": rng.choices(
                        ("organisation", "supervisors", "private"), weights=(60, 25, 15)
                    )[0],
                    "status": status,
                    "version": 1,
                    "is_deleted": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(rows) >= BATCH:
                _bulk(Entry.__table__, rows)
                made += len(rows)
                rows = []
    _bulk(Entry.__table__, rows)
    return made + len(rows)


def analyse() -> None:
    """Gather planner statistics after a bulk load (fresh tables have none: PostgreSQL then picks
    nested loops over hundreds of thousands of rows). Run after the load is committed."""
    db.session.execute(text("ANALYZE"))
