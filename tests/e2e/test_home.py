"""Home after the first sync: what it counts comes from the entries just pulled onto the phone."""

import datetime as dt

import pytest

from tests.e2e.browser import log_in, sync_status
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_home_counts_entries_that_arrive_with_the_first_sync(live_server, phone, make_user, make_client):
    practitioner = make_user("practitioner", name="Amara Okafor")
    api = make_client(practitioner)
    today = dt.date.today()  # noqa: DTZ011 - "this year" on the phone is the local calendar year
    for i, hours in enumerate((2, 1.5, 3)):
        created = api.api(
            "POST",
            "/api/v1/entries",
            json={
                "kind": "bite_size_workshop",
                "title": f"Workshop {i}",
                "start_date": today.isoformat(),
                "hours": hours,
            },
        )
        assert created.status_code == 201, created.get_json()

    page = phone.new_page()
    log_in(page, live_server, practitioner, PASSWORD)
    sync_status(page).get_by_text("All synced").wait_for(timeout=20_000)
    # Home was drawn before the pull finished; it must catch up without the user doing anything.
    page.locator(".summary").get_by_text("3 entries this year · 6.5 h").wait_for(timeout=10_000)
    assert page.get_by_role("link", name="Workshop 2").count() == 1
