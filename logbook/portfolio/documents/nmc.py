"""The NMC revalidation pack: what is missing first, then the practice hours log, CPD log,
practice-related feedback, reflective accounts on the NMC form, the reflective discussion form and
the confirmation form. Targets, Code themes and CPD kinds come from the framework file (nmc-v1.yaml).
Rules and sources: docs/regulators.md section 3."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from logbook.accounts.models import Registration
from logbook.entries.models import Entry
from logbook.frameworks.engine import shift_months
from logbook.portfolio.documents.common import (
    dates,
    details_by_id,
    evaluation,
    figure,
    framework_data,
    no_registration,
    registration_for,
    rule_checks,
    start,
    still_missing,
    valid_current,
)
from logbook.portfolio.service import DocumentRequest, hours_text

NMC_YEARS = 3
FEEDBACK_SOURCES = {
    "child_or_young_person": "Child or young person",
    "parent_carer": "Parent or carer",
    "colleague": "Colleague",
    "manager": "Manager",
    "other": "Other",
}
PRACTICE_REGISTRATIONS = {
    "nurse": "Nurse",
    "midwife": "Midwife",
    "nursing_associate": "Nursing associate",
    "scphn": "SCPHN",
}
# The NMC reflective account form's four headings (the first one's wording is unconfirmed verbatim,
# regulators.md §3.2 item 4).
NMC_FORM_HEADINGS = (
    (
        "What was the nature of the CPD activity and/or practice-related feedback and/or event or "
        "experience in your practice?"
    ),
    "What did you learn from the CPD activity and/or feedback and/or event or experience in your practice?",
    "How did you change or improve your practice as a result?",
    "How is this relevant to the Code? Select one or more themes:",
)


@dataclass
class Forms:
    """The pack's logs and forms as the entries fill them in, and what the row builders read."""

    themes: list[dict[str, str]]
    theme_titles: dict[str, str]
    confirm_from: dt.date
    practice_log: list[dict[str, Any]] = field(default_factory=list)
    cpd_log: list[dict[str, Any]] = field(default_factory=list)
    feedback: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    discussions: list[dict[str, Any]] = field(default_factory=list)
    confirmations: list[dict[str, Any]] = field(default_factory=list)


# A row builder adds one entry to its log or form: (forms, entry row, printed entry, details).
RowBuilder = Callable[[Forms, Entry, dict[str, Any], dict[str, Any]], None]


def _evidence(e: dict[str, Any]) -> list[str]:
    return [ev["caption"] or ev["name"] for ev in e["evidence"]]


def _practice_row(forms: Forms, row: Entry, e: dict[str, Any], d: dict[str, Any]) -> None:
    forms.practice_log.append(
        {
            "entry_id": e["id"],
            "dates": dates(e),
            "hours": e["hours"],
            "registration": PRACTICE_REGISTRATIONS.get(d.get("registration", ""), ""),
            "organisation": d.get("organisation", ""),
            "scope_of_practice": d.get("scope_of_practice", ""),
            "setting": d.get("setting", ""),
            "description": d.get("work_description", "") or e["description"],
            "evidence": _evidence(e),
        }
    )


def _cpd_row(forms: Forms, row: Entry, e: dict[str, Any], d: dict[str, Any]) -> None:
    parts = [
        forms.theme_titles.get(t["code"], t["code"]).split(" (")[0]
        for t in row.standards
        if t["framework"] == "nmc"
    ]
    forms.cpd_log.append(
        {
            "entry_id": e["id"],
            "method": e["kind"],
            "topic": e["title"],
            "relevance": e["description"],
            "dates": dates(e),
            "hours": e["hours"],
            "participatory_hours": e["hours"] if row.is_participatory else "0",
            "code_parts": parts,
            "evidence": _evidence(e),
        }
    )


def _feedback_row(forms: Forms, row: Entry, e: dict[str, Any], d: dict[str, Any]) -> None:
    forms.feedback.append(
        {
            "number": len(forms.feedback) + 1,
            "entry_id": e["id"],
            "date": e["start_date"],
            "source": FEEDBACK_SOURCES.get(d.get("source", ""), "Other"),
            "summary": d.get("summary", ""),
            "what_changed": d.get("what_changed", ""),
        }
    )


