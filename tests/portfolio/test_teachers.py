"""Teachers' Standards evidence: grouped under the 8 standards and Part Two, the appraisal record."""

from __future__ import annotations

import datetime as dt

import pytest

from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from tests.factories import TODAY, make_entry, sign
from tests.helpers import assert_codes_verify_then_fail, attached, export, pdf_text

PERIOD = {"date_from": (TODAY - dt.timedelta(days=200)).isoformat(), "date_to": TODAY.isoformat()}


def tag(*codes: str) -> list[dict]:
    return [{"framework": "teachers", "version": 1, "code": c} for c in codes]


@pytest.fixture(autouse=True)
def frameworks(app):
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()


def test_evidence_under_each_standard_and_the_appraisal(app, client, me, boss, supervisor):
    phonics = make_entry(me, title="Phonics training", standards=tag("3d", "8d"))
    make_entry(me, title="Behaviour policy refresher", standards=tag("7a", "part2.2"))
    make_entry(me, title="Untagged reading")
    appraisal = make_entry(
        me,
        kind="appraisal",
        title="Annual appraisal",
        description="End-of-year review.",
        details={
            "reviewer_name": "Imran Hussain",
            "objectives": [
                {"text": "Raise Year 2 phonics outcomes", "status": "met"},
                {"text": "Lead a staff session on feedback", "status": "partly_met"},
            ],
            "review_notes": "A strong year.",
        },
    )
    sign(me, boss, phonics, supervisor.id)
    sign(me, boss, appraisal, supervisor.id)

    response = export(me, format="teachers", **PERIOD)
    assert response.status_code == 200, response.get_json()
    text = pdf_text(response.data)
    for n, title in enumerate(
        (
            "Set high expectations which inspire, motivate and challenge pupils",
            "Promote good progress and outcomes by pupils",
            "Demonstrate good subject and curriculum knowledge",
            "Plan and teach well structured lessons",
            "Adapt teaching to respond to the strengths and needs of all pupils",
            "Make accurate and productive use of assessment",
            "Manage behaviour effectively to ensure a good and safe learning environment",
            "Fulfil wider professional responsibilities",
        ),
        start=1,
    ):
        assert f"Standard {n}: {title}" in text, n
    for heading in (
        "Teachers' Standards evidence",
        "Part One: Teaching",
        "Part Two: Personal and professional conduct",
        "Appraisal record",
        "Evidence in full",
        "Imran Hussain",
        "Raise Year 2 phonics outcomes",
        "partly met",
        "A strong year.",
    ):
        assert heading in text, heading
    context = attached(response.data)
    sections = {s["code"]: s for s in context["teachers"]["sections"]}
    assert len(sections) == 9
    assert [e["title"] for e in sections["3"]["evidence"]] == ["Phonics training"]
    assert sections["3"]["evidence"][0]["subpoints"] == ["3d"]
    assert [e["title"] for e in sections["8"]["evidence"]] == ["Phonics training"]
    assert [e["title"] for e in sections["part2"]["evidence"]] == ["Behaviour policy refresher"]
    assert "Untagged reading" not in text
    numbers = [n["number"] for n in context["teachers"]["numbered"]]
    assert numbers == [f"E{i}" for i in range(1, len(numbers) + 1)]
    assert len(numbers) == 3
    # The appraisal is there: nothing is missing; standards without evidence are advice (teachers-v2.yaml).
    assert context["teachers"]["missing"] == []
    (advice,) = [a for a in context["teachers"]["advice"] if a.startswith("Evidence recorded against")]
    assert advice.endswith("4 of 9 standards. Not yet covered: 1, 2, 4, 5, 6.")
    assert text.index("Not yet covered: 1, 2, 4, 5, 6.") < text.index("Part One: Teaching Standard 1")
    assert_codes_verify_then_fail(app, client, response.data, [phonics["id"], appraisal["id"]])


def test_no_appraisal_is_missing(me):
    make_entry(me, title="Phonics training", standards=tag("3d"))
    text = pdf_text(export(me, format="teachers", **PERIOD).data)
    assert "Still missing (1) An appraisal (written report) in the appraisal year: 0 of 1 records." in text
    assert "No appraisal recorded in this appraisal year." in text


def test_default_period_is_the_appraisal_year(me):
    context = attached(export(me, format="teachers").data)
    start = dt.date.fromisoformat(context["document"]["date_from"])
    assert (start.month, start.day) == (9, 1)
    assert start <= TODAY < start.replace(year=start.year + 1)
