"""The HCPC CPD profile: word limits before rendering, the four parts, numbered evidence, gaps."""

from __future__ import annotations

import datetime as dt

import pytest

from logbook.accounts.models import Registration
from tests.factories import TODAY, make_entry, persist, sign
from tests.helpers import export, pdf_text


@pytest.fixture
def hcpc(app, practitioner):
    """The practitioner is a registered occupational therapist."""
    reg = Registration(
        user_id=practitioner.id,
        regulator="HCPC",
        profession="Occupational therapist",
        registration_number="OT123456",
    )
    persist(app, reg)
    return reg


def four_entries(me) -> list[str]:
    days = [TODAY - dt.timedelta(days=d) for d in (5, 10, 20, 30)]
    return [
        make_entry(me, title=f"Activity {i}", start_date=d.isoformat())["id"] for i, d in enumerate(days, 1)
    ]


def body(ids, **extra):
    data = {
        "format": "hcpc",
        "date_from": (TODAY - dt.timedelta(days=400)).isoformat(),
        "date_to": TODAY.isoformat(),
        "summary": "I work as an occupational therapist in a community team.",
        "statement": "I chose four activities that changed my practice.",
        "chosen_entry_ids": ids,
    }
    data.update(extra)
    return data


def test_profile_parts_evidence_and_gaps(me, boss, supervisor, hcpc):
    ids = four_entries(me)
    signed = sign(me, boss, {"id": ids[0], "version": 1}, supervisor.id)
    assert signed["decision"] == "approved"
    response = export(me, **body(ids))
    assert response.status_code == 200, response.get_json()
    text = pdf_text(response.data)
    for part in (
        "HCPC CPD profile",
        "Occupational therapist",
        "OT123456",
        "1. Summary of practice history",
        "2. Dated list of CPD activities",
        "3. Personal statement",
        "4. Supporting evidence",
        "community team",
        "changed my practice",
    ):
        assert part in text, part
    assert "Sign-off by Priya Supervisor" in text  # a numbered piece of evidence
    # Nothing was recorded for about a year before the first activity: one gap of 3+ months.
    assert "Gaps of 3 months or more" in text
    assert (TODAY - dt.timedelta(days=400)).isoformat() in text


@pytest.mark.parametrize(
    ("field", "words", "limit"),
    [("summary", 501, "500"), ("statement", 1501, "1,500")],
)
def test_word_limits_are_checked_before_rendering(me, hcpc, field, words, limit):
    response = export(me, **body(four_entries(me), **{field: "word " * words}))
    assert response.status_code == 422
    [message] = response.get_json()["error"]["fields"][field]
    assert limit in message


def test_limits_at_exactly_the_limit_pass(me, hcpc):
    response = export(me, **body(four_entries(me), summary="word " * 500, statement="word " * 1500))
    assert response.status_code == 200


def test_chosen_activities_must_be_four_to_six_of_ones_own(make_client, make_user, me, hcpc):
    ids = four_entries(me)
    assert "chosen_entry_ids" in export(me, **body(ids[:3])).get_json()["error"]["fields"]
    other = make_client(make_user("practitioner"))
    theirs = make_entry(other, title="Not mine")["id"]
    response = export(me, **body([*ids[:3], theirs]))
    assert response.status_code == 422
    assert "chosen_entry_ids" in response.get_json()["error"]["fields"]


def test_needs_an_hcpc_registration(me):
    response = export(me, **body(four_entries(me)))
    assert response.status_code == 422
    assert "format" in response.get_json()["error"]["fields"]


def test_standards_are_named_in_the_summary(app, me):
    from logbook.extensions import db
    from logbook.frameworks.service import load_shipped_frameworks

    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    make_entry(me, title="Tagged", standards=[{"framework": "hcpc", "version": 1, "code": "4"}])
    text = pdf_text(export(me).data)
    # The summary and the entry itself name the standard in words: code with its title (#19).
    assert text.count("HCPC 4 Seek to ensure that CPD benefits the service user") == 2, text
    assert "hcpc 4" not in text


def test_the_profile_prints_each_gap_with_the_practitioners_explanation(me, hcpc):
    """HCPC asks registrants to explain breaks in their CPD: the profile prints each gap with the
    explanation the practitioner wrote, and says when a gap is not (or only partly) explained."""
    ids = four_entries(me)
    start = TODAY - dt.timedelta(days=400)
    text = pdf_text(export(me, **body(ids)).data)
    assert "not explained" in text
    reason = "Sick leave after an operation, then a phased return"
    made = me.api(
        "POST",
        "/api/v1/me/gap-explanations",
        json={
            "starts_on": start.isoformat(),
            "ends_on": (TODAY - dt.timedelta(days=31)).isoformat(),
            "reason": reason,
        },
    )
    assert made.status_code == 201, made.get_json()
    response = export(me, **body(ids))
    assert response.status_code == 200, response.get_json()
    text = pdf_text(response.data)
    assert reason in text
    last = (TODAY - dt.timedelta(days=31)).isoformat()
    assert f"{start.isoformat()} to {last} ({400 - 31 + 1} days) · explained" in text
    assert "not explained" not in text


def test_the_profile_lists_the_registration_cycle_by_default_not_two_years_back(app, me, practitioner):
    """HCPC's dated list covers the activities since the last renewal: without dates the profile covers
    the current cycle (an SLT's runs from 1 October of an odd year), so an activity of the previous
    cycle is not listed, though it is less than two years old."""
    from logbook.extensions import db
    from logbook.frameworks.engine import cycles_for, version_for
    from logbook.frameworks.service import compiled_frameworks, load_shipped_frameworks

    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    reg = Registration(
        user_id=practitioner.id,
        regulator="HCPC",
        profession="Speech and language therapist",
        framework_id="hcpc",
    )
    persist(app, reg)
    with app.app_context():
        versions = compiled_frameworks(organisation_id=practitioner.organisation_id)["hcpc"]
        cycle = next(c for c in cycles_for(version_for(versions, TODAY), reg, TODAY) if c.which == "current")
    before = cycle.starts_on - dt.timedelta(days=20)
    assert TODAY - before < dt.timedelta(days=730)  # inside the old "two years back" default
    old = make_entry(me, title="Previous cycle's course", start_date=before.isoformat())
    assert old.get("id"), old
    ids = four_entries(me)
    response = export(me, **{k: v for k, v in body(ids).items() if k not in ("date_from", "date_to")})
    assert response.status_code == 200, response.get_json()
    text = pdf_text(response.data)
    assert "Activity 1" in text
    assert "Previous cycle's course" not in text
    assert cycle.starts_on.isoformat() in text  # the period printed starts with the cycle
