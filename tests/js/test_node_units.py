"""The PWA's store, outbox and sync engine unit tests (Node's test runner, in-memory IndexedDB)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_store_outbox_and_sync_engine_pass_in_node():
    node = shutil.which("node")
    assert node, "Node.js 20+ is needed for the PWA's unit tests"
    assert (ROOT / "node_modules" / "fake-indexeddb").exists(), "run `npm ci` (make test does)"
    result = subprocess.run(  # noqa: S603 — fixed arguments, no shell
        [node, "--test", "--test-reporter=dot", "tests/js/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
