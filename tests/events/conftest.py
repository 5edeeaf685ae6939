"""Fixtures for the learning offer: an organisation with a facilitator, people of two professions
in two teams, a framework to tag, materials, and another organisation."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from logbook.accounts.models import JobRole, Team, User
from logbook.entries.models import Evidence, EvidenceUpload
from logbook.events.models import EventFacilitator
from logbook.frameworks.models import GLOBAL, FrameworkVersion
from logbook.timeutil import utcnow
from tests.factories import MATERIAL, persist


@dataclass
class Cast:
    """Who is who."""

    admin: User
    facilitator: User
    social_worker: User  # in team A
    teacher: User  # in team B
    other_org_user: User
    team_a: Team
    team_b: Team


@pytest.fixture
def cast(app, org, other_org, make_user) -> Cast:
    team_a = Team(organisation_id=org.id, name="Team A", service_area="social_care")
    team_b = Team(organisation_id=org.id, name="Team B", service_area="education")
    sw = JobRole(organisation_id=org.id, name="SW", service_area="social_care", profession="social worker")
    teacher = JobRole(organisation_id=org.id, name="Teacher", service_area="education", profession="teacher")
    persist(
        app,
        team_a,
        team_b,
        sw,
        teacher,
        FrameworkVersion(
            owner_key=GLOBAL,
            framework_id="hcpc",
            version=1,
            name="HCPC",
            standard_codes=["1", "2", "3", "4", "5"],
            source_name="hcpc.yaml",
            source_text="",
        ),
    )
    admin = make_user("org_admin")
    facilitator = make_user("practitioner")
    persist(
        app,
        EventFacilitator(
            user_id=facilitator.id, organisation_id=org.id, granted_by=admin.id, granted_at=utcnow()
        ),
        Evidence(sha256=MATERIAL, stored_sha256=MATERIAL, media_type="application/pdf", size=6),
    )
    persist(app, EvidenceUpload(sha256=MATERIAL, user_id=facilitator.id, filename="slides.pdf"))
    return Cast(
        admin=admin,
        facilitator=facilitator,
        social_worker=make_user("practitioner", team_id=team_a.id, job_role_id=sw.id),
        teacher=make_user("practitioner", team_id=team_b.id, job_role_id=teacher.id),
        other_org_user=make_user("practitioner", organisation=other_org),
        team_a=team_a,
        team_b=team_b,
    )
