"""The requirement engine, table by table, with expectations worked out by hand from the shipped files."""

from __future__ import annotations

import datetime as dt

import pytest

from logbook.frameworks import engine
from tests.frameworks.fakes import FakeRegistration, entry

D = dt.date.fromisoformat


def progress(frameworks, registration, entries, today):
    """The registration's outcome, its cycles by which, and each cycle's rules by id."""
    result = engine.progress(
        registrations=[registration], entries=entries, frameworks=frameworks, today=D(today)
    )
    outcome = result["registrations"][0][1]
    cycles = {c["which"]: c for c in outcome["cycles"]}
    return outcome, cycles


def rules(cycle):
    """A cycle's rules by id."""
    return {r["id"]: r for r in cycle["rules"]}


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2027-04-30", -36, "2024-04-30"),  # month end stays month end
        ("2026-02-28", 24, "2028-02-29"),  # ... into a leap year
        ("2024-02-29", 12, "2025-02-28"),
        ("2026-01-15", 1, "2026-02-15"),
        ("2025-11-30", -3, "2025-08-31"),
    ],
)
def test_shift_months(day, months, expected):
    assert engine.shift_months(D(day), months) == D(expected)


# --- HCPC ------------------------------------------------------------------------------------

SLT = FakeRegistration("HCPC", "Speech and Language Therapist", "hcpc")
RADIOGRAPHER = FakeRegistration("HCPC", "radiographer", "hcpc")
EP = FakeRegistration("HCPC", "educational psychologist", "hcpc")


@pytest.mark.parametrize(
    ("registration", "today", "current", "previous", "window_opens"),
    [
        # SLTs renew by 30 Sep in odd years: two-year cycles 1 Oct (odd) .. 30 Sep (odd).
        (SLT, "2026-03-01", ("2025-10-01", "2027-09-30"), ("2023-10-01", "2025-09-30"), "2027-07-01"),
        (SLT, "2025-09-30", ("2023-10-01", "2025-09-30"), ("2021-10-01", "2023-09-30"), "2025-07-01"),
        (SLT, "2025-10-01", ("2025-10-01", "2027-09-30"), ("2023-10-01", "2025-09-30"), "2027-07-01"),
        # Educational psychologists: practitioner psychologists, 31 May in odd years.
        (EP, "2026-03-01", ("2025-06-01", "2027-05-31"), ("2023-06-01", "2025-05-31"), "2027-03-01"),
        # Radiographers: window 1 Dec (odd year) to 28 Feb (even year); after a 28 Feb deadline in a
        # leap year the next cycle starts on the leap day.
        (
            RADIOGRAPHER,
            "2026-03-01",
            ("2026-03-01", "2028-02-28"),
            ("2024-02-29", "2026-02-28"),
            "2027-12-01",
        ),
        (
            RADIOGRAPHER,
            "2028-02-28",
            ("2026-03-01", "2028-02-28"),
            ("2024-02-29", "2026-02-28"),
            "2027-12-01",
        ),
        (
            RADIOGRAPHER,
            "2028-02-29",
            ("2028-02-29", "2030-02-28"),
            ("2026-03-01", "2028-02-28"),
            "2029-12-01",
        ),
    ],
)
def test_hcpc_cycles_end_on_each_professions_deadline(
    frameworks, registration, today, current, previous, window_opens
):
    _, cycles = progress(frameworks, registration, [], today)
    assert (cycles["current"]["starts_on"], cycles["current"]["ends_on"]) == current
    assert (cycles["previous"]["starts_on"], cycles["previous"]["ends_on"]) == previous
    dates = {d["id"]: d["date"] for d in cycles["current"]["dates"]}
    assert dates["window_opens"] == window_opens
    assert dates["ends_on"] == current[1]


