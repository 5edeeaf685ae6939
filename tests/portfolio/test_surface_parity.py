"""Every surface states the requirement engine's answer (issue 19): for a seeded organisation of 400
people over all five frameworks (HCPC, SWE, NMC, Teachers' Standards, Common Core) with random entries
(drafts, deletions, private and shared ones, identical records, cycle-boundary dates, multi-day
activities, sign-offs in every role, signed records edited in the app or altered outside it), the
figures of each person's current cycle must be equal as stated by

- the progress API (an org admin's view of the organisation, paged),
- Home's data (the person's own GET /api/v1/progress, which home.js renders),
- the phone's engine (static/app/progress.js, run by Node on /progress/inputs and the entries as the
  API writes them),
- the staff export's CSV rows (exports.staff.csv_rows; the PDFs it attaches are not rendered here),
- each regulator document (SWE, NMC, Teachers, HCPC, generic summary), read back from the PDF with
  pypdf, for a sample of 40 people spread over the frameworks (PDFs are slow).

A disagreement names the person, the rule and the surfaces. LOGBOOK_PARITY_PEOPLE and
LOGBOOK_PARITY_PDFS change the population and the sample (e.g. for a quick local run)."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from flask import current_app
from pypdf import PdfReader
from sqlalchemy import select, update

from logbook.accounts import links
from logbook.accounts.models import Organisation, Registration, User
from logbook.accounts.service import start_session
from logbook.config import KeyRing
from logbook.entries import service as entries
from logbook.entries.models import Entry
from logbook.exports.staff import csv_rows, person_evidence
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.progress import period_evaluation
from logbook.supervision import signcore, signoff
from logbook.timeutil import utcnow
from tests.factories import PASSWORD_HASH, ApiClient
from tests.js.test_progress_parity import run_node

PEOPLE = int(os.environ.get("LOGBOOK_PARITY_PEOPLE", "400"))
PDFS = int(os.environ.get("LOGBOOK_PARITY_PDFS", "40"))
TODAY = dt.date.today()  # noqa: DTZ011 - the entries' plausibility window is relative to today
SEED = 19

# (regulator, profession, framework, extra registration fields), one per framework.
PROFILES = [
    ("HCPC", "Speech and Language Therapist", "hcpc", {}),
    ("SWE", "Social worker", "swe", {}),
    ("NMC", "Nurse", "nmc", {"renewal_date": TODAY + dt.timedelta(days=200)}),
    ("TEACHERS", "Teacher", "teachers", {}),
    ("OTHER", "Family support worker", "common-core", {}),
]
DOCUMENT = {"hcpc": "hcpc", "swe": "swe", "nmc": "nmc", "teachers": "teachers", "common-core": "generic"}
KINDS = {
    "hcpc": ["course", "study_day", "reading", "supervision", "peer_reflection", "other", "conference"],
    "swe": ["course", "study_day", "reading", "peer_reflection", "supervision", "other"],
    "nmc": [
        "course",
        "study_day",
        "reading",
        "practice_hours",
        "practice_feedback",
        "reflective_account",
        "reflective_account",
        "reflective_discussion",
        "appraisal",
    ],
    "teachers": ["course", "study_day", "appraisal", "reading", "other"],
    "common-core": ["course", "study_day", "supervision", "reading", "other"],
}
DETAILS = {
    "supervision": {"format": "individual", "duration_minutes": 60},
    "appraisal": {"reviewer_name": "Imran Hussain"},
    "reading": {"source": "Journal"},
    "peer_reflection": {"peer_name": "Tom Bradley", "peer_role": "Social worker"},
    "practice_feedback": {"source": "colleague", "summary": "Good work"},
    "reflective_account": {
        "nature_of_activity": "a",
        "what_did_you_learn": "b",
        "how_did_you_change_or_improve": "c",
        "code_themes": ["prioritise_people"],
    },
    "reflective_discussion": {"partner_name": "Priya Shah", "partner_nmc_pin": "09I1234E"},
    "practice_hours": {"registration": "nurse", "setting": "Community"},
}
TAGS = {
    "swe": [("swe", 2, c) for c in ("4.1", "4.2", "4.6", "4.8")],
    "teachers": [("teachers", 1, c) for c in ("1a", "3d", "8d", "part2.1", "5")],
    "hcpc": [("hcpc", 1, c) for c in ("1", "2", "3")],
}
ROLE = {"reflective_discussion": ("reflective_discussion_partner", "NMC"), "appraisal": ("confirmer", "NMC")}


# --- the population -----------------------------------------------------------------------------


def _cycle_start(framework: str) -> dt.date:
    """A day near the start of the person's current cycle, for boundary dates (roughly is enough:
    the engine decides, the test only compares surfaces)."""
    return {
        "swe": dt.date(TODAY.year if dt.date(TODAY.year, 12, 1) <= TODAY else TODAY.year - 1, 12, 1),
        "teachers": dt.date(TODAY.year if dt.date(TODAY.year, 9, 1) <= TODAY else TODAY.year - 1, 9, 1),
    }.get(framework, TODAY - dt.timedelta(days=400))


def _entry_data(rng: random.Random, framework: str, earlier: list[dict[str, Any]]) -> dict[str, Any]:
    if earlier and rng.random() < 0.08:  # the same activity logged twice
        return {**earlier[-1], "id": uuid.uuid4()}
    kind = rng.choice(KINDS[framework])
    edge = _cycle_start(framework)
    start = rng.choice(
        [
            edge - dt.timedelta(days=rng.randint(1, 3)),  # just before the cycle
            edge,
            TODAY - dt.timedelta(days=rng.randint(0, 5)),
            *[TODAY - dt.timedelta(days=rng.randint(0, max(1, (TODAY - edge).days))) for _ in range(4)],
        ]
    )
    start = min(start, TODAY)
    end = start + dt.timedelta(days=rng.randint(1, 4)) if rng.random() < 0.2 else None
    if end and end > TODAY:
        end = None
    tags = TAGS.get(framework, [])
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "title": rng.choice(["Neglect study day", "Reading on attachment", "Course", "Team day"]),
        "description": "",
        "start_date": start,
        "end_date": end,
        "hours": Decimal(rng.choice(["1", "2.5", "6", "7.5", "12", "150"]))
        if kind == "practice_hours"
        else Decimal(rng.choice(["0.5", "1", "2.5", "6", "7.5"])),
        "is_participatory": rng.random() < 0.7,
        "includes_peer_reflection": rng.random() < 0.25,
        "impact_on_practice": "I plan visits differently." if rng.random() < 0.5 else "",
        "visibility": rng.choice(["private", "supervisors", "organisation"]),
        "status": "draft" if rng.random() < 0.1 else "recorded",
        "standards": [
            {"framework": f, "version": v, "code": c}
            for f, v, c in rng.sample(tags, rng.randint(0, len(tags)))
        ]
        if tags
        else [],
        "details": dict(DETAILS.get(kind, {})),
    }


def _sign(person: User, supervisor: User, entry: Entry, now: dt.datetime) -> None:
    role, body = (
        ROLE.get(entry.kind, ("supervisor", None))
        if person.registrations[0].regulator == "NMC"
        else (
            "supervisor",
            None,
        )
    )
    asked = signoff.request_sign_off(
        owner=person,
        entry_id=entry.id,
        entry_version=entry.version,
        supervisor_id=supervisor.id,
        signer_role=role,
        now=now,
    )
    signoff.decide(
        signer=supervisor,
        entry_id=entry.id,
        entry_version=asked.request.entry_version,
        content_sha256=asked.request.content_sha256,
        decision="approved",
        request_id=asked.request.id,
        registration_body=body,
        registration_number="09I1234E" if body else None,
        now=now,
        base_url="http://127.0.0.1:5000",
        ring=KeyRing.of(current_app),
    )


def seed(app) -> dict[str, Any]:
    """The organisation, its admin and supervisor, and PEOPLE practitioners with their entries."""
    rng = random.Random(SEED)  # noqa: S311 - test data
    now = utcnow()
    with app.app_context():
        load_shipped_frameworks()
        org = Organisation(name="Parity Borough", slug=f"parity-{uuid.uuid4().hex[:6]}")
        db.session.add(org)
        db.session.flush()

        def user(name: str, **roles: bool) -> User:
            u = User(
                organisation_id=org.id,
                email=f"{name.lower().replace(' ', '.')}-{uuid.uuid4().hex[:6]}@parity.example",
                name=name,
                password_hash=PASSWORD_HASH,
                **roles,
            )
            db.session.add(u)
            return u

        admin = user("Ada Admin", is_org_admin=True)
        supervisor = user("Sam Supervisor", is_supervisor=True, is_practitioner=True)
        people = []
        for n in range(PEOPLE):
            regulator, profession, framework, extra = PROFILES[n % len(PROFILES)]
            person = user(f"Person {n:03d}", is_practitioner=True)
            db.session.flush()
            person.registrations.append(
                Registration(
                    regulator=regulator,
                    profession=profession,
                    registration_number=f"R{n:05d}",
                    framework_id=framework,
                    **extra,
                )
            )
            people.append((person, framework))
        db.session.flush()
        for person, _ in people:
            links.link_supervisor(
                supervisor=supervisor, supervisee=person, starts_on=TODAY - dt.timedelta(days=2000)
            )
        db.session.flush()
        tampered = {}
        sessions = {}
        for person, framework in people:
            made: list[dict[str, Any]] = []
            for _ in range(rng.randint(4, 16)):
                made.append(_entry_data(rng, framework, made))
            candidates = [d for d in made if d["status"] == "recorded"]
            if framework == "nmc":  # the rules that need a partner or a confirmer first
                candidates.sort(key=lambda d: d["kind"] not in ROLE)
            to_sign = {d["id"] for d in candidates[: rng.choice([0, 0, 1, 2, 3])]}
            for data in made:
                if data["id"] not in to_sign:  # written straight to the table (fast); deletions too
                    db.session.add(
                        Entry(
                            owner_id=person.id,
                            organisation_id=org.id,
                            is_deleted=rng.random() < 0.06,
                            **{k: v for k, v in data.items() if k != "end_date" or v},
                        )
                    )
                    continue
                entry = entries.create_entry(
                    owner=person, data={**data, "visibility": "supervisors"}, now=now
                )
                _sign(person, supervisor, entry, now)
                db.session.flush()
                if rng.random() < 0.2:  # edited through the app after signing: needs signing again
                    entries.update_entry(
                        actor=person,
                        entry_id=entry.id,
                        base_version=entry.version,
                        changes={"hours": entry.hours + 1},
                        now=now,
                    )
                elif rng.random() < 0.25:  # altered outside the app
                    tampered[entry.id] = person.id
            sessions[person.id] = start_session(user=person, now=now, lifetime=dt.timedelta(days=1))
        db.session.flush()
        for entry_id in tampered:
            db.session.execute(update(Entry).where(Entry.id == entry_id).values(title="Altered afterwards"))
        db.session.commit()
        return {
            "org": org.id,
            "admin": admin.email,
            "people": [(p.id, p.email, p.name, f) for p, f in people],
            "sessions": sessions,
            "tampered": len(tampered),
        }


# --- the surfaces ---------------------------------------------------------------------------------


def figures_of(cycle: dict[str, Any]) -> dict[str, tuple[float, float, str]]:
    return {r["id"]: (r["value"], r["target"], r["status"]) for r in cycle["rules"]}


def current(person_progress: dict[str, Any]) -> dict[str, Any] | None:
    for reg in person_progress["registrations"]:
        for cycle in reg["cycles"]:
            if cycle["which"] == "current":
                return cycle
    return None


class Disagreements:
    """Every difference found, named by person, rule and surfaces (reported together)."""

    def __init__(self) -> None:
        self.found: list[str] = []

    def compare(self, name: str, rule: str, surfaces: dict[str, Any]) -> None:
        values = list(surfaces.values())
        if any(v != values[0] for v in values[1:]):
            shown = ", ".join(f"{s} says {v!r}" for s, v in surfaces.items())
            self.found.append(f"{name}, rule {rule}: {shown}")

    def check(self) -> None:
        assert not self.found, f"{len(self.found)} disagreements:\n" + "\n".join(self.found[:25])


def as_person(app, token: str) -> ApiClient:
    """A browser with the person's session (started in the seed: logging 400 people in would spend
    most of the test in argon2). GETs need no CSRF token."""
    app.test_client_class = ApiClient
    client: ApiClient = app.test_client()  # type: ignore[assignment]
    with client.session_transaction() as cookie:
        cookie["sid"] = token
    return client


def login(app, email: str) -> ApiClient:
    app.test_client_class = ApiClient
    client: ApiClient = app.test_client()  # type: ignore[assignment]
    assert client.login(email).status_code == 200
    return client


def api_progress(app, admin_email: str) -> dict[uuid.UUID, dict[str, Any]]:
    """The progress API: the org admin's view of the whole organisation, page by page."""
    admin = login(app, admin_email)
    out, offset = {}, 0
    while offset is not None:
        body = admin.get(f"/api/v1/progress?scope=organisation&limit=500&offset={offset}").get_json()
        for person in body["people"]:
            out[uuid.UUID(person["user_id"])] = person
        offset = body["next_offset"]
    return out


