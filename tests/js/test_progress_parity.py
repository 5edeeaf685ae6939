"""The phone's requirement engine (static/app/progress.js) against the server's (frameworks/engine.py):
the same fixtures evaluated by both must give identical results, for every measure the engine has.

Fixtures: every shipped framework plus a test framework that uses every measure and every filter
(kinds, participatory, peer_reflection, signed_off_only, distinct_records, from_date, dual targets,
newly_qualified, min_minutes, weeks / fortnights / months, advisory rules, snapped dates, reminders),
many registrations (each cycle type, unknown professions, missing renewal dates, no framework) and
seeded random entries around cycle edges, evaluated on many days."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from logbook.accounts.models import Registration
from logbook.entries.models import Entry
from logbook.frameworks import engine
from logbook.frameworks.definition import MEASURES, parse_definition, summary_of
from logbook.frameworks.kinds import KIND_LABELS
from logbook.frameworks.service import shipped_definitions
from tests.factories import persist
from tests.frameworks.fakes import FakeEntry, FakeRegistration

ROOT = Path(__file__).resolve().parents[2]
D = dt.date.fromisoformat

# fixtures/parity.yaml: a framework with every measure and filter (a renewal-date cycle of 24 months);
# fixtures/parity-policy.yaml: a policy applying by service area or regulator, a year starting on 29 Feb.
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _summaries() -> list[dict[str, Any]]:
    definitions = [*shipped_definitions()]
    for name in ("parity.yaml", "parity-policy.yaml"):
        definitions.append(parse_definition((FIXTURES / name).read_text(), filename=name))
    # As stored and sent: JSON (dates become strings).
    return [json.loads(json.dumps(summary_of(d), default=str)) for d in definitions]


SUMMARIES = _summaries()

REGISTRATIONS = [
    FakeRegistration("HCPC", "Speech and Language Therapist", "hcpc"),
    FakeRegistration("HCPC", "radiographer", "hcpc", registered_since=D("2023-06-01")),
    FakeRegistration("HCPC", "educational psychologist", "hcpc"),
    FakeRegistration("HCPC", "play worker", "hcpc", renewal_date=D("2026-03-31")),
    FakeRegistration("HCPC", "play worker", "hcpc"),
    FakeRegistration("SWE", "social worker", "swe"),
    FakeRegistration("SWE", "social worker", "swe", registered_since=D("2025-03-01")),
    FakeRegistration("NMC", "nurse", "nmc", renewal_date=D("2027-04-30")),
    FakeRegistration("NMC", "nurse", "nmc", renewal_date=D("2026-01-31"), is_dual_registration=True),
    FakeRegistration("NMC", "midwife", "nmc"),
    FakeRegistration("TEACHERS", "teacher", "teachers"),
    FakeRegistration("OTHER", "youth worker", "common-core"),
    FakeRegistration("GMC", "doctor", None),
    FakeRegistration(
        "OTHER", "practitioner", "parity", renewal_date=D("2026-08-31"), registered_since=D("2025-01-15")
    ),
    FakeRegistration(
        "OTHER", "practitioner", "parity", renewal_date=D("2024-02-29"), is_dual_registration=True
    ),
]
DAYS = [
    "2020-12-01",
    "2021-11-30",
    "2022-03-15",
    "2024-02-28",
    "2024-02-29",
    "2024-03-01",
    "2025-01-31",
    "2025-05-12",
    "2025-07-15",
    "2025-11-30",
    "2025-12-01",
    "2026-02-28",
    "2026-03-01",
    "2026-04-30",
    "2026-06-17",
    "2026-08-31",
    "2026-09-01",
    "2026-11-25",
    "2027-05-01",
    "2028-02-29",
]
KINDS = list(KIND_LABELS)
TITLES = ["Course", "course ", "Reading", "Supervision", "Team day", "Reflection"]
HOURS = ["0.25", "0.5", "1", "1.5", "2.25", "3", "7.5", "12.33", "0.01", "24"]
TAGS = [
    ("swe", 1, "4.1"),
    ("swe", 2, "4.2"),
    ("swe", 2, "4.8"),
    ("parity", 1, "a"),
    ("parity", 1, "a.1"),
    ("parity", 1, "b"),
    ("parity", 1, "c"),
    ("hcpc", 1, "1"),
    ("teachers", 1, "8"),
]


ROLES = [
    ["supervisor"],
    ["confirmer"],
    ["reflective_discussion_partner", "reflective_discussion_partner:NMC"],
    ["reflective_discussion_partner", "reflective_discussion_partner:HCPC"],
    [],
]


def _random_entry(rng: random.Random, today: dt.date, *, signatures: bool = False) -> FakeEntry:
    start = today + dt.timedelta(days=rng.randint(-4 * 365, 45))
    end = start + dt.timedelta(days=rng.choice([0, 0, 0, 1, 3, 30])) if rng.random() < 0.3 else None
    kind = rng.choice(
        KINDS + ["supervision"] * 3 + ["reflective_account"] * 3 + ["reflective_discussion"] * 2
    )
    details: dict[str, Any] = {}
    if kind == "supervision" and rng.random() < 0.7:
        details = {"duration_minutes": rng.choice([20, 30, 45, 60, 89, 90, 120])}
    return FakeEntry(
        kind=kind,
        start_date=start,
        end_date=end,
        hours=Decimal(rng.choice(HOURS)),
        title=rng.choice(TITLES),
        is_participatory=rng.random() < 0.7,
        includes_peer_reflection=rng.random() < 0.3,
        status=rng.choice(["draft", "recorded", "recorded", "submitted", "signed_off", "returned"]),
        is_deleted=rng.random() < 0.05,
        standards=[
            {"framework": f, "version": v, "code": c} for f, v, c in rng.sample(TAGS, rng.randint(0, 3))
        ],
        details=details,
        id=str(uuid.UUID(int=rng.getrandbits(128))),
        has_impact=rng.random() < 0.6,
        # With the sign-offs known (as the API passes them), each signed-off entry's standing roles
        # (none: altered since it was signed).
        signed_roles=frozenset(rng.choice(ROLES)) if signatures else None,
    )


def _signatures(entries: list[FakeEntry]) -> dict[str, list[str]]:
    """The inputs' signatures (by entry id, the standing roles) and the facts as the server reads them."""
    out = {}
    for e in entries:
        if e.signed_roles is None:
            continue
        if e.status == "signed_off" and not e.is_deleted:
            out[e.id] = sorted(e.signed_roles)
        else:
            e.signed_roles = frozenset()
    return out