def _account_row(forms: Forms, row: Entry, e: dict[str, Any], d: dict[str, Any]) -> None:
    ticked = set(d.get("code_themes") or [])
    forms.accounts.append(
        {
            "number": len(forms.accounts) + 1,
            "entry_id": e["id"],
            "date": e["start_date"],
            "title": e["title"],
            "answers": [
                d.get("nature_of_activity", ""),
                d.get("what_did_you_learn", ""),
                d.get("how_did_you_change_or_improve", ""),
            ],
            "themes": [{**t, "ticked": t["code"] in ticked} for t in forms.themes],
            "relevance": d.get("relevance_to_the_code", ""),
        }
    )


def _discussion_row(forms: Forms, row: Entry, e: dict[str, Any], d: dict[str, Any]) -> None:
    signed = next(
        (
            so
            for so in e["sign_offs"]
            if so["role"] == "reflective_discussion_partner"
            and so["registration_body"] == "NMC"
            and valid_current(so)
        ),
        None,
    )
    forms.discussions.append(
        {
            "entry_id": e["id"],
            "date": e["start_date"],
            "partner_name": signed["signer_name"] if signed else d.get("partner_name", ""),
            "partner_pin": signed["registration_number"] if signed else d.get("partner_nmc_pin", ""),
            "partner_email": signed["signer_email"] if signed else "",
            "is_signed": signed is not None,
            "signed_on": signed["signed_on"] if signed else "",
            "code": signed["code"] if signed else "",
        }
    )


def _confirmation_row(forms: Forms, row: Entry, e: dict[str, Any], d: dict[str, Any]) -> None:
    if row.start_date < forms.confirm_from:  # only an appraisal in the final 12 months confirms
        return
    signed = next((so for so in e["sign_offs"] if so["role"] == "confirmer" and valid_current(so)), None)
    forms.confirmations.append(
        {
            "entry_id": e["id"],
            "date": e["start_date"],
            "confirmer_name": signed["signer_name"] if signed else "",
            "confirmer_id": (
                f"{signed['registration_body']} {signed['registration_number']}".strip() if signed else ""
            ),
            "confirmer_email": signed["signer_email"] if signed else "",
            "is_signed": signed is not None,
            "signed_on": signed["signed_on"] if signed else "",
            "code": signed["code"] if signed else "",
        }
    )


# The forms' entry kinds and the builder of each one's row. The framework's CPD kinds all go to the
# CPD log (see row_builders); practice hours go to their log even if a framework counted them as CPD.
ROW_BUILDERS: dict[str, RowBuilder] = {
    "practice_hours": _practice_row,
    "practice_feedback": _feedback_row,
    "reflective_account": _account_row,
    "reflective_discussion": _discussion_row,
    "appraisal": _confirmation_row,
}


def row_builders(cpd_kinds: set[str]) -> dict[str, RowBuilder]:
    """Each entry kind's row builder for a framework with these CPD kinds: practice hours first,
    then the CPD log, then the other forms (a kind the framework counts as CPD goes to the CPD log)."""
    table: dict[str, RowBuilder] = {"practice_hours": ROW_BUILDERS["practice_hours"]}
    for kind in cpd_kinds:
        table.setdefault(kind, _cpd_row)
    for kind, builder in ROW_BUILDERS.items():
        table.setdefault(kind, builder)
    return table


