"""Framework services: which framework versions an organisation sees, and checking standard tags."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from logbook.extensions import db
from logbook.frameworks.models import GLOBAL, FrameworkVersion


def visible_versions(*, organisation_id: uuid.UUID) -> list[FrameworkVersion]:
    """Every framework version this organisation can use: its own, and shipped ones it has not replaced."""
    rows = db.session.scalars(
        select(FrameworkVersion)
        .where(FrameworkVersion.owner_key.in_([GLOBAL, str(organisation_id)]))
        .order_by(FrameworkVersion.framework_id, FrameworkVersion.version)
    ).all()
    own = {r.framework_id for r in rows if r.owner_key != GLOBAL}
    return [r for r in rows if r.owner_key != GLOBAL or r.framework_id not in own]


def find_version(*, organisation_id: uuid.UUID, framework_id: str, version: int) -> FrameworkVersion | None:
    """The organisation's own version if it has replaced the framework, else the shipped one."""
    rows = db.session.scalars(
        select(FrameworkVersion).where(
            FrameworkVersion.owner_key.in_([GLOBAL, str(organisation_id)]),
            FrameworkVersion.framework_id == framework_id,
        )
    ).all()
    owned = [r for r in rows if r.owner_key != GLOBAL]
    pool = owned or rows
    return next((r for r in pool if r.version == version), None)


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