def listed_entries(client: ApiClient) -> list[dict[str, Any]]:
    records, cursor = [], None
    while True:
        query = {"include_deleted": "true", "limit": 200, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/entries", query_string=query).get_json()
        records += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return records


def staff_csv(app, admin_email: str, people: list[Any]) -> dict[str, dict[str, Any]]:
    """The staff export's CSV row of each person (what run_staff_export writes, without the PDFs)."""
    out = {}
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == admin_email))
        for person_id, _, _, _ in people:
            person = db.session.get(User, person_id)
            context = person_evidence(
                admin=admin,
                person=person,
                date_from=TODAY - dt.timedelta(days=730),
                date_to=TODAY,
                today=TODAY,
                generated_at="now",
                ring=KeyRing.of(app),
            )
            (row,) = csv_rows(context, "x.pdf")
            out[person.email] = row
    return out


def document_text(client: ApiClient, framework: str, cycle: dict[str, Any], chosen: list[str]) -> str:
    body: dict[str, Any] = {
        "format": DOCUMENT[framework],
        "date_from": cycle["starts_on"],
        "date_to": cycle["ends_on"],
    }
    if framework == "hcpc":
        body |= {"summary": "My practice.", "statement": "What I learnt.", "chosen_entry_ids": chosen}
    response = client.api("POST", "/api/v1/portfolio", json=body)
    assert response.status_code == 200, (framework, response.get_json())
    # What is missing, the checks and the summary come first; the HCPC profile's gaps follow its list.
    reader = PdfReader(io.BytesIO(response.data))
    pages = reader.pages if framework == "hcpc" else reader.pages[:3]
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


