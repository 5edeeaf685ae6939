"""Fault: the disk fills up (or the store fails) during an evidence upload. The client gets a clear
JSON error (507 Insufficient Storage when out of space, 503 otherwise, both with Retry-After); no
partial or temporary file is left behind and no evidence row names a file that is not there."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from logbook import storage
from logbook.entries.models import Evidence, EvidenceUpload
from logbook.extensions import db
from logbook.storage import S3Store, StorageError
from tests.entries.test_evidence_api import jpeg, put, sha


def _rows(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Evidence)),
            db.session.scalar(select(func.count()).select_from(EvidenceUpload)),
        )


def _files(app) -> list[str]:
    root = app.config["EVIDENCE_URL"]
    return sorted(str(p) for p in Path(root).rglob("*") if p.is_file())


def _failing(code: int):
    def fail(*_args, **_kwargs):
        raise OSError(code, os.strerror(code))

    return fail


# Where the write can fail: creating the temporary file, flushing it to disk (delayed allocation
# reports a full disk there), or renaming it into place.
STEPS = [
    ("tempfile.mkstemp", storage.tempfile, "mkstemp"),
    ("os.fsync", storage.os, "fsync"),
    ("os.replace", storage.os, "replace"),
]


@pytest.mark.parametrize(("step", "module", "name"), STEPS, ids=[s[0] for s in STEPS])
def test_a_full_disk_gives_507_and_leaves_nothing_behind(
    app, make_client, practitioner, monkeypatch, step, module, name
):
    client = make_client(practitioner)
    data = jpeg(gps=False)
    with monkeypatch.context() as m:
        m.setattr(module, name, _failing(errno.ENOSPC))
        response = put(client, data)
    assert response.status_code == 507, step
    assert response.headers["Retry-After"]
    error = response.get_json()["error"]
    assert error["code"] == "insufficient_storage"
    assert "nothing was saved" in error["message"]
    assert error["fields"] == {"body": ["not stored"]}
    assert _files(app) == []  # no temporary file, no partial file
    assert _rows(app) == (0, 0)  # no row naming a missing file
    # once there is room again, the same upload works and the row names a file that is there
    again = put(client, data)
    assert again.status_code == 201, again.get_json()
    [path] = _files(app)
    with app.app_context():
        evidence = db.session.get(Evidence, sha(data))
        assert path.endswith(evidence.stored_sha256)
    assert _rows(app) == (1, 1)


def test_another_storage_error_gives_503(app, make_client, practitioner, monkeypatch):
    client = make_client(practitioner)
    monkeypatch.setattr(storage.os, "fsync", _failing(errno.EIO))
    response = put(client, jpeg(gps=False))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert _files(app) == []
    assert _rows(app) == (0, 0)


def test_a_missing_file_put_back_on_a_full_disk_is_refused_cleanly(
    app, make_client, practitioner, monkeypatch
):
    client = make_client(practitioner)
    data = jpeg(gps=False)
    assert put(client, data).status_code == 201
    [path] = _files(app)
    os.unlink(path)  # e.g. an evidence folder restored from an older backup
    monkeypatch.setattr(storage.os, "fsync", _failing(errno.EDQUOT))
    response = put(client, data)
    assert response.status_code == 507
    assert _files(app) == []
    assert _rows(app) == (1, 1)  # the earlier row stays; its file comes back with the next upload


class _BrokenS3:
    def put_object(self, **_kwargs):
        raise ConnectionError("endpoint unreachable")


def test_an_unreachable_s3_store_raises_storage_error():
    store = S3Store("bucket", "evidence", client=_BrokenS3())
    with pytest.raises(StorageError) as caught:
        store.put("a" * 64, b"bytes")
    assert caught.value.full is False


class _UnreachableS3:
    """An S3 client whose every call fails as botocore does when the endpoint is down."""

    def __getattr__(self, name):
        def fail(**_kwargs):
            raise ConnectionError(f"{name}: Could not connect to the endpoint URL")

        return fail


def test_reads_from_an_unreachable_s3_store_raise_storage_error_not_a_bare_exception():
    store = S3Store("bucket", "evidence", client=_UnreachableS3())
    for call in (lambda: store.get("a" * 64), lambda: store.exists("a" * 64), lambda: store.delete("a" * 64)):
        with pytest.raises(StorageError):
            call()


def test_a_download_or_a_repeat_upload_while_the_store_is_away_is_503_with_retry_after(
    app, make_client, practitioner
):
    client = make_client(practitioner)
    data = jpeg(gps=False)
    assert put(client, data).status_code == 201
    app.extensions["logbook.evidence_store"] = S3Store("bucket", "evidence", client=_UnreachableS3())
    download = client.get(f"/api/v1/evidence/{sha(data)}")
    assert download.status_code == 503  # was a 500: the store's own exception escaped
    assert download.headers["Retry-After"]
    assert download.get_json()["error"]["code"] == "storage_unavailable"
    again = put(client, data)  # its row exists: the store is asked whether the file is there
    assert again.status_code == 503
    assert again.get_json()["error"]["code"] == "storage_unavailable"
    assert _rows(app) == (1, 1)
