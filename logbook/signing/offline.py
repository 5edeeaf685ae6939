"""Offline verification of a portfolio PDF: every sign-off it carries, checked from the file alone
(its attached portfolio.json) and the published keys (a JWKS file), with no database and no server.

For each sign-off the attached data carries the signed statement (compact JWS), the signed text
field by field (reflections left out when the document leaves them out), and digests of the live
record at the time the document was made. A sign-off is OK when the statement's signature verifies
with a known key that is not compromised; every attached field of the signed text matches the
statement's digest of it (and, when every field is attached, the whole text matches its content
hash); the text printed for the activity is the signed text; and the record had not changed since
it was signed when the document was made. See docs/security.md for what this does not prove.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf

from logbook.signing import statements
from logbook.signing.digests import content_sha256, content_sha256_of

ATTACHMENT = "portfolio.json"
MAX_PDF_BYTES = 512 * 1024 * 1024
MAX_JSON_BYTES = 256 * 1024 * 1024
# Fields a document may leave out of its attached signed text (docs/portfolio.md: reflections are
# printed only when asked for).
MAY_BE_LEFT_OUT = {"reflection"}
# Printed activity fields and the signed-text field each one prints.
PRINTED = {
    "title": "title",
    "description": "description",
    "impact_on_practice": "impact_on_practice",
    "impact_on_people": "impact_on_people",
    "start_date": "start_date",
}
NOT_TEXT = {"version", "status"}  # a sign-off itself moves the entry one version on, status only


class PdfRefused(ValueError):
    """The file is not a portfolio this command can read."""


@dataclass(frozen=True)
class Line:
    """One sign-off's result."""

    status: str  # OK | CHANGED | UNCONFIRMED | FAIL
    code: str
    title: str
    signer: str
    detail: str

    def __str__(self) -> str:
        return f"{self.status:<11} {self.code:<11} {self.title[:60]!r} signed by {self.signer}: {self.detail}"


def read_portfolio_data(path: Path) -> dict[str, Any]:
    """The data attached to a portfolio PDF (PdfRefused when there is none or it is not JSON)."""
    if path.stat().st_size > MAX_PDF_BYTES:
        raise PdfRefused(f"{path} is larger than {MAX_PDF_BYTES // 1024 // 1024} MB")
    try:
        with pikepdf.open(path) as pdf:
            attached = pdf.attachments.get(ATTACHMENT)
            if attached is None:
                raise PdfRefused(f"{path} has no attached {ATTACHMENT}: it is not a CPD Logbook portfolio")
            raw = attached.get_file().read_bytes()
    except pikepdf.PdfError as exc:
        raise PdfRefused(f"{path} is not a readable PDF ({exc})") from exc
    if len(raw) > MAX_JSON_BYTES:
        raise PdfRefused(f"the attached {ATTACHMENT} is too large")
    try:
        data = json.load(io.BytesIO(raw))
    except ValueError as exc:
        raise PdfRefused(f"the attached {ATTACHMENT} is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise PdfRefused(f"the attached {ATTACHMENT} is not a portfolio's data")
    return data


def read_jwks(path: Path) -> list[dict[str, Any]]:
    """The keys of a JWKS file (as published at /.well-known/jwks.json)."""
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise PdfRefused(f"{path} is not a JWKS file (JSON)") from exc
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
        raise PdfRefused(f"{path} is not a JWKS file (no list of keys)")
    return keys


def _text_problems(payload: dict[str, Any], signed: dict[str, Any]) -> list[str]:
    """The attached signed text against the statement's field digests and content hash."""
    digests = (payload.get("subject") or {}).get("fields")
    if not isinstance(digests, dict) or not digests:
        return ["the statement carries no field digests"]
    problems = []
    for name, value in signed.items():
        if digests.get(name) != content_sha256_of([name, value]):
            problems.append(f"the attached signed text's {name!r} is not what was signed")
    missing = set(digests) - set(signed)
    if missing - MAY_BE_LEFT_OUT:
        problems.append(
            f"the signed text's {', '.join(sorted(missing - MAY_BE_LEFT_OUT))} is missing from the file"
        )
    if not missing and content_sha256(signed) != payload["subject"].get("content_sha256"):
        problems.append("the attached signed text does not hash to the signed content hash")
    return problems


def check_sign_off(entry: dict[str, Any], so: dict[str, Any], keys: list[dict[str, Any]]) -> Line:
    """One sign-off of one activity of the attached data."""
    code, title = str(so.get("code", "?")), str(entry.get("title", ""))
    signer = str(so.get("signer_name", "?"))
    checked = statements.check(so.get("statement"), keys)
    if not checked.ok:
        status = "UNCONFIRMED" if checked.status == "unconfirmed" else "FAIL"
        return Line(status, code, title, signer, checked.reason)
    payload = checked.payload
    if payload is None:
        raise RuntimeError("statements.check() said 'ok' without a payload")
    subject = payload.get("subject") or {}
    problems = []
    if subject.get("type") != "entry" or subject.get("id") != entry.get("id"):
        problems.append("the statement is about another record")
    if subject.get("version") != so.get("entry_version"):
        problems.append("the statement is about another version")
    if (payload.get("signer") or {}).get("name") != so.get("signer_name"):
        problems.append("the printed signer is not the signer of the statement")
    if payload.get("decision") != "approved":
        problems.append("the statement is not an approval")
    signed = so.get("signed_content")
    if not isinstance(signed, dict):
        problems.append("the file carries no signed text")
        signed = {}
    problems += _text_problems(payload, signed)
    if so.get("is_printed_text", True):
        for printed, field in PRINTED.items():
            if field in signed and entry.get(printed, "") != (signed.get(field) or ""):
                problems.append(f"the printed {printed.replace('_', ' ')} is not the signed text")
    if problems:
        return Line("FAIL", code, title, signer, "; ".join(problems))
    digests = subject.get("fields") or {}
    current = entry.get("current_fields") or {}
    changed = sorted(
        name
        for name in set(digests) | set(current)
        if name not in NOT_TEXT and current.get(name) != digests.get(name)
    )
    if current and changed:
        return Line(
            "CHANGED",
            code,
            title,
            signer,
            f"signature valid (key {checked.kid}); the record was changed after it was signed "
            f"({', '.join(changed)}) when this document was made; the text printed is the signed text",
        )
    return Line("OK", code, title, signer, f"signature valid (key {checked.kid}, {checked.organisation})")


def verify_portfolio(data: dict[str, Any], keys: list[dict[str, Any]]) -> list[Line]:
    """A line per sign-off of the portfolio's data."""
    lines = []
    for entry in data["entries"]:
        if not isinstance(entry, dict):
            continue
        for so in entry.get("sign_offs") or []:
            if isinstance(so, dict):
                lines.append(check_sign_off(entry, so, keys))
    return lines
