"""A small hand-built organisation with known answers for the insight views."""

from __future__ import annotations

import datetime as dt

import pytest

from logbook.accounts.models import JobRole, Team, User
from logbook.extensions import db
from tests.insights.cast import Org, entry


@pytest.fixture
def known_org(app, org, other_org, make_user) -> Org:
    """7 social workers in team A (one with no shared CPD), 4 nurses in team B.

    Social workers: a 2h course each (6 of them), one also a 3h shadowing of a nurse.
    Nurses: a 1h course each tagged Common Core areas 1 and 2, with a nurse joint learning entry.
    Plus entries that must never count: private, draft, deleted, and another organisation's.
    """
    out = Org()
    with app.app_context():
        a = Team(organisation_id=org.id, name="Team A", service_area="social_care")
        b = Team(organisation_id=org.id, name="Team B", service_area="health")
        sw = JobRole(
            organisation_id=org.id,
            name="Social Worker",
            service_area="social_care",
            profession="social worker",
        )
        rn = JobRole(organisation_id=org.id, name="School Nurse", service_area="health", profession="nurse")
        db.session.add_all([a, b, sw, rn])
        db.session.commit()
        out.team_a, out.team_b = a.id, b.id
        sw_id, rn_id = sw.id, rn.id
    for n in range(7):
        out.social_workers.append(make_user(team_id=out.team_a, job_role_id=sw_id, name=f"SW {n}").id)
    for n in range(4):
        out.nurses.append(make_user(team_id=out.team_b, job_role_id=rn_id, name=f"RN {n}").id)
    stranger = make_user(organisation=other_org, name="Elsewhere")
    with app.app_context():
        people = {u.id: u for u in db.session.query(User)}
        rows = [entry(people[u], "course", "2") for u in out.social_workers[:6]]
        rows.append(entry(people[out.social_workers[0]], "shadowing", "3", other_professions=["Nurse"]))
        rows += [entry(people[u], "course", "1", common_core=["1", "2"]) for u in out.nurses]
        rows.append(
            entry(
                people[out.nurses[0]],
                "team_study_day",
                "0",
                other_professions=["social worker"],
                start_date=dt.date(2026, 4, 2),
            )
        )
        # Never counted:
        lone = people[out.social_workers[6]]
        rows.append(entry(lone, "course", "50", visibility="private"))
        rows.append(entry(lone, "course", "50", visibility="supervisors"))
        rows.append(entry(lone, "course", "50", status="draft"))
        rows.append(entry(lone, "course", "50", is_deleted=True))
        rows.append(entry(people[stranger.id], "course", "70"))
        db.session.add_all(rows)
        db.session.commit()
    return out
