"""`logbook backup` and `logbook restore`: a restored instance equals the one backed up, table by
table and file by file, and its audit trail verifies. Runs on the suite's engine (SQLite file, or
PostgreSQL with LOGBOOK_TEST_DATABASE_URL)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from logbook import cli
from logbook.app import create_app
from logbook.backup import BackupError, create_backup, restore_backup
from logbook.extensions import db
from logbook.storage import evidence_store
from tests.entries.test_evidence_api import jpeg, png, put, sha
from tests.factories import TODAY, app_config, make_entry, request_from

TODAY_ISO = TODAY.isoformat()


@pytest.fixture
def target_url(database_url, tmp_path):
    """An empty database for the restore: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield "sqlite:///" + str(tmp_path / "restored.sqlite3")
        return
    url = make_url(database_url)
    name = f"{url.database}_restore"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def target_app(target_url, tmp_path):
    """A new, empty instance: its own database and its own evidence folder."""
    folder = tmp_path / "target"
    folder.mkdir()
    application = create_app(app_config(target_url, folder))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def built(app, make_client, practitioner, supervisor, supervised):
    """Entries with evidence, a sign-off request and an approved sign-off (two audit events),
    and a sync push (mutation results and the change feed)."""
    me, boss = make_client(practitioner), make_client(supervisor)
    photo, scan = jpeg(gps=False), png()
    assert put(me, photo, name="certificate.jpg").status_code == 201
    assert put(me, scan).status_code == 201
    entry = make_entry(me, evidence=[{"sha256": sha(photo)}, {"sha256": sha(scan)}])
    request_from(me, entry, supervisor_id=str(supervisor.id))
    [item] = boss.get("/api/v1/sign-off-requests").get_json()["items"]
    signed = boss.api(
        "POST",
        f"/api/v1/entries/{entry['id']}/sign-offs",
        json={
            "entry_version": item["entry_version"],
            "content_sha256": item["content_sha256"],
            "decision": "approved",
        },
    )
    assert signed.status_code == 201, signed.get_json()
    pushed = me.api(
        "POST",
        "/api/v1/sync/push",
        json={
            "client_id": "backup-test-device",
            "mutations": [
                {
                    "mutation_id": 1,
                    "entity": "entry",
                    "id": str(uuid.uuid4()),
                    "op": "create",
                    "fields": {
                        "kind": "study_day",
                        "title": "Read a serious case review",
                        "start_date": entry["start_date"],
                        "hours": 1,
                    },
                },
            ],
        },
    )
    assert pushed.get_json()["results"][0]["status"] == "applied"
    return {"files": [photo, scan]}


def _tables(application) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    with application.app_context():
        out = {}
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in db.session.execute(select(table).order_by(*order)).all()]
        db.session.rollback()
        return out


def _evidence(application) -> dict[str, bytes]:
    with application.app_context():
        store = evidence_store(application)
        keys = db.session.scalars(text("SELECT stored_sha256 FROM evidence")).all()
        db.session.rollback()
        return {k: store.get(k) for k in keys}


def _runner(monkeypatch, application) -> CliRunner:
    monkeypatch.setattr(cli, "_app", lambda: application)
    return CliRunner()


def test_backup_then_restore_into_an_empty_instance_gives_the_same_instance(
    app, built, target_app, tmp_path, monkeypatch
):
    archive = tmp_path / "backups" / "logbook.tar.gz"
    made = _runner(monkeypatch, app).invoke(cli.main, ["backup", "--out", str(archive)])
    assert made.exit_code == 0, made.output
    assert "2 evidence files" in made.output
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["engine"] == app_engine(app)
    assert manifest["schema_revision"]
    assert {f"evidence/{e['key']}" for e in manifest["evidence"]} | {
        "manifest.json",
        manifest["database"]["name"],
        "signing/keys.json",
    } == names
    # The public register of signing keys travels with the database it verifies; no private key does.
    assert [s["name"] for s in manifest["signing"]] == ["keys.json"]
    assert not any(n.endswith(".pem") for n in names)
    assert all(e["sha256"] == e["key"] for e in manifest["evidence"])

    restored = _runner(monkeypatch, target_app).invoke(cli.main, ["restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert "LOGBOOK_SYNC_EPOCH" in restored.output

    source, copy = _tables(app), _tables(target_app)
    assert copy == source  # every table, every row, every column
    assert (len(source["audit_event"]), len(source["sign_off"]), len(source["entry"])) == (2, 1, 2)
    files = _evidence(app)
    assert files == _evidence(target_app)  # every evidence file, byte for byte
    assert all(hashlib.sha256(data).hexdigest() == key for key, data in files.items())

    verified = _runner(monkeypatch, target_app).invoke(cli.main, ["audit", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "Audit chain intact: 2 events" in verified.output


def app_engine(application) -> str:
    with application.app_context():
        return db.engine.dialect.name


def test_restore_refuses_an_instance_that_holds_data(app, built, tmp_path, monkeypatch):
    archive = tmp_path / "b.tar.gz"
    create_backup(app, archive)
    before = _tables(app)
    refused = _runner(monkeypatch, app).invoke(cli.main, ["restore", str(archive)])
    assert refused.exit_code == 1
    assert "already holds data" in refused.output
    assert "--force" in refused.output
    assert _tables(app) == before
    # --force replaces it (here with the same content)
    forced = _runner(monkeypatch, app).invoke(cli.main, ["restore", "--force", str(archive)])
    assert forced.exit_code == 0, forced.output
    assert _tables(app) == before


def test_a_damaged_backup_is_refused_before_anything_changes(app, built, target_app, tmp_path):
    archive = tmp_path / "b.tar.gz"
    create_backup(app, archive)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("evidence/"):
                data = data[:-1] + bytes([data[-1] ^ 1])  # one bit flipped
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    with pytest.raises(BackupError, match="missing or damaged"):
        restore_backup(target_app, damaged)
    with target_app.app_context():
        from logbook.backup import data_rows

        assert data_rows(db.engine) == {}
    assert not list(Path(target_app.config["EVIDENCE_URL"]).glob("*/*"))


def test_a_backup_taken_while_the_app_writes_is_consistent(
    app, make_client, practitioner, target_app, tmp_path
):
    client = make_client(practitioner)
    stop, errors = threading.Event(), []

    def write() -> None:
        i = 0
        while not stop.is_set():
            r = client.api(
                "POST",
                "/api/v1/entries",
                json={"kind": "study_day", "title": f"Read {i}", "start_date": TODAY_ISO, "hours": 1},
            )
            if r.status_code != 201:
                errors.append(r.status_code)
            i += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        report = create_backup(app, tmp_path / "live.tar.gz")
    finally:
        stop.set()
        writer.join()
    assert not errors
    restore_backup(target_app, tmp_path / "live.tar.gz")
    copy = _tables(target_app)
    # one snapshot: each entry has its first revision and its change, however the writes interleaved
    assert len(copy["entry"]) == len(copy["entry_revision"]) == report.manifest["tables"]["entry"]
    assert len(copy["sync_change"]) == len(copy["entry"])
