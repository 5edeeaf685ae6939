"""One truth for what counts (issue 19): the requirement engine decides, and the progress API (what
Home shows), the regulator documents and the generic summary state its answer. Each test states the
rule it holds in words and fails if a surface counts on its own."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import update

from logbook.accounts.models import Registration
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from tests.factories import TODAY, make_entry, persist, sign, sign_as
from tests.helpers import attached, export, pdf_text

PIN = "09I1234E"


@pytest.fixture(autouse=True)
def frameworks(app):
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()


def day(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


def register(app, practitioner, regulator: str, framework_id: str, **fields: Any) -> Registration:
    reg = Registration(
        user_id=practitioner.id,
        regulator=regulator,
        profession={"SWE": "Social worker", "NMC": "Nurse", "TEACHERS": "Teacher"}[regulator],
        registration_number="R1",
        framework_id=framework_id,
        **fields,
    )
    persist(app, reg)
    return reg


def current_rules(client, as_of: str | None = None) -> dict[str, dict[str, Any]]:
    """The current cycle's rules as the progress API (and so Home) gives them, by rule id."""
    query = f"?as_of={as_of}" if as_of else ""
    (person,) = client.get(f"/api/v1/progress{query}").get_json()["people"]
    (reg,) = person["registrations"]
    cycle = next(c for c in reg["cycles"] if c["which"] == "current")
    return {r["id"]: r | {"cycle": cycle} for r in cycle["rules"]}


def period_of(rules: dict[str, dict[str, Any]]) -> dict[str, str]:
    cycle = next(iter(rules.values()))["cycle"]
    return {"date_from": cycle["starts_on"], "date_to": min(cycle["ends_on"], TODAY.isoformat())}


def still_missing(text: str) -> int:
    found = re.search(r"Still missing \((\d+)\)", text)
    return int(found.group(1)) if found else 0


def tamper(app, entry_id: str, **values: Any) -> None:
    """Change an entry's row outside the app (what an altered signed record looks like)."""
    with app.app_context():
        db.session.execute(update(Entry).where(Entry.id == uuid.UUID(entry_id)).values(**values))
        db.session.commit()


# --- Social Work England ---------------------------------------------------------------------------


def test_a_record_of_the_kind_peer_reflection_counts_as_a_peer_reflection_in_progress_and_the_swe_pdf(
    app, me, practitioner
):
    """SWE: a record includes a peer reflection if it is of the kind "peer reflection" or says it
    includes one (docs/regulators.md 2.2); the flag sent as false on a peer reflection changes nothing."""
    register(app, practitioner, "SWE", "swe")
    make_entry(
        me,
        kind="peer_reflection",
        title="Talked a case through",
        includes_peer_reflection=False,
        details={"peer_name": "Tom Bradley", "peer_role": "Social worker"},
    )
    make_entry(me, title="Study day", includes_peer_reflection=True)
    make_entry(me, title="Reading")
    rules = current_rules(me)
    assert rules["peer_reflection"]["value"] == 2
    context = attached(export(me, format="swe", **period_of(rules)).data)
    (row,) = [c for c in context["swe"]["checks"] if c["id"] == "peer_reflection"]
    assert row["have"] == "2"
    assert sum(r["is_peer_reflection"] for r in context["swe"]["records"]) == 2


def test_two_identical_records_describe_their_impact_once(app, me, practitioner):
    """SWE refuses identical records: two identical records that describe their impact count once
    for "records that describe their impact", on Home and in the SWE document."""
    register(app, practitioner, "SWE", "swe")
    for _ in range(2):
        make_entry(me, title="Same day", impact_on_practice="I plan visits differently.")
    rules = current_rules(me)
    impact = rules["impact_described"]
    assert (impact["value"], impact["target"]) == (1, 2)
    assert [n["reason"] for n in impact["not_counted"]] == ["identical"]
    data = export(me, format="swe", **period_of(rules)).data
    context = attached(data)
    assert [r["value"] for r in context["swe"]["evaluation"]["rules"] if r["id"] == "impact_described"] == [1]
    assert "records describes its impact on your practice and the people you work with: 1 of 2" in " ".join(
        context["swe"]["advice"]
    )
    assert "Records 1 and 2 look identical" in pdf_text(data)


