"""How a standard is named wherever it is shown (entry, logbook, PDFs, the staff export): the
framework's short name, the code and the standard's title — "SWE 4.2 Supervision: use supervision
and feedback…", never "swe 4.2". The phone builds the same label (static/app/standards.js), held
equal by tests/js/test_pwa_parity.py."""

from __future__ import annotations

import uuid
from typing import Any

from logbook.frameworks.service import find_version

SHORT_NAMES = {
    "hcpc": "HCPC",
    "swe": "SWE",
    "nmc": "NMC",
    "teachers": "TS",  # the Teachers' Standards
    "common-core": "Common Core",
}


def framework_short(framework_id: str) -> str:
    """The short name a standard's code is written after ("SWE"); an organisation's own framework
    by its id in capitals."""
    return SHORT_NAMES.get(framework_id, framework_id.upper())


def standard_label(framework_id: str, code: str, title: str = "") -> str:
    """ "SWE 4.2 Supervision: …": short name, code, and the title when it is known."""
    head = f"{framework_short(framework_id)} {code}"
    return f"{head} {title}".strip() if title else head


class StandardTitles:
    """The titles of tagged standards, each framework version read once (one per document or export)."""

    def __init__(self, organisation_id: uuid.UUID) -> None:
        self.organisation_id = organisation_id
        self.cache: dict[tuple[str, int], dict[str, str]] = {}

    def title(self, tag: dict[str, Any]) -> str:
        """The title in the framework version the entry was tagged with ("" if unknown)."""
        key = (tag["framework"], tag["version"])
        if key not in self.cache:
            row = find_version(organisation_id=self.organisation_id, framework_id=key[0], version=key[1])
            standards = (row.summary.get("standards") or []) if row else []
            self.cache[key] = {s["code"]: s.get("title", "") for s in standards}
        return self.cache[key].get(tag["code"], "")

    def label(self, tag: dict[str, Any]) -> str:
        """The standard's label (standard_label) with its title."""
        return standard_label(tag["framework"], tag["code"], self.title(tag))
