"""Framework services: loading framework files, which versions an organisation sees, tag checks, progress."""

from __future__ import annotations

import uuid
from importlib import resources
from typing import Any

from sqlalchemy import select

from logbook.accounts.models import JobRole, User
from logbook.errors import Conflict, NotFound
from logbook.extensions import db
from logbook.frameworks import engine
from logbook.frameworks.definition import Definition, parse_definition, summary_of
from logbook.frameworks.kinds import KIND_LABELS
from logbook.frameworks.models import GLOBAL, FrameworkVersion

# --- which versions an organisation sees ------------------------------------------------------


def visible_versions(*, organisation_id: uuid.UUID) -> list[FrameworkVersion]:
    """Every framework version this organisation can use: shipped ones and its own; where both have
    the same framework and version number, the organisation's own copy replaces the shipped one."""
    rows = db.session.scalars(
        select(FrameworkVersion)
        .where(FrameworkVersion.owner_key.in_([GLOBAL, str(organisation_id)]))
        .order_by(FrameworkVersion.framework_id, FrameworkVersion.version)
    ).all()
    own = {(r.framework_id, r.version) for r in rows if r.owner_key != GLOBAL}
    return [r for r in rows if r.owner_key != GLOBAL or (r.framework_id, r.version) not in own]


def find_version(*, organisation_id: uuid.UUID, framework_id: str, version: int) -> FrameworkVersion | None:
    """The organisation's own copy of this version if it has one, else the shipped one."""
    rows = db.session.scalars(
        select(FrameworkVersion).where(
            FrameworkVersion.owner_key.in_([GLOBAL, str(organisation_id)]),
            FrameworkVersion.framework_id == framework_id,
            FrameworkVersion.version == version,
        )
    ).all()
    return min(rows, key=lambda r: r.owner_key == GLOBAL, default=None)


