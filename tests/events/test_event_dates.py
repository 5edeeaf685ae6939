"""Events at year 1 or near 9999 are refused with 422 naming the field (supported days 1900-01-01 …
2199-12-31, logbook/fields.py), never a 500 in the time zone or calendar code."""

import pytest

from logbook.fields import DATE_MESSAGE
from tests.factories import event_body


@pytest.mark.parametrize(
    "starts_at", ["0001-01-01T09:00:00+00:00", "9999-12-31T23:00:00+00:00", "9999-12-31T22:00:00-05:00"]
)
def test_an_event_outside_the_supported_days_is_a_422(make_client, cast, starts_at):
    admin = make_client(cast.admin)
    response = admin.api("POST", "/api/v1/events", json={**event_body(materials=[]), "starts_at": starts_at})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["fields"] == {"starts_at": [DATE_MESSAGE]}
    assert admin.get("/api/v1/events").get_json()["items"] == []
