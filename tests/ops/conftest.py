"""Fixtures for operations tests: the supervision fixtures (a supervisor linked to the practitioner)."""

from tests.supervision.conftest import outbox, supervised, supervisor  # noqa: F401 - fixtures reused
