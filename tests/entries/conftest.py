"""Fixtures shared by the entries tests: framework versions and a cast of viewers."""

import datetime as dt

import pytest

from logbook.accounts.models import Team, User
from logbook.extensions import db
from logbook.frameworks.models import GLOBAL, FrameworkVersion
from tests import factories
from tests.factories import TODAY, persist


@pytest.fixture
def frameworks(app):
    """HCPC in two versions (v2 added standard 6) and SWE v1."""
    rows = [
        FrameworkVersion(
            owner_key=GLOBAL,
            framework_id="hcpc",
            version=1,
            name="HCPC standards of CPD",
            standard_codes=["1", "2", "3", "4", "5"],
            source_name="hcpc.yaml",
            source_text="",
        ),
        FrameworkVersion(
            owner_key=GLOBAL,
            framework_id="hcpc",
            version=2,
            name="HCPC standards of CPD",
            standard_codes=["1", "2", "3", "4", "5", "6"],
            source_name="hcpc.yaml",
            source_text="",
        ),
        FrameworkVersion(
            owner_key=GLOBAL,
            framework_id="swe",
            version=1,
            name="SWE",
            standard_codes=["4", "4.1", "4.2"],
            source_name="swe.yaml",
            source_text="",
        ),
    ]
    persist(app, *rows)
    return rows


@pytest.fixture
def cast(app, org, other_org, make_user, team):
    """Owner A (in `team`), practitioner B, A's supervisor, another supervisor, a team manager of A's
    team, an org admin, another org's admin."""
    people = {
        "owner": make_user("practitioner", team_id=team.id),
        "other_practitioner": make_user("practitioner"),
        "supervisor": make_user("practitioner", "supervisor"),
        "other_supervisor": make_user("supervisor"),
        "team_manager": make_user("team_manager"),
        "admin": make_user("org_admin"),
        "other_org_admin": make_user("org_admin", organisation=other_org),
    }
    with app.app_context():
        manager = db.session.get(User, people["team_manager"].id)
        manager.managed_teams = [db.session.get(Team, team.id)]
        db.session.commit()
    since = TODAY - dt.timedelta(days=100)
    factories.supervise(app, people["supervisor"], people["owner"], starts_on=since)
    factories.supervise(app, people["other_supervisor"], people["other_practitioner"], starts_on=since)
    return people
