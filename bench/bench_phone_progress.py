"""Time the phone's requirement engine (logbook/static/app/progress.js) in Node: one person with
2,000 entries over four years, per framework, as Home works it out offline.

Run: .venv/bin/python bench/bench_phone_progress.py (Node 20+). Entries come from the parity test's
generator (every kind and status, some deleted, multi-day, tagged)."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.js.test_progress_parity import REGISTRATIONS, _inputs, _random_entry, _wire  # noqa: E402

RUNNER = """
import { readFileSync } from 'node:fs';
import { entryFacts, progress } from '%s';
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const out = [];
for (const c of cases) {
  const times = [];
  for (let i = 0; i < 21; i += 1) {
    const t0 = performance.now();
    progress(c.inputs, c.entries.map((e) => entryFacts(e.data, e.is_deleted)), c.today);
    times.push(performance.now() - t0);
  }
  out.push({ framework: c.inputs.registrations[0].framework_id, first: times[0],
             median: [...times].sort((a, b) => a - b)[10], best: Math.min(...times) });
}
console.log(JSON.stringify(out));
"""


def main() -> None:
    """Print first / median / best milliseconds per framework for 2,000 entries."""
    rng = random.Random(1)
    today = dt.date(2026, 11, 25)
    by_id = {r.framework_id: r for r in REGISTRATIONS if r.framework_id}
    cases = [
        {
            "inputs": _inputs([by_id[name]], []),
            "entries": [_wire(_random_entry(rng, today)) for _ in range(2000)],
            "today": today.isoformat(),
        }
        for name in ("nmc", "swe", "hcpc", "teachers")
    ]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "cases.json"
        data.write_text(json.dumps(cases))
        runner = Path(tmp) / "runner.mjs"
        runner.write_text(RUNNER % (ROOT / "logbook" / "static" / "app" / "progress.js").as_uri())
        node = shutil.which("node") or "node"
        done = subprocess.run([node, str(runner), str(data)], capture_output=True, text=True, check=True)  # noqa: S603
    for row in json.loads(done.stdout):
        print(
            f"{row['framework']}: 2,000 entries, first run {row['first']:.1f} ms, "
            f"median of 21 {row['median']:.1f} ms, best {row['best']:.1f} ms"
        )


if __name__ == "__main__":
    main()
