"""Regulator-shaped documents: the NMC revalidation pack, Social Work England CPD records and the
Teachers' Standards evidence file. Each builds on the generic context (service.portfolio_context:
every entry, its sign-offs and verification codes) and adds its own sections as plain data; what a
regulator asks for (targets, Code themes, standards, the appraisal year) comes from the framework
files, not from this code. Rules and sources: docs/regulators.md sections 2-4."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import Any

from logbook.accounts.models import Registration, User
from logbook.entries.models import Entry
from logbook.errors import ValidationFailed
from logbook.frameworks.definition import parse_definition
from logbook.frameworks.engine import shift_months
from logbook.frameworks.service import shipped_definitions, visible_versions
from logbook.portfolio.service import (
    Progress,
    entries_in_period,
    hours_text,
    portfolio_context,
    reflection_lines,
)

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
SWE_PEER_QUESTION = "Describe what you have learnt from discussing this CPD activity with a peer."


# --- shared helpers ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _shipped() -> dict[str, dict[str, Any]]:
    latest: dict[str, Any] = {}
    for definition in shipped_definitions():
        if (
            definition.framework_id not in latest
            or definition.version > latest[definition.framework_id].version
        ):
            latest[definition.framework_id] = definition
    return {k: d.data for k, d in latest.items()}


@lru_cache(maxsize=32)
def _parsed(text: str, name: str) -> dict[str, Any]:
    return parse_definition(text, filename=name).data


def framework_data(organisation_id: Any, framework_id: str) -> dict[str, Any]:
    """The newest version of a framework this organisation sees (its own copy first), parsed and
    checked as the engine reads it;
    the shipped file when the database holds none (a fresh install before `logbook init-db`)."""
    rows = [r for r in visible_versions(organisation_id=organisation_id) if r.framework_id == framework_id]
    if rows:
        newest = max(rows, key=lambda r: r.version)
        return _parsed(newest.source_text, newest.source_name)
    return _shipped()[framework_id]


def _registration(owner: User, regulator: str) -> Registration | None:
    return next((r for r in owner.registrations if r.regulator.upper() == regulator), None)


def _no_registration(name: str, regulator: str) -> ValidationFailed:
    return ValidationFailed(
        f"The {name} cannot be made yet.",
        fields={"format": [f"you have no {regulator} registration; add it to your profile first"]},
    )


def _period_error(date_from: dt.date, date_to: dt.date) -> None:
    if date_from > date_to:
        raise ValidationFailed("The period is empty.", fields={"date_from": ["must not be after date_to"]})


def _last_on_or_before(day: dt.date, month: int, dom: int) -> dt.date:
    """The latest yearly date (month, dom) on or before day: the start of the year that contains it."""
    this_year = dt.date(day.year, month, min(dom, 28 if month == 2 else dom))
    return this_year if this_year <= day else this_year.replace(year=day.year - 1)


def _details(rows: list[Entry]) -> dict[str, dict[str, Any]]:
    return {str(r.id): dict(r.details or {}) for r in rows}


def _dates(entry: dict[str, Any]) -> str:
    if entry["end_date"] and entry["end_date"] != entry["start_date"]:
        return f"{entry['start_date']} to {entry['end_date']}"
    return entry["start_date"]


def _check(label: str, have: Decimal | int, target: Decimal | int, unit: tuple[str, str]) -> dict[str, Any]:
    """One requirement: what is recorded against what is needed; unit is (one, many)."""
    return {
        "label": label,
        "have": hours_text(have) if isinstance(have, Decimal) else str(have),
        "target": hours_text(target) if isinstance(target, Decimal) else str(target),
        "unit": unit[0] if have == 1 else unit[1],
        "target_unit": unit[0] if target == 1 else unit[1],
        "met": have >= target,
    }


HOURS = ("hour", "hours")


def _valid_current(sign_off: dict[str, Any]) -> bool:
    return sign_off["is_valid"] and sign_off["is_current_text"]


def _start(
    *,
    owner: User,
    date_from: dt.date,
    date_to: dt.date,
    include_reflections: bool,
    verify_url: str,
    now: dt.datetime,
    progress: Progress | None,
) -> tuple[list[Entry], dict[str, Any]]:
    _period_error(date_from, date_to)
    rows = entries_in_period(owner, date_from, date_to)
    context = portfolio_context(
        owner=owner,
        rows=rows,
        date_from=date_from,
        date_to=date_to,
        include_reflections=include_reflections,
        verify_url=verify_url,
        now=now,
        progress=progress,
    )
    return rows, context


# --- NMC revalidation -------------------------------------------------------------------------


def _nmc_period(
    registration: Registration, date_from: dt.date | None, date_to: dt.date | None, today: dt.date
):
    """Three years ending on the renewal date when one is recorded (or today), unless given."""
    if date_to is None:
        date_to = registration.renewal_date or today
    if date_from is None:
        date_from = shift_months(date_to, -12 * NMC_YEARS) + dt.timedelta(days=1)
    return date_from, date_to


def _nmc_checks(
    *,
    rules: dict[str, Any],
    is_dual: bool,
    practice_log: list[dict[str, Any]],
    cpd_log: list[dict[str, Any]],
    counts: dict[str, int],
) -> tuple[dict[str, str], list[dict[str, Any]], list[str]]:
    """Totals, the requirement checks against the framework's targets, and what is missing."""
    practice_hours = sum((Decimal(p["hours"]) for p in practice_log), Decimal(0))
    cpd_hours = sum((Decimal(c["hours"]) for c in cpd_log), Decimal(0))
    participatory = sum((Decimal(c["participatory_hours"]) for c in cpd_log), Decimal(0))
    hours_rule = rules.get("practice_hours", {})
    hours_target = Decimal(
        hours_rule.get("dual_registration_target", 900) if is_dual else hours_rule.get("target", 450)
    )

    def target(rule: str, default: int) -> int:
        return int(rules.get(rule, {}).get("target", default))

    checks = [
        _check("Practice hours", practice_hours, hours_target, HOURS),
        _check("CPD", cpd_hours, Decimal(target("cpd_hours", 35)), HOURS),
        _check("of which participatory", participatory, Decimal(target("participatory_hours", 20)), HOURS),
        _check(
            "Practice-related feedback",
            counts["feedback"],
            target("practice_feedback", 5),
            ("piece", "pieces"),
        ),
        _check(
            "Written reflective accounts",
            counts["accounts"],
            target("reflective_accounts", 5),
            ("account", "accounts"),
        ),
        _check(
            "Reflective discussion signed by an NMC registrant",
            counts["signed_discussions"],
            target("reflective_discussion", 1),
            ("discussion", "discussions"),
        ),
        _check(
            "Confirmation signed by a confirmer in the final 12 months",
            counts["signed_confirmations"],
            target("confirmation", 1),
            ("confirmation", "confirmations"),
        ),
    ]
    missing = [
        f"{c['label']}: {c['have']} of {c['target']} {c['target_unit']} recorded."
        for c in checks
        if not c["met"]
    ]
    totals = {
        "practice_hours": hours_text(practice_hours),
        "cpd_hours": hours_text(cpd_hours),
        "participatory_hours": hours_text(participatory),
    }
    return totals, checks, missing


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


