"""`logbook demo --scale N`: a large organisation that is what the command says it is."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from logbook import cli
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import JobRole, Organisation, Registration, Team, User, team_manager
from logbook.accounts.service import DEFAULT_FRAMEWORK
from logbook.config import KeyRing
from logbook.demo.scale import PASSWORD
from logbook.entries.models import Entry
from logbook.extensions import db
from logbook.frameworks.kinds import KINDS
from logbook.insights import service
from logbook.insights.models import InsightRefresh
from logbook.supervision.models import SupervisionSession
from logbook.timeutil import utcnow


@pytest.fixture
def scaled(app, monkeypatch):
    """The output of `logbook demo --scale 60 --entries-each 12`."""
    monkeypatch.setattr(cli, "_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["demo", "--scale", "60", "--entries-each", "12"])
    assert result.exit_code == 0, result.output
    return result.output


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_scale_demo_makes_what_it_says(app, scaled):
    said = {
        k: int(v.replace(",", ""))
        for v, k in re.findall(
            r"([\d,]+) (practitioners|teams|job roles|registrations|supervision links|sessions|entries)",
            scaled,
        )
    }
    with app.app_context():
        org = db.session.scalar(select(Organisation).where(Organisation.slug == "scale-60"))
        assert (
            _count(User, User.organisation_id == org.id, User.is_practitioner.is_(True))
            == said["practitioners"]
            == 60
        )
        assert _count(User, User.organisation_id == org.id, User.is_org_admin.is_(True)) == 1
        assert _count(Team, Team.organisation_id == org.id) == said["teams"] == 3
        assert _count(JobRole, JobRole.organisation_id == org.id) == said["job roles"] == 74
        assert _count(Entry, Entry.organisation_id == org.id) == said["entries"] == 60 * 12
        assert _count(Registration) == said["registrations"] > 0
        assert _count(SupervisionLink) == said["supervision links"] == 60 - 3  # all but the 3 team managers
        assert _count(SupervisionSession) == said["sessions"] > 0
        # The compliance figures are worked out straight away (as the daily refresh would).
        assert db.session.get(InsightRefresh, (org.id, "compliance")).people == said["registrations"]
        # Every team has a manager who is one of its members.
        managed = db.session.execute(select(team_manager.c.user_id, team_manager.c.team_id)).all()
        assert len(managed) == 3
        for user_id, team_id in managed:
            assert db.session.get(User, user_id).team_id == team_id
        # Regulated roles are registered with their role's regulator and shipped framework; no one else is.
        people = db.session.scalars(
            select(User).where(User.organisation_id == org.id, User.is_practitioner.is_(True))
        ).all()
        for person in people:
            regulator = person.job_role.usual_regulator
            expected = [(regulator, DEFAULT_FRAMEWORK[regulator])] if regulator in DEFAULT_FRAMEWORK else []
            assert [(r.regulator, r.framework_id) for r in person.registrations] == expected
            assert person.job_role.service_area == person.team.service_area
        entries = db.session.execute(
            select(
                Entry.kind,
                Entry.owner_id,
                Entry.other_professions,
                Entry.common_core,
                Entry.visibility,
                Entry.status,
            )
        ).all()
        profession = {p.id: p.job_role.profession for p in people}
        kinds = {e.kind for e in entries}
        assert kinds <= set(KINDS)
        assert len(kinds) >= 10  # a realistic mix, not one kind
        shadowing = [e for e in entries if e.kind == "shadowing"]
        assert shadowing
        for e in shadowing:  # shadowing names one other profession of the organisation, never one's own
            assert len(e.other_professions) == 1
            assert e.other_professions[0] != profession[e.owner_id]
        assert all(set(e.common_core) <= set("123456") for e in entries)
        assert any(e.common_core for e in entries)
        assert {e.visibility for e in entries} == {"organisation", "supervisors", "private"}
        assert "draft" in {e.status for e in entries}


def test_scale_demo_logins_work_and_the_insights_have_data(app, scaled, client):
    email = re.search(r"Org admin: (\S+)", scaled).group(1)
    assert PASSWORD in scaled
    assert client.login(email, PASSWORD).status_code == 200
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == email))
        out = service.insight_view(
            viewer=admin,
            view="learning-mix-profession",
            filters={},
            threshold=1,
            today=utcnow().date(),
            ring=KeyRing.of(app),
        )
        assert out["total"]["entries"] > 0


def test_scale_demo_refuses_to_build_the_same_organisation_twice(app, scaled):
    again = CliRunner().invoke(cli.main, ["demo", "--scale", "60", "--entries-each", "12"])
    assert again.exit_code != 0
    assert "already exists" in again.output
