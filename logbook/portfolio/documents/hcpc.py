"""The HCPC CPD profile: practice summary, dated CPD list, personal statement, numbered supporting
evidence and the gaps in the record. Rules and sources: docs/regulators.md section 1.3."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from logbook.accounts.models import User
from logbook.entries import gaps as gap_explanations
from logbook.errors import ValidationFailed
from logbook.frameworks.engine import Explained, explained_by
from logbook.portfolio.documents.common import evaluation
from logbook.portfolio.service import DocumentRequest, build_portfolio

SUMMARY_WORDS = 500
STATEMENT_WORDS = 1500
CHOSEN_MIN, CHOSEN_MAX = 4, 6
GAP_MONTHS = 3


def word_count(text: str) -> int:
    """Words as an assessor counts them: runs of non-space characters."""
    return len(text.split())


def hcpc_problems(*, summary: str, statement: str, chosen_entry_ids: list[uuid.UUID]) -> dict[str, list[str]]:
    """Field errors for an HCPC profile's own text, checked before anything is rendered."""
    problems: dict[str, list[str]] = {}
    for name, text, limit in (("summary", summary, SUMMARY_WORDS), ("statement", statement, STATEMENT_WORDS)):
        count = word_count(text)
        if count == 0:
            problems[name] = ["is required for an HCPC CPD profile"]
        elif count > limit:
            problems[name] = [f"is {count} words; the HCPC limit is {limit:,} words"]
    if not CHOSEN_MIN <= len(set(chosen_entry_ids)) <= CHOSEN_MAX:
        problems["chosen_entry_ids"] = [f"choose {CHOSEN_MIN} to {CHOSEN_MAX} different activities"]
    return problems


def explained_gaps(owner: User, gaps: list[tuple[dt.date, dt.date]]) -> list[dict[str, Any]]:
    """Each gap with the owner's explanations of its days (HCPC asks for breaks to be explained):
    whether they cover all of it, and each explanation's dates and reason in the owner's words."""
    rows = {str(r.id): r for r in gap_explanations.list_explanations(owner=owner)}
    marks = tuple(Explained(r.starts_on, r.ends_on, key) for key, r in rows.items())
    out = []
    for first, last in gaps:
        covered, ids = explained_by((first, last), marks)
        out.append(
            {
                "from": first.isoformat(),
                "to": last.isoformat(),
                "days": (last - first).days + 1,
                "explained": covered,
                "explanations": [
                    {
                        "from": rows[i].starts_on.isoformat(),
                        "to": rows[i].ends_on.isoformat(),
                        "reason": rows[i].reason,
                    }
                    for i in ids
                ],
            }
        )
    return out


def build_hcpc_profile(
    request: DocumentRequest, *, summary: str, statement: str, chosen_entry_ids: list[uuid.UUID]
) -> dict[str, Any]:
    """An HCPC CPD profile: practice summary, dated CPD list, statement, numbered evidence, gaps."""
    owner = request.owner
    problems = hcpc_problems(summary=summary, statement=statement, chosen_entry_ids=chosen_entry_ids)
    registration = next((r for r in owner.registrations if r.regulator.upper() == "HCPC"), None)
    if registration is None:
        problems["format"] = ["you have no HCPC registration; add it to your profile first"]
    if problems:
        raise ValidationFailed("The CPD profile cannot be made yet.", fields=problems)
    if registration is None:
        raise RuntimeError("no HCPC registration (a missing one is refused above)")
    context = build_portfolio(request)
    by_id = {e["id"]: e for e in context["entries"]}
    chosen_ids = list(dict.fromkeys(str(i) for i in chosen_entry_ids))
    missing = [i for i in chosen_ids if i not in by_id]
    if missing:
        # Someone else's entry, a draft, or one outside the period: all look the same.
        raise ValidationFailed(
            "Some chosen activities are not in this CPD list.",
            fields={"chosen_entry_ids": [f"not one of your activities in the period: {', '.join(missing)}"]},
        )
    number = 0
    chosen = []
    for position, entry_id in enumerate(chosen_ids, start=1):
        entry = by_id[entry_id]
        items = []
        number += 1
        items.append({"number": number, "description": f"Record of the activity: {entry['title']}"})
        for so in entry["sign_offs"]:
            number += 1
            items.append(
                {"number": number, "description": f"Sign-off by {so['signer_name']} (code {so['code']})"}
            )
        for ev in entry["evidence"]:
            number += 1
            items.append({"number": number, "description": ev["caption"] or ev["name"]})
        chosen.append({"position": position, "entry": entry, "evidence": items})
    # The gaps are the engine's (hcpc-v1.yaml continuous_record over the profile's period): every day
    # of an activity covers, its days running past the period too.
    evaluated = evaluation(request, "hcpc")
    gap_rule = next((r for r in evaluated["rules"] if r.get("gaps") is not None), None)
    gaps = [
        (dt.date.fromisoformat(g["from"]), dt.date.fromisoformat(g["to"]))
        for g in (gap_rule or {}).get("gaps", [])
    ]
    context["document"] |= {"format": "hcpc", "title": "HCPC CPD profile"}
    context["hcpc"] = {
        "profession": registration.profession,
        "registration_number": registration.registration_number or "",
        "summary": summary.strip(),
        "summary_words": word_count(summary),
        "statement": statement.strip(),
        "statement_words": word_count(statement),
        "chosen": chosen,
        "gaps": explained_gaps(owner, gaps),
        "gap_months": GAP_MONTHS,
        "evaluation": evaluated,
    }
    return context
