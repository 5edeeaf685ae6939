"""The NMC revalidation pack: what is missing up front, the six parts, counts, NMC-role sign-offs."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from logbook.accounts.models import Registration
from tests.factories import TODAY, make_entry, persist, sign_as
from tests.helpers import assert_codes_verify_then_fail, attached, export, pdf_text

PIN = "12A3456E"


def day(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


@pytest.fixture
def nmc(app, practitioner):
    """The practitioner is a registered nurse renewing in two months."""
    reg = Registration(
        user_id=practitioner.id,
        regulator="NMC",
        profession="Nurse",
        registration_number="09I1234E",
        renewal_date=TODAY + dt.timedelta(days=60),
    )
    persist(app, reg)
    return reg


def account(me, n: int, themes=("prioritise_people",)) -> dict:
    return make_entry(
        me,
        kind="reflective_account",
        title=f"Reflective account: topic {n}",
        start_date=day(20 + n),
        hours=1,
        details={
            "nature_of_activity": f"Nature of activity {n}",
            "what_did_you_learn": f"Learnt thing {n}",
            "how_did_you_change_or_improve": f"Changed practice {n}",
            "code_themes": list(themes),
        },
    )


def feedback(me, n: int) -> dict:
    return make_entry(
        me,
        kind="practice_feedback",
        title=f"Feedback {n}",
        start_date=day(40 + n),
        hours=0.5,
        details={"source": "parent_carer", "summary": f"Feedback said {n}", "what_changed": f"I used it {n}"},
    )


def discussion(me) -> dict:
    return make_entry(
        me,
        kind="reflective_discussion",
        title="Reflective discussion",
        start_date=day(3),
        hours=1,
        details={"partner_name": "Priya Supervisor", "partner_nmc_pin": PIN},
    )


def test_complete_pack(app, client, me, boss, supervisor, nmc):
    hours = make_entry(
        me,
        kind="practice_hours",
        title="Practice hours",
        start_date=day(300),
        end_date=day(10),
        hours=460,
        details={
            "registration": "nurse",
            "organisation": "Northshire Children's Services, 1 High St, NS1 1AA",
            "setting": "Community 0-19 service",
            "scope_of_practice": "Health visiting",
            "work_description": "Universal caseload",
        },
    )
    make_entry(
        me,
        kind="course",
        title="Infant feeding course",
        start_date=day(100),
        end_date=day(96),
        hours=30,
        is_participatory=True,
    )
    make_entry(
        me, kind="other", title="Reading on sleep", start_date=day(90), hours=6, is_participatory=False
    )
    for n in range(1, 6):
        feedback(me, n)
        account(
            me, n, themes=("prioritise_people", "preserve_safety") if n == 1 else ("practise_effectively",)
        )
    talk = discussion(me)
    sign_as(me, boss, talk, supervisor.id, "reflective_discussion_partner", "NMC", PIN)
    confirm = make_entry(
        me,
        kind="appraisal",
        title="Confirmation meeting",
        start_date=day(2),
        hours=1,
        details={"reviewer_name": "Priya Supervisor"},
    )
    sign_as(me, boss, confirm, supervisor.id, "confirmer", "NMC", PIN)
    sign_as(me, boss, hours, supervisor.id, "supervisor", "NMC", PIN)

    response = export(me, format="nmc")
    assert response.status_code == 200, response.get_json()
    data = response.data
    text = pdf_text(data)
    for heading in (
        "NMC revalidation pack",
        "What is missing",
        "Nothing is missing",
        "1. Practice hours log",
        "2. CPD log",
        "3. Practice-related feedback",
        "4. Written reflective accounts",
        "5. Reflective discussion form",
        "6. Confirmation form",
        "What did you learn from the CPD activity",
        "How did you change or improve your practice as a result?",
        "How is this relevant to the Code?",
        "Name of the NMC registrant",
        "NMC PIN or other professional identification number",
    ):
        assert heading in text, heading
    assert "Still missing" not in text
    assert "460 hours recorded" in text
    assert "36 hours of CPD, of which 30 participatory" in text
    for n in range(1, 6):
        assert f"Reflective account {n}" in text
        assert f"Learnt thing {n}" in text
        assert f"Feedback said {n}" in text
    assert "Reflective account 6" not in text
    assert "☒ Prioritise people" in text
    assert "☐ Promote professionalism" in text
    assert f"NMC PIN {PIN}" in text or PIN in text
    assert "NMC 12A3456E" in text  # the confirmer's professional identification

    context = attached(data)
    assert [c["met"] for c in context["nmc"]["checks"]] == [True] * 7
    assert context["nmc"]["discussions"][0]["is_signed"] is True
    assert context["nmc"]["confirmations"][0]["is_signed"] is True
    assert_codes_verify_then_fail(app, client, data, [talk["id"], confirm["id"], hours["id"]])

    # The stored text no longer matches what was signed: the pack now says so up front.
    text = pdf_text(export(me, format="nmc").data)
    assert "Still missing" in text
    assert "A reflective discussion with another NMC registrant covering all 5 accounts: 0 of 1" in text


def test_what_is_missing_comes_first(me, boss, supervisor, nmc):
    account(me, 1)
    account(me, 3)
    feedback(me, 1)
    discussion(me)  # not signed
    response = export(me, format="nmc")
    assert response.status_code == 200, response.get_json()
    text = pdf_text(response.data)
    missing = text.index("Still missing")
    assert missing < text.index("Organisation (name, address)")  # before the practice hours log
    for item in (
        "(900 if renewing as both nurse and midwife): 0 of 450 hours.",
        "35 hours of CPD relevant to your scope of practice: 0 of 35 hours.",
        "5 pieces of practice-related feedback: 1 of 5 records.",
        "5 written reflective accounts on the NMC form: 2 of 5 records.",
        "not signed off by your partner with their NMC PIN",
        "No confirmation meeting is recorded",
    ):
        assert item in text, item
        assert text.index(item) < text.index("Organisation (name, address)")
    assert "Not yet signed by an NMC registrant" in text
    assert "No confirmation discussion recorded in the final 12 months." in text
    # The second page starts the contents and the missing list, under the running header.
    second = PdfReader(io.BytesIO(response.data)).pages[1].extract_text()
    assert "NMC revalidation pack" in second


def test_a_supervisor_sign_off_is_not_a_partner_sign_off(me, boss, supervisor, nmc):
    talk = discussion(me)
    sign_as(me, boss, talk, supervisor.id, "supervisor", "NMC", PIN)
    context = attached(export(me, format="nmc").data)
    assert context["nmc"]["discussions"][0]["is_signed"] is False
    assert any("not signed off by your partner" in m for m in context["nmc"]["notes"])
    (rule,) = [r for r in context["nmc"]["evaluation"]["rules"] if r["id"] == "reflective_discussion"]
    assert (rule["value"], rule["not_counted"][0]["reason"]) == (0, "not_signed")


def test_dual_registration_needs_900_hours(app, me, nmc):
    from logbook.extensions import db

    with app.app_context():
        reg = db.session.get(Registration, nmc.id)
        reg.is_dual_registration = True
        db.session.commit()
    make_entry(
        me,
        kind="practice_hours",
        title="Hours",
        start_date=day(300),
        end_date=day(10),
        hours=460,
        details={"registration": "nurse", "setting": "Ward"},
    )
    text = pdf_text(export(me, format="nmc").data)
    assert "(900 if renewing as both nurse and midwife): 460 of 900 hours." in text


def test_period_is_three_years_to_the_renewal_date(me, nmc):
    context = attached(export(me, format="nmc").data)
    renewal = TODAY + dt.timedelta(days=60)
    assert context["document"]["date_to"] == renewal.isoformat()
    start = dt.date.fromisoformat(context["document"]["date_from"])
    assert start.year == renewal.year - 3
    assert (renewal - start).days in range(1094, 1097)


def test_needs_an_nmc_registration(me):
    response = export(me, format="nmc")
    assert response.status_code == 422
    assert "NMC" in response.get_json()["error"]["fields"]["format"][0]


def test_the_discussion_covers_only_accounts_written_before_it(me, boss, supervisor, nmc):
    account(me, 1)  # 21 days ago
    talk = discussion(me)  # 3 days ago
    sign_as(me, boss, talk, supervisor.id, "reflective_discussion_partner", "NMC", PIN)
    make_entry(
        me,
        kind="reflective_account",
        title="Written after the discussion",
        start_date=day(1),
        hours=1,
        details={
            "nature_of_activity": "x",
            "what_did_you_learn": "y",
            "how_did_you_change_or_improve": "z",
            "code_themes": ["preserve_safety"],
        },
    )
    context = attached(export(me, format="nmc").data)
    assert context["nmc"]["discussions"][0]["accounts_discussed"] == [1]
    assert any("account(s) 2 were written after it" in m for m in context["nmc"]["notes"])
