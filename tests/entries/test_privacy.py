"""The identifying-data check: what it catches, and the ordinary CPD prose it must leave alone."""

import pytest

from logbook.entries.privacy import find_identifiers, nhs_check_digit_ok


def kinds(text):
    """(kind, matched text) for every warning in the text."""
    return [(w.kind, text[w.start : w.end]) for w in find_identifiers(text)]


# --- NHS numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["9434765919", "2914177763", "3740681241", "6907366258"])
def test_valid_nhs_check_digits(number):
    assert nhs_check_digit_ok(number)


@pytest.mark.parametrize(
    "number",
    [
        "9434765918",  # last digit off by one
        "9434765910",
        "1706690743",
        "1000000010",  # the check digit would have to be 10: never issued
        "0000000000",  # all one digit
        "943476591",  # nine digits
        "94347659190",  # eleven digits
        "94347659a9",
    ],
)
def test_invalid_nhs_check_digits(number):
    assert not nhs_check_digit_ok(number)


@pytest.mark.parametrize(
    "text",
    [
        "NHS number 9434765919 on the referral",
        "NHS no. 943 476 5919.",
        "nhs 943-476-5919",
        "(2914177763)",
    ],
)
def test_nhs_numbers_with_a_valid_check_digit_are_flagged(text):
    found = kinds(text)
    assert [k for k, _ in found] == ["nhs_number"]
    assert found[0][1].replace(" ", "").replace("-", "") in {"9434765919", "2914177763"}


@pytest.mark.parametrize(
    "text",
    [
        "NHS number 943 476 5918",  # bad check digit
        "reference 1706690743",
        "ISBN 0198526636",  # an ISBN-10 passes the same modulus-11 test, but it is a book
        "ISBN-10: 0-19-852663-6",
        "ISBN 978-0198526636",
        "94347659190",  # part of a longer number
    ],
)
def test_numbers_that_are_not_nhs_numbers(text):
    assert "nhs_number" not in [k for k, _ in kinds(text)]


def test_the_span_points_at_the_number():
    text = "Child's NHS number is 943 476 5919, seen today."
    (warning,) = find_identifiers(text)
    assert text[warning.start : warning.end] == "943 476 5919"
    assert "check digit" in warning.reason


# --- postcodes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "postcode"),
    [
        ("Lives at SW1A 1AA now", "SW1A 1AA"),
        ("moved to M1 1AE.", "M1 1AE"),
        ("address cr2 6xh", "cr2 6xh"),
        ("B33 8TH", "B33 8TH"),
        ("EC1A1BB", "EC1A1BB"),
        ("near W1A 0AX", "W1A 0AX"),
        ("DN55 1PT", "DN55 1PT"),
    ],
)
def test_postcodes_are_flagged(text, postcode):
    assert kinds(text) == [("postcode", postcode)]


@pytest.mark.parametrize(
    "text",
    [
        "Module B2 3rd session",  # an ordinal, not an inward code
        "Level A2 1st year",
        "QA1 2XY",  # Q never starts a postcode
        "standard 4.2",
        "PGCert 2024",
    ],
)
def test_postcode_lookalikes_are_not_flagged(text):
    assert "postcode" not in [k for k, _ in kinds(text)]


# --- dates of birth ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("DOB 12/03/2019", "12/03/2019"),
        ("d.o.b.: 3.4.19", "3.4.19"),
        ("date of birth 2019-05-12", "2019-05-12"),
        ("she was born on 12 May 2019", "12 May 2019"),
        ("Born 1st June 2020 at home", "1st June 2020"),
        ("his birthday is March 4, 2018", "March 4, 2018"),
    ],
)
def test_dates_of_birth_are_flagged(text, date):
    assert kinds(text) == [("date_of_birth", date)]


@pytest.mark.parametrize(
    "text",
    [
        "The course ran on 12/03/2024.",
        "Supervision on 12 May 2025 covered the neglect toolkit.",
        "Review due 2025-09-30",
        "Deadline March 4, 2026",
    ],
)
def test_ordinary_dates_are_not_dates_of_birth(text):
    assert kinds(text) == []


