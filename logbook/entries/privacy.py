"""Spotting text that may identify a child, family or colleague in reflective writing.

The check warns and never blocks: the practitioner decides. It is tuned so that ordinary CPD prose
(session dates, hours, standard codes, course numbers) raises nothing, while the identifiers that
most often slip into reflections are caught: NHS numbers (with a valid check digit), dates of birth,
UK postcodes, phone numbers, email addresses and names with a title ("Mrs Smith").
Nothing here logs or stores the text it is given.

Every pattern runs on whatever a practitioner types, so each is linear in the length of the text
(tests/entries/test_privacy_timing.py): no pattern can try many ways of splitting one run of
characters (possessive quantifiers where two could share it), a pattern that scans a run starts
only at the beginning of the run (a look-behind, not `\b`, which holds inside "a.a.a"), and look-
backs read a bounded window.
"""

from __future__ import annotations

import re
from bisect import bisect_left
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
_ISBN_WINDOW = 24  # characters before a number read for "ISBN"
# "1st", "2nd", "3rd", "4th" look like inward codes ("B2 3rd session"); real ones are written in capitals.
_ORDINAL = re.compile(r"\d(?:st|nd|rd|th)$")
# Starts only where a run of local-part characters starts: with `\b`, "a.a.a.…" without an "@" was
# scanned from every word boundary to its end (quadratic: 25,000 times "a." took 4-10 s).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+\b")
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
    rf"\b{_TITLE}\.?\s++(?!{_NOT_NAMES})[A-Z][a-zA-Z'\u2019-]+(?:\s+[A-Z][a-zA-Z'\u2019-]+)?"
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
    rf"\b(?:d\.?o\.?b\.?|date\s+of\s+birth|born(?:\s+on)?|birthday(?:\s+is)?|birth\s+date)\s*+[:\-\u2013]?\s*+({_DATE})",
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
    found: list[IdentifierWarning] = []  # in text order, never overlapping
    starts: list[int] = []

    def add(start: int, end: int, kind: str) -> None:
        # the first, more specific match wins (an NHS number is not also a phone number); spans in
        # `found` do not overlap, so only the last one starting before `end` can overlap this one
        at = bisect_left(starts, end)
        if at and found[at - 1].end > start:
            return
        found.insert(at, IdentifierWarning(start, end, kind, REASONS[kind]))
        starts.insert(at, start)

    for m in _EMAIL.finditer(text):
        add(m.start(), m.end(), "email")
    for m in _NHS.finditer(text):
        isbn = _ISBN_BEFORE.search(text, max(0, m.start() - _ISBN_WINDOW), m.start())
        if nhs_check_digit_ok("".join(m.groups())) and not isbn:
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
    return found
