"""Fixtures for fault tests: a supervisor who supervises the practitioner (reused from supervision)."""

from tests.supervision.conftest import supervised, supervisor  # noqa: F401 - fixtures reused
