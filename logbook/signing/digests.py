"""Content digests: the SHA-256 of a record's canonical JSON, which a sign-off covers. Shared by
the sign-off core (supervision/signcore.py), which seals them, and offline verification
(signing/offline.py), which recomputes them from a PDF with no server."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def content_sha256_of(value: Any) -> str:
    """SHA-256 of any JSON value's canonical form."""
    raw = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def content_sha256(content: dict[str, Any]) -> str:
    """SHA-256 of a canonical content dict (entries and sessions hash the same way)."""
    return content_sha256_of(content)
