"""Staff onboarding benchmark (not a test): `logbook import-staff` on a generated file of N people
(default 5,000), run as the real command in a child process on a fresh SQLite database.

    .venv/bin/python -u bench/bench_staff_import.py [people] [--pg postgresql+psycopg://…]

Steps, each timed (wall clock) with the child's peak resident memory (its own ru_maxrss, os.wait4):
preview of the CSV (nothing written), apply (everyone created: teams, registrations, a supervisor
assignment each, an invitation each, sent to a memory mailer), apply the same file again (every row
unchanged), and preview of the same people as XLSX. The progress bar goes to the terminal (stderr).
"""

from __future__ import annotations

import csv
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
LOGBOOK = str(Path(sys.executable).with_name("logbook"))
ROLES = [
    row["job_role"]
    for row in csv.DictReader((ROOT / "logbook" / "data" / "job-roles.csv").open(encoding="utf-8"))
    if row["registration_framework"] in {"HCPC", "Social Work England"}
]
HEADER = [
    "name",
    "email",
    "team",
    "job_role",
    "regulator",
    "registration_number",
    "renewal_date",
    "supervisor_email",
]


def rows(people: int) -> list[list[str]]:
    """People in 25 teams; every 10th is a supervisor, the rest are supervised by their team's first."""
    out = []
    for i in range(people):
        team = f"Team {i % 25:02d}"
        supervisor = "" if i < 25 else f"person{i % 25:05d}@bench.example"
        out.append(
            [
                f"Person {i:05d}",
                f"person{i:05d}@bench.example",
                team,
                ROLES[i % len(ROLES)],
                "HCPC",
                f"PYL{100000 + i}",
                "2027-11-30",
                supervisor,
            ]
        )
    return out


def run(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Run `logbook ARGS`; (seconds, that child's peak RSS in MB, the last line it printed)."""
    start = time.monotonic()
    child = subprocess.Popen([LOGBOOK, *args], env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
    out = child.stdout.read() if child.stdout else ""
    _pid, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    if child.returncode != 0:
        raise SystemExit(f"logbook {' '.join(args)} failed ({child.returncode}):\n{out}")
    return seconds, usage.ru_maxrss / 1024, out.strip().splitlines()[-1] if out.strip() else ""


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--pg")]
    people = int(args[0]) if args else 5000
    pg = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--pg=")), None)
    folder = Path(tempfile.mkdtemp(prefix="bench-staff-"))
    env = {
        **os.environ,
        "LOGBOOK_ENV": "development",
        "LOGBOOK_DATABASE_URL": pg or f"sqlite:///{folder / 'bench.sqlite3'}",
        "LOGBOOK_MAIL_URL": "memory://",
        "LOGBOOK_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
    }
    data = rows(people)
    csv_file = folder / "staff.csv"
    with csv_file.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(data)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
    xlsx_file = folder / "staff.xlsx"
    book.save(xlsx_file)
    print(
        f"{platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.2f}; {people} people; CSV {csv_file.stat().st_size:,} bytes, "
        f"XLSX {xlsx_file.stat().st_size:,} bytes; {'PostgreSQL' if pg else 'SQLite'}"
    )
    run(env, "init-db")
    run(
        env,
        "create-user",
        "--email",
        "admin@bench.example",
        "--name",
        "Bench Admin",
        "--organisation",
        "bench",
        "--role",
        "org_admin",
        "--password",
        "Meadow-Kestrel-Pylon-77",
    )
    run(env, "import-roles", str(ROOT / "logbook" / "data" / "job-roles.csv"), "--organisation", "bench")
    for label, step in (
        ("preview CSV", ["import-staff", str(csv_file), "--organisation", "bench"]),
        ("preview XLSX", ["import-staff", str(xlsx_file), "--organisation", "bench"]),
        ("apply CSV (all new)", ["import-staff", str(csv_file), "--organisation", "bench", "--apply"]),
        ("apply again (unchanged)", ["import-staff", str(csv_file), "--organisation", "bench", "--apply"]),
    ):
        seconds, peak, last = run(env, *step)
        print(f"{label:<26} {seconds:6.1f} s   peak RSS {peak:6.0f} MB   {last}")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
