"""The org admin's staff export: a ZIP of one PDF per person plus a CSV, as a job; never anything
private (private entries, supervisor-only entries, descriptions, reflections)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from logbook.accounts.models import Registration
from logbook.exports.staff import CSV_COLUMNS
from logbook.extensions import db
from logbook.frameworks.service import load_shipped_frameworks
from logbook.jobs.models import Job
from tests.factories import make_entry, persist
from tests.helpers import pdf_text, run_job, unzip

TODAY = dt.date.today()  # noqa: DTZ011 - the entries API's plausibility window is relative to today
SECRET_REFLECTION = "Quokka-Zebra-7731 I doubted myself with this family"
SECRET_DESCRIPTION = "Marmoset-4410 detail of the case discussion"
SECRET_PRIVATE_TITLE = "Pangolin-9902 private counselling notes"
SECRET_SUPERVISORS_TITLE = "Axolotl-5518 for my supervisor only"


@pytest.fixture
def staff(app, make_user, make_client, team):
    """Two practitioners in the team: one HCPC-registered with shared, private and supervisor-only
    entries (secrets in every private place), one with no registration and nothing shared."""
    with app.app_context():
        load_shipped_frameworks()
        db.session.commit()
    ana = make_user("practitioner", name="Ana Shared", team_id=team.id)
    ben = make_user("practitioner", name="Ben Quiet", team_id=team.id)
    persist(
        app,
        Registration(
            user_id=ana.id,
            regulator="HCPC",
            profession="Occupational therapist",
            registration_number="OT12345",
            framework_id="hcpc",
            registered_since=TODAY - dt.timedelta(days=900),
        ),
    )
    client = make_client(ana)
    make_entry(
        client,
        title="Shared sensory processing course",
        visibility="organisation",
        description=SECRET_DESCRIPTION,
        impact_on_practice="Marmoset-4410 impact",
        hours=3,
        reflection={"template": "free", "answers": {"text": SECRET_REFLECTION}},
        standards=[{"framework": "hcpc", "version": 1, "code": "4"}],
    )
    make_entry(
        client,
        title=SECRET_PRIVATE_TITLE,
        visibility="private",
        reflection={"template": "free", "answers": {"text": SECRET_REFLECTION}},
    )
    make_entry(client, title=SECRET_SUPERVISORS_TITLE, visibility="supervisors")
    make_entry(make_client(ben), title="Ben's private reading", visibility="private", kind="course", hours=1)
    return ana, ben


def test_team_export_zip_has_a_pdf_per_person_and_a_csv(app, admin_client, staff, team):
    data = run_job(
        app, admin_client, admin_client.api("POST", "/api/v1/exports/staff", json={"team_id": str(team.id)})
    )
    files = unzip(data)
    assert sorted(files) == ["ana-shared.pdf", "ben-quiet.pdf", "staff-evidence.csv"]

    ana_text = pdf_text(files["ana-shared.pdf"])
    for expected in (
        "Registration evidence",
        "Ana Shared",
        "Assessment Team",
        "Compliance",
        "HCPC",
        "OT12345",
        "Shared sensory processing course",
        "Activities shared with the organisation",
        "HCPC 4 Seek to ensure that CPD benefits the service user",  # a standard in words (#19)
    ):
        assert expected in ana_text
    ben_text = pdf_text(files["ben-quiet.pdf"])
    assert "No activities shared with the organisation" in ben_text
    assert "No professional registration" in ben_text

    rows = list(csv.DictReader(io.StringIO(files["staff-evidence.csv"].decode("utf-8-sig"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"Ana Shared", "Ben Quiet"}
    ana_row = by_name["Ana Shared"]
    assert ana_row["regulator"] == "HCPC"
    assert ana_row["registration_number"] == "OT12345"
    assert ana_row["framework"]
    assert ana_row["cycle_starts_on"]
    assert ana_row["status"] in {"met", "on track", "at risk", "not met"}
    assert ana_row["organisation_visible_entries"] == "1"
    assert int(ana_row["rules_total"]) >= 1
    assert ana_row["pdf"] == "ana-shared.pdf"
    # The compliance figures count every recorded entry (as the compliance view does), not only shared ones.
    assert float(ana_row["records"]) >= 1
    assert by_name["Ben Quiet"]["regulator"] == ""
    assert by_name["Ben Quiet"]["organisation_visible_entries"] == "0"


def test_nothing_private_appears_in_any_file(app, admin_client, staff):
    ana, ben = staff
    response = admin_client.api(
        "POST", "/api/v1/exports/staff", json={"user_ids": [str(ana.id), str(ben.id)]}
    )
    files = unzip(run_job(app, admin_client, response))
    texts = {
        name: (pdf_text(body) if name.endswith(".pdf") else body.decode("utf-8-sig"))
        for name, body in files.items()
    }
    assert "Shared sensory processing course" in texts["ana-shared.pdf"]  # the check below can fail
    for secret in (
        "Quokka-Zebra-7731",
        "Marmoset-4410",
        "Pangolin-9902",
        "Axolotl-5518",
        "Ben's private reading",
    ):
        for name, text in texts.items():
            assert secret not in text, f"{secret!r} leaked into {name}"
            assert secret.encode() not in files[name], f"{secret!r} leaked into {name} (raw bytes)"


def test_only_org_admins_may_export_and_only_their_own_people(
    app, staff, make_client, make_user, other_org, admin_client, team
):
    ana, _ = staff
    practitioner = make_client(ana)
    assert (
        practitioner.api("POST", "/api/v1/exports/staff", json={"user_ids": [str(ana.id)]}).status_code == 403
    )
    manager = make_client(make_user("practitioner", "team_manager"))
    assert manager.api("POST", "/api/v1/exports/staff", json={"team_id": str(team.id)}).status_code == 403

    stranger = make_user("practitioner", organisation=other_org)
    refused = admin_client.api(
        "POST", "/api/v1/exports/staff", json={"user_ids": [str(ana.id), str(stranger.id)]}
    )
    assert refused.status_code == 422
    assert str(stranger.id) in refused.get_json()["error"]["fields"]["user_ids"][0]

    other_admin = make_client(make_user("org_admin", organisation=other_org))
    response = other_admin.api("POST", "/api/v1/exports/staff", json={"team_id": str(team.id)})
    assert response.status_code == 422
    assert "team_id" in response.get_json()["error"]["fields"]
    both = admin_client.api(
        "POST", "/api/v1/exports/staff", json={"team_id": str(team.id), "user_ids": [str(ana.id)]}
    )
    assert both.status_code == 422
    with app.app_context():
        assert db.session.query(Job).count() == 0


def test_the_job_reports_progress_per_person(app, admin_client, staff, team):
    response = admin_client.api("POST", "/api/v1/exports/staff", json={"team_id": str(team.id)})
    assert response.get_json()["progress"] == {"done": 0, "total": 2}
    run_job(app, admin_client, response)
    assert admin_client.get(response.headers["Location"]).get_json()["progress"] == {"done": 2, "total": 2}


def test_a_deactivated_person_is_refused_like_a_stranger(app, admin_client, make_user):
    gone = make_user("practitioner", is_active=False)
    response = admin_client.api("POST", "/api/v1/exports/staff", json={"user_ids": [str(gone.id)]})
    assert response.status_code == 422
    assert str(gone.id) in response.get_json()["error"]["fields"]["user_ids"][0]