def test_swe_still_missing_is_the_number_of_rules_progress_finds_not_met(app, me, practitioner):
    """The SWE PDF's "Still missing (n)" is the number of binding rules Home shows as not met; a rule
    Home does not show is not in it (impact is advice on both)."""
    register(app, practitioner, "SWE", "swe")
    make_entry(me, title="One record, no impact, no peer reflection")
    rules = current_rules(me)
    expected = sum(1 for r in rules.values() if not r["advisory"] and r["status"] != "met")
    assert expected == 2  # two different records; one with a peer reflection
    text = pdf_text(export(me, format="swe", **period_of(rules)).data)
    assert still_missing(text) == expected
    assert "does not describe its impact" in text  # a note, not one of the missing


# --- Teachers ------------------------------------------------------------------------------------


def test_teachers_headline_says_nothing_is_missing_when_progress_says_met(app, me, practitioner):
    """Teachers: the appraisal is the one binding rule; standards without evidence are advice (shown on
    Home as advisory rules) and not counted as missing in the document's headline."""
    register(app, practitioner, "TEACHERS", "teachers")
    make_entry(
        me,
        kind="appraisal",
        title="Annual appraisal",
        details={"reviewer_name": "Imran Hussain", "objectives": []},
    )
    rules = current_rules(me)
    assert rules["appraisal"]["status"] == "met"
    assert rules["standards_evidenced"]["advisory"] is True
    assert rules["standards_evidenced"]["value"] == 0
    text = pdf_text(export(me, format="teachers", **period_of(rules)).data)
    assert "Nothing is missing" in text
    assert still_missing(text) == 0
    assert "Good practice not yet followed" in text


# --- NMC reflective discussion ----------------------------------------------------------------------


def account(me, n: int) -> dict[str, Any]:
    return make_entry(
        me,
        kind="reflective_account",
        title=f"Account {n}",
        start_date=day(20 + n),
        details={
            "nature_of_activity": "a",
            "what_did_you_learn": "b",
            "how_did_you_change_or_improve": "c",
            "code_themes": ["prioritise_people"],
        },
    )


def nmc_discussion(me, days_ago: int) -> dict[str, Any]:
    return make_entry(
        me,
        kind="reflective_discussion",
        title="Reflective discussion",
        start_date=day(days_ago),
        details={"partner_name": "Priya Supervisor", "partner_nmc_pin": PIN},
    )


def discussion_counted(me) -> tuple[float, list[str], str]:
    """The reflective discussion rule on Home, and what the NMC pack states about it."""
    rule = current_rules(me)["reflective_discussion"]
    context = attached(export(me, format="nmc").data)
    (row,) = [c for c in context["nmc"]["checks"] if c["id"] == "reflective_discussion"]
    assert row["have"] == f"{rule['value']:g}", "the NMC pack and Home disagree"
    return rule["value"], [n["reason"] for n in rule["not_counted"]], row["have"]


@pytest.fixture
def nurse(app, practitioner):
    return register(app, practitioner, "NMC", "nmc", renewal_date=TODAY + dt.timedelta(days=60))


def test_a_signed_discussion_after_the_fifth_account_counts(me, boss, supervisor, nurse):
    """NMC: the discussion counts when held on or after the day the fifth written account exists and
    the partner (an NMC registrant) has signed the form."""
    for n in range(1, 6):
        account(me, n)
    talk = nmc_discussion(me, 3)
    sign_as(me, boss, talk, supervisor.id, "reflective_discussion_partner", "NMC", PIN)
    assert discussion_counted(me)[:2] == (1, [])


