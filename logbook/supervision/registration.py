"""Registration numbers of signers, checked against each body's published format.

Formats (shape only; the app cannot look numbers up on a register):
- HCPC: profession prefix of 2-3 letters then digits, e.g. SL12345, PYL04567, OT61234.
- SWE (Social Work England): "SW" then digits, e.g. SW123456.
- NMC: the PIN, 2 digits, a letter, 4 digits, a letter, e.g. 12A3456E.
- GMC: 7 digits, e.g. 1234567.
- Teachers: the teacher reference number (TRN), 7 digits (older "RP 99/12345" style written
  references reduce to the same 7 digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RegistrationFormat:
    """One body's number format and how to explain it to a person typing it."""

    body: str
    label: str
    pattern: re.Pattern[str]
    example: str


FORMATS: dict[str, RegistrationFormat] = {
    f.body: f
    for f in (
        RegistrationFormat("HCPC", "HCPC registration number", re.compile(r"^[A-Z]{2,3}\d{4,6}$"), "SL12345"),
        RegistrationFormat(
            "SWE", "Social Work England registration number", re.compile(r"^SW\d{1,7}$"), "SW123456"
        ),
        RegistrationFormat("NMC", "NMC PIN", re.compile(r"^\d{2}[A-Z]\d{4}[A-Z]$"), "12A3456E"),
        RegistrationFormat("GMC", "GMC reference number", re.compile(r"^\d{7}$"), "1234567"),
        RegistrationFormat("TEACHERS", "teacher reference number (TRN)", re.compile(r"^\d{7}$"), "1234567"),
    )
}
BODIES = tuple(FORMATS)


def normalise(body: str, number: str) -> str:
    """The number as stored: upper case, without spaces, dashes or slashes (and no RP prefix for a TRN)."""
    clean = re.sub(r"[\s/-]", "", number or "").upper()
    if body == "TEACHERS" and clean.startswith("RP"):
        clean = clean[2:]
    return clean


def number_problem(body: str, number: str) -> str | None:
    """Why this number does not fit the body's format, or None when it does."""
    fmt = FORMATS.get(body)
    if fmt is None:
        return f"registration body must be one of {', '.join(BODIES)}"
    if not fmt.pattern.match(normalise(body, number)):
        return f"is not a valid {fmt.label} (for example {fmt.example})"
    return None
