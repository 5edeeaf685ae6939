"""Spotting text that may identify a child, family or colleague in reflective writing.

The check warns and never blocks: the practitioner decides. It is tuned so that ordinary CPD prose
(session dates, hours, standard codes, course numbers) raises nothing, while the identifiers that
most often slip into reflections are caught: NHS numbers (with a valid check digit), dates of birth,
UK postcodes, phone numbers, email addresses and names with a title ("Mrs Smith").
Nothing here logs or stores the text it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class IdentifierWarning:
    """A span of text that looks identifying, and why."""

    start: int
    end: int
    kind: str
    reason: str


REASONS = {
    "nhs_number": "looks like an NHS number (valid check digit)",
    "date_of_birth": "looks like a date of birth",
    "postcode": "looks like a UK postcode",
    "phone": "looks like a phone number",
    "email": "looks like an email address",
    "titled_name": "looks like a person's name",
}

_NHS = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d-])")
# An ISBN-10 passes the same modulus-11 test: a number just after "ISBN" is a book, not a child.
_ISBN_BEFORE = re.compile(r"ISBN(?:-?1[03])?:?\s*$", re.IGNORECASE)
# "1st", "2nd", "3rd", "4th" look like inward codes ("B2 3rd session"); real ones are written in capitals.
_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)$")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# UK mobile and landline numbers: 0 or +44, then 9 or 10 more digits with optional spaces/hyphens.
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|0)[1-9](?:[ -]?\d){8,9}(?![\d])")
# The Royal Mail format: outward code (area, district) and inward code (sector digit, unit letters).
_POSTCODE = re.compile(
    r"\b(?:GIR ?0AA|[A-PR-UWYZ](?:[0-9][0-9A-HJKPSTUW]?|[A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})\b",
    re.IGNORECASE,
)
_TITLE = r"(?:Mr|Mrs|Ms|Miss|Mx|Master|Dr|Prof|Professor|Sir|Dame|Lady|Lord)"
# Capitalised words that follow a "title" in ordinary prose without naming anyone ("Ms Teams").
_NOT_NAMES = r"(?:Teams|Word|Excel|Forms|Office|Class|Classes|Practitioner|Trainer|Plan|Degree)\b"
# A title then a capitalised name (optionally a second): "Mrs Smith", "Dr. Ana Lopes", "Mr O'Neil".
_TITLED_NAME = re.compile(
    rf"\b{_TITLE}\.?\s+(?!{_NOT_NAMES})[A-Z][a-zA-Z'\u2019-]+(?:\s+[A-Z][a-zA-Z'\u2019-]+)?"
)
_MONTHS = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS}\.?,?\s+\d{{4}}"
    rf"|{_MONTHS}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2})"
)
# A date is a date of birth only when the text says so: CPD prose is full of ordinary dates.
_DOB = re.compile(
    rf"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|born(?:\s+on)?|birthday(?:\s+is)?|birth\s+date)\s*[:\-\u2013]?\s*({_DATE})",
    re.IGNORECASE,
)


def nhs_check_digit_ok(digits: str) -> bool:
    """Whether ten digits form a valid NHS number (modulus 11, weights 10..2 on the first nine)."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def find_identifiers(text: str) -> list[IdentifierWarning]:
    """Every span that looks identifying, in text order, without overlaps."""
    found: list[IdentifierWarning] = []

    def add(start: int, end: int, kind: str) -> None:
        if any(start < w.end and w.start < end for w in found):
            return  # the first, more specific match wins (an NHS number is not also a phone number)
        found.append(IdentifierWarning(start, end, kind, REASONS[kind]))

    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "email")
    for m in _NHS.finditer(text):
        if nhs_check_digit_ok("".join(m.groups())) and not _ISBN_BEFORE.search(text, 0, m.start()):
            add(m.start(), m.end(), "nhs_number")
    for m in _DOB.finditer(text):
        add(m.start(1), m.end(1), "date_of_birth")
    for m in _PHONE.finditer(text):
        add(m.start(), m.end(), "phone")
    for m in _POSTCODE.finditer(text):
        if not _ORDINAL.search(m.group()):
            add(m.start(), m.end(), "postcode")
    for m in _TITLED_NAME.finditer(text):
        add(m.start(), m.end(), "titled_name")
    return sorted(found, key=lambda w: w.start)