def test_a_discussion_held_before_the_fifth_account_does_not_count(me, boss, supervisor, nurse):
    """NMC: a discussion held before the fifth account was written cannot have covered all five."""
    for n in range(1, 5):
        account(me, n)
    talk = nmc_discussion(me, 10)
    sign_as(me, boss, talk, supervisor.id, "reflective_discussion_partner", "NMC", PIN)
    make_entry(
        me,
        kind="reflective_account",
        title="Account 5, written after the discussion",
        start_date=day(2),
        details={
            "nature_of_activity": "a",
            "what_did_you_learn": "b",
            "how_did_you_change_or_improve": "c",
            "code_themes": ["preserve_safety"],
        },
    )
    assert discussion_counted(me)[:2] == (0, ["before_accounts"])


def test_a_discussion_the_partner_has_not_signed_does_not_count(me, boss, supervisor, nurse):
    """NMC: the partner signs the reflective discussion form; a supervisor's sign-off is not that."""
    for n in range(1, 6):
        account(me, n)
    nmc_discussion(me, 3)
    assert discussion_counted(me)[:2] == (0, ["not_signed"])
    talk = nmc_discussion(me, 2)
    sign_as(me, boss, talk, supervisor.id, "supervisor", "NMC", PIN)
    assert discussion_counted(me)[:2] == (0, ["not_signed", "not_signed"])


def test_an_altered_signed_discussion_does_not_count(app, me, boss, supervisor, nurse):
    """NMC: a signed record changed afterwards (outside the app) is not what the partner signed."""
    for n in range(1, 6):
        account(me, n)
    talk = nmc_discussion(me, 3)
    sign_as(me, boss, talk, supervisor.id, "reflective_discussion_partner", "NMC", PIN)
    assert discussion_counted(me)[0] == 1
    tamper(app, talk["id"], title="Reflective discussion (altered)")
    assert discussion_counted(me)[:2] == (0, ["not_signed"])


# --- the generic summary ----------------------------------------------------------------------------


def test_the_summary_does_not_count_an_entry_changed_after_signing_as_signed_off(app, me, boss, supervisor):
    """An entry whose signed text was changed (in the app, or outside it) is not signed off."""
    edited = make_entry(me, title="Edited after signing")
    sign(me, boss, edited, supervisor.id)
    altered = make_entry(me, title="Altered outside the app")
    sign(me, boss, altered, supervisor.id)
    kept = make_entry(me, title="Still as signed")
    sign(me, boss, kept, supervisor.id)
    period = {"date_from": day(30), "date_to": TODAY.isoformat()}
    assert attached(export(me, **period).data)["summary"]["signed_count"] == 3
    current = me.get(f"/api/v1/entries/{edited['id']}").get_json()
    changed = me.api(
        "PATCH",
        f"/api/v1/entries/{edited['id']}",
        json={"base_version": current["version"], "hours": 5},
    )
    assert changed.status_code == 200, changed.get_json()
    tamper(app, altered["id"], hours=9)
    assert attached(export(me, **period).data)["summary"]["signed_count"] == 1


# --- multi-day activities ---------------------------------------------------------------------------


def test_a_course_across_the_cycle_start_is_counted_and_listed_with_its_days(app, me, practitioner):
    """An activity is in a period if any of its days is: a course from 29 Nov to 1 Dec counts in the
    SWE year starting 1 Dec on Home, and the document lists it with both its days."""
    register(app, practitioner, "SWE", "swe")
    course = make_entry(me, title="Three-day course", start_date="2025-11-29", end_date="2025-12-01")
    rules = current_rules(me, as_of="2026-03-01")
    assert course["id"] in rules["cpd_records"]["counted"]
    period = {"date_from": "2025-12-01", "date_to": "2026-11-30"}
    data = export(me, format="swe", **period).data
    assert "29 Nov \u2013 1 Dec 2025" in pdf_text(data)  # an en dash
    assert [r["entry_id"] for r in attached(data)["swe"]["records"]] == [course["id"]]