def _nmc_period(
    registration: Registration, date_from: dt.date | None, date_to: dt.date | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """Three years ending on the renewal date when one is recorded (or today), unless given."""
    if date_to is None:
        date_to = registration.renewal_date or today
    if date_from is None:
        date_from = shift_months(date_to, -12 * NMC_YEARS) + dt.timedelta(days=1)
    return date_from, date_to


def _nmc_form_gaps(
    discussions: list[dict[str, Any]],
    confirmations: list[dict[str, Any]],
    accounts: list[dict[str, Any]],
    confirm_from: dt.date,
) -> list[str]:
    """What the forms still lack: the partner's signature, a confirmation meeting, accounts written
    after the discussion (it must cover them all), accounts with no Code theme ticked."""
    missing = []
    if discussions and not any(d["is_signed"] for d in discussions):
        missing.append(
            "The reflective discussion is recorded but not signed off by your partner with their NMC PIN "
            "(ask for a sign-off as reflective discussion partner)."
        )
    if not confirmations:
        missing.append(
            f"No confirmation meeting is recorded on or after {confirm_from.isoformat()}: record it as an "
            "appraisal entry and ask your confirmer to sign it off as confirmer."
        )
    for d in discussions:
        d["accounts_discussed"] = [a["number"] for a in accounts if a["date"] <= d["date"]]
    signed = [d for d in discussions if d["is_signed"]]
    later = sorted({a["number"] for a in accounts} - set(signed[-1]["accounts_discussed"])) if signed else []
    if later:
        missing.append(
            "The reflective discussion must cover all your reflective accounts; "
            f"account(s) {', '.join(map(str, later))} were written after it."
        )
    unthemed = [a["number"] for a in accounts if not any(t["ticked"] for t in a["themes"])]
    if unthemed:
        missing.append(f"Reflective accounts without a Code theme: {', '.join(map(str, unthemed))}.")
    return missing


def build_nmc_pack(request: DocumentRequest) -> dict[str, Any]:
    """The NMC revalidation pack: what is missing first, then the practice hours log, CPD log,
    practice-related feedback, reflective accounts on the NMC form, the reflective discussion form
    and the confirmation form, each signed section with its sign-off's verification code."""
    owner = request.owner
    registration = registration_for(owner, "NMC")
    if registration is None:
        raise no_registration("revalidation pack", "NMC")
    date_from, date_to = _nmc_period(registration, request.date_from, request.date_to, request.now.date())
    request = request.over(date_from, date_to)
    rows, context = start(request)
    fw = framework_data(owner.organisation_id, "nmc")
    themes = [{"code": s["code"], "title": s["title"]} for s in fw["standards"]]
    builders = row_builders(set(fw["entry_kinds"]["cpd"]))
    details = details_by_id(rows)
    by_id = {e["id"]: e for e in context["entries"]}
    forms = Forms(
        themes=themes,
        theme_titles={t["code"]: t["title"] for t in themes},
        confirm_from=shift_months(date_to, -12) + dt.timedelta(days=1),
    )
    for row in rows:
        builder = builders.get(row.kind)
        if builder is not None:
            builder(forms, row, by_id[str(row.id)], details[str(row.id)])

    # What the pack states is the engine's evaluation of these dates (nmc-v2.yaml); the notes point at
    # the forms (they are not requirements of their own).
    evaluated = evaluation(request, "nmc")
    values = {r["id"]: figure(r["value"]) for r in evaluated["rules"]}
    totals = {
        name: hours_text(values.get(name, Decimal(0)))
        for name in ("practice_hours", "cpd_hours", "participatory_hours")
    }
    notes = _nmc_form_gaps(forms.discussions, forms.confirmations, forms.accounts, forms.confirm_from)
    by_hand = [
        (
            "Professional address and postcode of your reflective discussion partner and of your confirmer "
            "(the logbook does not hold addresses)."
        ),
        "Health and character, and professional indemnity: declared in NMC Online when you apply.",
    ]
    # The period is the request's, already in the generic context (portfolio_context).
    context["document"] |= {
        "format": "nmc",
        "title": "NMC revalidation pack",
    }
    context["nmc"] = {
        "profession": registration.profession,
        "pin": registration.registration_number or "",
        "renewal_date": registration.renewal_date.isoformat() if registration.renewal_date else "",
        "checks": rule_checks(evaluated),
        "missing": still_missing(evaluated),
        "notes": notes,
        "evaluation": evaluated,
        "by_hand": by_hand,
        "practice_log": forms.practice_log,
        "practice_hours": totals["practice_hours"],
        "cpd_log": forms.cpd_log,
        "cpd_hours": totals["cpd_hours"],
        "participatory_hours": totals["participatory_hours"],
        "feedback": forms.feedback,
        "accounts": forms.accounts,
        "form_headings": list(NMC_FORM_HEADINGS),
        "discussions": forms.discussions,
        "confirmations": forms.confirmations,
        "confirmation_from": forms.confirm_from.isoformat(),
    }
    return context
