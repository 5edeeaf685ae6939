"""Notification tests reuse the supervision fixtures (supervisor, link, memory outbox)."""

from tests.supervision.conftest import outbox, supervised, supervisor  # noqa: F401
