"""The `logbook` command: init-db, demo (idempotent), create-user, import-roles."""

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from logbook import cli
from logbook.accounts.links import SupervisionLink
from logbook.accounts.models import JobRole, Registration, Team, User
from logbook.changefeed import Change
from logbook.config import KeyRing
from logbook.demo import DEMO_PASSWORD, PEOPLE, build_demo, email_for
from logbook.entries import service
from logbook.entries.models import Entry, EntryRevision
from logbook.extensions import db
from logbook.frameworks.kinds import KINDS
from logbook.frameworks.models import GLOBAL, FrameworkVersion

ROLES_CSV = Path(__file__).resolve().parents[1] / "logbook" / "data" / "job-roles.csv"


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_demo_builds_the_service_and_is_idempotent(app, runner, client):
    first = runner.invoke(cli.main, ["demo"])
    assert first.exit_code == 0, first.output
    assert "amara.okafor@northshire.example" in first.output
    assert DEMO_PASSWORD in first.output
    counts = [_count(app, m) for m in (User, Team, JobRole, Registration)]
    assert counts[0] == len(PEOPLE) >= 30
    assert counts[1] >= 9
    assert counts[2] == 74
    second = runner.invoke(cli.main, ["demo"])
    assert second.exit_code == 0, second.output
    assert [_count(app, m) for m in (User, Team, JobRole, Registration)] == counts
    # every demo login works
    assert client.login(email_for("Amara Okafor"), DEMO_PASSWORD).status_code == 200


def test_demo_gives_each_practitioner_a_year_of_entries(app, runner, make_client):
    with app.app_context():  # a framework loaded before the demo runs is used for tagging
        db.session.add(
            FrameworkVersion(
                owner_key=GLOBAL,
                framework_id="swe",
                version=2,
                name="SWE",
                standard_codes=["1", "2", "3", "4", "4.1", "4.2", "4.3", "4.6"],
                source_name="swe.yaml",
                source_text="",
            )
        )
        db.session.commit()
    assert runner.invoke(cli.main, ["demo"]).exit_code == 0
    counts = [_count(app, m) for m in (Entry, EntryRevision, Change, SupervisionLink)]
    assert runner.invoke(cli.main, ["demo"]).exit_code == 0
    assert [_count(app, m) for m in (Entry, EntryRevision, Change, SupervisionLink)] == counts  # idempotent
    entries_made, revisions, changes, links = counts
    assert revisions >= entries_made  # made through the service: a revision each, and one per sign-off step
    assert changes >= entries_made  # and each in the change feed
    assert links >= 20
    with app.app_context():
        entries = db.session.scalars(select(Entry)).all()
        practitioners = db.session.scalars(select(User).where(User.is_practitioner.is_(True))).all()
        owners = {e.owner_id for e in entries}
        assert owners == {u.id for u in practitioners}
        today = dt.date.today()  # noqa: DTZ011 - the demo follows the local calendar
        for user in practitioners:
            mine = [e for e in entries if e.owner_id == user.id]
            assert len(mine) >= 20
            assert today - dt.timedelta(days=400) <= min(e.start_date for e in mine)
            assert max(e.start_date for e in mine) <= today
        assert {e.kind for e in entries} == set(KINDS)
        assert {e.visibility for e in entries} == {"private", "supervisors", "organisation"}
        assert {e.status for e in entries} == {"draft", "recorded", "submitted", "returned", "signed_off"}
        amara = db.session.scalar(select(User).where(User.email == email_for("Amara Okafor")))
        tagged = [t for e in entries if e.owner_id == amara.id for t in e.standards]
        assert tagged
        assert {(t["framework"], t["version"]) for t in tagged} == {("swe", 3)}  # the newest version
        assert all(service.identifier_warnings(e) == [] for e in entries)  # no identifying data in the demo
    # Amara's supervisor sees her shared entries in full
    priya = make_client()
    assert priya.login(email_for("Priya Shah"), DEMO_PASSWORD).status_code == 200
    shared = priya.get("/api/v1/entries?scope=supervisees&limit=200").get_json()["items"]
    assert any(e["owner_id"] == str(amara.id) and e["access"] == "supervisor" for e in shared)


def test_demo_covers_the_professions_of_the_mission(app):
    with app.app_context():
        build_demo(ring=KeyRing.of(app))
        db.session.commit()
        regs = db.session.scalars(select(Registration)).all()
        regulators = {r.regulator for r in regs}
        assert {"SWE", "HCPC", "NMC", "TEACHERS"} <= regulators
        professions = {r.profession for r in regs}
        assert {"speech and language therapist", "practitioner psychologist"} <= professions
        users = db.session.scalars(select(User)).all()
        areas = {u.team.service_area for u in users}
        assert {"education", "early_help", "send", "social_care", "health", "early_years"} <= areas
        assert sum(u.is_supervisor for u in users) >= 5
        assert any(u.is_org_admin for u in users)
        unregistered = [u for u in users if not u.registrations and u.is_practitioner]
        assert len(unregistered) >= 5  # early years and family workers have no regulator
        swe = [r for r in regs if r.regulator == "SWE"]
        assert all((r.renewal_date.month, r.renewal_date.day) == (11, 30) for r in swe)


