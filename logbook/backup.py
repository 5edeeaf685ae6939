"""Backup and restore of a whole instance: the database and every evidence file, with a manifest.

A backup is one gzipped tar file:

    manifest.json          format, engine, schema revision, row counts, and a SHA-256 per member
    database.sqlite3       SQLite: made with SQLite's online backup API (a consistent snapshot
                           while the app keeps writing)
    database.pgdump        PostgreSQL: `pg_dump --format=custom` inside an exported snapshot
    evidence/<key>         every evidence file the database snapshot names (keys are SHA-256)
    signing/keys.json      the public register of the organisations' signing keys (kid, public key,
    signing/trusted.json   status) and other organisations' trusted keys: public data, needed to
                           verify the signed sign-offs in the database. Private keys are never in a
                           backup (docs/security.md): back the key folder up on its own.

Consistency: the database is copied first, as one snapshot; the evidence files it names are then
read from the store. Files are written before the rows that name them and never change or go
away (content-addressed), so every row in the snapshot has its file. Files uploaded later are
simply not in the backup, like their rows.

Restore checks every member against the manifest before changing anything, refuses an instance
that already holds data (unless forced), then replaces the database and puts the files back.
See docs/operations.md.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # pg_dump and psql with fixed argument lists (see _run)  # nosec B404
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from logbook.config import KeyRing
from logbook.extensions import db
from logbook.signing import keys as signing_keys
from logbook.signing import trust
from logbook.storage import StorageError, evidence_store
from logbook.timeutil import utcnow

FORMAT = "logbook-backup/1"
# Tables whose rows mean "this instance is in use": a restore over them needs --force. (init-db
# fills the framework catalogue, which does not count.)
DATA_TABLES = ("organisation", "user_account", "entry", "evidence", "audit_event")


class BackupError(RuntimeError):
    """The backup or restore cannot be done (the message says whether anything changed)."""


@dataclass
class Report:
    """What a backup or restore did."""

    manifest: dict[str, Any]
    path: Path

    @property
    def evidence_files(self) -> int:
        """How many evidence files."""
        return len(self.manifest["evidence"])

    @property
    def rows(self) -> int:
        """How many rows in every table together."""
        return sum(self.manifest["tables"].values())


# --- helpers ---------------------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_tool(name: str) -> str:
    """pg_dump / pg_restore: from PATH (Debian's wrapper picks the server's version), else the newest."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not candidates:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return candidates[-1]


def _pg_env(engine: Engine) -> dict[str, str]:
    """libpq settings for the engine's database; the password goes in the environment, not argv."""
    url = make_url(engine.url)
    env = dict(os.environ)
    for var, value in {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
    }.items():
        if value:
            env[var] = value
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 - a fixed argument list, no shell  # nosec B603
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} failed: {result.stderr.strip()[-2000:]}")


def _table_counts(conn: Any, names: list[str]) -> dict[str, int]:
    return {
        name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())  # noqa: S608 - names from metadata  # nosec B608
        for name in names
    }


def _schema_revision(conn: Any, existing: set[str]) -> str | None:
    if "alembic_version" not in existing:  # a database made without migrations
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _table_names() -> list[str]:
    return [t.name for t in db.metadata.sorted_tables]


# --- backup ----------------------------------------------------------------------------------


def _snapshot_sqlite(engine: Engine, work: Path) -> tuple[Path, list[str], dict[str, int], str | None]:
    """Copy the database with SQLite's online backup API: one consistent snapshot, taken while
    other connections keep reading and writing."""
    source_path = make_url(engine.url).database
    if not source_path or source_path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    copy = work / "database.sqlite3"
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(copy)
    try:
        source.backup(target)  # all pages in one step, under one read transaction
    finally:
        source.close()
    try:
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        keys = [row[0] for row in target.execute("SELECT stored_sha256 FROM evidence ORDER BY 1")]
        existing = {r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        counts = {
            name: int(target.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])  # noqa: S608 - table names from the metadata  # nosec B608
            for name in _table_names()
            if name in existing
        }
        revision = None
        if "alembic_version" in existing:
            row = target.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    finally:
        target.close()
    return copy, keys, counts, revision