@pytest.mark.parametrize(
    ("entries", "expected_types", "status"),
    [
        (
            [entry("course", "2023-10-01"), entry("study_day", "2025-09-30")],
            ["formal_educational"],
            "not_met",
        ),
        (
            [entry("course", "2023-10-01"), entry("reading", "2025-09-30")],
            ["formal_educational", "self_directed"],
            "met",
        ),
        # the day before the cycle and the day after it do not count
        ([entry("course", "2023-09-30"), entry("reading", "2025-10-01")], [], "not_met"),
        (
            [entry("reading", "2024-05-01"), entry("supervision", "2024-06-01", status="draft")],
            ["self_directed"],
            "not_met",
        ),
        (
            [entry("reading", "2024-05-01"), entry("supervision", "2024-06-01", is_deleted=True)],
            ["self_directed"],
            "not_met",
        ),
        (
            [entry("reading", "2024-05-01"), entry("supervision", "2024-06-01", status="signed_off")],
            ["self_directed", "work_based_learning"],
            "met",
        ),
        # a course that began in the previous cycle counts where it ended
        (
            [entry("reading", "2024-05-01"), entry("course", "2023-09-25", end="2023-10-02")],
            ["formal_educational", "self_directed"],
            "met",
        ),
        # practice hours are not a CPD activity
        (
            [entry("reading", "2024-05-01"), entry("practice_hours", "2024-06-01")],
            ["self_directed"],
            "not_met",
        ),
    ],
)
def test_hcpc_mixture_of_activity_types(frameworks, entries, expected_types, status):
    _, cycles = progress(frameworks, SLT, entries, "2026-03-01")
    rule = rules(cycles["previous"])["mixture_of_activities"]
    assert rule["types"] == expected_types
    assert rule["status"] == status
    assert rule["value"] == len(expected_types)
    assert rule["target"] == 2
    assert cycles["previous"]["numbers"]["activity_types"] == expected_types
    assert (rule["missing"] == "") == (status == "met")


def test_hcpc_mixture_says_what_is_missing(frameworks):
    _, cycles = progress(frameworks, SLT, [entry("course", "2024-01-10")], "2026-03-01")
    rule = rules(cycles["previous"])["mixture_of_activities"]
    assert rule["missing"] == "CPD of 1 more type of activity (so far: Formal / educational)"


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        # Activity on 15 Jan, next on 16 Apr: no CPD 16 Jan .. 15 Apr, exactly three months: flagged.
        (["2025-01-15", "2025-04-16"], [("2025-01-16", "2025-04-15")]),
        # Next on 15 Apr: no CPD 16 Jan .. 14 Apr, one day short of three months: not flagged.
        (["2025-01-15", "2025-04-15"], []),
        # From the start of the range: 1 Jan .. 31 Mar is three months.
        (["2025-04-01"], [("2025-01-01", "2025-03-31")]),
        (["2025-03-31"], []),
        # A multi-day activity covers every day it spans.
        # (no CPD 11 Feb .. 10 May is three months: 11 Feb-10 Mar, 11 Mar-10 Apr, 11 Apr-10 May)
        (["2025-01-15/2025-02-10", "2025-05-11"], [("2025-02-11", "2025-05-10")]),
        (["2025-01-15/2025-02-10", "2025-05-10"], []),
        # Across a leap day: no CPD 29 Nov 2023 .. 28 Feb 2024 is three months.
        (["2023-11-28", "2024-02-29"], [("2023-11-29", "2024-02-28")]),
        (["2023-11-28", "2024-02-28"], []),
    ],
)
def test_gaps_of_three_months(days, expected):
    spans = []
    for day in days:
        first, _, last = day.partition("/")
        spans.append((D(first), D(last or first)))
    start = min(D("2025-01-01"), spans[0][0])
    last = max(s[1] for s in spans)
    gaps = engine.find_gaps(spans, start, last, 3)
    assert gaps == [(D(a), D(b)) for a, b in expected]


def test_hcpc_gap_until_today_is_flagged_for_explanation(frameworks):
    # Cycle from 1 Oct 2025, last CPD 10 Nov 2025: on 10 Feb 2026, no CPD 11 Nov .. 10 Feb is three months.
    entries = [entry("course", "2025-10-01"), entry("reading", "2025-11-10")]
    _, cycles = progress(frameworks, SLT, entries, "2026-02-10")
    rule = rules(cycles["current"])["continuous_record"]
    assert rule["status"] == "at_risk"
    assert rule["gaps"] == [
        {"from": "2025-11-11", "to": "2026-02-10", "explained": False, "explanation_ids": []}
    ]
    assert rule["missing"] == "Explain the gap with no CPD from 11 Nov 2025 to 10 Feb 2026"
    _, cycles = progress(frameworks, SLT, entries, "2026-02-09")
    assert rules(cycles["current"])["continuous_record"]["status"] == "met"
    assert cycles["current"]["numbers"]["gaps"] == []


