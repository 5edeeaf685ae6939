"""`make bench`'s summary: runs every bench/bench_*.py that prints rows of issue 24's table, in
turn (one after another on the same machine, each timing its product path and its baseline
interleaved), collects their `ROW` lines (bench/rows.py) and prints them as one table with each row's
baseline and ratio.

    python bench/summary.py [bench_progress bench_sync ...]

Each script runs with BENCH_ROWS_ONLY=1 (a script that knows it skips its figures outside the table)
and LOGBOOK_BENCH_PG_URL (default: the local server's logbook_bench database), so every row is
measured on both engines. Scripts that never print a ROW line are not run; one that fails is
reported and the others still run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/logbook_bench"
COLUMNS = ("path", "today", "baseline", "ratio", "goal")


def parse(line: str) -> dict[str, str] | None:
    """A `ROW name | today x | baseline y | ratio r | goal g` line as a dict, or None."""
    if not line.startswith("ROW "):
        return None
    cells = [c.strip() for c in line[4:].split("|")]
    out = {"path": cells[0]}
    for cell in cells[1:]:
        key, _, value = cell.partition(" ")
        out[key] = value
    return out


def scripts(names: list[str]) -> list[Path]:
    if names:
        return [BENCH / (n if n.endswith(".py") else f"{n}.py") for n in names]
    # A script takes part when it prints rows (its text says ROW, or it uses bench/rows.py); the
    # others print only their own figures (`make bench-all`).
    return [
        p
        for p in sorted(BENCH.glob("bench_*.py"))
        if "ROW " in (text := p.read_text(encoding="utf-8")) or "from rows import" in text
    ]


def main() -> int:
    env = {
        **os.environ,
        "BENCH_ROWS_ONLY": "1",
        "LOGBOOK_BENCH_PG_URL": os.environ.get("LOGBOOK_BENCH_PG_URL", DEFAULT_PG),
    }
    rows: list[dict[str, str]] = []
    failed: list[str] = []
    for script in scripts(sys.argv[1:]):
        start = time.perf_counter()
        print(f"== {script.name}", flush=True)
        proc = subprocess.run(  # noqa: S603 - this interpreter, the repository's own scripts
            [sys.executable, str(script)], env=env, capture_output=True, text=True, check=False
        )
        found = [r for r in map(parse, proc.stdout.splitlines()) if r]
        for r in found:
            print(f"   {r['path']}: {r.get('today', '?')} (baseline {r.get('baseline', '?')})", flush=True)
        if proc.returncode:
            failed.append(script.name)
            print(proc.stderr[-2000:], file=sys.stderr)
        print(f"   {len(found)} rows, {time.perf_counter() - start:.0f} s", flush=True)
        rows.extend(found)
    print()
    load = os.getloadavg()
    print(f"Load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} ({os.cpu_count()} cores)")
    widths = [max(len(c), *(len(r.get(c, "")) for r in rows)) if rows else len(c) for c in COLUMNS]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(r.get(c, "").ljust(w) for c, w in zip(COLUMNS, widths, strict=True)) + " |")
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