def _snapshot_postgres(engine: Engine, work: Path) -> tuple[Path, list[str], dict[str, int], str | None]:
    """pg_dump (custom format) of an exported snapshot; the evidence keys and row counts are read
    in that same snapshot, so they describe exactly what was dumped."""
    dump = work / "database.pgdump"
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
        conn.execute(text("SET TRANSACTION READ ONLY"))
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        _run(
            [
                _pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                f"--snapshot={snapshot}",
                "-f",
                str(dump),
            ],
            _pg_env(engine),
        )
        keys = list(conn.execute(text("SELECT stored_sha256 FROM evidence ORDER BY 1")).scalars())
        existing = set(inspect(conn).get_table_names())
        counts = _table_counts(conn, [n for n in _table_names() if n in existing])
        revision = _schema_revision(conn, existing)
    return dump, keys, counts, revision


def create_backup(app: Flask, out: Path) -> Report:
    """Write a backup of the app's database and evidence to `out` (atomically: a temporary file
    in the same folder, renamed when complete)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with app.app_context(), tempfile.TemporaryDirectory(prefix="logbook-backup-") as tmp:
        engine = db.engine
        work = Path(tmp)
        if engine.dialect.name == "sqlite":
            db_file, keys, counts, revision = _snapshot_sqlite(engine, work)
        elif engine.dialect.name == "postgresql":
            db_file, keys, counts, revision = _snapshot_postgres(engine, work)
        else:
            raise BackupError(f"backups of {engine.dialect.name} databases are not supported")
        store = evidence_store(app)
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": utcnow().isoformat(),
            "engine": engine.dialect.name,
            "schema_revision": revision,
            "database": {
                "name": db_file.name,
                "sha256": _sha256_file(db_file),
                "size": db_file.stat().st_size,
            },
            "tables": counts,
            "evidence": [],
        }
        fd, partial = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
        os.close(fd)
        try:
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(db_file, arcname=db_file.name)
                for key in dict.fromkeys(keys):  # once each, in order
                    try:
                        data = store.get(key)
                    except KeyError as err:
                        raise BackupError(f"evidence file {key} is missing from the evidence store") from err
                    digest = hashlib.sha256(data).hexdigest()
                    if digest != key:
                        raise BackupError(
                            f"evidence file {key} is damaged in the store (its SHA-256 is {digest})"
                        )
                    manifest["evidence"].append({"key": key, "sha256": digest, "size": len(data)})
                    _add_bytes(tar, f"evidence/{key}", data)
                manifest["signing"] = []
                for name, data in _public_key_files(KeyRing.of(app)).items():
                    manifest["signing"].append({"name": name, "sha256": hashlib.sha256(data).hexdigest()})
                    _add_bytes(tar, f"signing/{name}", data)
                _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode())
            os.replace(partial, out)
        finally:
            Path(partial).unlink(missing_ok=True)
    return Report(manifest, out)


def _public_key_files(ring: KeyRing) -> dict[str, bytes]:
    """The public key registers of the key folder (own keys, trusted keys), as they are on disk."""
    folder = signing_keys.keys_dir(ring)
    return {
        name: (folder / name).read_bytes()
        for name in (signing_keys.REGISTER, trust.TRUSTED)
        if (folder / name).is_file()
    }


def _merge_public_keys(work: Path, manifest: dict[str, Any], ring: KeyRing) -> None:
    """Put the backup's public key registers into the key folder: a key the folder does not list is
    added; one it lists is kept as it is there (its private key, if any, stays the folder's)."""
    folder = signing_keys.keys_dir(ring)
    with signing_keys.locked(folder):
        for item in manifest.get("signing", []):
            name = Path(item["name"]).name
            incoming = json.loads((work / "signing" / name).read_text(encoding="utf-8"))["keys"]
            path = folder / name
            current = json.loads(path.read_text(encoding="utf-8"))["keys"] if path.is_file() else []
            known = {k["kid"] for k in current}
            merged = current + [k for k in incoming if k["kid"] not in known]
            body = json.dumps({"keys": merged}, indent=1, sort_keys=True).encode()
            signing_keys.write_atomic(path, body, 0o644)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


# --- restore ---------------------------------------------------------------------------------


def _read_archive(archive: Path, work: Path) -> dict[str, Any]:
    """Extract and check every member against the manifest; BackupError on the first mismatch."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")  # refuses absolute paths, links out, devices
    except (tarfile.TarError, OSError, EOFError) as err:
        raise BackupError(f"{archive} is not a readable backup: {err}") from err
    try:
        manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BackupError(f"{archive} has no readable manifest.json") from err
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a {FORMAT} backup (format {manifest.get('format')!r})")
    database = manifest["database"]
    db_file = work / Path(database["name"]).name
    if not db_file.is_file() or _sha256_file(db_file) != database["sha256"]:
        raise BackupError(f"the database in {archive} does not match its checksum: the backup is damaged")
    for item in manifest["evidence"]:
        path = work / "evidence" / item["key"]
        if not path.is_file() or _sha256_file(path) != item["sha256"] or item["sha256"] != item["key"]:
            raise BackupError(f"evidence file {item['key']} in {archive} is missing or damaged")
    for item in manifest.get("signing", []):
        path = work / "signing" / Path(item["name"]).name
        if not path.is_file() or _sha256_file(path) != item["sha256"]:
            raise BackupError(f"signing/{item['name']} in {archive} is missing or damaged")
    return manifest


def data_rows(engine: Engine) -> dict[str, int]:
    """Rows in the tables that mean the instance is in use (missing tables count as empty)."""
    with engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
        return {
            name: n for name, n in _table_counts(conn, [t for t in DATA_TABLES if t in existing]).items() if n
        }


def restore_backup(app: Flask, archive: Path, *, force: bool = False) -> Report:
    """Replace the app's database and add the evidence files from a backup made by create_backup.
    The app must not be serving meanwhile (stop it, restore, start it)."""
    with app.app_context(), tempfile.TemporaryDirectory(prefix="logbook-restore-") as tmp:
        work = Path(tmp)
        manifest = _read_archive(Path(archive), work)
        engine = db.engine
        if manifest["engine"] != engine.dialect.name:
            raise BackupError(
                f"this backup is of a {manifest['engine']} database; the instance uses {engine.dialect.name}"
            )
        in_use = data_rows(engine)
        if in_use and not force:
            held = ", ".join(f"{n} {t}" for t, n in in_use.items())
            raise BackupError(
                f"the instance already holds data ({held}); restore into an empty instance, "
                "or pass --force to replace everything in it"
            )
        db.session.remove()
        engine.dispose()
        db_file = work / Path(manifest["database"]["name"]).name
        if engine.dialect.name == "sqlite":
            _restore_sqlite(engine, db_file)
        else:
            _restore_postgres(engine, db_file)
        store = evidence_store(app)
        try:
            for item in manifest["evidence"]:
                store.put(item["key"], (work / "evidence" / item["key"]).read_bytes())
        except StorageError as err:
            raise BackupError(
                f"the database was restored but the evidence files could not be written ({err}); "
                "make room and run the restore again with --force"
            ) from err
        _merge_public_keys(work, manifest, KeyRing.of(app))
        # the restored database must hold exactly what the manifest says was backed up
        with engine.connect() as conn:
            counts = _table_counts(conn, list(manifest["tables"]))
        if counts != manifest["tables"]:
            wrong = {
                t: (manifest["tables"][t], counts[t]) for t in counts if counts[t] != manifest["tables"][t]
            }
            raise BackupError(f"restored row counts differ from the backup's (expected, found): {wrong}")
    return Report(manifest, Path(archive))


def _restore_sqlite(engine: Engine, db_file: Path) -> None:
    """Copy the backup into the target with the backup API (one transaction on the target: a
    failure leaves the old database as it was)."""
    target_path = make_url(engine.url).database
    if not target_path or target_path == ":memory:":
        raise BackupError("cannot restore into an in-memory SQLite database")
    Path(target_path).parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(db_file)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _restore_postgres(engine: Engine, dump: Path) -> None:
    """pg_restore with --clean in one transaction: every object in the dump is dropped if present
    and recreated, or, on any error, nothing changes at all."""
    engine.dispose()
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "-d",
            make_url(engine.url).database or "",
            str(dump),
        ],
        _pg_env(engine),
    )