def test_hcpc_unknown_profession_uses_the_renewal_date_or_says_what_is_missing(frameworks):
    unknown = FakeRegistration("HCPC", "music therapist assistant", "hcpc")
    outcome, cycles = progress(frameworks, unknown, [], "2026-03-01")
    assert cycles == {}
    assert "add the registration's renewal date" in outcome["note"]
    dated = FakeRegistration("HCPC", "music therapist assistant", "hcpc", renewal_date=D("2027-06-30"))
    _, cycles = progress(frameworks, dated, [], "2026-03-01")
    assert (cycles["current"]["starts_on"], cycles["current"]["ends_on"]) == ("2025-07-01", "2027-06-30")


# --- Social Work England -----------------------------------------------------------------------

SW = FakeRegistration("SWE", "social worker", "swe")


@pytest.mark.parametrize(
    ("today", "current", "previous", "version"),
    [
        ("2025-11-30", ("2024-12-01", "2025-11-30"), ("2023-12-01", "2024-11-30"), 3),
        ("2025-12-01", ("2025-12-01", "2026-11-30"), ("2024-12-01", "2025-11-30"), 3),
        ("2024-02-29", ("2023-12-01", "2024-11-30"), ("2022-12-01", "2023-11-30"), 3),
        ("2021-06-01", ("2020-12-01", "2021-11-30"), ("2019-12-01", "2020-11-30"), 1),
        ("2021-12-01", ("2021-12-01", "2022-11-30"), ("2020-12-01", "2021-11-30"), 3),
    ],
)
def test_swe_registration_year_runs_1_december_to_30_november(frameworks, today, current, previous, version):
    _, cycles = progress(frameworks, SW, [], today)
    assert (cycles["current"]["starts_on"], cycles["current"]["ends_on"]) == current
    assert (cycles["previous"]["starts_on"], cycles["previous"]["ends_on"]) == previous
    assert cycles["current"]["framework"]["version"] == version
    dates = {d["id"]: d["date"] for d in cycles["current"]["dates"]}
    assert dates["renewal_opens"] == current[1][:4] + "-09-01"


@pytest.mark.parametrize(
    ("case", "today", "entries", "which", "expected"),
    [
        (
            "2021-22 onwards: two records, one with peer reflection",
            "2022-12-15",
            [entry("course", "2021-12-01"), entry("reading", "2022-11-30", includes_peer_reflection=True)],
            "previous",
            {"status": "met", "cpd_records": ("met", 2), "peer_reflection": ("met", 1)},
        ),
        (
            "2021-22: two records but no peer reflection",
            "2022-12-15",
            [entry("course", "2021-12-01"), entry("reading", "2022-11-30")],
            "previous",
            {"status": "not_met", "cpd_records": ("met", 2), "peer_reflection": ("not_met", 0)},
        ),
        (
            "2021-22: the record on 1 Dec 2022 belongs to the next year",
            "2022-12-15",
            [entry("course", "2021-12-01"), entry("reading", "2022-12-01", includes_peer_reflection=True)],
            "previous",
            {"status": "not_met", "cpd_records": ("not_met", 1), "peer_reflection": ("not_met", 0)},
        ),
        (
            "2020-21 (before the change): one record was enough, no peer reflection needed",
            "2021-12-15",
            [entry("course", "2021-11-30")],
            "previous",
            {"status": "met", "cpd_records": ("met", 1)},
        ),
        (
            "2020-21: a record dated 30 Nov 2020 belongs to 2019-20",
            "2021-12-15",
            [entry("course", "2020-11-30")],
            "previous",
            {"status": "not_met", "cpd_records": ("not_met", 0)},
        ),
        (
            "identical records count once",
            "2022-12-15",
            [
                entry("course", "2022-03-01", title="Trauma-informed practice"),
                entry(
                    "course", "2022-03-01", title="trauma-informed practice ", includes_peer_reflection=True
                ),
            ],
            "previous",
            {"status": "not_met", "cpd_records": ("not_met", 1), "peer_reflection": ("met", 1)},
        ),
        (
            "drafts and deleted records do not count",
            "2022-12-15",
            [
                entry("course", "2022-03-01"),
                entry("reading", "2022-04-01", includes_peer_reflection=True, status="draft"),
                entry("reading", "2022-05-01", includes_peer_reflection=True, is_deleted=True),
            ],
            "previous",
            {"status": "not_met", "cpd_records": ("not_met", 1), "peer_reflection": ("not_met", 0)},
        ),
        (
            "halfway through the year with one record: on track",
            "2026-06-01",
            [entry("reading", "2026-01-10", includes_peer_reflection=True)],
            "current",
            {"status": "on_track", "cpd_records": ("on_track", 1), "peer_reflection": ("met", 1)},
        ),
        (
            "halfway through the year with nothing: behind half the pace, at risk",
            "2026-06-01",
            [],
            "current",
            {"status": "at_risk", "cpd_records": ("at_risk", 0), "peer_reflection": ("at_risk", 0)},
        ),
        (
            "early in the year with nothing: on track",
            "2025-12-20",
            [],
            "current",
            {"status": "on_track", "cpd_records": ("on_track", 0), "peer_reflection": ("on_track", 0)},
        ),
        (
            "renewal window open (fewer than 91 days left) and not yet met: at risk",
            "2026-09-01",
            [entry("reading", "2026-01-10", includes_peer_reflection=True)],
            "current",
            {"status": "at_risk", "cpd_records": ("at_risk", 1), "peer_reflection": ("met", 1)},
        ),
    ],
)
def test_swe_requirements(frameworks, case, today, entries, which, expected):
    _, cycles = progress(frameworks, SW, entries, today)
    cycle = cycles[which]
    found = rules(cycle)
    assert cycle["status"] == expected.pop("status"), case
    for rule_id, (status, value) in expected.items():
        assert (found[rule_id]["status"], found[rule_id]["value"]) == (status, value), (case, rule_id)
    assert ("peer_reflection" in found) == (cycle["framework"]["version"] >= 2)


