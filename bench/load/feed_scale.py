"""How the sync pull's query behaves on a large change feed (issue 23, docs/capacity.md). Not a test.

    .venv/bin/python bench/load/feed_scale.py \
        --pg-url postgresql+psycopg://postgres@127.0.0.1/logbook_capacity_feed --rows 3000000 --owners 30000

Makes its own database (dropped first), a `sync_change` table exactly as migrated (columns, primary key,
`ix_sync_change_owner_id`, `ix_sync_change_txid_seq`) filled with --rows changes spread over --owners
people in time order (as many writers make them), then times the pull's own query
(logbook/sync/service.py `pull`: the caller's changes and shared ones of their supervisees after a
(txid, seq) cursor, below the xmin horizon, in (txid, seq) order, limit 501) for a cursor at the end
(nothing new), one day back (1/365 of the feed) and from the start, with the shipped indexes and then
with one more index on (owner_id, txid, seq). Prints the plan's top node and the median time.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PULL = """
SELECT txid, seq, entity, record_id FROM sync_change
WHERE (owner_id = CAST(:me AS uuid) OR (owner_id = ANY(CAST(:others AS uuid[])) AND is_shared))
  AND (txid > :t OR (txid = :t AND seq > :s)) AND txid < :horizon
ORDER BY txid, seq LIMIT 501
"""


def owner(k: int) -> str:
    return f"00000000-0000-0000-0000-{k:012x}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/logbook_capacity_feed"
    )
    parser.add_argument("--rows", type=int, default=3_000_000)
    parser.add_argument("--owners", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    url = make_url(args.pg_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    admin.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(
            text(
                "CREATE TABLE sync_change (seq bigint PRIMARY KEY, txid bigint NOT NULL,"
                " entity varchar(40) NOT NULL, record_id uuid NOT NULL, owner_id uuid NOT NULL,"
                " is_shared boolean NOT NULL,"
                " created_at timestamptz NOT NULL)"
            )
        )
        started = time.monotonic()
        # Rows in time order; consecutive changes belong to scattered people (k = g * 7919 mod owners).
        conn.execute(
            text(
                "INSERT INTO sync_change SELECT g, 1000 + g, 'entry', gen_random_uuid(),"
                " ('00000000-0000-0000-0000-' || lpad(to_hex((g * 7919) % :o), 12, '0'))::uuid,"
                " g % 3 = 0, now() FROM generate_series(1::bigint, :n) g"
            ),
            {"n": args.rows, "o": args.owners},
        )
        conn.execute(text("CREATE INDEX ix_sync_change_owner_id ON sync_change (owner_id)"))
        conn.execute(text("CREATE INDEX ix_sync_change_txid_seq ON sync_change (txid, seq)"))
        conn.execute(text("VACUUM ANALYZE sync_change"))
        size = conn.execute(text("SELECT pg_total_relation_size('sync_change')")).scalar_one()
        print(
            f"{args.rows:,} changes of {args.owners:,} people loaded in {time.monotonic() - started:.0f} s: "
            f"{size / 1e6:,.0f} MB with indexes ({size / args.rows:.0f} bytes a change)",
            flush=True,
        )
        horizon = 1000 + args.rows + 1
        me, others = owner(12345 % args.owners), [owner(k % args.owners) for k in (1, 2, 3)]
        # The last change of `me`, and the position a day (1/365 of the feed) before the end.
        last = conn.execute(
            text("SELECT max(seq) FROM sync_change WHERE owner_id = CAST(:me AS uuid)"), {"me": me}
        ).scalar_one()
        day_back = args.rows - args.rows // 365
        cursors = {"nothing new (cursor at the end)": last, "a day back": day_back, "from the start": 0}
        print("\n| indexes | cursor | rows returned | plan | median ms |")
        print("|---|---|---:|---|---:|")
        for label, extra in (("as migrated", None), ("+ (owner_id, txid, seq)", "(owner_id, txid, seq)")):
            if extra:
                conn.execute(text(f"CREATE INDEX ix_extra ON sync_change {extra}"))
                conn.execute(text("ANALYZE sync_change"))
            for name, seq in cursors.items():
                params = {"me": me, "others": others, "t": 1000 + seq, "s": seq, "horizon": horizon}
                plan = conn.execute(text("EXPLAIN " + PULL), params).scalars().all()
                node = plan[1].strip().lstrip("-> ").split("  (")[0] if len(plan) > 1 else plan[0]
                times, count = [], 0
                for _ in range(args.repeat):
                    t = time.perf_counter()
                    count = len(conn.execute(text(PULL), params).all())
                    times.append((time.perf_counter() - t) * 1000)
                print(f"| {label} | {name} | {count} | {node} | {statistics.median(times):.1f} |", flush=True)


if __name__ == "__main__":
    main()