def _wire(entry: FakeEntry) -> dict[str, Any]:
    """An entry as the phone holds it (the record data pulled from the server)."""
    return {
        "is_deleted": entry.is_deleted,
        "data": {
            "id": entry.id,
            "impact_on_practice": "It changed how I plan visits." if entry.has_impact else "",
            "kind": entry.kind,
            "title": entry.title,
            "start_date": entry.start_date.isoformat(),
            "end_date": entry.end_date.isoformat() if entry.end_date else None,
            "hours": float(entry.hours),
            "is_participatory": entry.is_participatory,
            "includes_peer_reflection": entry.includes_peer_reflection,
            "status": entry.status,
            "standards": entry.standards,
            "details": entry.details,
        },
    }


def _inputs(registrations: list[FakeRegistration], areas: list[str]) -> dict[str, Any]:
    by_id: dict[str, list[dict[str, Any]]] = {}
    for summary in SUMMARIES:
        by_id.setdefault(summary["id"], []).append(summary)
    return {
        "user_id": "00000000-0000-0000-0000-000000000000",
        "registrations": [
            {
                "registration_id": str(r.id),
                "regulator": r.regulator,
                "profession": r.profession,
                "registration_number": f"N{i}",
                "framework_id": r.framework_id,
                "registered_since": r.registered_since.isoformat() if r.registered_since else None,
                "renewal_date": r.renewal_date.isoformat() if r.renewal_date else None,
                "is_dual_registration": r.is_dual_registration,
            }
            for i, r in enumerate(registrations)
        ],
        "service_areas": areas,
        "kind_order": KINDS,
        "frameworks": [{"id": key, "versions": versions} for key, versions in by_id.items()],
    }


