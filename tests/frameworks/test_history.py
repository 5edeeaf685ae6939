"""Cycles over time (#19): every cycle with its verdict, and the cycle just ended shown beside the
current one for a quarter after it ends (on 1 December a social worker still sees last year's
standard 4 coverage)."""

from __future__ import annotations

import datetime as dt
import uuid

from logbook.accounts.models import Registration
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks import history
from logbook.frameworks.service import load_shipped_frameworks
from tests.factories import persist
from tests.frameworks.fakes import FakeRegistration, entry

D = dt.date.fromisoformat
SWE = FakeRegistration("SWE", "social worker", "swe", registered_since=D("2022-06-01"))


def _tagged(day: str, *codes: str, **fields):
    return entry(
        "course", day, standards=[{"framework": "swe", "version": 2, "code": c} for c in codes], **fields
    )


def test_every_cycle_back_to_the_registration_with_its_verdict(frameworks):
    entries = [
        _tagged("2025-12-10", "4.1", "4.2"),
        _tagged("2026-03-02", "4.3", "4.4", includes_peer_reflection=True),
        _tagged("2026-11-20", "4.6"),
        _tagged("2024-01-15", "4.1"),
    ]
    result = history.cycle_history(SWE, frameworks["swe"], entries, D("2026-12-01"))
    spans = [(c["which"], c["starts_on"], c["ends_on"], c["status"]) for c in result["cycles"]]
    assert spans == [
        ("current", "2026-12-01", "2027-11-30", "on_track"),
        ("previous", "2025-12-01", "2026-11-30", "met"),
        ("earlier", "2024-12-01", "2025-11-30", "not_met"),
        ("earlier", "2023-12-01", "2024-11-30", "not_met"),
        ("earlier", "2022-12-01", "2023-11-30", "not_met"),
        ("earlier", "2022-06-01", "2022-11-30", "not_met"),  # clipped to the registration's start
    ]
    previous = result["cycles"][1]
    standard_4 = next(r for r in previous["rules"] if r["id"] == "standard_4_coverage")
    assert (standard_4["value"], standard_4["target"]) == (5, 8)


def test_without_a_start_date_the_history_goes_back_to_the_earliest_entry(frameworks):
    swe = FakeRegistration("SWE", "social worker", "swe")
    entries = [_tagged("2024-01-15", "4.1")]
    result = history.cycle_history(swe, frameworks["swe"], entries, D("2026-12-01"))
    assert [c["starts_on"] for c in result["cycles"]] == [
        "2026-12-01",
        "2025-12-01",
        "2024-12-01",
        "2023-12-01",
    ]
    assert len(history.cycle_history(swe, frameworks["swe"], [], D("2026-12-01"))["cycles"]) == 2


def test_a_cycle_that_has_just_ended_is_shown_for_a_quarter():
    ended = D("2026-11-30")
    assert not history.recently_ended(ended, D("2026-11-30"))  # still the current cycle that day
    assert history.recently_ended(ended, D("2026-12-01"))
    assert history.recently_ended(ended, ended + dt.timedelta(days=history.ENDED_SHOWN_DAYS))
    assert not history.recently_ended(ended, ended + dt.timedelta(days=history.ENDED_SHOWN_DAYS + 1))


def test_the_history_endpoint_answers_for_the_caller_only(app, make_user, make_client):
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    person = make_user("practitioner")
    other = make_user("practitioner")
    persist(
        app,
        Registration(
            user_id=person.id,
            regulator="SWE",
            profession="social worker",
            framework_id="swe",
            registered_since=D("2024-06-01"),
        ),
        Entry(
            id=uuid.uuid4(),
            owner_id=person.id,
            organisation_id=person.organisation_id,
            kind="course",
            title="Court skills",
            start_date=D("2026-02-02"),
            hours=3,
            is_participatory=True,
            standards=[{"framework": "swe", "version": 2, "code": "4.2"}],
        ),
    )
    body = make_client(person).get("/api/v1/progress/history?as_of=2026-12-01").get_json()
    (reg,) = body["registrations"]
    assert [c["which"] for c in reg["cycles"]] == ["current", "previous", "earlier", "earlier"]
    assert reg["cycles"][1]["status"] == "not_met"  # one record of two
    assert reg["cycles"][1]["numbers"]["records"] == 1
    assert make_client(other).get("/api/v1/progress/history").get_json()["registrations"] == []
    assert make_client().get("/api/v1/progress/history").status_code == 401
