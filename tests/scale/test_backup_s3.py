"""`logbook backup` and `logbook restore` on the scale-out profile: PostgreSQL and evidence in S3.
The backup holds every file the database names, read from the bucket; a restore into an empty
database and another prefix of the bucket brings back the rows and the files, and the audit chain
verifies."""

from __future__ import annotations

import hashlib
import json
import subprocess
import tarfile

import pytest
from sqlalchemy.engine import make_url

from scripts.scale import BUCKET
from tests.entries.test_evidence_api import jpeg
from tests.scale.test_evidence_s3 import upload
from tests.scale.web import logged_in

pytestmark = pytest.mark.scale


def _new_database(url: str) -> str:
    parts = make_url(url)
    name = f"{parts.database}_restore"
    psql = [
        "psql",
        "-h",
        parts.host or "127.0.0.1",
        "-p",
        str(parts.port or 5432),
        "-U",
        parts.username or "postgres",
        "-d",
        "postgres",
        "-qc",
    ]
    subprocess.run([*psql, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)  # noqa: S603
    subprocess.run([*psql, f'CREATE DATABASE "{name}"'], check=True)  # noqa: S603
    return parts.set(database=name).render_as_string(hide_password=False)


def test_backup_and_restore_with_evidence_in_s3(base, profile, make_person, tmp_path):
    person = make_person()
    web = logged_in(base, person.email)
    photo = jpeg(gps=True, colour="maroon")
    assert upload(web, photo).status_code == 201
    s3 = profile.s3_client()
    objects = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="evidence/")["Contents"]}

    archive = tmp_path / "backup.tar.gz"
    profile.logbook("backup", "--out", str(archive))
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        assert manifest["engine"] == "postgresql"
        keys = {item["key"] for item in manifest["evidence"]}
        assert {f"evidence/{k}" for k in keys} == objects  # every file in the bucket the rows name
        for key in keys:
            assert hashlib.sha256(tar.extractfile(f"evidence/{key}").read()).hexdigest() == key

    target = {
        "LOGBOOK_DATABASE_URL": _new_database(profile.settings.pg_url),
        "LOGBOOK_EVIDENCE_URL": f"s3://{BUCKET}/restored",
    }
    profile.logbook("restore", str(archive), env=target)  # checks the row counts against the manifest
    profile.logbook("audit", "verify", env=target)  # exit 0: the chain is intact
    restored = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="restored/")["Contents"]}
    assert restored == {f"restored/{k}" for k in keys}
    for key in keys:
        assert (
            s3.get_object(Bucket=BUCKET, Key=f"restored/{key}")["Body"].read()
            == s3.get_object(Bucket=BUCKET, Key=f"evidence/{key}")["Body"].read()
        )
