"""The demo organisation's people: a realistic children's integrated service (teams, job roles,
registrations, logins), and `build_demo`, which makes them and then their entries and events (idempotent)."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from typing import Any

from sqlalchemy import select

from logbook.accounts import service
from logbook.accounts.models import JobRole, User
from logbook.accounts.passwords import hash_password
from logbook.config import KeyRing
from logbook.demo.entries import build_demo_entries
from logbook.demo.events import build_demo_events
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks

DEMO_ORG = ("Northshire Children's Services", "northshire")
DEMO_PASSWORD = "northshire-demo-2026"  # noqa: S105 - published demo login, printed by the command  # nosec B105
DOMAIN = "northshire.example"  # .example never resolves: demo emails cannot reach real people

TEAMS = [
    ("Educational Psychology Service", "education"),
    ("Virtual School and Advisory Teachers", "education"),
    ("SEND Assessment and Review", "send"),
    ("Early Help North", "early_help"),
    ("Early Years and Childcare", "early_years"),
    ("Assessment and Child Protection", "social_care"),
    ("Disabled Children's Team", "social_care"),
    ("0-19 Health and Therapies", "health"),
    ("Workforce Development", "business_support"),
]

# (name, job role, team, app roles, registration: (regulator, profession, number, renewal rule) | None)
# Renewal rules: ("annual", month, day) | ("biennial", month, day, parity: 0 even / 1 odd)
#                | ("nmc", years ahead, month)
PEOPLE: list[tuple[str, str, str, tuple[str, ...], tuple[Any, ...] | None]] = [
    (
        "Amara Okafor",
        "Children's Social Worker",
        "Assessment and Child Protection",
        ("practitioner",),
        ("SWE", "social worker", "SW104587", ("annual", 11, 30)),
    ),
    (
        "Tom Bradley",
        "Newly Qualified Social Worker (ASYE)",
        "Assessment and Child Protection",
        ("practitioner",),
        ("SWE", "social worker", "SW131902", ("annual", 11, 30)),
    ),
    (
        "Priya Shah",
        "Senior Social Worker",
        "Assessment and Child Protection",
        ("practitioner", "supervisor"),
        ("SWE", "social worker", "SW087341", ("annual", 11, 30)),
    ),
    (
        "Gareth Evans",
        "Social Work Team Manager",
        "Assessment and Child Protection",
        ("practitioner", "supervisor", "team_manager"),
        ("SWE", "social worker", "SW056219", ("annual", 11, 30)),
    ),
    (
        "Hannah Kowalski",
        "Disabled Children's Social Worker",
        "Disabled Children's Team",
        ("practitioner",),
        ("SWE", "social worker", "SW118774", ("annual", 11, 30)),
    ),
    (
        "Daniel Mensah",
        "Practice Educator",
        "Disabled Children's Team",
        ("practitioner", "supervisor"),
        ("SWE", "social worker", "SW072256", ("annual", 11, 30)),
    ),
    (
        "Fiona Campbell",
        "Principal Social Worker",
        "Disabled Children's Team",
        ("practitioner", "supervisor", "team_manager"),
        ("SWE", "social worker", "SW041198", ("annual", 11, 30)),
    ),
    (
        "Sarah Whitfield",
        "Principal Educational Psychologist",
        "Educational Psychology Service",
        ("practitioner", "supervisor", "team_manager"),
        ("HCPC", "practitioner psychologist", "PYL04127", ("biennial", 5, 31, 1)),
    ),
    (
        "Leo Fernandes",
        "Educational Psychologist",
        "Educational Psychology Service",
        ("practitioner",),
        ("HCPC", "practitioner psychologist", "PYL36610", ("biennial", 5, 31, 1)),
    ),
    (
        "Aisha Rahman",
        "Trainee Educational Psychologist",
        "Educational Psychology Service",
        ("practitioner",),
        None,
    ),
    (
        "Megan Lloyd",
        "Speech and Language Therapist",
        "0-19 Health and Therapies",
        ("practitioner",),
        ("HCPC", "speech and language therapist", "SL33817", ("biennial", 9, 30, 1)),
    ),
    (
        "Oliver Grant",
        "Specialist Speech and Language Therapist",
        "0-19 Health and Therapies",
        ("practitioner", "supervisor"),
        ("HCPC", "speech and language therapist", "SL21954", ("biennial", 9, 30, 1)),
    ),
    (
        "Chloe Adeyemi",
        "Occupational Therapist (Children)",
        "0-19 Health and Therapies",
        ("practitioner",),
        ("HCPC", "occupational therapist", "OT68402", ("biennial", 10, 31, 1)),
    ),
    (
        "Joanne Price",
        "Health Visitor",
        "0-19 Health and Therapies",
        ("practitioner",),
        ("NMC", "nurse (specialist community public health nurse)", "04I1873E", ("nmc", 1, 3)),
    ),
    (
        "Ruth Adebayo",
        "Specialist Community Public Health Nurse (School Nurse)",
        "0-19 Health and Therapies",
        ("practitioner", "supervisor", "team_manager"),
        ("NMC", "nurse (specialist community public health nurse)", "98Y0552E", ("nmc", 2, 7)),
    ),
    (
        "Kate Sullivan",
        "Family Nurse",
        "0-19 Health and Therapies",
        ("practitioner",),
        ("NMC", "nurse", "11A2291E", ("nmc", 0, 12)),
    ),
    (
        "Mark Jennings",
        "Virtual School Teacher",
        "Virtual School and Advisory Teachers",
        ("practitioner",),
        ("TEACHERS", "teacher", "1684420", None),
    ),
    (
        "Sophie Turner",
        "Advisory Teacher (Autism)",
        "Virtual School and Advisory Teachers",
        ("practitioner",),
        ("TEACHERS", "teacher", "1729051", None),
    ),
    (
        "Imran Hussain",
        "Head of Virtual School",
        "Virtual School and Advisory Teachers",
        ("practitioner", "supervisor", "team_manager"),
        ("TEACHERS", "teacher", "0936712", None),
    ),
    (
        "Emily Clarke",
        "Early Years Teacher",
        "Early Years and Childcare",
        ("practitioner",),
        ("TEACHERS", "early years teacher", "1850377", None),
    ),
    ("Natalie Brooks", "Early Years Practitioner", "Early Years and Childcare", ("practitioner",), None),
    ("Grace O'Connor", "Nursery Manager", "Early Years and Childcare", ("practitioner", "supervisor"), None),
    ("Jade Williams", "Portage Home Visitor", "Early Years and Childcare", ("practitioner",), None),
    ("Liam Murphy", "Family Support Worker", "Early Help North", ("practitioner",), None),
    ("Zara Ahmed", "Early Help Practitioner", "Early Help North", ("practitioner",), None),
    (
        "Paul Robinson",
        "Early Help Coordinator",
        "Early Help North",
        ("practitioner", "supervisor", "team_manager"),
        None,
    ),
    ("Beth Morgan", "Youth Worker", "Early Help North", ("practitioner",), None),
    ("Nadia Petrova", "SEND Casework Officer", "SEND Assessment and Review", ("practitioner",), None),
    (
        "Chris Doyle",
        "SEND Team Manager",
        "SEND Assessment and Review",
        ("practitioner", "supervisor", "team_manager"),
        None,
    ),
    (
        "Helen Carter",
        "Learning and Development Manager",
        "Workforce Development",
        ("practitioner", "org_admin"),
        None,
    ),
    ("Sam Patel", "Workforce Development Officer", "Workforce Development", ("org_admin",), None),
]

# Shown first by `logbook demo`: one login per kind of user.
HIGHLIGHTS = {
    "Amara Okafor": "practitioner, social worker (Social Work England)",
    "Megan Lloyd": "practitioner, speech and language therapist (HCPC)",
    "Joanne Price": "practitioner, health visitor (NMC)",
    "Priya Shah": "supervisor",
    "Gareth Evans": "team manager",
    "Helen Carter": "org admin (learning and development)",
}


def email_for(name: str) -> str:
    """The demo email address of a demo person."""
    local = "".join(c for c in name.lower().replace(" ", ".") if c.isalnum() or c == ".")
    return f"{local}@{DOMAIN}"


def _renewal(rule: tuple[Any, ...] | None, today: dt.date) -> dt.date | None:
    if rule is None:
        return None
    if rule[0] == "annual":
        _, month, day = rule
        this_year = dt.date(today.year, month, day)
        return this_year if this_year >= today else dt.date(today.year + 1, month, day)
    if rule[0] == "biennial":
        _, month, day, parity = rule
        year = today.year
        while year % 2 != parity or dt.date(year, month, day) < today:
            year += 1
        return dt.date(year, month, day)
    _, years_ahead, month = rule  # NMC: renewal at the end of the month of first registration
    year = today.year + years_ahead + (1 if month < today.month else 0)
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    return next_month - dt.timedelta(days=1)


def build_demo(today: dt.date | None = None, *, ring: KeyRing) -> dict[str, Any]:
    """Create or refresh the demo organisation; returns the logins to print. Its sign-offs are sealed
    with the organisation's key from `ring` (the app's signing keys)."""
    today = today or dt.date.today()  # noqa: DTZ011 - the demo follows the local calendar
    # Shipped frameworks first (idempotent; never rewrites a stored version), so that demo entries
    # are tagged and progress has something to measure against even without `logbook init-db`.
    load_shipped_frameworks()
    org = service.get_or_create_organisation(name=DEMO_ORG[0], slug=DEMO_ORG[1])
    roles_csv = resources.files("logbook.data").joinpath("job-roles.csv").read_text(encoding="utf-8")
    service.import_job_roles_csv(organisation_id=org.id, text=roles_csv)
    teams = {t.name: t for t in service.list_teams(organisation_id=org.id)}
    for name, area in TEAMS:
        if name not in teams:
            teams[name] = service.create_team(organisation_id=org.id, name=name, service_area=area)
    roles = {r.name: r for r in db.session.scalars(select(JobRole).where(JobRole.organisation_id == org.id))}
    people = []
    shared_hash: str | None = None  # every demo person has the published password: hashed once
    for name, role_name, team_name, app_roles, registration in PEOPLE:
        email = email_for(name)
        user = db.session.scalar(select(User).where(User.email == email))
        fields = {
            "name": name,
            "team_id": teams[team_name].id,
            "job_role_id": roles[role_name].id,
            "roles": list(app_roles),
            "managed_team_ids": [teams[team_name].id] if "team_manager" in app_roles else [],
        }
        if user is None:
            shared_hash = shared_hash or hash_password(DEMO_PASSWORD)
            user = service.create_user(
                organisation_id=org.id,
                data={**fields, "email": email, "password": DEMO_PASSWORD},
                password_hash=shared_hash,
            )
        else:
            service.apply_user_fields(user, org.id, fields)
            user.is_active = True
        if registration and not user.registrations:
            regulator, profession, number, rule = registration
            service.add_registration(
                organisation_id=org.id,
                user_id=user.id,
                data={
                    "regulator": regulator,
                    "profession": profession,
                    "registration_number": number,
                    "registered_since": dt.date(today.year - 6, 9, 1),
                    "renewal_date": _renewal(rule, today),
                },
            )
        people.append(user)
    db.session.flush()
    entries_made = build_demo_entries(organisation_id=org.id, people=people, today=today, ring=ring)
    build_demo_events(organisation_id=org.id, people=people, today=today)  # the learning offer (#10)
    ordered = sorted(
        people,
        key=lambda u: (
            u.name not in HIGHLIGHTS,
            list(HIGHLIGHTS).index(u.name) if u.name in HIGHLIGHTS else 0,
            u.name,
        ),
    )
    return {
        "organisation": org,
        "password": DEMO_PASSWORD,
        "entries_made": entries_made,
        "people": [(u.email, HIGHLIGHTS.get(u.name, ", ".join(u.roles))) for u in ordered],
    }