def python_progress(
    inputs: dict[str, Any],
    entries: list[FakeEntry],
    today: str,
    explanations: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The server engine's answer, in the shape of one person in GET /api/v1/progress."""
    frameworks = {f["id"]: [engine.compile_framework(s) for s in f["versions"]] for f in inputs["frameworks"]}
    registrations = [
        FakeRegistration(
            r["regulator"],
            r["profession"],
            r["framework_id"],
            D(r["registered_since"]) if r["registered_since"] else None,
            D(r["renewal_date"]) if r["renewal_date"] else None,
            r["is_dual_registration"],
        )
        for r in inputs["registrations"]
    ]
    result = engine.progress(
        registrations=registrations,
        entries=entries,
        frameworks=frameworks,
        today=D(today),
        service_areas=set(inputs["service_areas"]),
        explained=[
            (D(x["starts_on"]), D(x["ends_on"]), x["id"]) for x in explanations if not x["is_deleted"]
        ],
    )
    regs = [
        {
            "registration_id": raw["registration_id"],
            "regulator": raw["regulator"],
            "profession": raw["profession"],
            "registration_number": raw["registration_number"],
            **outcome,
        }
        for raw, (_, outcome) in zip(inputs["registrations"], result["registrations"], strict=True)
    ]
    return json.loads(json.dumps({"registrations": regs, "policies": result["policies"]}, default=str))


def run_node(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The phone engine's answers for a batch of cases."""
    node = shutil.which("node")
    assert node, "Node.js 20+ is needed for the PWA's unit tests"
    done = subprocess.run(  # noqa: S603 — fixed arguments, no shell
        [node, "tests/js/progress_runner.mjs"],
        cwd=ROOT,
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _first_difference(a: Any, b: Any, path: str = "", *, key_order: bool = True) -> str:  # noqa: PLR0911 — one return per shape
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                return f"{path}.{key}: only in {'python' if key in a else 'js'}"
            found = _first_difference(a[key], b[key], f"{path}.{key}", key_order=key_order)
            if found:
                return found
        if key_order and list(a) != list(b):
            return f"{path}: key order {list(a)} != {list(b)}"
        return ""
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, f"{path}[{i}]", key_order=key_order)
            if found:
                return found
        return ""
    if a != b or (type(a) is not type(b) and not (isinstance(a, float | int) and isinstance(b, float | int))):
        return f"{path}: python {a!r} != js {b!r}"
    return ""


def _cases(seed: int, count: int):
    rng = random.Random(seed)  # noqa: S311 — test data, not security
    for n in range(count):
        today = rng.choice(DAYS)
        regs = rng.sample(REGISTRATIONS, rng.randint(0, 3))
        areas = rng.sample(["early_years", "social_care", "send"], rng.randint(0, 2))
        signed = n % 2 == 0
        entries = [
            _random_entry(rng, D(today), signatures=signed)
            for _ in range(rng.randint(0, 80 if n % 3 else 12))
        ]
        # Identical records: the same activity logged twice (another id, maybe another title's case).
        entries += [
            dataclasses.replace(e, id=str(uuid.UUID(int=rng.getrandbits(128))), title=e.title.upper())
            for e in entries
            if rng.random() < 0.1
        ]
        inputs = _inputs(regs, areas)
        if signed:
            inputs["signatures"] = _signatures(entries)
        yield inputs, entries, today, _random_explanations(rng, D(today))


def _random_explanations(rng: random.Random, today: dt.date) -> list[dict[str, Any]]:
    """Gap explanations as the phone holds them: some cover a gap, some part of one, some deleted."""
    out = []
    for _ in range(rng.choice([0, 0, 1, 2, 4])):
        start = today + dt.timedelta(days=rng.randint(-3 * 365, 10))
        out.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "starts_on": start.isoformat(),
                "ends_on": (start + dt.timedelta(days=rng.choice([0, 30, 95, 200, 400]))).isoformat(),
                "is_deleted": rng.random() < 0.1,
            }
        )
    return out


def test_phone_engine_gives_the_servers_results_for_every_measure():
    cases = list(_cases(seed=20261125, count=400))
    expected = [python_progress(inputs, entries, today, gaps) for inputs, entries, today, gaps in cases]
    got = run_node(
        [
            {"inputs": i, "entries": [_wire(e) for e in es], "today": t, "explanations": g}
            for i, es, t, g in cases
        ]
    )
    measures_of = {(s["id"], r["id"]): r["measure"] for s in SUMMARIES for r in s["requirements"]}
    seen_measures: set[str] = set()
    seen_statuses: set[str] = set()
    explained_seen = set()
    seen_reasons: set[str] = set()
    for (inputs, _, today, _gaps), py, js in zip(cases, expected, got, strict=True):
        assert "error" not in js, js.get("error")
        js.pop("user_id")
        difference = _first_difference(py, js)
        assert not difference, (
            f"on {today} with {[r['framework_id'] for r in inputs['registrations']]}: {difference}"
        )
        for block in [*py["registrations"], *py["policies"]]:
            for cycle in block["cycles"]:
                seen_statuses.add(cycle["status"])
                seen_reasons |= {n["reason"] for n in cycle["not_counted"]}
                for rule in cycle["rules"]:
                    seen_measures.add(measures_of[(cycle["framework"]["id"], rule["id"])])
                    seen_statuses.add(rule["status"])
                    explained_seen |= {g["explained"] for g in rule.get("gaps", [])}
                    seen_reasons |= {n["reason"] for n in rule["not_counted"]}
    # The fixtures really exercise every measure and every status (no rule type is server-only).
    assert seen_measures == set(MEASURES)
    assert seen_statuses == {"met", "on_track", "at_risk", "not_met"}
    # ... and every reason an entry does not count.
    assert seen_reasons == {
        "draft",
        "deleted",
        "outside_cycle",
        "identical",
        "not_signed",
        "no_impact",
        "before_accounts",
    }
    assert explained_seen == {True, False}  # explained and unexplained gaps were both compared


