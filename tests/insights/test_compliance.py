"""Compliance and supervision views: counts per regulator and role, named at-risk lists, access."""

from __future__ import annotations

import datetime as dt

from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import Registration, Team, User
from logbook.config import KeyRing
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.insights import service

LATE_IN_CYCLE = dt.date(2026, 10, 15)  # SWE cycle ends 2026-11-30: nothing recorded → at risk


def _view(app, user_id, view, threshold=1, today=LATE_IN_CYCLE, **filters):
    with app.app_context():
        viewer = db.session.get(User, user_id)
        return service.insight_view(
            viewer=viewer, view=view, filters=filters, threshold=threshold, today=today, ring=KeyRing.of(app)
        )


def _register(app, user_ids, regulator="SWE", framework_id="swe"):
    with app.app_context():
        load_shipped_frameworks()
        for uid in user_ids:
            db.session.add(
                Registration(
                    user_id=uid, regulator=regulator, profession="social worker", framework_id=framework_id
                )
            )
        db.session.commit()


def test_compliance_counts_and_named_people_at_risk(app, known_org, admin, make_user):
    fresh = [make_user(team_id=known_org.team_b, name=f"New {n}").id for n in range(2)]
    _register(app, fresh)
    _register(app, known_org.nurses[:1], regulator="NMC", framework_id=None)
    out = _view(app, admin.id, "compliance")
    assert out["rows"] == ["NMC", "SWE"]
    assert out["cells"][1][out["columns"].index("at_risk")] == {"people": 2}
    assert out["cells"][0][out["columns"].index("no_framework")] == {"people": 1}
    assert [p["name"] for p in out["at_risk"]] == ["New 0", "New 1"]
    assert {p["cycle_ends_on"] for p in out["at_risk"]} == {"2026-11-30"}
    hidden = _view(app, admin.id, "compliance", threshold=5)
    assert hidden["cells"][1][hidden["columns"].index("at_risk")] == {"suppressed": True}


def test_a_team_manager_sees_only_their_teams_at_risk_people(app, known_org, make_user):
    mine = make_user(team_id=known_org.team_a, name="Mine").id
    theirs = make_user(team_id=known_org.team_b, name="Theirs").id
    _register(app, [mine, theirs])
    manager = make_user("team_manager")
    with app.app_context():
        user = db.session.get(User, manager.id)
        user.managed_teams.append(db.session.get(Team, known_org.team_a))
        db.session.commit()
    out = _view(app, manager.id, "compliance")
    assert [p["name"] for p in out["at_risk"]] == ["Mine"]
    assert out["total"] == {"people": 1}


def test_supervision_overdue_by_job_role(app, known_org, admin, make_user):
    supervisor = make_user("supervisor")
    with app.app_context():
        for n, uid in enumerate(known_org.social_workers):
            db.session.add(
                SupervisionLink(
                    supervisor_id=supervisor.id,
                    supervisee_id=uid,
                    starts_on=LATE_IN_CYCLE - dt.timedelta(days=10 if n < 2 else 100),
                )
            )
        db.session.commit()
    out = _view(app, admin.id, "supervision")
    assert out["rows"] == ["Social Worker"]
    assert out["cells"][0] == [{"people": 2}, {"people": 5}, {"people": 0}]
    hidden = _view(app, admin.id, "supervision", threshold=5)
    assert hidden["cells"][0][0] == {"suppressed": True}
    assert hidden["cells"][0][1] == {"suppressed": True}  # else 7 - 5 reveals the 2