def stated_in_pdf(text: str, rule: dict[str, Any]) -> Any:
    """What the PDF states about a rule: its check row's figure (binding rules), its advice line
    (advisory ones), or the gaps listed (HCPC)."""
    if rule["unit"] == "gaps":
        return len(re.findall(r"\d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} \(\d+ days\)", text))
    title = re.escape(rule["title"])
    if rule["advisory"]:
        if rule["status"] == "met":
            return "met" if not re.search(title + r": \d", text) else "listed as not met"
        found = re.search(title + r": ([\d.]+) of ([\d.]+)", text)
        return (found.group(1), found.group(2)) if found else "not stated"
    found = re.search(title + r" ([\d.]+) \w+ ([\d.]+) (✔ met|✘ missing)", text)
    return (found.group(1), found.group(2), found.group(3) == "✔ met") if found else "not stated"


def expected_in_pdf(rule: dict[str, Any]) -> Any:
    if rule["unit"] == "gaps":
        return int(rule["value"])
    have = f"{Decimal(str(rule['value'])).normalize():f}"
    target = f"{Decimal(str(rule['target'])).normalize():f}"
    if rule["advisory"]:
        return "met" if rule["status"] == "met" else (have, target)
    return (have, target, rule["status"] == "met")


# --- the test ---------------------------------------------------------------------------------------


