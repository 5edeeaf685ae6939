"""Sync across two app servers: a change pushed through one is pulled through the other, and the
gap-free change feed holds while both servers write at once (docs/sync.md)."""

from __future__ import annotations

import threading
import uuid

import pytest

from tests.scale.web import logged_in
from tests.sync.device import Device, entry_fields

pytestmark = pytest.mark.scale


def test_a_change_pushed_through_one_server_is_pulled_through_the_other(base, make_person):
    person = make_person()
    phone = Device(logged_in(base, person.email, pin="app1"))
    tablet = Device(logged_in(base, person.email, pin="app2"))
    rid = uuid.uuid4()
    out = phone.push(phone.mutation("create", rid, **entry_fields(title="Pushed through app1")))
    assert out["results"][0]["status"] == "applied"
    items = tablet.pull_all()
    assert [(i["id"], i["op"], i["record"]["title"]) for i in items] == [
        (str(rid), "upsert", "Pushed through app1")
    ]
    assert phone.client.served.keys() == {"app1"}
    assert tablet.client.served.keys() == {"app2"}
    # and back: an edit through app2 reaches the first phone through app1
    tablet.push(tablet.mutation("update", rid, base_version=1, title="Edited through app2"))
    [item] = phone.pull_all()
    assert (item["id"], item["version"], item["record"]["title"]) == (str(rid), 2, "Edited through app2")


def test_the_feed_is_gap_free_while_both_servers_write(base, make_person):
    """Two phones push one entry at a time through different servers, concurrently; a third pulls
    after its cursor all the while, through HAProxy (both servers). Every entry reaches it exactly
    once: a commit that lands late never falls behind a cursor already handed out."""
    person = make_person()
    writers = [Device(logged_in(base, person.email, pin=server)) for server in ("app1", "app2")]
    reader = Device(logged_in(base, person.email))
    each = 12
    written: list[str] = []
    failures: list[BaseException] = []
    done = threading.Event()

    def write(phone: Device) -> None:
        try:
            for i in range(each):
                rid = uuid.uuid4()
                phone.push(phone.mutation("create", rid, **entry_fields(title=f"Concurrent {i}")))
                written.append(str(rid))
        except BaseException as err:  # noqa: BLE001 - reported by the test thread
            failures.append(err)

    threads = [threading.Thread(target=write, args=(w,)) for w in writers]
    for t in threads:
        t.start()
    seen: list[str] = []
    while any(t.is_alive() for t in threads):
        seen += [i["id"] for i in reader.pull_all()]
    for t in threads:
        t.join()
    done.set()
    seen += [i["id"] for i in reader.pull_all()]
    assert not failures, failures
    assert len(written) == 2 * each
    assert sorted(seen) == sorted(written)  # every one, none twice
    assert {"app1", "app2"} <= set(reader.client.served)  # the reader's pulls went to both
    fresh = Device(logged_in(base, person.email))
    assert sorted(i["id"] for i in fresh.pull_all()) == sorted(written)
