"""The arithmetic of docs/capacity.md: from measured costs (bench/load/capacity.py's JSON) and the usage
assumptions below, what 1,000 / 50,000 / 1,000,000 practitioners need. Prints Markdown.

    python bench/load/capacity_model.py build/capacity-run1.json [build/capacity-run2.json ...]

Later files' rows replace earlier files' rows of the same request name. Every assumption is a constant
here and in docs/capacity.md; change one and run again.
"""

from __future__ import annotations

import json
import math
import sys

# --- usage assumptions (docs/capacity.md, "Requests per practitioner") --------------------------------
WORKING_DAYS = 250
ACTIVE_SHARE = 0.30  # share of registrants who open the app on a working day
ACTIVE_DAYS = WORKING_DAYS * ACTIVE_SHARE  # 75 active days a year per practitioner
ENTRIES_PER_YEAR = 35  # activities recorded a year (the demo: 1,045 entries over a year for 30 practitioners)
EDITS_PER_ENTRY = 1  # a later change (reflection added, evidence attached)
PHOTOS_PER_ENTRY = 0.3
DEVICES = 1.5  # phone and a browser for some
LOGINS_PER_DEVICE_YEAR = 12  # sessions last 30 days (SESSION_LIFETIME_DAYS)
PORTFOLIOS_PER_YEAR = 2
COLD_OPENS_PER_ACTIVE_DAY = 2  # app started: /me, sync, Home (3 reads)
RESUMES_PER_ACTIVE_DAY = 1  # app brought back to the foreground: sync ('visible')
PERIODIC_PER_ACTIVE_DAY = 1  # 5-minute timer while visible: sessions are short
PEAK_HOUR_SHARE = 0.125  # a working day's requests in its busiest hour (1/8)
RENEWAL_FACTOR = 2.0  # renewal season (e.g. a register-wide deadline): twice the ordinary active share
TARGET_UTILISATION = 0.6  # cores planned so the busiest hour uses 60 % of them

PER_YEAR = {
    "pull, nothing new": ACTIVE_DAYS
    * (COLD_OPENS_PER_ACTIVE_DAY + RESUMES_PER_ACTIVE_DAY + PERIODIC_PER_ACTIVE_DAY),
    "pull, 10 changes": ENTRIES_PER_YEAR * (1 + EDITS_PER_ENTRY),  # the pull after each push (bounded above)
    "push 1 mutation": ENTRIES_PER_YEAR * (1 + EDITS_PER_ENTRY),
    "me": ACTIVE_DAYS * COLD_OPENS_PER_ACTIVE_DAY,
    "progress": ACTIVE_DAYS * COLD_OPENS_PER_ACTIVE_DAY
    + ENTRIES_PER_YEAR,  # Home drawn on open and after a save
    "progress inputs": ACTIVE_DAYS * COLD_OPENS_PER_ACTIVE_DAY + ENTRIES_PER_YEAR,
    "supervision actions": ACTIVE_DAYS * COLD_OPENS_PER_ACTIVE_DAY + ENTRIES_PER_YEAR,
    "evidence upload (photo)": ENTRIES_PER_YEAR * PHOTOS_PER_ENTRY,
    "login (CSRF + password)": DEVICES * LOGINS_PER_DEVICE_YEAR,
    "pull from start (first page, limit 500)": DEVICES * LOGINS_PER_DEVICE_YEAR,
    "portfolio PDF job (a year)": PORTFOLIOS_PER_YEAR,
}
SYNC_REQUESTS = {
    "pull, nothing new",
    "pull, 10 changes",
    "push 1 mutation",
    "evidence upload (photo)",
    "pull from start (first page, limit 500)",
}
# Requests that commit a transaction (rate-limit counters aside).
WRITES = {
    "push 1 mutation",
    "evidence upload (photo)",
    "login (CSRF + password)",
    "portfolio PDF job (a year)",
}
RATE_LIMITED = SYNC_REQUESTS - {"evidence upload (photo)"}  # one counter UPSERT each on database:// storage

SIZES = (1_000, 50_000, 1_000_000)


