"""Where evidence bytes live: a small interface with a local-folder, an in-memory and an S3 store.

EVIDENCE_URL chooses one: a folder path (the default, under the instance folder), `memory://` (tests,
demos), or `s3://bucket/optional/prefix` for an S3-compatible store (boto3 is imported only then; set
AWS_ENDPOINT_URL for MinIO and the like). Keys are SHA-256 hex digests, so a stored object never
changes once written and writing the same key twice is harmless.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from flask import Flask, current_app

KEY = re.compile(r"^[0-9a-f]{64}$")


class StorageError(OSError):
    """The store could not keep the bytes (disk full, permissions, S3 unreachable); nothing was kept."""

    def __init__(self, message: str, *, full: bool = False) -> None:
        super().__init__(message)
        self.full = full  # out of space or quota: 507 rather than 503


FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
CONNECT_TIMEOUT = 3  # seconds to reach an S3 store
READ_TIMEOUT = 30  # seconds an S3 request may wait for an answer


class EvidenceStore(Protocol):
    """Content-addressed bytes by key."""

    def put(self, key: str, data: bytes) -> None:
        """Store data under key (complete or not at all)."""

    def get(self, key: str) -> bytes:
        """The bytes under key; KeyError when missing, StorageError when the store cannot answer."""

    def exists(self, key: str) -> bool:
        """Whether key is stored."""

    def delete(self, key: str) -> None:
        """Remove key (missing keys are fine)."""


def _checked(key: str) -> str:
    if not KEY.match(key):
        raise ValueError("evidence keys are lowercase SHA-256 hex digests")
    return key


class LocalStore:
    """Files in a folder, fanned out by the first two characters of the key."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        """Write to a temporary file, fsync, then rename: a reader never sees half a file. A full
        disk or any other OS error removes the temporary file and raises StorageError."""
        path = self._path(key)
        if path.exists():
            return
        try:
            self._write(path, data)
        except OSError as err:
            full = err.errno in FULL_ERRNOS
            raise StorageError(f"evidence store: {err.strerror or err}", full=full) from err

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a power cut
        finally:
            os.close(dir_fd)

    def get(self, key: str) -> bytes:
        """The file's bytes."""
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as err:
            raise KeyError(key) from err

    def exists(self, key: str) -> bool:
        """Whether the file exists."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file."""
        self._path(key).unlink(missing_ok=True)


class MemoryStore:
    """Bytes in a dict, for tests and throwaway demos."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        """Keep the bytes."""
        with self._lock:
            self._data.setdefault(_checked(key), bytes(data))

    def get(self, key: str) -> bytes:
        """The bytes kept under key."""
        return self._data[_checked(key)]

    def exists(self, key: str) -> bool:
        """Whether key is kept."""
        return _checked(key) in self._data

    def delete(self, key: str) -> None:
        """Forget key."""
        with self._lock:
            self._data.pop(_checked(key), None)


class S3Store:
    """Objects in an S3-compatible bucket under a prefix."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            try:
                import boto3  # optional: only S3 deployments need it
            except ImportError as err:
                raise RuntimeError(
                    "EVIDENCE_URL is an s3:// address but boto3 is not installed: pip install boto3"
                ) from err
            from botocore.config import Config  # comes with boto3

            # Bounded waits: an unreachable store costs an upload a few seconds and a clear 503, not a
            # worker held for botocore's default 60 s timeouts and 5 tries.
            config = Config(
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"max_attempts": 3, "mode": "standard"},
            )
            client = boto3.client("s3", config=config)
        self.client = client

    def _key(self, key: str) -> str:
        key = _checked(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        """Upload the object (S3 writes are atomic: readers see all of it or nothing)."""
        name = self._key(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=data)
        except Exception as err:  # botocore's errors have no common base that we import
            raise StorageError(f"evidence store: {type(err).__name__}") from err

    def get(self, key: str) -> bytes:
        """Download the object; KeyError when it is missing, StorageError when the store fails."""
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except Exception as err:
            if _is_missing(err):
                raise KeyError(key) from err
            raise StorageError(f"evidence store: {type(err).__name__}") from err

    def exists(self, key: str) -> bool:
        """Whether the object exists (StorageError when the store cannot say)."""
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as err:
            if _is_missing(err):
                return False
            raise StorageError(f"evidence store: {type(err).__name__}") from err
        return True

    def delete(self, key: str) -> None:
        """Delete the object."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except Exception as err:
            raise StorageError(f"evidence store: {type(err).__name__}") from err


def _is_missing(err: Exception) -> bool:
    """Whether a botocore error means "no such key" (without importing botocore)."""
    code = str(getattr(err, "response", {}).get("Error", {}).get("Code", ""))
    return code in {"404", "NoSuchKey", "NotFound"}


def store_for(url: str) -> EvidenceStore:
    """The store an EVIDENCE_URL names."""
    if url == "memory://":
        return MemoryStore()
    if url.startswith("s3://"):
        parts = urlsplit(url)
        if not parts.netloc:
            raise ValueError("an s3:// EVIDENCE_URL needs a bucket: s3://bucket/prefix")
        return S3Store(parts.netloc, parts.path)
    if url.startswith("file://"):
        url = url.removeprefix("file://")
    return LocalStore(url)


def evidence_store(app: Flask | None = None) -> EvidenceStore:
    """The application's evidence store, made once per app from EVIDENCE_URL."""
    app = app or current_app
    store = app.extensions.get("logbook.evidence_store")
    if store is None:
        store = app.extensions.setdefault("logbook.evidence_store", store_for(app.config["EVIDENCE_URL"]))
    return store
