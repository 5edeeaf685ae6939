"""Social Work England CPD records: the registration year's records with the fields of SWE's online
form, one block per record, peer reflections marked. Field labels, standards and targets come from
the framework file (swe-v2.yaml). Rules and sources: docs/regulators.md section 2."""

from __future__ import annotations

from typing import Any

from logbook.frameworks.engine import has_peer_reflection
from logbook.frameworks.labels import standard_label
from logbook.portfolio.documents.common import (
    advice,
    dates,
    details_by_id,
    evaluation,
    framework_data,
    last_on_or_before,
    no_registration,
    registration_for,
    rule_checks,
    rule_of,
    start,
    still_missing,
)
from logbook.portfolio.service import DocumentRequest, reflection_lines

SWE_PEER_QUESTION = "Describe what you have learnt from discussing this CPD activity with a peer."


def build_swe_records(request: DocumentRequest) -> dict[str, Any]:
    """The registration year's CPD records with the fields of SWE's online form, one block per record
    (each field its own paragraph, to paste or attach), peer reflections marked "P"."""
    owner = request.owner
    registration = registration_for(owner, "SWE")
    if registration is None:
        raise no_registration("Social Work England CPD record", "SWE")
    fw = framework_data(owner.organisation_id, "swe")
    month, day = fw["cycle"]["starts"]
    date_to = request.date_to or request.now.date()
    date_from = request.date_from or last_on_or_before(date_to, month, day)
    request = request.over(date_from, date_to)
    rows, context = start(request)
    titles = {s["code"]: s["title"] for s in fw["standards"]}
    parts = [c for c in titles if c.startswith("4.")]
    fields = {f["id"]: f["title"] for f in fw.get("record_fields", [])}
    details = details_by_id(rows)
    by_id = {e["id"]: e for e in context["entries"]}
    evaluated = evaluation(request, "swe")
    records: list[dict[str, Any]] = []
    # Standard 4's parts covered: the engine's advisory rule (docs/regulators.md 2.1).
    covered = set((rule_of(evaluated, "standard_4_coverage") or {}).get("covered", []))
    for row in rows:
        e, d = by_id[str(row.id)], details[str(row.id)]
        tagged = [t["code"] for t in row.standards if t["framework"] == "swe"]
        peer = has_peer_reflection(row)
        learnt = (
            "\n".join(f"{r['label']} {r['text']}" for r in reflection_lines(row))
            if request.include_reflections
            else ""
        )
        impact = "\n".join(x for x in (row.impact_on_practice, row.impact_on_people) if x)
        number = len(records) + 1
        records.append(
            {
                "number": number,
                "entry_id": e["id"],
                "title": e["title"],
                "cpd_type": e["kind"],
                "date": dates(e),
                "description": e["description"],
                "what_you_learnt": learnt,
                "impact": impact,
                "is_peer_reflection": peer,
                "peer": ", ".join(x for x in (d.get("peer_name", ""), d.get("peer_role", "")) if x),
                "standards": [standard_label("swe", c, titles.get(c, "")) for c in tagged],
            }
        )
    # What the document states is the engine's evaluation of these dates; the notes only point at records.
    number_of = {r["entry_id"]: r["number"] for r in records}
    identical = rule_of(evaluated, "cpd_records")
    notes = [
        f"Records {number_of[n['same_as']]} and {number_of[n['id']]} look identical; SWE refuses identical "
        "records, so they count once."
        for n in (identical or {}).get("not_counted", [])
        if n["reason"] == "identical" and n["id"] in number_of and n["same_as"] in number_of
    ]
    notes += [
        f"Record {r['number']} ({r['title']}) does not describe its impact."
        for r in records
        if not r["impact"]
    ]
    # The period is the request's, already in the generic context (portfolio_context).
    context["document"] |= {
        "format": "swe",
        "title": "Social Work England CPD records",
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
        "checks": rule_checks(evaluated),
        "missing": still_missing(evaluated),
        "advice": advice(evaluated),
        "notes": notes,
        "evaluation": evaluated,
        "standard_4": [{"code": c, "title": titles[c], "covered": c in covered} for c in parts],
    }
    return context