def test_swe_missing_says_what_to_do(frameworks):
    _, cycles = progress(frameworks, SW, [entry("course", "2026-01-10")], "2026-06-01")
    found = rules(cycles["current"])
    assert found["cpd_records"]["missing"] == "1 more different CPD records"
    assert found["peer_reflection"]["missing"] == "1 more CPD record with a peer reflection"


def test_an_entry_tagged_against_an_older_version_still_counts_under_the_newer_one(frameworks):
    tagged = entry("supervision", "2022-01-10", standards=[{"framework": "swe", "version": 1, "code": "4.2"}])
    _, cycles = progress(frameworks, SW, [tagged], "2022-06-01")
    cycle = cycles["current"]
    assert cycle["framework"]["version"] == 3
    coverage = rules(cycle)["standard_4_coverage"]
    assert coverage["covered"] == ["4.2"]
    assert coverage["advisory"] is True
    assert rules(cycle)["cpd_records"]["value"] == 1
    assert tagged.standards == [{"framework": "swe", "version": 1, "code": "4.2"}]  # never rewritten


# --- NMC -------------------------------------------------------------------------------------

NURSE = FakeRegistration("NMC", "nurse", "nmc", renewal_date=D("2027-04-30"))
NURSE_MIDWIFE = FakeRegistration(
    "NMC", "nurse and midwife", "nmc", renewal_date=D("2027-04-30"), is_dual_registration=True
)


def test_nmc_cycle_and_dates(frameworks):
    _, cycles = progress(frameworks, NURSE, [], "2026-03-01")
    current = cycles["current"]
    assert (current["starts_on"], current["ends_on"]) == ("2024-05-01", "2027-04-30")
    assert (cycles["previous"]["starts_on"], cycles["previous"]["ends_on"]) == ("2021-05-01", "2024-04-30")
    assert {d["id"]: d["date"] for d in current["dates"]} == {
        "confirmation_opens": "2026-05-01",
        "application_opens": "2027-01-31",  # 60 days before the 1st of the renewal month
        "application_due": "2027-04-01",
        "ends_on": "2027-04-30",
    }
    assert [r["id"] for r in current["reminders"]] == ["health_and_character", "indemnity"]


def test_nmc_renewal_in_the_cycle_that_contains_today(frameworks):
    _, cycles = progress(frameworks, NURSE, [], "2027-04-30")
    assert cycles["current"]["ends_on"] == "2027-04-30"
    _, cycles = progress(frameworks, NURSE, [], "2027-05-01")
    assert (cycles["current"]["starts_on"], cycles["current"]["ends_on"]) == ("2027-05-01", "2030-04-30")


