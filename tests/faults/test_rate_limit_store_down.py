"""Fault: the shared rate-limit store (Redis) is unreachable. The app stays up: each process counts
the same limits in its own memory until the store answers again (docs/operations.md, "what degrades
how"), instead of answering every rate-limited request (login, sync) with a 500."""

from __future__ import annotations

import socket
import uuid

import pytest

from logbook.app import create_app
from logbook.extensions import db
from tests.factories import ApiClient, app_config


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nothing listens there


@pytest.fixture
def redis_down_app(app, database_url, tmp_path):
    """A second app on the test database whose rate limits are counted on a Redis that is not there."""
    down = create_app(
        {
            **app_config(database_url, tmp_path),
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    )
    down.test_client_class = ApiClient
    yield down
    with down.app_context():
        db.session.remove()
        db.engine.dispose()


def test_logins_and_sync_work_and_are_still_limited_while_redis_is_away(redis_down_app, practitioner):
    client = redis_down_app.test_client()
    assert client.login(practitioner.email).status_code == 200  # was 500: the limiter's error escaped
    assert client.get("/api/v1/sync/pull").status_code == 200
    # the per-account login limit (5 in 15 minutes) still holds, counted in this process
    other = redis_down_app.test_client()
    codes = [
        other.login(practitioner.email, "not the password " + uuid.uuid4().hex).status_code for _ in range(7)
    ]
    assert codes == [401] * 5 + [429] * 2
