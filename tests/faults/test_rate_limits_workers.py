"""The documented rate limits hold exactly under `logbook serve --prod --workers 4` (gunicorn, four
processes), because every worker counts in one shared store (issue #17: with memory:// each worker
counted on its own; 58-72 wrong /verify codes got 404 before a 429, failed logins reached 6-9).

Each run comes from its own made-up client address (X-Forwarded-For through PROXY_FIX) so that
counts left in Redis by an earlier run never meet this one."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.faults.test_worker_killed import ROOT, free_port

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        return bool(Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except RedisConnectionError:
        return False


STORES = [
    pytest.param(None, id="database"),  # the default: the app's own database
    pytest.param(
        REDIS_URL, id="redis", marks=pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
    ),
]


def _wait_up(base: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    """Poll /healthz until it answers (no fixed sleeps: a busy machine starts workers slowly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            if requests.get(base + "/healthz", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not come up")


@pytest.fixture(params=STORES)
def server(request, app, database_url, tmp_path):
    """`logbook serve --prod --workers 4` on the test database and a free port."""
    port = free_port()
    env = {
        **os.environ,
        "LOGBOOK_ENV": "testing",  # plain http: the session cookie is not marked Secure
        "LOGBOOK_DATABASE_URL": database_url,
        "LOGBOOK_SECRET_KEY": app.config["SECRET_KEY"],
        "LOGBOOK_EVIDENCE_URL": str(tmp_path / "evidence"),
        "LOGBOOK_PROXY_FIX": "true",
    }
    env.pop("LOGBOOK_RATELIMIT_STORAGE_URI", None)
    if request.param:
        env["LOGBOOK_RATELIMIT_STORAGE_URI"] = request.param
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            str(Path(sys.executable).with_name("logbook")),
            "serve",
            "--prod",
            "--workers",
            "4",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_up(base, proc)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _address() -> str:
    """A made-up client address (TEST-NET-2 and benchmarking ranges), new for every run."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"  # noqa: S311 - not secret  # nosec B311


def test_documented_limits_hold_exactly_across_four_workers(server, practitioner):
    """docs/security.md: 5 failed logins per account in 15 minutes, then 429 (the lockout, after 10
    in a row, is not reached); 20 wrong /verify codes an hour per address, then 429. Every request is
    a new connection, which any of the four workers may take."""
    base = server
    headers = {"X-Forwarded-For": _address()}
    codes = []
    for _ in range(8):
        s = requests.Session()  # a new browser each time: nothing ties the attempts together but the email
        token = s.get(base + "/api/v1/auth/csrf", headers=headers, timeout=10).json()["csrf_token"]
        r = s.post(
            base + "/api/v1/auth/login",
            json={"email": practitioner.email, "password": "not the password " + uuid.uuid4().hex},
            headers={**headers, "X-CSRFToken": token},
            timeout=30,
        )
        codes.append(r.status_code)
    assert codes == [401] * 5 + [429] * 3

    headers = {"X-Forwarded-For": _address()}
    codes = [
        requests.get(f"{base}/verify/WRONG-{i:04d}-CODE", headers=headers, timeout=10).status_code
        for i in range(24)
    ]
    assert codes == [404] * 20 + [429] * 4
    other = {"X-Forwarded-For": _address()}  # another address is not affected
    assert requests.get(f"{base}/verify/WRONG-9999-CODE", headers=other, timeout=10).status_code == 404
