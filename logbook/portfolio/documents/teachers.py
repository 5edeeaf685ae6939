"""The Teachers' Standards evidence file: evidence grouped under each of the 8 Teachers' Standards
and Part Two, and the appraisal record of the appraisal year. Standards and the appraisal year come
from the framework file (teachers-v1.yaml). Rules and sources: docs/regulators.md section 4."""

from __future__ import annotations

from typing import Any

from logbook.portfolio.documents.common import (
    advice,
    dates,
    details_by_id,
    evaluation,
    framework_data,
    last_on_or_before,
    registration_for,
    rule_checks,
    start,
    still_missing,
    valid_current,
)
from logbook.portfolio.service import DocumentRequest


def build_teachers_evidence(request: DocumentRequest) -> dict[str, Any]:
    """Evidence grouped under each of the 8 Teachers' Standards and Part Two (numbered E1, E2, ...,
    each printed once in full), and the appraisal record of the appraisal year."""
    owner = request.owner
    fw = framework_data(owner.organisation_id, "teachers")
    month, day = fw["cycle"]["starts"]
    date_to = request.date_to or request.now.date()
    date_from = request.date_from or last_on_or_before(date_to, month, day)
    request = request.over(date_from, date_to)
    rows, context = start(request)
    registration = registration_for(owner, "TEACHERS")
    standards = fw["standards"]
    tops = [s for s in standards if not s.get("parent") and (s["code"].isdigit() or s["code"] == "part2")]
    parent = {s["code"]: s.get("parent") or s["code"] for s in standards}
    by_id = {e["id"]: e for e in context["entries"]}
    details = details_by_id(rows)

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
                    "date": dates(e),
                    "title": e["title"],
                    "kind": e["kind"],
                    "subpoints": [c for c in codes if parent[c] == top and c != top],
                    "is_signed": any(valid_current(so) for so in e["sign_offs"]),
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
    # What the document states is the engine's evaluation of the appraisal year (teachers-v2.yaml: the
    # appraisal is required; evidence under every standard is advice).
    evaluated = evaluation(request, "teachers")
    # The period is the request's, already in the generic context (portfolio_context).
    context["document"] |= {
        "format": "teachers",
        "title": "Teachers' Standards evidence",
    }
    context["teachers"] = {
        "trn": registration.registration_number if registration and registration.registration_number else "",
        "sections": sections,
        "numbered": numbered,
        "appraisals": appraisals,
        "checks": rule_checks(evaluated),
        "missing": still_missing(evaluated),
        "advice": advice(evaluated),
        "evaluation": evaluated,
    }
    return context
