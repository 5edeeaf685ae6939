"""Social Work England CPD records: the online form's fields per record, peer reflection marked."""

from __future__ import annotations

import datetime as dt

import pytest

from logbook.accounts.models import Registration
from logbook.portfolio.documents.common import last_on_or_before as _last_on_or_before
from tests.factories import TODAY, make_entry, persist, sign
from tests.helpers import assert_codes_verify_then_fail, attached, export, pdf_text

FIELDS = (
    "CPD title",
    "Type of CPD activity",
    "Date of the activity (within the registration year)",
    "Short description of the activity and why it is relevant to you",
    "What you learnt",
    "The positive impact on your practice and on the people you work with",
)
PERIOD = {"date_from": (TODAY - dt.timedelta(days=200)).isoformat(), "date_to": TODAY.isoformat()}
LEARNT = {"template": "free", "answers": {"text": "I learnt to slow the meeting down."}}


@pytest.fixture
def swe(app, practitioner):
    """The practitioner is a registered social worker."""
    reg = Registration(
        user_id=practitioner.id, regulator="SWE", profession="Social worker", registration_number="SW104587"
    )
    persist(app, reg)
    return reg


def test_records_with_the_forms_fields(app, client, me, boss, supervisor, swe):
    peer = make_entry(
        me,
        kind="peer_reflection",
        title="Peer reflection on a strategy meeting",
        description="Talked through a strategy meeting with a colleague.",
        impact_on_practice="I now summarise decisions aloud.",
        details={"peer_name": "Tom Bradley", "peer_role": "Social worker"},
        reflection=LEARNT,
    )
    study = make_entry(
        me,
        title="Neglect toolkit study day",
        impact_on_practice="I use the graded care profile in every neglect assessment.",
        impact_on_people="Families see the same tool each visit.",
    )
    sign(me, boss, study, supervisor.id)
    make_entry(me, kind="other", title="Team development day", impact_on_practice="Shared practice.")

    response = export(me, format="swe", **PERIOD)
    assert response.status_code == 200, response.get_json()
    text = pdf_text(response.data)
    for heading in (
        "Social Work England CPD records",
        "What is missing",
        "Nothing is missing",
        "Standard 4 across the year",
        "SW104587",
        *FIELDS,
    ):
        assert heading in text, heading
    assert text.count("CPD title") == 3  # one block per record
    assert "Record 1: Peer reflection on a strategy meeting" not in text  # the P mark comes first
    assert "P Record" in text
    assert "Peer reflection: Describe what you have learnt from discussing" in text
    assert "Discussed with Tom Bradley, Social worker." in text
    assert "Families see the same tool each visit." in text
    assert "slow the meeting down" not in text  # private reflection only when asked for
    assert "(private reflection, not printed)" in text
    context = attached(response.data)
    # Same day: records in title order.
    assert [r["is_peer_reflection"] for r in context["swe"]["records"]] == [False, True, False]
    assert "I learnt to slow the meeting down." in pdf_text(
        export(me, format="swe", include_reflections=True, **PERIOD).data
    )
    assert_codes_verify_then_fail(app, client, response.data, [study["id"]])
    assert peer["id"] in {r["entry_id"] for r in context["swe"]["records"]}


def test_missing_peer_reflection_impact_and_duplicates(me, swe):
    make_entry(me, title="Same day")
    make_entry(me, title="Same day")
    text = pdf_text(export(me, format="swe", **PERIOD).data)
    for item in (
        "Still missing (2)",
        "At least 1 piece of CPD includes a peer reflection: 0 of 1 records.",
        "At least 2 different pieces of CPD recorded in the registration year: 1 of 2 records.",
        "Records 1 and 2 look identical",
        "Record 1 (Same day) does not describe its impact.",
    ):
        assert item in text, item
        assert text.index(item) < text.index("Part of standard 4")


def test_registration_year_starts_on_1_december():
    assert _last_on_or_before(dt.date(2026, 11, 25), 12, 1) == dt.date(2025, 12, 1)
    assert _last_on_or_before(dt.date(2026, 12, 1), 12, 1) == dt.date(2026, 12, 1)
    assert _last_on_or_before(dt.date(2027, 1, 5), 12, 1) == dt.date(2026, 12, 1)


def test_default_period_is_the_registration_year(me, swe):
    context = attached(export(me, format="swe").data)
    start = dt.date.fromisoformat(context["document"]["date_from"])
    assert (start.month, start.day) == (12, 1)
    assert start <= TODAY < start.replace(year=start.year + 1)


def test_needs_an_swe_registration(me):
    response = export(me, format="swe")
    assert response.status_code == 422
    assert "format" in response.get_json()["error"]["fields"]