# --- phones, emails, names ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["call 07700 900123", "tel: 0161 496 0000", "+44 7700 900123", "01632960001", "+44 (0)20 7946 0018"],
)
def test_phone_numbers_are_flagged(text):
    assert [k for k, _ in kinds(text)] == ["phone"]


def test_emails_are_flagged():
    assert kinds("emailed jo.bloggs+school@example.sch.uk today") == [
        ("email", "jo.bloggs+school@example.sch.uk")
    ]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Visited Mrs Smith at home", "Mrs Smith"),
        ("Mr. O'Neil attended", "Mr. O'Neil"),
        ("spoke with Dr Ana Lopes", "Dr Ana Lopes"),
        ("Miss Patel's class", "Miss Patel's"),
        ("Master Jacob was quiet", "Master Jacob"),
        ("Mx Rivers", "Mx Rivers"),
    ],
)
def test_titled_names_are_flagged(text, name):
    found = kinds(text)
    assert [k for k, _ in found] == ["titled_name"]
    assert found[0][1].startswith(name.removesuffix("'s"))


@pytest.mark.parametrize(
    "text",
    [
        "Delivered over Ms Teams",
        "a Master Class on motivational interviewing",
        "mrs smith",  # no capital: we do not guess at names
    ],
)
def test_titles_without_a_name_are_not_flagged(text):
    assert kinds(text) == []


def test_several_identifiers_come_back_in_text_order_without_overlap():
    text = "Mrs Smith (DOB 01/02/2018), NHS 943 476 5919, CR2 6XH, 07700 900123, mum@example.com"
    assert [k for k, _ in kinds(text)] == [
        "titled_name",
        "date_of_birth",
        "nhs_number",
        "postcode",
        "phone",
        "email",
    ]


# --- ordinary CPD prose raises nothing ---------------------------------------------------------

PROSE = [
    """On 14 March 2025 I attended a full study day (6.5 hours) on the Graded Care Profile 2 delivered
    by the NSPCC. The session revisited the 2019 update and the scoring of the five areas of care. It
    maps to standard 4.2 and 4.3 of the Social Work England professional standards and to HCPC
    standard 3.""",
    """In supervision on 03/04/2025 (90 minutes) Priya and I reviewed my use of the neglect toolkit on
    three cases. We agreed two actions: complete module NT-204 by 30/05/2025 and bring a case
    summary to the next reflective learning set. I logged 1.5 hours against Common Core area 2.""",
    """I read Munro (2011) chapters 2 to 4 and the 2023 Working Together guidance, about 3 hours in
    total. Signs of Safety asks what we are worried about, what is working well and what needs to
    happen; I want to use the three columns in my next child protection conference in Week 12.""",
    """The EHCP annual reviews workshop (course code SEND-101, cohort 2024/25) covered the 20-week
    timescale, section F provision and how to write outcomes that a Year 6 pupil can understand.
    I will share the checklist with the team on 7 July 2025 at 10:30 in Room 2.14.""",
    """Speech sound disorders: a 2-hour bite-size session on phonological processes such as fronting
    and stopping, with 12 practice recordings. Evidence-based approaches (Dodd, 2014) were compared
    for children aged 3 to 5. Standards 1, 2 and 5 apply; total CPD this cycle is 34.5 hours.""",
    """Trauma-informed practice: the team study day on 21.11.2024 used the PACE model (playfulness,
    acceptance, curiosity, empathy). We watched a film on MS Teams, then worked in groups of 4 on
    version 2.1 of the safety plan template, pages 10-14. Ofsted's 2022 ILACS framework was discussed.""",
    """Safeguarding supervision, group format, 2 x 45 minutes. We discussed thresholds, the 2018 Working
    Together flowchart and the difference between section 17 and section 47 enquiries. Next review
    in 6-8 weeks; I will complete the Level 3 safeguarding update (4 hours) before 31/12/2025.""",
]


@pytest.mark.parametrize("text", PROSE)
def test_ordinary_cpd_prose_raises_no_warnings(text):
    assert kinds(text) == []


def test_empty_text():
    assert find_identifiers("") == []
