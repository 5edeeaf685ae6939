"""Rate limits are shared by both app servers (counted on Redis): a limit is reached across the two,
not per server (docs/security.md lists the limits)."""

from __future__ import annotations

import uuid

import pytest

from tests.scale.web import Web, logged_in

pytestmark = pytest.mark.scale

SYNC_LIMIT = 120  # LOGBOOK_SYNC_RATE_LIMIT in tests/scale (per person per minute)


def test_failed_logins_are_counted_across_both_servers(base, make_person):
    """5 failed logins per account in 15 minutes, then 429, whichever server each attempt reaches."""
    person = make_person()
    codes, served = [], set()
    for attempt in range(8):
        # a new browser each time (nothing ties the attempts together but the email), on the two
        # servers in turn
        web = Web(base, pin=("app1", "app2")[attempt % 2])
        response = web.login(person.email, "not the password " + uuid.uuid4().hex)
        codes.append(response.status_code)
        served.add(response.headers["X-Served-By"])
    assert codes == [401] * 5 + [429] * 3
    assert served == {"app1", "app2"}


def test_the_sync_limit_is_one_count_for_both_servers(base, make_person):
    person = make_person()
    web = logged_in(base, person.email)
    codes = [web.get("/api/v1/sync/pull?limit=1").status_code for _ in range(SYNC_LIMIT + 4)]
    assert codes == [200] * SYNC_LIMIT + [429] * 4  # not 2 x 120 before the first 429
    assert {"app1", "app2"} <= set(web.served)
    # another person's count is their own
    assert logged_in(base, make_person().email).get("/api/v1/sync/pull?limit=1").status_code == 200