def test_every_surface_states_the_engines_figures(app):
    seeded = seed(app)
    assert seeded["tampered"] > 0
    people = seeded["people"]
    server = api_progress(app, seeded["admin"])
    assert {p[0] for p in people} <= set(server)  # (and the admin and the supervisor)
    csv = staff_csv(app, seeded["admin"], people)
    bad = Disagreements()
    cases, home = [], {}
    seen_reasons: set[str] = set()
    for person_id, _email, _name, _framework in people:
        client = as_person(app, seeded["sessions"][person_id])
        mine = client.get("/api/v1/progress").get_json()["people"][0]
        home[person_id] = (client, mine)
        inputs = client.get("/api/v1/progress/inputs").get_json()
        records = listed_entries(client)
        cases.append(
            {
                "inputs": inputs,
                "entries": [{"data": r, "is_deleted": r["is_deleted"]} for r in records],
                "today": TODAY.isoformat(),
            }
        )
    phone = run_node(cases)
    by_framework: dict[str, list[Any]] = defaultdict(list)
    for (person_id, email, name, framework), js in zip(people, phone, strict=True):
        assert "error" not in js, js.get("error")
        api_cycle = current(server[person_id])
        home_cycle = current(home[person_id][1])
        js_cycle = current(js)
        if framework == "common-core":
            assert (api_cycle, home_cycle, js_cycle) == (None, None, None), name
            by_framework[framework].append((person_id, email, name, None))
            continue
        assert api_cycle is not None, name
        api_rules, home_rules, js_rules = figures_of(api_cycle), figures_of(home_cycle), figures_of(js_cycle)
        for rule_id in api_rules:
            bad.compare(
                name,
                rule_id,
                {
                    "progress API": api_rules[rule_id],
                    "Home": home_rules.get(rule_id),
                    "progress.js": js_rules.get(rule_id),
                },
            )
        for rule in api_cycle["rules"]:
            seen_reasons |= {n["reason"] for n in rule["not_counted"]}
        row = csv[email]
        numbers = api_cycle["numbers"]
        bad.compare(
            name,
            "status (CSV)",
            {"progress API": api_cycle["status"].replace("_", " "), "staff CSV": row["status"]},
        )
        bad.compare(
            name,
            "rules met (CSV)",
            {
                "progress API": sum(r["status"] == "met" for r in api_cycle["rules"]),
                "staff CSV": row["rules_met"],
            },
        )
        bad.compare(
            name, "signed off (CSV)", {"progress API": numbers["signed_off"], "staff CSV": row["signed_off"]}
        )
        bad.compare(name, "records (CSV)", {"progress API": numbers["records"], "staff CSV": row["records"]})
        by_framework[framework].append((person_id, email, name, api_cycle))
    # The population really has what the parity is about.
    assert {"draft", "identical", "not_signed"} <= seen_reasons | {
        n["reason"] for p in server.values() for c in [current(p)] if c for n in c["not_counted"]
    }

    # The documents, for a sample spread over the frameworks.
    each = max(1, PDFS // len(by_framework))
    for framework, members in sorted(by_framework.items()):
        for person_id, email, name, cycle in members[:each]:
            client = login(app, email)  # a POST: the real login, with its CSRF token
            if framework == "common-core":
                period = {
                    "starts_on": (TODAY - dt.timedelta(days=365)).isoformat(),
                    "ends_on": TODAY.isoformat(),
                }
                text = document_text(client, framework, period, [])
                signed = int(re.search(r"; (\d+) activities signed off", text).group(1))
                with app.app_context():
                    evaluated = period_evaluation(
                        owner=db.session.get(User, person_id),
                        framework_id="common-core",
                        date_from=dt.date.fromisoformat(period["starts_on"]),
                        date_to=TODAY,
                        today=TODAY,
                        signatures=signcore.signatures(ring=KeyRing.of(app)),
                    )
                bad.compare(
                    name,
                    "signed off (generic summary)",
                    {"engine": evaluated["numbers"]["signed_off"], "generic PDF": signed},
                )
                continue
            counted = [i for r in cycle["rules"] for i in r["counted"]]
            chosen = list(dict.fromkeys(i for i in counted if i))[:6]
            if framework == "hcpc" and len(chosen) < 4:
                continue
            text = document_text(client, framework, cycle, chosen)
            for rule in cycle["rules"]:
                if framework == "hcpc" and rule["unit"] != "gaps":
                    continue  # the HCPC profile states only the gaps
                bad.compare(
                    name,
                    rule["id"],
                    {
                        "progress API": expected_in_pdf(rule),
                        f"{DOCUMENT[framework]} PDF": stated_in_pdf(text, rule),
                    },
                )
            if framework in ("swe", "teachers", "nmc"):
                binding = sum(1 for r in cycle["rules"] if not r["advisory"] and r["status"] != "met")
                found = re.search(r"Still missing \((\d+)\)", text)
                bad.compare(
                    name,
                    "Still missing",
                    {
                        "progress API": binding,
                        f"{DOCUMENT[framework]} PDF": int(found.group(1)) if found else 0,
                    },
                )
    bad.check()
