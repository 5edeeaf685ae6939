"""Fixtures for sync tests: a device logged in as a user (tests/sync/device.py)."""

from __future__ import annotations

import pytest

from tests.sync.device import Device


@pytest.fixture
def device(make_client):
    """Factory: a device logged in as a user."""
    return lambda user: Device(make_client(user))