# (practice hours, cpd entries as (hours, participatory)) -> expected statuses, in the finished previous cycle
@pytest.mark.parametrize(
    ("registration", "practice", "cpd", "expected"),
    [
        (
            NURSE,
            ["450"],
            [("20", True), ("15", False)],
            {"practice_hours": ("met", 450), "cpd_hours": ("met", 35), "participatory_hours": ("met", 20)},
        ),
        (
            NURSE_MIDWIFE,
            ["450"],
            [("20", True), ("15", False)],
            {
                "practice_hours": ("not_met", 450),
                "cpd_hours": ("met", 35),
                "participatory_hours": ("met", 20),
            },
        ),
        (
            NURSE_MIDWIFE,
            ["449.5", "450.5"],
            [],
            {
                "practice_hours": ("met", 900),
                "cpd_hours": ("not_met", 0),
                "participatory_hours": ("not_met", 0),
            },
        ),
        # half hours add up exactly
        (
            NURSE,
            ["449.5"],
            [("19.5", True), ("0.5", True), ("14.5", False), ("0.5", False)],
            {
                "practice_hours": ("not_met", 449.5),
                "cpd_hours": ("met", 35),
                "participatory_hours": ("met", 20),
            },
        ),
        (
            NURSE,
            ["450"],
            [("19.5", True), ("15.5", False)],
            {"cpd_hours": ("met", 35), "participatory_hours": ("not_met", 19.5)},
        ),
        (
            NURSE,
            ["450"],
            [("34.5", True)],
            {"cpd_hours": ("not_met", 34.5), "participatory_hours": ("met", 34.5)},
        ),
    ],
)
def test_nmc_hours(frameworks, registration, practice, cpd, expected):
    entries = [entry("practice_hours", "2022-01-03", h, is_participatory=False) for h in practice]
    entries += [entry("study_day", "2023-02-01", h, is_participatory=p) for h, p in cpd]
    _, cycles = progress(frameworks, registration, entries, "2026-03-01")
    found = rules(cycles["previous"])
    for rule_id, (status, value) in expected.items():
        assert (found[rule_id]["status"], found[rule_id]["value"]) == (status, value), rule_id
    assert found["practice_hours"]["target"] == (900 if registration.is_dual_registration else 450)


def test_nmc_counts_feedback_accounts_and_discussion(frameworks):
    entries = [entry("practice_feedback", f"2022-0{m}-01") for m in range(1, 6)]
    entries += [entry("reflective_account", f"2023-0{m}-01") for m in range(1, 5)]
    entries += [entry("reflective_discussion", "2024-04-30")]
    _, cycles = progress(frameworks, NURSE, entries, "2026-03-01")
    found = rules(cycles["previous"])
    assert (found["practice_feedback"]["status"], found["practice_feedback"]["value"]) == ("met", 5)
    assert (found["reflective_accounts"]["status"], found["reflective_accounts"]["value"]) == ("not_met", 4)
    assert found["reflective_accounts"]["missing"] == "1 more written reflective accounts"
    # Four accounts and no partner's signature: the discussion cannot count yet (see test_nmc_reflective_…).
    assert found["reflective_discussion"]["status"] == "not_met"
    assert found["reflective_discussion"]["not_counted"] == [{"id": None, "reason": "not_signed"}]
    # none of them is CPD
    assert cycles["previous"]["numbers"]["hours"] == 0
    assert cycles["previous"]["numbers"]["by_kind"] == {
        "practice_feedback": 5,
        "reflective_account": 4,
        "reflective_discussion": 1,
    }


@pytest.mark.parametrize(
    ("appraisal", "today", "status", "value"),
    [
        (
            entry("appraisal", "2026-05-01", status="signed_off"),
            "2026-06-01",
            "met",
            1,
        ),  # first day of the window
        (
            entry("appraisal", "2027-04-30", status="signed_off"),
            "2027-04-30",
            "met",
            1,
        ),  # last day of the cycle
        (entry("appraisal", "2026-04-30", status="signed_off"), "2026-06-01", "on_track", 0),  # a day early
        (entry("appraisal", "2026-06-01", status="submitted"), "2026-06-01", "on_track", 0),  # not signed off
        (entry("appraisal", "2026-06-01", status="returned"), "2027-03-01", "at_risk", 0),
        (
            entry("appraisal", "2026-04-01", status="signed_off"),
            "2026-04-15",
            "on_track",
            0,
        ),  # window not open
    ],
)
def test_nmc_confirmation_needs_a_signed_off_record_in_the_final_12_months(
    frameworks, appraisal, today, status, value
):
    _, cycles = progress(frameworks, NURSE, [appraisal], today)
    rule = rules(cycles["current"])["confirmation"]
    assert (rule["status"], rule["value"]) == (status, value)