def load(paths: list[str]) -> tuple[dict[str, dict], dict]:
    costs: dict[str, dict] = {}
    extra: dict = {}
    for path in paths:
        data = json.loads(open(path, encoding="utf-8").read())  # noqa: SIM115
        for row in data["rows"]:
            if row["request"] != "static file (baseline)":
                costs[row["request"]] = row
        extra.update({k: v for k, v in data.items() if k != "rows"})
    return costs, extra


def main() -> None:
    costs, extra = load(sys.argv[1:])
    missing = [name for name in PER_YEAR if name not in costs]
    if missing:
        raise SystemExit(f"no measurement for {missing}")
    print(
        "| request | per practitioner a year | per active day | app CPU ms | db CPU ms "
        "| app CPU s a year | db CPU s a year |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    app_year = db_year = requests_year = 0.0
    for name, count in PER_YEAR.items():
        app, db = costs[name]["app CPU ms"], costs[name]["db CPU ms"]
        app_year += count * app / 1000
        db_year += count * db / 1000
        requests_year += count
        print(
            f"| {name} | {count:,.0f} | {count / ACTIVE_DAYS:.2f} | {app:g} | {db:g} | "
            f"{count * app / 1000:,.1f} | {count * db / 1000:,.1f} |"
        )
    sync_year = sum(PER_YEAR[n] for n in SYNC_REQUESTS)
    print(
        f"| **all** | **{requests_year:,.0f}** | **{requests_year / ACTIVE_DAYS:.1f}** | "
        f"{app_year * 1000 / requests_year:.1f} (mean) | {db_year * 1000 / requests_year:.1f} (mean) | "
        f"**{app_year:,.1f}** | **{db_year:,.1f}** |"
    )
    print(f"\nsync requests per active practitioner per day: {sync_year / ACTIVE_DAYS:.2f}")
    writes_year = sum(PER_YEAR[n] for n in WRITES)
    limited_year = sum(PER_YEAR[n] for n in RATE_LIMITED)
    entries = extra.get("entries", {})
    evidence = extra.get("evidence", {})
    per_entry = entries.get("bytes_per_entry", 0)
    by_table = entries.get("bytes_by_table", {})
    added = max(1, entries.get("added", 1))
    # An edit adds a revision, a change-feed row and a stored mutation result (not a new entry row).
    per_edit = sum(by_table.get(t, 0) for t in ("entry_revision", "sync_change", "sync_mutation")) / added
    db_bytes_year = ENTRIES_PER_YEAR * (
        per_entry + EDITS_PER_ENTRY * per_edit
    ) + ENTRIES_PER_YEAR * PHOTOS_PER_ENTRY * evidence.get("db_bytes_each", 0)
    object_bytes_year = ENTRIES_PER_YEAR * PHOTOS_PER_ENTRY * evidence.get("stored_bytes_each", 0)
    print(
        f"bytes per entry {per_entry:,.0f}, per later edit {per_edit:,.0f}; "
        f"database bytes a practitioner-year {db_bytes_year:,.0f}; objects {object_bytes_year:,.0f}"
    )

    print(
        "\n| practitioners | requests/s, busiest hour (renewal season) | app cores | PostgreSQL cores "
        "| write transactions/s (+ rate-limit counters on database://) | database growth a year "
        "| object storage a year |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in SIZES:

        def peak(per_year: float, n: int = n) -> float:
            return n * per_year / WORKING_DAYS * PEAK_HOUR_SHARE / 3600

        rps = peak(requests_year)
        rps_renewal = rps * RENEWAL_FACTOR
        app_cores = peak(app_year) * RENEWAL_FACTOR / TARGET_UTILISATION
        db_cores = peak(db_year) * RENEWAL_FACTOR / TARGET_UTILISATION
        writes = peak(writes_year) * RENEWAL_FACTOR
        limited = peak(limited_year) * RENEWAL_FACTOR
        print(
            f"| {n:,} | {rps:,.1f} ({rps_renewal:,.1f}) | {app_cores:,.1f} → {math.ceil(app_cores)} | "
            f"{db_cores:,.1f} → {math.ceil(db_cores)} | {writes:,.1f} (+{limited:,.1f}) | "
            f"{n * db_bytes_year / 1e9:,.1f} GB | {n * object_bytes_year / 1e12:,.2f} TB |"
        )


if __name__ == "__main__":
    main()