def build_nmc_pack(
    *,
    owner: User,
    date_from: dt.date | None,
    date_to: dt.date | None,
    include_reflections: bool,
    verify_url: str,
    now: dt.datetime,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The NMC revalidation pack: what is missing first, then the practice hours log, CPD log,
    practice-related feedback, reflective accounts on the NMC form, the reflective discussion form
    and the confirmation form, each signed section with its sign-off's verification code."""
    registration = _registration(owner, "NMC")
    if registration is None:
        raise _no_registration("revalidation pack", "NMC")
    date_from, date_to = _nmc_period(registration, date_from, date_to, now.date())
    rows, context = _start(
        owner=owner,
        date_from=date_from,
        date_to=date_to,
        include_reflections=include_reflections,
        verify_url=verify_url,
        now=now,
        progress=progress,
    )
    fw = framework_data(owner.organisation_id, "nmc")
    rules = {r["id"]: r for r in fw.get("requirements", [])}
    themes = [{"code": s["code"], "title": s["title"]} for s in fw["standards"]]
    theme_titles = {t["code"]: t["title"] for t in themes}
    cpd_kinds = set(fw["entry_kinds"]["cpd"])
    details = _details(rows)
    by_id = {e["id"]: e for e in context["entries"]}

    practice_log, cpd_log, feedback, accounts, discussions, confirmations = [], [], [], [], [], []
    confirm_from = shift_months(date_to, -12) + dt.timedelta(days=1)
    for row in rows:
        e, d = by_id[str(row.id)], details[str(row.id)]
        evidence = [ev["caption"] or ev["name"] for ev in e["evidence"]]
        if row.kind == "practice_hours":
            practice_log.append(
                {
                    "entry_id": e["id"],
                    "dates": _dates(e),
                    "hours": e["hours"],
                    "registration": PRACTICE_REGISTRATIONS.get(d.get("registration", ""), ""),
                    "organisation": d.get("organisation", ""),
                    "scope_of_practice": d.get("scope_of_practice", ""),
                    "setting": d.get("setting", ""),
                    "description": d.get("work_description", "") or e["description"],
                    "evidence": evidence,
                }
            )
        elif row.kind in cpd_kinds:
            parts = [
                theme_titles.get(t["code"], t["code"]).split(" (")[0]
                for t in row.standards
                if t["framework"] == "nmc"
            ]
            cpd_log.append(
                {
                    "entry_id": e["id"],
                    "method": e["kind"],
                    "topic": e["title"],
                    "relevance": e["description"],
                    "dates": _dates(e),
                    "hours": e["hours"],
                    "participatory_hours": e["hours"] if row.is_participatory else "0",
                    "code_parts": parts,
                    "evidence": evidence,
                }
            )
        elif row.kind == "practice_feedback":
            feedback.append(
                {
                    "number": len(feedback) + 1,
                    "entry_id": e["id"],
                    "date": e["start_date"],
                    "source": FEEDBACK_SOURCES.get(d.get("source", ""), "Other"),
                    "summary": d.get("summary", ""),
                    "what_changed": d.get("what_changed", ""),
                }
            )
        elif row.kind == "reflective_account":
            ticked = set(d.get("code_themes") or [])
            accounts.append(
                {
                    "number": len(accounts) + 1,
                    "entry_id": e["id"],
                    "date": e["start_date"],
                    "title": e["title"],
                    "answers": [
                        d.get("nature_of_activity", ""),
                        d.get("what_did_you_learn", ""),
                        d.get("how_did_you_change_or_improve", ""),
                    ],
                    "themes": [{**t, "ticked": t["code"] in ticked} for t in themes],
                    "relevance": d.get("relevance_to_the_code", ""),
                }
            )
        elif row.kind == "reflective_discussion":
            signed = next(
                (
                    so
                    for so in e["sign_offs"]
                    if so["role"] == "reflective_discussion_partner"
                    and so["registration_body"] == "NMC"
                    and _valid_current(so)
                ),
                None,
            )
            discussions.append(
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
        elif row.kind == "appraisal" and row.start_date >= confirm_from:
            signed = next(
                (so for so in e["sign_offs"] if so["role"] == "confirmer" and _valid_current(so)), None
            )
            confirmations.append(
                {
                    "entry_id": e["id"],
                    "date": e["start_date"],
                    "confirmer_name": signed["signer_name"] if signed else "",
                    "confirmer_id": (
                        f"{signed['registration_body']} {signed['registration_number']}".strip()
                        if signed
                        else ""
                    ),
                    "confirmer_email": signed["signer_email"] if signed else "",
                    "is_signed": signed is not None,
                    "signed_on": signed["signed_on"] if signed else "",
                    "code": signed["code"] if signed else "",
                }
            )

    totals, checks, missing = _nmc_checks(
        rules=rules,
        is_dual=registration.is_dual_registration,
        practice_log=practice_log,
        cpd_log=cpd_log,
        counts={
            "feedback": len(feedback),
            "accounts": len(accounts),
            "signed_discussions": sum(1 for d in discussions if d["is_signed"]),
            "signed_confirmations": sum(1 for c in confirmations if c["is_signed"]),
        },
    )
    missing += _nmc_form_gaps(discussions, confirmations, accounts, confirm_from)
    by_hand = [
        (
            "Professional address and postcode of your reflective discussion partner and of your confirmer "
            "(the logbook does not hold addresses)."
        ),
        "Health and character, and professional indemnity: declared in NMC Online when you apply.",
    ]
    context["document"] |= {
        "format": "nmc",
        "title": "NMC revalidation pack",
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
    }
    context["nmc"] = {
        "profession": registration.profession,
        "pin": registration.registration_number or "",
        "renewal_date": registration.renewal_date.isoformat() if registration.renewal_date else "",
        "checks": checks,
        "missing": missing,
        "by_hand": by_hand,
        "practice_log": practice_log,
        "practice_hours": totals["practice_hours"],
        "cpd_log": cpd_log,
        "cpd_hours": totals["cpd_hours"],
        "participatory_hours": totals["participatory_hours"],
        "feedback": feedback,
        "accounts": accounts,
        "form_headings": list(NMC_FORM_HEADINGS),
        "discussions": discussions,
        "confirmations": confirmations,
        "confirmation_from": confirm_from.isoformat(),
    }
    return context


# --- Social Work England ----------------------------------------------------------------------


def build_swe_records(
    *,
    owner: User,
    date_from: dt.date | None,
    date_to: dt.date | None,
    include_reflections: bool,
    verify_url: str,
    now: dt.datetime,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The registration year's CPD records with the fields of SWE's online form, one block per record
    (each field its own paragraph, to paste or attach), peer reflections marked "P"."""
    registration = _registration(owner, "SWE")
    if registration is None:
        raise _no_registration("Social Work England CPD record", "SWE")
    fw = framework_data(owner.organisation_id, "swe")
    month, day = fw["cycle"]["starts"]
    date_to = date_to or now.date()
    date_from = date_from or _last_on_or_before(date_to, month, day)
    rows, context = _start(
        owner=owner,
        date_from=date_from,
        date_to=date_to,
        include_reflections=include_reflections,
        verify_url=verify_url,
        now=now,
        progress=progress,
    )
    titles = {s["code"]: s["title"] for s in fw["standards"]}
    parts = [c for c in titles if c.startswith("4.")]
    fields = {f["id"]: f["title"] for f in fw.get("record_fields", [])}
    details = _details(rows)
    by_id = {e["id"]: e for e in context["entries"]}
    records, seen, duplicates, covered = [], {}, [], set()
    for row in rows:
        e, d = by_id[str(row.id)], details[str(row.id)]
        tagged = [t["code"] for t in row.standards if t["framework"] == "swe"]
        covered |= {c for c in tagged if c in parts}
        peer = row.kind == "peer_reflection" or row.includes_peer_reflection
        learnt = (
            "\n".join(f"{r['label']} {r['text']}" for r in reflection_lines(row))
            if include_reflections
            else ""
        )
        impact = "\n".join(x for x in (row.impact_on_practice, row.impact_on_people) if x)
        key = (row.title.strip().lower(), row.description.strip().lower())
        number = len(records) + 1
        if key in seen:
            duplicates.append((seen[key], number))
        seen.setdefault(key, number)
        records.append(
            {
                "number": number,
                "entry_id": e["id"],
                "title": e["title"],
                "cpd_type": e["kind"],
                "date": _dates(e),
                "description": e["description"],
                "what_you_learnt": learnt,
                "impact": impact,
                "is_peer_reflection": peer,
                "peer": ", ".join(x for x in (d.get("peer_name", ""), d.get("peer_role", "")) if x),
                "standards": [f"{c} {titles.get(c, '')}".strip() for c in tagged],
            }
        )
    reqs = {r["id"]: r for r in fw.get("requirements", [])}
    distinct = len(records) - len(duplicates)
    checks = [
        _check(
            "Different CPD records",
            distinct,
            int(reqs.get("cpd_records", {}).get("target", 2)),
            ("record", "records"),
        ),
        _check(
            "Records with a peer reflection",
            sum(1 for r in records if r["is_peer_reflection"]),
            int(reqs.get("peer_reflection", {}).get("target", 1)),
            ("record", "records"),
        ),
        _check(
            "Records that describe their impact",
            sum(1 for r in records if r["impact"]),
            1,
            ("record", "records"),
        ),
    ]
    missing = [
        f"{c['label']}: {c['have']} of {c['target']} {c['target_unit']}." for c in checks if not c["met"]
    ]
    missing += [f"Records {a} and {b} look identical; SWE refuses identical records." for a, b in duplicates]
    missing += [
        f"Record {r['number']} ({r['title']}) does not describe its impact."
        for r in records
        if not r["impact"]
    ]
    advice = [f"Standard {c} is not covered this year: {titles[c]}" for c in parts if c not in covered]
    context["document"] |= {
        "format": "swe",
        "title": "Social Work England CPD records",
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
    }
    context["swe"] = {
        "registration_number": registration.registration_number or "",
        "year": f"{date_from.year}-{str(date_from.year + 1)[2:]}",
        "fields": {
            "title": fields.get("title", "CPD title"),
            "cpd_type": fields.get("cpd_type", "Type of CPD activity"),
            "date": fields.get("activity_date", "Date of the activity"),
            "description": fields.get("description", "Description"),
            "what_you_learnt": fields.get("what_you_learnt", "What you learnt"),
            "impact": fields.get("impact", "Impact"),
            "peer": SWE_PEER_QUESTION,
        },
        "records": records,
        "checks": checks,
        "missing": missing,
        "advice": advice,
        "standard_4": [{"code": c, "title": titles[c], "covered": c in covered} for c in parts],
    }
    return context


# --- Teachers' Standards ----------------------------------------------------------------------


def build_teachers_evidence(
    *,
    owner: User,
    date_from: dt.date | None,
    date_to: dt.date | None,
    include_reflections: bool,
    verify_url: str,
    now: dt.datetime,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Evidence grouped under each of the 8 Teachers' Standards and Part Two (numbered E1, E2, ...,
    each printed once in full), and the appraisal record of the appraisal year."""
    fw = framework_data(owner.organisation_id, "teachers")
    month, day = fw["cycle"]["starts"]
    date_to = date_to or now.date()
    date_from = date_from or _last_on_or_before(date_to, month, day)
    rows, context = _start(
        owner=owner,
        date_from=date_from,
        date_to=date_to,
        include_reflections=include_reflections,
        verify_url=verify_url,
        now=now,
        progress=progress,
    )
    registration = _registration(owner, "TEACHERS")
    standards = fw["standards"]
    tops = [s for s in standards if not s.get("parent") and (s["code"].isdigit() or s["code"] == "part2")]
    parent = {s["code"]: s.get("parent") or s["code"] for s in standards}
    by_id = {e["id"]: e for e in context["entries"]}
    details = _details(rows)

    numbered: list[dict[str, Any]] = []
    groups: dict[str, list[dict[str, Any]]] = {s["code"]: [] for s in tops}
    for row in rows:
        codes = [
            t["code"]
            for t in row.standards
            if t["framework"] == "teachers" and parent.get(t["code"]) in groups
        ]
        if not codes and row.kind != "appraisal":
            continue
        e = by_id[str(row.id)]
        number = f"E{len(numbered) + 1}"
        numbered.append({"number": number, "entry_id": e["id"], "codes": codes})
        for top in dict.fromkeys(parent[c] for c in codes):
            groups[top].append(
                {
                    "number": number,
                    "entry_id": e["id"],
                    "date": e["start_date"],
                    "title": e["title"],
                    "kind": e["kind"],
                    "subpoints": [c for c in codes if parent[c] == top and c != top],
                    "is_signed": any(_valid_current(so) for so in e["sign_offs"]),
                }
            )
    sections = [
        {
            "code": s["code"],
            "heading": ("Part Two: " if s["code"] == "part2" else f"Standard {s['code']}: ")
            + s["title"].removeprefix("Part Two: "),
            "subpoints": [
                {"code": c["code"], "title": c["title"]} for c in standards if c.get("parent") == s["code"]
            ],
            "evidence": groups[s["code"]],
        }
        for s in tops
    ]
    appraisals = []
    for row in rows:
        if row.kind != "appraisal":
            continue
        e, d = by_id[str(row.id)], details[str(row.id)]
        appraisals.append(
            {
                "entry_id": e["id"],
                "number": next(n["number"] for n in numbered if n["entry_id"] == e["id"]),
                "date": e["start_date"],
                "title": e["title"],
                "reviewer": d.get("reviewer_name", ""),
                "objectives": [
                    {"text": o.get("text", ""), "status": o.get("status", "").replace("_", " ")}
                    for o in d.get("objectives") or []
                ],
                "review_notes": d.get("review_notes", ""),
            }
        )
    missing = [f"No evidence yet for {s['heading']}." for s in sections if not s["evidence"]]
    if not appraisals:
        missing.insert(0, "No appraisal is recorded in this appraisal year.")
    context["document"] |= {
        "format": "teachers",
        "title": "Teachers' Standards evidence",
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
    }
    context["teachers"] = {
        "trn": registration.registration_number if registration and registration.registration_number else "",
        "sections": sections,
        "numbered": numbered,
        "appraisals": appraisals,
        "missing": missing,
    }
    return context


BUILDERS: dict[str, Callable[..., dict[str, Any]]] = {
    "nmc": build_nmc_pack,
    "swe": build_swe_records,
    "teachers": build_teachers_evidence,
}
