"""JSON request bodies have budgets (logbook/safejson.py, docs/security.md "Limits"): text nested
deeper than 64 levels, a number written with more than 100 digits or a body over 2 MiB is refused
with 400/413 naming the limit, before Python's recursive parser sees it. Before: JSON nested ≥ 489
deep (RecursionError) or an integer of more than 4,300 digits (ValueError) was a 500 on every JSON
endpoint, and record.json nested 3,000 deep was a 500 on import."""

from __future__ import annotations

import contextlib
import io
import json
import time
import zipfile

import pytest

from logbook import safejson

DEEP = "[" * 3000 + "]" * 3000
LONG_NUMBER = "1" * 5000

# one endpoint per way of reading a body: webargs (entries, teams), request.get_json (login, sync)
ENDPOINTS = ["/api/v1/entries", "/api/v1/admin/teams", "/api/v1/auth/login", "/api/v1/sync/push"]


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ('{"title": ' + DEEP + "}", "json_too_deep", "at most 64"),
        ("[" * 489 + "]" * 489, "json_too_deep", "at most 64"),
        ('{"hours": ' + LONG_NUMBER + "}", "json_number_too_long", "at most 100 digits"),
        ('{"hours": 1.' + "0" * 4400 + "}", "json_number_too_long", "at most 100 digits"),
    ],
)
def test_deep_json_and_long_numbers_are_a_400_naming_the_limit(admin_client, url, body, code, words):
    response = admin_client.api("POST", url, data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == code
    assert words in error["message"]
    assert admin_client.get("/api/v1/admin/teams").get_json() == []  # nothing was saved


def test_a_body_over_the_json_limit_is_a_413(admin_client):
    body = json.dumps({"name": "x" * (safejson.REQUEST_MAX_BYTES + 1), "service_area": "health"})
    response = admin_client.api("POST", "/api/v1/admin/teams", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "json_too_large"


def test_brackets_and_digits_inside_strings_do_not_count(admin_client):
    name = "[{" * 40 + "9" * 110 + '\\"[[' + "\\\\"
    body = '{"name": "' + name + '", "service_area": "health"}'
    response = admin_client.api("POST", "/api/v1/admin/teams", data=body, content_type="application/json")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["name"] == json.loads('"' + name + '"')


def test_json_at_the_limits_is_parsed():
    assert safejson.loads("[" * 64 + "]" * 64, max_depth=64, max_int_digits=1) is not None
    assert safejson.loads("1" * 100, max_depth=1, max_int_digits=100) == int("1" * 100)
    with pytest.raises(safejson.JSONBudgetError):
        safejson.loads("[" * 65 + "]" * 65, max_depth=64, max_int_digits=1)
    with pytest.raises(safejson.JSONBudgetError):
        safejson.loads("1" * 101, max_depth=1, max_int_digits=100)
    # not JSON is still a JSONDecodeError (webargs answers 400 "not valid JSON")
    with pytest.raises(json.JSONDecodeError):
        safejson.loads('{"a": ', max_depth=1, max_int_digits=1)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "[" * n,  # deep
        lambda n: '"' + '\\"' * n,  # unterminated string of escaped quotes: quadratic if retried
        lambda n: "[1," * n,
        lambda n: "9" * n,
    ],
)
def test_the_check_is_linear(make):
    """Measured on 100 k and 1 M characters, the best of five runs each (robust on a busy machine):
    ten times the text may take at most 40 times as long (a quadratic scan takes 100 times as
    long); 1 M characters stay under two seconds."""

    def cost(n: int) -> float:
        text = make(n)
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            with contextlib.suppress(ValueError):
                safejson.check(text, max_depth=64, max_int_digits=100)
            best = min(best, time.perf_counter() - start)
        return max(best, 2e-3)

    small, large = cost(100_000), cost(1_000_000)
    assert large < 2.0
    assert large / small < 40, (small, large)


def test_a_record_nested_3000_deep_is_a_422_naming_the_file(make_user, make_client):
    me = make_client(make_user("practitioner"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("record.json", '{"format": "cpd-logbook-record", "x": ' + DEEP + "}")
    response = me.api("POST", "/api/v1/record/import", data=buffer.getvalue(), content_type="application/zip")
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert "nested 3001 levels deep" in response.get_json()["error"]["fields"]["file"][0]
