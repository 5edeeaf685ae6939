"""Framework services: shipped files load once, versions are never rewritten, bad files change nothing."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from logbook import cli, progress
from logbook.accounts.models import Registration
from logbook.entries.models import Entry
from logbook.errors import Conflict
from logbook.extensions import db
from logbook.frameworks import service
from logbook.frameworks.definition import FrameworkFileError
from logbook.frameworks.models import GLOBAL, FrameworkVersion
from tests.factories import persist
from tests.frameworks.test_definition import GOOD

SHIPPED = 11


def _versions(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(
                FrameworkVersion.owner_key, FrameworkVersion.framework_id, FrameworkVersion.version
            ).order_by(FrameworkVersion.owner_key, FrameworkVersion.framework_id, FrameworkVersion.version)
        )
        return [tuple(r) for r in rows]


def test_shipped_frameworks_load_once(app):
    with app.app_context():
        first = service.load_shipped_frameworks()
        second = service.load_shipped_frameworks()
        db.session.commit()
    assert first == {"files": SHIPPED, "added": SHIPPED, "kept": []}
    assert second == {"files": SHIPPED, "added": 0, "kept": []}
    assert ("global", "swe", 1) in _versions(app)
    assert ("global", "swe", 2) in _versions(app)
    assert len(_versions(app)) == SHIPPED


def test_a_stored_version_is_never_rewritten_by_a_changed_shipped_file(app):
    stored = FrameworkVersion(
        owner_key=GLOBAL,
        framework_id="hcpc",
        version=1,
        name="older copy",
        source_name="x",
        source_text="old",
    )
    persist(app, stored)
    with app.app_context():
        result = service.load_shipped_frameworks()
        db.session.commit()
        kept = db.session.scalar(select(FrameworkVersion).where(FrameworkVersion.framework_id == "hcpc"))
        assert (kept.name, kept.source_text) == ("older copy", "old")
    assert result == {"files": SHIPPED, "added": SHIPPED - 1, "kept": ["hcpc-v1.yaml"]}


def test_an_organisation_adds_and_versions_its_own_framework(app, org, other_org, shipped):
    with app.app_context():
        first = service.import_framework(text=GOOD, filename="local.yaml", organisation_id=org.id)
        again = service.import_framework(text=GOOD, filename="local.yaml", organisation_id=org.id)
        assert again.id == first.id  # the same file twice is harmless
        with pytest.raises(Conflict) as caught:
            service.import_framework(
                text=GOOD.replace("Integrated working", "Integrated working (edited)"),
                filename="local.yaml",
                organisation_id=org.id,
            )
        assert caught.value.code == "framework_version_exists"
        second = service.import_framework(
            text=GOOD.replace("version: 1", "version: 2").replace("target: 2", "target: 3"),
            filename="local-v2.yaml",
            organisation_id=org.id,
        )
        db.session.commit()
        assert (second.version, second.owner_key) == (2, str(org.id))
        mine = {(r.framework_id, r.version) for r in service.visible_versions(organisation_id=org.id)}
        theirs = {(r.framework_id, r.version) for r in service.visible_versions(organisation_id=other_org.id)}
    assert {("local-iw", 1), ("local-iw", 2), ("hcpc", 1)} <= mine
    assert ("local-iw", 1) not in theirs
    old = [v for v in _versions(app) if v[1] == "local-iw"]
    assert old == [(str(org.id), "local-iw", 1), (str(org.id), "local-iw", 2)]


def test_an_organisations_copy_replaces_the_shipped_version_for_that_organisation_only(
    app, org, other_org, shipped
):
    own_hcpc = (Path(service.__file__).parent / "definitions" / "hcpc-v1.yaml").read_text()
    own_hcpc = own_hcpc.replace("name: HCPC standards", "name: Northshire HCPC standards")
    with app.app_context():
        service.import_framework(text=own_hcpc, filename="hcpc-local.yaml", organisation_id=org.id)
        db.session.commit()
        mine = service.find_version(organisation_id=org.id, framework_id="hcpc", version=1)
        theirs = service.find_version(organisation_id=other_org.id, framework_id="hcpc", version=1)
        assert mine.name.startswith("Northshire")
        assert theirs.owner_key == GLOBAL
        assert [
            r.owner_key for r in service.visible_versions(organisation_id=org.id) if r.framework_id == "hcpc"
        ] == [str(org.id)]


@pytest.mark.parametrize(
    "bad",
    [
        GOOD.replace('parent: "1"', 'parent: "9"'),
        GOOD.replace("version: 1", "version: 1\nversion: 2"),
        "format: [1\n",
    ],
)
def test_a_bad_file_leaves_the_database_as_it_was(app, org, shipped, bad):
    before = _versions(app)
    with app.app_context():
        with pytest.raises(FrameworkFileError):
            service.import_framework(text=bad, filename="local.yaml", organisation_id=org.id)
        db.session.commit()
    assert _versions(app) == before


def test_cli_imports_a_framework_for_an_organisation(app, org, runner, tmp_path):
    path = tmp_path / "integrated.yaml"
    path.write_text(GOOD)
    result = runner.invoke(cli.main, ["import-framework", str(path), "--organisation", org.slug])
    assert result.exit_code == 0, result.output
    assert "Imported local-iw version 1 (Integrated working) for northshire-test." in result.output
    assert _versions(app) == [(str(org.id), "local-iw", 1)]


def test_cli_reports_every_problem_with_file_and_line_and_changes_nothing(app, org, runner, tmp_path):
    path = tmp_path / "integrated.yaml"
    path.write_text(GOOD.replace('parent: "1"', 'parent: "9"').replace("measure: count", "measure: counts"))
    result = runner.invoke(cli.main, ["import-framework", str(path), "--organisation", org.slug])
    assert result.exit_code == 1
    assert f"{path}:18: requirements.0.measure: Must be one of" in result.output
    assert "integrated.yaml was not imported; nothing changed." in result.output
    assert _versions(app) == []
    unknown = runner.invoke(cli.main, ["import-framework", str(path), "--organisation", "nowhere"])
    assert "No organisation with slug 'nowhere'" in unknown.output


def test_cli_refuses_to_rewrite_a_version(app, runner, tmp_path):
    path = tmp_path / "integrated.yaml"
    path.write_text(GOOD)
    assert runner.invoke(cli.main, ["import-framework", str(path)]).exit_code == 0
    path.write_text(GOOD.replace("target: 2", "target: 4"))
    result = runner.invoke(cli.main, ["import-framework", str(path)])
    assert result.exit_code == 1
    assert "already stored with different content" in result.output
    assert _versions(app) == [(GLOBAL, "local-iw", 1)]


def test_init_db_loads_the_shipped_frameworks(app, runner):
    result = runner.invoke(cli.main, ["init-db"])
    assert result.exit_code == 0, result.output
    assert f"Shipped frameworks: {SHIPPED} files, {SHIPPED} new versions stored." in result.output
    assert len(_versions(app)) == SHIPPED


def test_progress_reads_the_database_and_ignores_drafts_and_deleted(app, practitioner, shipped):
    registration = Registration(
        user_id=practitioner.id, regulator="SWE", profession="social worker", framework_id="swe"
    )

    def make(day, **fields):
        return Entry(
            id=uuid.uuid4(),
            owner_id=practitioner.id,
            organisation_id=practitioner.organisation_id,
            kind=fields.pop("kind", "course"),
            title=fields.pop("title", f"Course on {day}"),
            start_date=dt.date.fromisoformat(day),
            hours=Decimal("1.5"),
            is_participatory=True,
            **fields,
        )

    persist(
        app,
        registration,
        make("2025-11-30"),  # previous registration year
        make(
            "2025-12-01",
            includes_peer_reflection=True,
            standards=[{"framework": "swe", "version": 1, "code": "4.2"}],
        ),
        make("2026-01-05", status="draft"),
        make("2026-01-06", is_deleted=True),
        make("2026-02-01", kind="reading"),
        make("2026-02-10", kind="supervision", details={"format": "individual", "duration_minutes": 90}),
    )
    with app.app_context():
        user = db.session.get(type(practitioner), practitioner.id)
        result = progress.progress_for(viewer=user, today=dt.date(2026, 3, 1))
    (person,) = result["people"]
    (reg,) = person["registrations"]
    current = next(c for c in reg["cycles"] if c["which"] == "current")
    assert (current["starts_on"], current["ends_on"], current["framework"]["version"]) == (
        "2025-12-01",
        "2026-11-30",
        3,
    )
    assert current["numbers"]["records"] == 3
    assert current["numbers"]["hours"] == 4.5
    assert current["numbers"]["peer_reflections"] == 1
    assert current["status"] == "met"
    coverage = next(r for r in current["rules"] if r["id"] == "standard_4_coverage")
    assert coverage["covered"] == ["4.2"]  # a tag against version 1 counts under version 2
    (policy,) = person["policies"]
    supervision = policy["cycles"][0]["rules"][0]
    assert (supervision["value"], supervision["target"]) == (1, 11)  # Feb 2026 of Apr 2025 .. Feb 2026
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Entry)) == 6
