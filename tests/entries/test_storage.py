"""Evidence stores: the local folder, memory and S3 implementations of one small interface."""

import hashlib
import sys

import pytest

from logbook import storage
from logbook.storage import LocalStore, MemoryStore, S3Store, StorageError, evidence_store, store_for

DATA = b"%PDF-1.4 evidence"
KEY = hashlib.sha256(DATA).hexdigest()


class FakeS3:
    """Just enough of a boto3 S3 client."""

    class Missing(Exception):
        """botocore's ClientError, as far as the store looks at it."""

        response = {"Error": {"Code": "404"}}

    class Broken(Exception):
        """Any other S3 failure."""

        response = {"Error": {"Code": "AccessDenied"}}

    def __init__(self):
        self.objects = {}
        self.fail = False

    def _check(self):
        if self.fail:
            raise self.Broken

    def put_object(self, Bucket, Key, Body):  # noqa: N803 - boto3's argument names
        self._check()
        self.objects[(Bucket, Key)] = Body

    def get_object(self, Bucket, Key):  # noqa: N803
        self._check()
        if (Bucket, Key) not in self.objects:
            raise self.Missing
        body = self.objects[(Bucket, Key)]

        class Body:
            def read(self):
                return body

        return {"Body": Body()}

    def head_object(self, Bucket, Key):  # noqa: N803
        self._check()
        if (Bucket, Key) not in self.objects:
            raise self.Missing
        return {}

    def delete_object(self, Bucket, Key):  # noqa: N803
        self.objects.pop((Bucket, Key), None)


@pytest.fixture(params=["local", "memory", "s3"])
def store(request, tmp_path):
    """Each implementation in turn."""
    if request.param == "local":
        return LocalStore(tmp_path / "evidence")
    if request.param == "memory":
        return MemoryStore()
    return S3Store("bucket", "/logbook/evidence/", client=FakeS3())


def test_put_get_exists_delete(store):
    assert not store.exists(KEY)
    with pytest.raises(KeyError):
        store.get(KEY)
    store.put(KEY, DATA)
    store.put(KEY, DATA)  # writing the same key again is harmless
    assert store.exists(KEY)
    assert store.get(KEY) == DATA
    store.delete(KEY)
    store.delete(KEY)
    assert not store.exists(KEY)


@pytest.mark.parametrize("key", ["../../etc/passwd", KEY.upper(), KEY[:-1], ""])
def test_keys_must_be_hashes(store, key):
    with pytest.raises(ValueError, match="SHA-256"):
        store.put(key, DATA)


def test_local_store_leaves_no_partial_files(tmp_path, monkeypatch):
    store = LocalStore(tmp_path)
    store.put(KEY, DATA)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == [f"{KEY[:2]}/{KEY}"]

    def power_cut(*args):
        raise OSError("disk full")

    other = hashlib.sha256(b"other").hexdigest()
    monkeypatch.setattr(storage.os, "replace", power_cut)
    with pytest.raises(OSError, match="disk full"):
        store.put(other, b"other")
    assert not store.exists(other)
    assert [p.name for p in (tmp_path / other[:2]).iterdir()] == []  # the temporary file is gone


def test_s3_keys_live_under_the_prefix():
    client = FakeS3()
    S3Store("bucket", "/logbook/evidence/", client=client).put(KEY, DATA)
    assert list(client.objects) == [("bucket", f"logbook/evidence/{KEY}")]
    S3Store("bucket", "", client=client).put(KEY, DATA)
    assert ("bucket", KEY) in client.objects


def test_s3_failures_other_than_missing_are_raised():
    """Any S3 failure but "no such key" is a StorageError (the app answers 503 with Retry-After,
    tests/faults/test_evidence_storage.py), never taken for a missing object."""
    client = FakeS3()
    s3 = S3Store("bucket", client=client)
    client.fail = True
    for read in (s3.exists, s3.get):
        with pytest.raises(StorageError) as raised:
            read(KEY)
        assert isinstance(raised.value.__cause__, FakeS3.Broken)


def test_store_for_reads_the_url(tmp_path, monkeypatch):
    assert isinstance(store_for("memory://"), MemoryStore)
    local = store_for(str(tmp_path))
    assert isinstance(local, LocalStore)
    assert local.root == tmp_path
    assert store_for(f"file://{tmp_path}").root == tmp_path
    with pytest.raises(ValueError, match="bucket"):
        store_for("s3:///prefix")
    monkeypatch.setitem(sys.modules, "boto3", None)  # not installed
    with pytest.raises(RuntimeError, match="boto3 is not installed"):
        store_for("s3://bucket/prefix")


def test_s3_store_makes_a_boto3_client_lazily(monkeypatch):
    class FakeBoto3:
        @staticmethod
        def client(name, config=None):
            assert name == "s3"
            assert config is not None  # short timeouts: an S3 store that hangs must not hold a worker
            return FakeS3()

    monkeypatch.setitem(sys.modules, "boto3", FakeBoto3)
    s3 = store_for("s3://my-bucket/evidence")
    assert (s3.bucket, s3.prefix) == ("my-bucket", "evidence")


def test_the_app_makes_its_store_once(app):
    app.config["EVIDENCE_URL"] = "memory://"
    with app.app_context():
        first = evidence_store()
        assert first is evidence_store()
        assert isinstance(first, MemoryStore)