def test_create_user_and_import_roles(app, runner):
    result = runner.invoke(
        cli.main,
        [
            "create-user",
            "--email",
            "Lead@Test.Example",
            "--name",
            "Lead Admin",
            "--organisation",
            "test-org",
            "--role",
            "org_admin",
            "--role",
            "practitioner",
            "--password",
            "Kettle-Orbit-Lantern-42",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "lead@test.example" in result.output
    imported = runner.invoke(cli.main, ["import-roles", str(ROLES_CSV), "--organisation", "test-org"])
    assert imported.exit_code == 0, imported.output
    assert "74 created" in imported.output


def test_create_user_refuses_weak_password(runner):
    result = runner.invoke(
        cli.main,
        [
            "create-user",
            "--email",
            "x@test.example",
            "--name",
            "X",
            "--organisation",
            "test-org",
            "--password",
            "password1234",
        ],
    )
    assert result.exit_code != 0
    assert "password: This password is too common" in result.output


def test_import_roles_reports_lines(runner, tmp_path):
    runner.invoke(
        cli.main,
        [
            "create-user",
            "--email",
            "a@test.example",
            "--name",
            "A Person",
            "--organisation",
            "test-org",
            "--password",
            "Kettle-Orbit-Lantern-42",
        ],
    )
    bad = tmp_path / "roles.csv"
    bad.write_text("job_role,service_area,profession,registration_framework\nX,nowhere,y,\n")
    result = runner.invoke(cli.main, ["import-roles", str(bad), "--organisation", "test-org"])
    assert result.exit_code != 0
    assert "roles.csv line 2: service_area" in result.output
    missing = runner.invoke(cli.main, ["import-roles", str(bad), "--organisation", "nope"])
    assert "No organisation" in missing.output


def test_serve_prod_runs_gunicorn_with_two_workers_per_core(runner, monkeypatch):
    started = []

    def execv(_path, args):  # the real one never returns: this process becomes gunicorn
        started.append(args)
        raise SystemExit(0)

    monkeypatch.setattr(cli.os, "execv", execv)
    monkeypatch.setattr(cli.os, "cpu_count", lambda: 3)
    assert runner.invoke(cli.main, ["serve", "--prod"]).exit_code == 0
    assert runner.invoke(cli.main, ["serve", "--prod", "--workers", "5", "--port", "8080"]).exit_code == 0
    (default, chosen) = started
    assert default[0].endswith("gunicorn")
    assert default[default.index("--workers") + 1] == "6"
    assert default[-1] == "logbook.wsgi:app"
    # no query strings in the access log: the single sign-on callback's code and state stay out of it
    assert "%(U)s" in default[default.index("--access-logformat") + 1]
    assert "%(r)s" not in default[default.index("--access-logformat") + 1]
    assert chosen[chosen.index("--workers") + 1] == "5"
    assert chosen[chosen.index("--bind") + 1] == "127.0.0.1:8080"
    refused = runner.invoke(cli.main, ["serve", "--prod", "--workers", "0"])
    assert refused.exit_code == 2
    assert "--workers" in refused.output


def test_the_module_docstring_names_every_command():
    """cli.py's docstring is the map of the command: each command and sub-command is named in it."""
    import click

    doc = cli.__doc__ or ""
    missing = []
    for name, command in cli.main.commands.items():
        if f"`{name}" not in doc:
            missing.append(name)
        if isinstance(command, click.Group):
            missing += [f"{name} {sub}" for sub in command.commands if sub not in doc]
    assert missing == []


def test_the_demo_hashes_its_one_password_once_and_real_users_each_their_own(app, monkeypatch):
    """The demo's people share the published password, so it is hashed once and that hash stored
    for each of them (every demo login works: see above); anyone else made by create_user gets a
    hash of their own, salted afresh, as before."""
    from logbook.accounts import passwords
    from logbook.accounts import service as accounts
    from logbook.demo import people

    made = []
    real_hash = passwords.hash_password
    monkeypatch.setattr(
        people, "hash_password", lambda password: made.append(password) or real_hash(password)
    )
    with app.app_context():
        build_demo(ring=KeyRing.of(app))
        db.session.commit()
        hashes = set(
            db.session.scalars(select(User.password_hash).where(User.email.like("%@northshire.example")))
        )
        assert made == [DEMO_PASSWORD]
        assert len(hashes) == 1
        assert passwords.verify_password(hashes.pop(), DEMO_PASSWORD)
        org_id = db.session.scalar(select(User.organisation_id).limit(1))
        secret = "a long and unusual passphrase 4 tests"
        two = [
            accounts.create_user(
                organisation_id=org_id,
                data={"email": f"real{n}@example.org", "name": f"Real {n}", "password": secret},
            )
            for n in range(2)
        ]
        assert two[0].password_hash != two[1].password_hash
        assert all(passwords.verify_password(u.password_hash, secret) for u in two)
        assert not passwords.needs_rehash(two[0].password_hash)