def test_nmc_cycle_starts_no_earlier_than_registration(frameworks):
    joined = FakeRegistration(
        "NMC", "nurse", "nmc", renewal_date=D("2027-04-30"), registered_since=D("2025-01-10")
    )
    entries = [entry("study_day", "2025-01-09", 10), entry("study_day", "2025-01-10", 5)]
    _, cycles = progress(frameworks, joined, entries, "2026-03-01")
    assert list(cycles) == ["current"]
    assert cycles["current"]["starts_on"] == "2025-01-10"
    assert cycles["current"]["numbers"]["hours"] == 5


def test_nmc_without_a_renewal_date_asks_for_one(frameworks):
    outcome, cycles = progress(frameworks, FakeRegistration("NMC", "nurse", "nmc"), [], "2026-03-01")
    assert cycles == {}
    assert outcome["note"] == "Add the registration's renewal date to see progress in this cycle."


# --- Teachers, Common Core, no framework -----------------------------------------------------------


def test_teachers_appraisal_year(frameworks):
    teacher = FakeRegistration("TEACHERS", "teacher", "teachers")
    _, cycles = progress(frameworks, teacher, [entry("appraisal", "2025-08-31")], "2025-09-01")
    assert (cycles["current"]["starts_on"], cycles["current"]["ends_on"]) == ("2025-09-01", "2026-08-31")
    assert rules(cycles["previous"])["appraisal"]["status"] == "met"
    assert rules(cycles["current"])["appraisal"]["status"] == "on_track"
    assert cycles["previous"]["status"] == "met"  # the advisory 8(d) rule does not change it


def test_a_standards_only_framework_has_no_cycle(frameworks):
    outcome, cycles = progress(
        frameworks, FakeRegistration("OTHER", "youth worker", "common-core"), [], "2026-03-01"
    )
    assert cycles == {}
    assert outcome["note"] == "This framework has no registration cycle."


def test_a_registration_without_a_framework(frameworks):
    outcome, _ = progress(frameworks, FakeRegistration("GMC", "doctor", None), [], "2026-03-01")
    assert outcome == {
        "framework": None,
        "cycles": [],
        "note": "No framework is linked to this registration.",
    }


# --- supervision policies ----------------------------------------------------------------------


def supervision(day, minutes):
    """A supervision session of a given length."""
    return entry(
        "supervision",
        day,
        round(minutes / 60, 2),
        details={"duration_minutes": minutes, "format": "individual"},
    )


def policies(frameworks, registrations, entries, today, areas=frozenset()):
    """Each applying policy's current cycle rules, by policy id."""
    result = engine.progress(
        registrations=registrations,
        entries=entries,
        frameworks=frameworks,
        today=D(today),
        service_areas=areas,
    )
    return {p["framework"]["id"]: p["cycles"][0] for p in result["policies"]}


def test_social_work_supervision_monthly_at_least_90_minutes(frameworks):
    registered = FakeRegistration("SWE", "social worker", "swe", registered_since=D("2015-09-01"))
    sessions = [supervision("2025-04-10", 90), supervision("2025-05-20", 60), supervision("2025-06-30", 120)]
    found = policies(frameworks, [registered], sessions, "2025-07-15")
    assert list(found) == ["sw-supervision"]
    rule = rules(found["sw-supervision"])["supervision_frequency"]
    assert (rule["status"], rule["value"], rule["target"], rule["period"]) == ("at_risk", 2, 3, "month")
    assert rule["missed"] == [{"from": "2025-05-01", "to": "2025-05-31"}]
    assert (
        rule["missing"]
        == "No session of at least 90 minutes recorded in 1 month(s): 1 May 2025 to 31 May 2025"
    )


def test_newly_qualified_social_workers_are_supervised_fortnightly(frameworks):
    nqsw = FakeRegistration("SWE", "social worker", "swe", registered_since=D("2025-03-01"))
    sessions = [supervision("2025-04-01", 90), supervision("2025-04-28", 90), supervision("2025-05-12", 90)]
    rule = rules(policies(frameworks, [nqsw], sessions, "2025-05-12")["sw-supervision"])[
        "supervision_frequency"
    ]
    # fortnights from 1 Apr: 1-14 Apr, 15-28 Apr, 29 Apr-12 May (all complete on 12 May)
    assert (rule["period"], rule["value"], rule["target"], rule["status"]) == ("fortnight", 3, 3, "met")