def describe_tags(*, organisation_id: uuid.UUID, tags: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Standard tags in words: framework, code and the standard's title from the version the entry was
    tagged with ("" when the version or code is unknown), for the screens where a signer reads them."""
    cache: dict[tuple[str, int], tuple[str, dict[str, str]]] = {}
    out = []
    for tag in tags or []:
        key = (tag.get("framework", ""), tag.get("version", 0))
        if key not in cache:
            row = find_version(organisation_id=organisation_id, framework_id=key[0], version=key[1])
            if row is None:
                cache[key] = (key[0], {})
            else:
                # A regulator's code reads best ("HCPC 3", "SWE 4.2"); otherwise the framework's name.
                label = row.regulator if row.regulator in ("HCPC", "NMC", "SWE") else row.name
                cache[key] = (
                    label or key[0],
                    {s["code"]: s.get("title", "") for s in row.summary.get("standards") or []},
                )
        code = str(tag.get("code", ""))
        label, titles = cache[key]
        out.append({"framework": key[0], "label": label, "code": code, "title": titles.get(code, "")})
    return out


def tag_problems(*, organisation_id: uuid.UUID, tags: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Field errors for standard tags that name an unknown framework, version or standard code."""
    problems: dict[str, list[str]] = {}
    cache: dict[tuple[str, int], FrameworkVersion | None] = {}
    for i, tag in enumerate(tags):
        key = (tag["framework"], tag["version"])
        if key not in cache:
            cache[key] = find_version(organisation_id=organisation_id, framework_id=key[0], version=key[1])
        fv = cache[key]
        if fv is None:
            known = any(v.framework_id == key[0] for v in visible_versions(organisation_id=organisation_id))
            field, reason = (
                (f"standards.{i}.version", f"framework “{key[0]}” has no version {key[1]}")
                if known
                else (f"standards.{i}.framework", f"unknown framework “{key[0]}”")
            )
            problems[field] = [reason]
        elif tag["code"] not in fv.standard_codes:
            problems[f"standards.{i}.code"] = [
                f"“{tag['code']}” is not a standard of {fv.name} v{fv.version}"
            ]
    return problems


# --- loading framework files ------------------------------------------------------------------


def shipped_definitions() -> list[Definition]:
    """Every framework file shipped with the app, parsed and validated (all or nothing)."""
    folder = resources.files("logbook.frameworks").joinpath("definitions")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    return [parse_definition(f.read_text(encoding="utf-8"), filename=f.name) for f in files]


def store_definition(*, definition: Definition, owner_key: str) -> tuple[FrameworkVersion, bool]:
    """Store one version; the same file again is a no-op; a different file under a stored version
    number is refused, because a stored version is never rewritten. Returns (row, was_added)."""
    existing = db.session.scalar(
        select(FrameworkVersion).where(
            FrameworkVersion.owner_key == owner_key,
            FrameworkVersion.framework_id == definition.framework_id,
            FrameworkVersion.version == definition.version,
        )
    )
    if existing is not None:
        if existing.source_text == definition.source_text:
            return existing, False
        raise Conflict(
            f"{definition.source_name}: {definition.framework_id} version {definition.version} is already "
            "stored with different content. Versions are never rewritten: give the file a new version "
            "number.",
            code="framework_version_exists",
            fields={"version": [f"version {definition.version} already exists; use a higher number"]},
        )
    data = definition.data
    row = FrameworkVersion(
        owner_key=owner_key,
        framework_id=definition.framework_id,
        version=definition.version,
        name=data["name"],
        regulator=data["regulator"],
        effective_from=data["effective_from"],
        effective_to=data["effective_to"],
        standard_codes=definition.standard_codes,
        summary=summary_of(definition),
        source_name=definition.source_name,
        source_text=definition.source_text,
    )
    db.session.add(row)
    db.session.flush()
    return row, True


def load_shipped_frameworks() -> dict[str, Any]:
    """Store every shipped framework version not stored yet (idempotent). A stored version is never
    rewritten: if a shipped file differs from the stored copy of its version, the stored copy stays
    and the file is reported under "kept" (the file should have had a new version number)."""
    definitions = shipped_definitions()  # every file is validated before anything is stored
    added, kept = 0, []
    with db.session.begin_nested():
        for definition in definitions:
            try:
                with db.session.begin_nested():
                    _, was_added = store_definition(definition=definition, owner_key=GLOBAL)
            except Conflict:
                kept.append(definition.source_name)
                continue
            added += was_added
    return {"files": len(definitions), "added": added, "kept": kept}


def import_framework(*, text: str, filename: str, organisation_id: uuid.UUID | None) -> FrameworkVersion:
    """Validate a framework file and store it for an organisation (or for everyone when None)."""
    definition = parse_definition(text, filename=filename)
    owner_key = str(organisation_id) if organisation_id else GLOBAL
    with db.session.begin_nested():
        row, _ = store_definition(definition=definition, owner_key=owner_key)
    return row


# --- reading frameworks -----------------------------------------------------------------------


def list_frameworks(*, organisation_id: uuid.UUID) -> list[dict[str, Any]]:
    """Each framework the organisation sees, described by its newest version, with every version number."""
    by_id: dict[str, list[FrameworkVersion]] = {}
    for row in visible_versions(organisation_id=organisation_id):
        by_id.setdefault(row.framework_id, []).append(row)
    out = []
    for _, rows in sorted(by_id.items()):
        newest = max(rows, key=lambda r: r.version)
        out.append({**describe(newest), "versions": sorted(r.version for r in rows)})
    return out


def get_framework(
    *, organisation_id: uuid.UUID, framework_id: str, version: int | None = None
) -> dict[str, Any]:
    """One framework version in full (the newest unless a version is given), or NotFound."""
    rows = [r for r in visible_versions(organisation_id=organisation_id) if r.framework_id == framework_id]
    if version is not None:
        rows = [r for r in rows if r.version == version]
    if not rows:
        raise NotFound("No such framework version.")
    row = max(rows, key=lambda r: r.version)
    summary = row.summary
    return {
        **describe(row),
        "versions": sorted(
            r.version
            for r in visible_versions(organisation_id=organisation_id)
            if r.framework_id == framework_id
        ),
        **{
            key: summary.get(key)
            for key in (
                "description",
                "sources",
                "unconfirmed",
                "standards",
                "entry_kinds",
                "activity_types",
                "cycle",
                "dates",
                "requirements",
                "reminders",
                "record_fields",
                "profile",
                "applies_to",
            )
        },
    }


def describe(row: FrameworkVersion) -> dict[str, Any]:
    """The short description of a stored version."""
    return {
        "id": row.framework_id,
        "version": row.version,
        "name": row.name,
        "kind": row.summary.get("kind", "registration"),
        "regulator": row.regulator,
        "effective_from": row.effective_from,
        "effective_to": row.effective_to,
        "owner": "shipped" if row.owner_key == GLOBAL else "organisation",
        "source_name": row.source_name,
        "imported_at": row.imported_at,
    }


def compiled_frameworks(*, organisation_id: uuid.UUID) -> dict[str, list[engine.Framework]]:
    """The organisation's framework versions, ready for the engine, by framework id."""
    out: dict[str, list[engine.Framework]] = {}
    for row in visible_versions(organisation_id=organisation_id):
        out.setdefault(row.framework_id, []).append(engine.compile_framework(row.summary))
    return out


# --- what the phone needs to work out progress offline ------------------------------------------

ENGINE_KEYS = (  # the parts of a stored summary compile_framework reads (no standards, sources, profile)
    "id",
    "version",
    "name",
    "kind",
    "effective_from",
    "effective_to",
    "cycle",
    "dates",
    "requirements",
    "reminders",
    "entry_kinds",
    "activity_types",
    "applies_to",
)


def progress_inputs(*, viewer: User) -> dict[str, Any]:
    """The caller's own registrations, service areas and the framework versions that may apply to them,
    as data: the PWA's copy of the engine (static/app/progress.js) works out progress from these and
    the entries on the phone while offline. Only the caller's own registrations are included."""
    wanted = {r.framework_id for r in viewer.registrations if r.framework_id}
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in visible_versions(organisation_id=viewer.organisation_id):
        kind = row.summary.get("kind", "registration")
        if row.framework_id in wanted or kind == "supervision_policy":
            summary = {key: row.summary.get(key) for key in ENGINE_KEYS}
            by_id.setdefault(row.framework_id, []).append(summary)
    areas = sorted(
        a
        for a in {getattr(viewer.team, "service_area", None), getattr(viewer.job_role, "service_area", None)}
        if a
    )
    return {
        "user_id": viewer.id,
        "registrations": [
            {
                "registration_id": reg.id,
                "regulator": reg.regulator,
                "profession": reg.profession,
                "registration_number": reg.registration_number,
                "framework_id": reg.framework_id,
                "registered_since": reg.registered_since,
                "renewal_date": reg.renewal_date,
                "is_dual_registration": bool(reg.is_dual_registration),
            }
            for reg in viewer.registrations
        ],
        "service_areas": areas,
        "kind_order": list(KIND_LABELS),
        "frameworks": [{"id": key, "versions": versions} for key, versions in by_id.items()],
    }


# --- which frameworks apply to whom (the org admin's view) ----------------------------------------


def framework_coverage(*, organisation_id: uuid.UUID) -> list[dict[str, Any]]:
    """Each framework the organisation sees (newest version), with whom it applies to: the active
    people whose registrations follow it, the job roles whose usual regulator it is made for, and a
    supervision policy's `applies_to` (regulators, service areas) with the people it matches."""
    people = list(
        db.session.scalars(
            select(User).where(User.organisation_id == organisation_id, User.is_active.is_(True))
        )
    )
    roles = list(db.session.scalars(select(JobRole).where(JobRole.organisation_id == organisation_id)))
    out = []
    for item in list_frameworks(organisation_id=organisation_id):
        row = find_version(organisation_id=organisation_id, framework_id=item["id"], version=item["version"])
        applies = (row.summary.get("applies_to") if row else None) or {}
        if item["kind"] == "supervision_policy":
            regulators = set(applies.get("regulators") or ())
            areas = set(applies.get("service_areas") or ())
            covered = [
                p
                for p in people
                if {r.regulator for r in p.registrations} & regulators
                or {getattr(p.team, "service_area", None), getattr(p.job_role, "service_area", None)} & areas
            ]
            role_names = sorted(
                r.name for r in roles if r.usual_regulator in regulators or r.service_area in areas
            )
        else:
            covered = [p for p in people if any(r.framework_id == item["id"] for r in p.registrations)]
            role_names = sorted(
                r.name for r in roles if r.usual_regulator and r.usual_regulator == item["regulator"]
            )
        out.append(
            {
                **item,
                "applies_to": applies or None,
                "people": len(covered),
                "job_roles": role_names,
            }
        )
    return out
