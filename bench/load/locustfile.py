"""The load mix for `make bench-load`: practitioners' phones and browsers against the JSON API.

Each simulated client logs in as one of the demo practitioners, then with 0.5-1.5 s of think time
between requests: pulls the sync feed after its cursor (the first pull starts from nothing), pushes
small batches of creates and updates, lists entries, reads progress, and now and then prints a
month's portfolio PDF. Figures are counted from the moment the last client has logged in, for
LOAD_MEASURE_SECONDS. Runs in its own virtualenv (locust brings gevent); started by run_load.py.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import uuid

import gevent
from locust import HttpUser, between, task

USERS: list[str] = json.loads(open(os.environ["LOAD_USERS"], encoding="utf-8").read())  # noqa: SIM115
PASSWORD = os.environ["LOAD_PASSWORD"]
MEASURE_SECONDS = float(os.environ.get("LOAD_MEASURE_SECONDS", "0"))
_next_user = itertools.count()
_logged_in = 0
_login_retries = 0


class Practitioner(HttpUser):
    """One device of one practitioner."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.email = USERS[next(_next_user) % len(USERS)]
        token = self.client.get("/api/v1/auth/csrf", name="login").json()["csrf_token"]
        for _attempt in range(5):  # as the app does: a 503 is tried again after Retry-After
            r = self.client.post(
                "/api/v1/auth/login",
                json={"email": self.email, "password": PASSWORD},
                headers={"X-CSRFToken": token},
                name="login",
            )
            if r.status_code != 503:
                break
            global _login_retries  # noqa: PLW0603
            _login_retries += 1
            gevent.sleep(float(r.headers.get("Retry-After", "2")))
        if not r.ok:
            # Counted in all the same, so one failed login (e.g. a 503 from a load balancer with no
            # server up) cannot stop the measured window from starting; the failure stays counted.
            self._count_in()
        r.raise_for_status()
        self.csrf = r.json()["csrf_token"]
        self.device = "load-" + uuid.uuid4().hex[:16]
        self.mutation_id = 0
        self.cursor: str | None = None
        self.mine: dict[str, int] = {}  # entry id → version, for updates
        self._count_in()

    def _count_in(self) -> None:
        """When the last client has logged in, start measuring: logins (argon2, on purpose slow, and
        once a month on a real phone) and the ramp are not in the figures."""
        global _logged_in  # noqa: PLW0603 - one counter for all clients of this process
        _logged_in += 1
        runner = self.environment.runner
        if runner is not None and _logged_in == runner.target_user_count:
            self.environment.stats.reset_all()
            print(
                f"all {_logged_in} clients logged in ({_login_retries} logins answered 503 and retried): "
                f"measuring for {MEASURE_SECONDS:.0f} s",
                flush=True,
            )
            if MEASURE_SECONDS:
                gevent.spawn_later(MEASURE_SECONDS, runner.quit)

    @task(20)
    def sync_pull(self) -> None:
        params = {"limit": 200} | ({"cursor": self.cursor} if self.cursor else {})
        name = "sync pull" if self.cursor else "sync pull (from start)"
        with self.client.get("/api/v1/sync/pull", params=params, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
                return
            body = r.json()
            self.cursor = None if body.get("reset") else body.get("next_cursor") or self.cursor

    @task(10)
    def sync_push(self) -> None:
        mutations = []
        for _ in range(random.randint(1, 3)):
            self.mutation_id += 1
            if self.mine and random.random() < 0.4:
                entry_id, version = random.choice(list(self.mine.items()))
                mutations.append(
                    {
                        "mutation_id": self.mutation_id,
                        "entity": "entry",
                        "id": entry_id,
                        "op": "update",
                        "base_version": version,
                        "fields": {"description": f"Notes revised {self.mutation_id}"},
                    }
                )
            else:
                day = dt.date.today() - dt.timedelta(days=random.randint(1, 60))  # noqa: DTZ011
                mutations.append(
                    {
                        "mutation_id": self.mutation_id,
                        "entity": "entry",
                        "id": str(uuid.uuid4()),
                        "op": "create",
                        "fields": {
                            "kind": "study_day",
                            "title": f"Load test course {self.mutation_id}",
                            "start_date": day.isoformat(),
                            "hours": 2,
                        },
                    }
                )
        with self.client.post(
            "/api/v1/sync/push",
            json={"client_id": self.device, "mutations": mutations},
            headers={"X-CSRFToken": self.csrf},
            name="sync push",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")
                return
            for result in r.json()["results"]:
                if result["status"] == "applied":
                    self.mine[result["id"]] = result["version"]
                elif result["status"] == "rejected":
                    r.failure(f"rejected: {result.get('code')}")

    @task(15)
    def entry_list(self) -> None:
        self.client.get("/api/v1/entries", name="entry list")

    @task(10)
    def progress(self) -> None:
        self.client.get("/api/v1/progress", name="progress")

    @task(1)
    def portfolio_pdf(self) -> None:
        today = dt.date.today()  # noqa: DTZ011
        with self.client.post(
            "/api/v1/portfolio",
            json={
                "format": "generic",
                "date_from": (today - dt.timedelta(days=31)).isoformat(),
                "date_to": today.isoformat(),
            },
            headers={"X-CSRFToken": self.csrf},
            name="portfolio PDF (a month)",
            catch_response=True,
        ) as r:
            if r.status_code == 409 and _code(r) == "job_in_progress":
                # Two simulated devices of one person: the first's portfolio is still being made and
                # the answer names it (the app then follows that job). Expected, not a failure.
                r.success()
            elif r.status_code not in (200, 202):
                r.failure(f"status {r.status_code}")


def _code(response) -> str:
    """The error code of a JSON error response ('' when there is none)."""
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return ""