@pytest.mark.parametrize(
    ("day", "entries", "status"),
    [
        # On a cycle's last day / first day; an end date moves an entry into the next cycle.
        ("2025-11-30", [("course", "2025-11-29", None), ("course", "2025-11-30", None)], "met"),
        ("2025-12-01", [("course", "2025-11-30", "2025-12-01")], "on_track"),
        ("2026-09-15", [], "at_risk"),
    ],
)
def test_phone_engine_at_cycle_edges(day, entries, status):
    swe = FakeRegistration("SWE", "social worker", "swe")
    facts = [FakeEntry(kind=k, start_date=D(s), end_date=D(e) if e else None) for k, s, e in entries]
    inputs = _inputs([swe], [])
    py = python_progress(inputs, facts, day)
    (js,) = run_node([{"inputs": inputs, "entries": [_wire(e) for e in facts], "today": day}])
    js.pop("user_id")
    assert js == py
    current = next(c for c in js["registrations"][0]["cycles"] if c["which"] == "current")
    assert next(r for r in current["rules"] if r["id"] == "cpd_records")["status"] == status


def test_inputs_endpoint_lets_the_phone_match_the_progress_endpoint(app, make_client, practitioner, shipped):
    """End to end: /progress/inputs plus the entries as pulled give what /progress says."""
    registrations = [
        Registration(
            user_id=practitioner.id,
            regulator="SWE",
            profession="social worker",
            registration_number="SW1",
            framework_id="swe",
            registered_since=D("2025-03-01"),
        ),
        Registration(
            user_id=practitioner.id,
            regulator="NMC",
            profession="nurse",
            registration_number="N1",
            framework_id="nmc",
            renewal_date=D("2027-04-30"),
            is_dual_registration=True,
        ),
    ]
    rng = random.Random(7)  # noqa: S311 — test data
    rows = []
    for _ in range(40):
        fake = _random_entry(rng, D("2026-03-01"))
        rows.append(
            Entry(
                id=uuid.uuid4(),
                owner_id=practitioner.id,
                organisation_id=practitioner.organisation_id,
                kind=fake.kind,
                title=fake.title,
                start_date=fake.start_date,
                end_date=fake.end_date,
                hours=fake.hours,
                is_participatory=fake.is_participatory,
                includes_peer_reflection=fake.includes_peer_reflection,
                status=fake.status,
                is_deleted=fake.is_deleted,
                standards=fake.standards,
                details=fake.details,
            )
        )
    persist(app, *registrations, *rows)
    client = make_client(practitioner)
    inputs = client.get("/api/v1/progress/inputs").get_json()
    assert {r["framework_id"] for r in inputs["registrations"]} == {"swe", "nmc"}
    sent = {f["id"] for f in inputs["frameworks"]}
    assert {"swe", "nmc", "sw-supervision", "eyfs-supervision"} <= sent
    assert not sent & {"hcpc", "teachers", "common-core"}  # only what can apply to this person
    assert all(
        "standards" not in v and "sources" not in v for f in inputs["frameworks"] for v in f["versions"]
    )
    # The records as the server writes them for the phone (EntrySchema, as the pull sends them; the
    # pull itself waits for older transactions on a shared PostgreSQL, so the listing is used here).
    records, cursor = [], None
    while True:
        query = {"include_deleted": "true", "limit": 200, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/entries", query_string=query).get_json()
        records += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(records) == len(rows)
    entries = [{"data": r, "is_deleted": r["is_deleted"]} for r in records]
    server = client.get("/api/v1/progress?as_of=2026-03-01").get_json()["people"][0]
    (js,) = run_node([{"inputs": inputs, "entries": entries, "today": "2026-03-01"}])
    assert js["user_id"] == server["user_id"]
    # (the API writes keys sorted: compare values, not key order)
    assert not _first_difference(server["registrations"], js["registrations"], key_order=False)
    assert not _first_difference(server["policies"], js["policies"], key_order=False)
    assert any(r["rules"] for r in server["registrations"][0]["cycles"])


def test_inputs_endpoint_needs_a_login(client):
    assert client.get("/api/v1/progress/inputs").status_code == 401