def test_eyfs_supervision_applies_to_early_years_staff_without_registration(frameworks):
    found = policies(frameworks, [], [supervision("2025-05-01", 45)], "2025-07-15", areas={"early_years"})
    assert list(found) == ["eyfs-supervision"]
    assert found["eyfs-supervision"]["status"] == "met"
    assert policies(frameworks, [], [], "2025-07-15", areas={"social_care"}) == {}


# --- issue 19: one definition of an entry's dates ---------------------------------------------------


def test_an_activity_is_in_a_cycle_if_any_of_its_days_is(frameworks):
    """A course from 29 Nov to 1 Dec is in the SWE year that ends on 30 Nov and in the one that starts
    on 1 Dec (its days overlap both); before, it counted only in the year it ended in."""
    course = entry("course", "2025-11-29", end="2025-12-01", title="Three-day course", id="c1")
    _, cycles = progress(frameworks, SW, [course], "2026-01-10")
    assert rules(cycles["previous"])["cpd_records"]["value"] == 1
    assert rules(cycles["current"])["cpd_records"]["value"] == 1
    assert rules(cycles["current"])["cpd_records"]["counted"] == ["c1"]


def test_the_days_of_an_activity_running_into_the_next_cycle_cover_the_gap_before_it(frameworks):
    """HCPC gaps: every day of an activity covers, including the days running into the next cycle; the
    gap before it ends the day before it starts (not at the cycle's end)."""
    _, cycles = progress(frameworks, SLT, [], "2026-03-01")
    cycle = cycles["current"]
    start, end = D(cycle["starts_on"]), D(cycle["ends_on"])
    first = entry("course", start.isoformat(), id="first")
    late = entry(
        "course",
        (end - dt.timedelta(days=1)).isoformat(),
        end=(end + dt.timedelta(days=2)).isoformat(),
        id="late",
    )
    _, cycles = progress(frameworks, SLT, [first, late], (end + dt.timedelta(days=10)).isoformat())
    gaps = rules(cycles["previous"])["continuous_record"]
    assert [(g["from"], g["to"]) for g in gaps["gaps"]] == [
        ((start + dt.timedelta(days=1)).isoformat(), (end - dt.timedelta(days=2)).isoformat())
    ]
    assert gaps["counted"] == ["first", "late"]


def test_a_record_of_the_kind_peer_reflection_includes_a_peer_reflection(frameworks):
    """SWE: a record of the kind "peer reflection" counts as including one even with the flag false."""
    records = [
        entry("peer_reflection", "2026-01-05", includes_peer_reflection=False, id="p"),
        entry("course", "2026-01-06", includes_peer_reflection=True, id="c"),
        entry("reading", "2026-01-07", id="r"),
    ]
    _, cycles = progress(frameworks, SW, records, "2026-02-01")
    peer = rules(cycles["current"])["peer_reflection"]
    assert peer["value"] == 2
    assert peer["counted"] == ["p", "c"]
    assert cycles["current"]["numbers"]["peer_reflections"] == 2


def test_nmc_discussion_counts_after_the_fifth_account_with_the_partners_standing_sign_off(frameworks):
    """NMC: the discussion counts if held on or after the fifth account's day and the partner's
    (NMC registrant's) sign-off still stands; a supervisor's, none, or an altered one does not."""
    accounts = [entry("reflective_account", f"2026-0{m}-01", id=f"a{m}") for m in range(1, 6)]
    partner = frozenset({"reflective_discussion_partner", "reflective_discussion_partner:NMC"})

    def discussion(day: str, roles: frozenset[str] | None) -> tuple[float, list[str]]:
        talk = entry("reflective_discussion", day, status="signed_off", id="d", signed_roles=roles)
        _, cycles = progress(frameworks, NURSE, [*accounts, talk], "2026-08-01")
        found = rules(cycles["current"])["reflective_discussion"]
        return found["value"], [n["reason"] for n in found.get("not_counted", [])]

    assert discussion("2026-04-30", partner) == (0, ["before_accounts"])
    assert discussion("2026-06-01", frozenset({"supervisor"})) == (0, ["not_signed"])
    assert discussion("2026-06-01", frozenset()) == (0, ["not_signed"])  # altered after signing
    assert discussion("2026-05-01", partner) == (1, [])  # on the fifth account's day
