"""Precomputed compliance (organisation-visible entries only, refreshed, freshness shown) and the
set-based supervision view (same answers as supervision_due, scoped to a team manager's teams)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from decimal import Decimal

from click.testing import CliRunner
from flask import current_app

from logbook import cli
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import Registration, Team, User
from logbook.config import KeyRing
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.insights import service
from logbook.insights.models import InsightCompliance, InsightRefresh
from logbook.insights.precompute import refresh_compliance
from logbook.supervision.models import SupervisionAgreement, SupervisionSession
from logbook.supervision.sessions import supervision_due

TODAY = dt.date(2026, 10, 15)  # late in the SWE year (1 Dec 2025 - 30 Nov 2026): at risk from 1 Sept


def _view(app, user_id, view, threshold=1, today=TODAY, **filters):
    with app.app_context():
        viewer = db.session.get(User, user_id)
        out = service.insight_view(
            viewer=viewer, view=view, filters=filters, threshold=threshold, today=today, ring=KeyRing.of(app)
        )
        db.session.commit()
        return out


def _cell(out, row, column):
    return out["cells"][out["rows"].index(row)][out["columns"].index(column)]


def _register_swe(app, user_id):
    with app.app_context():
        load_shipped_frameworks()
        db.session.add(
            Registration(user_id=user_id, regulator="SWE", profession="social worker", framework_id="swe")
        )
        db.session.commit()


def _two_pieces(app, user_id, visibility):
    """Enough for the SWE year: two different pieces of CPD, one with a peer reflection."""
    with app.app_context():
        owner = db.session.get(User, user_id)
        for n, peer in enumerate((True, False)):
            db.session.add(
                Entry(
                    id=uuid.uuid4(),
                    owner_id=owner.id,
                    organisation_id=owner.organisation_id,
                    kind="course",
                    title=f"Course {n}",
                    start_date=dt.date(2026, 1, 10 + n),
                    hours=Decimal(2),
                    is_participatory=True,
                    includes_peer_reflection=peer,
                    visibility=visibility,
                )
            )
        db.session.commit()


def test_compliance_counts_only_entries_the_organisation_may_see(app, admin, make_user):
    shared = make_user(name="Shared").id
    private = make_user(name="Private").id
    for uid, visibility in ((shared, "organisation"), (private, "private")):
        _register_swe(app, uid)
        _two_pieces(app, uid, visibility)
    out = _view(app, admin.id, "compliance")
    assert _cell(out, "SWE", "met") == {"people": 1}
    assert _cell(out, "SWE", "at_risk") == {"people": 1}
    # The private recorder is met on their own progress screen, at risk as the organisation sees it.
    assert [p["name"] for p in out["at_risk"]] == ["Private"]


def test_compliance_reads_the_precomputed_rows_and_says_how_fresh_they_are(app, admin, make_user):
    first = make_user(name="First").id
    _register_swe(app, first)
    out = _view(app, admin.id, "compliance")  # never worked out: worked out now, for today
    assert out["as_of"] == TODAY.isoformat()
    assert out["computed_at"]
    assert out["total"] == {"people": 1}
    later = make_user(name="Later").id
    _register_swe(app, later)
    stale = _view(app, admin.id, "compliance", today=TODAY + dt.timedelta(days=1))
    assert stale["total"] == {"people": 1}  # not yet refreshed: still the figures of TODAY
    assert stale["as_of"] == TODAY.isoformat()
    with app.app_context():
        assert (
            refresh_compliance(
                organisation_id=admin.organisation_id,
                today=TODAY + dt.timedelta(days=1),
                ring=KeyRing.of(app),
            )
            == 2
        )
        db.session.commit()
    fresh = _view(app, admin.id, "compliance", today=TODAY + dt.timedelta(days=1))
    assert fresh["total"] == {"people": 2}
    assert fresh["as_of"] == (TODAY + dt.timedelta(days=1)).isoformat()
    assert {p["name"] for p in fresh["at_risk"]} == {"First", "Later"}


def test_insights_refresh_command_works_out_every_organisation(app, admin, make_user, monkeypatch):
    uid = make_user(name="Someone").id
    _register_swe(app, uid)
    monkeypatch.setattr(cli, "_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["insights-refresh"])
    assert result.exit_code == 0, result.output
    assert "1 registrants" in result.output
    with app.app_context():
        rows = db.session.query(InsightCompliance).all()
        assert [(r.user_id, r.regulator) for r in rows] == [(uid, "SWE")]
        assert db.session.get(InsightRefresh, (admin.organisation_id, "compliance")).people == 1


def test_compliance_and_supervision_in_the_api_say_as_of(make_client, admin, make_user, app):
    _register_swe(app, make_user(name="Registrant").id)
    body = make_client(admin).get("/api/v1/insights/compliance").get_json()
    assert body["as_of"]
    assert body["computed_at"]
    assert make_client(admin).get("/api/v1/insights/supervision").get_json()["as_of"]


def _session(supervisor_id, supervisee_id, day, cancelled=False):
    at = dt.datetime.combine(day, dt.time(10), dt.UTC)
    return SupervisionSession(
        supervisor_id=supervisor_id,
        supervisee_id=supervisee_id,
        starts_at=at,
        duration_minutes=60,
        is_cancelled=cancelled,
        created_by_id=supervisor_id,
    )


def test_supervision_gives_the_same_answers_as_supervision_due(app, admin, make_user):
    sup = make_user("supervisor").id
    other_sup = make_user("supervisor").id
    people = [make_user(name=f"P{n}").id for n in range(8)]
    with app.app_context():
        links = [
            SupervisionLink(supervisor_id=sup, supervisee_id=p, starts_on=TODAY - dt.timedelta(days=200))
            for p in people
        ]
        # P0: session 10 days ago (on time). P1: only a cancelled session 10 days ago (overdue).
        # P2: agreement every 14 days, session 20 days ago (overdue). P3: agreement 60 days, 50 ago (on time).
        # P4: on time with one supervisor, overdue with another (overdue). P5: link ended (not counted).
        # P6: link starts next week (not counted). P7: a session in the future only (overdue).
        links[5].ends_on = TODAY - dt.timedelta(days=1)
        links[6].starts_on = TODAY + dt.timedelta(days=7)
        db.session.add_all(links)
        db.session.add(
            SupervisionLink(supervisor_id=other_sup, supervisee_id=people[4], starts_on=dt.date(2026, 1, 1))
        )
        db.session.flush()
        db.session.add(SupervisionAgreement(link_id=links[2].id, frequency_days=14, agreed_on=TODAY))
        db.session.add(SupervisionAgreement(link_id=links[3].id, frequency_days=60, agreed_on=TODAY))
        db.session.add_all(
            [
                _session(sup, people[0], TODAY - dt.timedelta(days=10)),
                _session(sup, people[1], TODAY - dt.timedelta(days=10), cancelled=True),
                _session(sup, people[2], TODAY - dt.timedelta(days=20)),
                _session(sup, people[3], TODAY - dt.timedelta(days=50)),
                _session(sup, people[4], TODAY - dt.timedelta(days=3)),
                _session(sup, people[7], TODAY + dt.timedelta(days=3)),
            ]
        )
        db.session.commit()
        viewer = db.session.get(User, admin.id)
        expected: dict[uuid.UUID, str] = {}
        for due in supervision_due(
            viewer=viewer,
            scope="organisation",
            today=TODAY,
            default_days=current_app.config["SUPERVISION_DEFAULT_FREQUENCY_DAYS"],
        ):
            status = (
                "no_frequency" if due.frequency_days is None else ("overdue" if due.is_overdue else "on_time")
            )
            if expected.get(due.supervisee_id) != "overdue":
                expected[due.supervisee_id] = status
    counts = Counter(expected.values())
    assert counts == {"on_time": 2, "overdue": 4}  # the hand-worked answer
    out = _view(app, admin.id, "supervision")
    assert out["rows"] == ["unspecified"]
    assert out["cells"][0] == [{"people": counts[c]} for c in ("on_time", "overdue", "no_frequency")]


def test_a_team_manager_sees_only_their_teams_supervision(app, known_org, make_user):
    sup = make_user("supervisor").id
    with app.app_context():
        for uid in [*known_org.social_workers, *known_org.nurses]:
            db.session.add(
                SupervisionLink(
                    supervisor_id=sup, supervisee_id=uid, starts_on=TODAY - dt.timedelta(days=400)
                )
            )
        db.session.commit()
    manager = make_user("team_manager")
    with app.app_context():
        user = db.session.get(User, manager.id)
        user.managed_teams.append(db.session.get(Team, known_org.team_b))
        db.session.commit()
    out = _view(app, manager.id, "supervision")
    assert out["rows"] == ["School Nurse"]
    assert out["total"] == {"people": 4}
    assert _cell(out, "School Nurse", "overdue") == {"people": 4}
