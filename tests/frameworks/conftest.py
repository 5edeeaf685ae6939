"""Fixtures for frameworks: the shipped files compiled for the engine (the fakes the engine reads are
in tests/frameworks/fakes.py; the `shipped` fixture, the files stored in the database, is at the root)."""

from __future__ import annotations

import pytest

from logbook.frameworks import engine
from logbook.frameworks.definition import summary_of
from logbook.frameworks.service import shipped_definitions


@pytest.fixture(scope="session")
def frameworks() -> dict[str, list[engine.Framework]]:
    """Every shipped framework version, compiled, by framework id."""
    out: dict[str, list[engine.Framework]] = {}
    for definition in shipped_definitions():
        out.setdefault(definition.framework_id, []).append(engine.compile_framework(summary_of(definition)))
    return out
