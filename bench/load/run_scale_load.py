"""Load run through HAProxy (issue 23): the `make bench-load` mix (bench/load/locustfile.py) at 50 and 200
clients against one gunicorn server and against two gunicorn servers behind HAProxy, on PostgreSQL.
Not a test and not the product's scale-out profile (`make run-scale`): a measuring harness that starts
its own servers and its own HAProxy by PID and stops them, printing figures for docs/benchmarks.md.

    .venv/bin/python bench/load/run_scale_load.py --locust build/locust-venv/bin/locust \
        --pg-url postgresql+psycopg://postgres@127.0.0.1/logbook_capacity --layouts 1x4,2x2 --clients 50,200

A layout is SERVERSxWORKERS: `1x4` is one `logbook serve --prod --workers 4` addressed directly; `2x2` is two
servers of 2 workers each behind HAProxy (round robin, health-checked on /healthz); `2x2q` the same with
`maxconn 2` per server and `leastconn`, so HAProxy holds the queue and a server never has more requests
than sync workers (its /healthz check then waits for one request at most, not for the whole backlog).
`--target LABEL=URL` instead runs the mix against a profile that is already up (e.g. `make run-scale`'s
HAProxy) with that label; `--pids-file` (its pids.json) lets its processes' CPU be counted.
The database is made afresh for each layout (demo organisation), so every layout starts from the same data.
HAProxy's own counters (stats socket) show how the requests were spread over the servers.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from capacity import Meter
from run_load import ENDPOINTS_ORDER, LOGBOOK, ROOT, free_port, reset_pg, run, summarise, wait_up

HAPROXY_CFG = """global
    maxconn 4096
    stats socket {sock} mode 600 level admin
defaults
    mode http
    timeout connect 5s
    timeout client 300s
    timeout server 300s
    timeout queue 300s
    timeout check 10s
    retries 2
    option redispatch
frontend logbook
    bind 127.0.0.1:{port}
    default_backend app
backend app
    balance {balance}
    option httpchk GET /healthz
    http-check expect status 200
{servers}
"""


def haproxy_stats(sock: Path) -> dict[str, int]:
    """Requests answered by each backend server (HAProxy's `show stat`: hrsp_* summed, via the socket)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(str(sock))
        s.sendall(b"show stat\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    lines = data.decode().splitlines()
    header = lines[0].lstrip("# ").split(",")
    out = {}
    for line in lines[1:]:
        if not line:
            continue
        row = dict(zip(header, line.split(","), strict=False))
        if row.get("pxname") == "app" and row.get("svname") not in ("BACKEND", "FRONTEND"):
            out[row["svname"]] = int(row.get("stot") or 0)
    return out


def start_layout(
    layout: str, env: dict[str, str], folder: Path
) -> tuple[str, list[subprocess.Popen], Path | None]:
    queued = layout.endswith("q")  # HAProxy holds the queue: at most `workers` requests per server
    servers, workers = (int(x) for x in layout.rstrip("q").split("x"))
    limit = f" maxconn {workers}" if queued else ""
    procs: list[subprocess.Popen] = []
    ports = []
    for i in range(servers):
        port = free_port()
        ports.append(port)
        log = (folder / f"gunicorn-{i}.log").open("wb")
        procs.append(
            subprocess.Popen(  # noqa: S603
                [*LOGBOOK, "serve", "--prod", "--port", str(port), "--workers", str(workers)],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    try:
        for port in ports:
            wait_up(f"http://127.0.0.1:{port}", timeout=300)  # a loaded machine boots slowly
    except BaseException:
        for proc in procs:  # the caller never gets them: stop them here
            proc.terminate()
        raise
    if servers == 1:
        return f"http://127.0.0.1:{ports[0]}", procs, None
    front = free_port()
    sock = folder / "haproxy.sock"
    cfg = folder / "haproxy.cfg"
    cfg.write_text(
        HAPROXY_CFG.format(
            sock=sock,
            port=front,
            balance="leastconn" if queued else "roundrobin",
            servers="\n".join(
                f"    server app{i} 127.0.0.1:{p} check inter 2s fall 3 rise 1{limit}"
                for i, p in enumerate(ports)
            ),
        )
    )
    log = (folder / "haproxy.log").open("wb")
    procs.append(subprocess.Popen(["haproxy", "-f", str(cfg), "-db"], stdout=log, stderr=subprocess.STDOUT))  # noqa: S603, S607
    wait_up(f"http://127.0.0.1:{front}", timeout=300)
    time.sleep(2.5)  # one health-check round, so both servers are up in HAProxy's eyes
    return f"http://127.0.0.1:{front}", procs, sock


def run_locust(
    args: argparse.Namespace,
    clients: int,
    *,
    url: str,
    prefix: Path,
    users: Path,
    password: str,
    meter: Meter,
) -> dict[str, float]:
    """One level of locust; the CPU the servers, the balancer and the database spent while it measured
    (from the locustfile's "measuring" line, printed when the last client has logged in, to its end)."""
    command = [
        args.locust, "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
        "-u", str(clients), "-r", str(max(1, clients // 5)), "--run-time", f"{args.duration + 300}s",
        "--csv", str(prefix), "--only-summary", "-H", url, "--stop-timeout", "10",
    ]  # fmt: skip
    env = {**os.environ, "LOAD_USERS": str(users), "LOAD_PASSWORD": password}
    env["LOAD_MEASURE_SECONDS"] = str(args.duration)
    before = None
    with prefix.with_suffix(".log").open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(  # noqa: S603
            command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert proc.stdout is not None  # noqa: S101 - asked for above
        for line in proc.stdout:
            log.write(line)
            if before is None and "measuring for" in line:
                before = meter.snapshot()
        proc.wait()
    if before is None:
        return {}
    return meter.spent(before, meter.snapshot())


def main() -> None:  # noqa: PLR0915 - one script, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locust", required=True)
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/logbook_capacity")
    parser.add_argument("--layouts", default="1x4,2x2")
    parser.add_argument(
        "--target", default="", help="LABEL=URL of a profile already running (no servers started)"
    )
    parser.add_argument("--pids-file", default="", help="with --target: the profile's pids.json (name: PID)")
    parser.add_argument("--clients", default="50,200")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--out", default=str(ROOT / "build" / "bench-scale-load"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))
    from logbook.demo import DEMO_PASSWORD, PEOPLE, email_for

    practitioners = [email_for(p[0]) for p in PEOPLE if "practitioner" in p[3]]
    rows = []
    runs: list[tuple[str, str | None]] = (
        [(args.target.split("=", 1)[0], args.target.split("=", 1)[1])] if args.target else []
    ) + [(layout, None) for layout in ([] if args.target else args.layouts.split(","))]
    for index, (layout, given) in enumerate(runs, 1):
        url = given
        folder = Path(tempfile.mkdtemp(prefix=f"logbook-scale-{layout}-"))
        procs: list[subprocess.Popen] = []
        sock = None
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "LOGBOOK_ENV": "development",
            "LOGBOOK_SECRET_KEY": "load-test-secret-key-0123456789abcdef0123456789",
            "LOGBOOK_DATABASE_URL": args.pg_url,
            "LOGBOOK_EVIDENCE_URL": str(folder / "evidence"),
            "LOGBOOK_MAIL_URL": "memory://",
            "LOGBOOK_LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
            "LOGBOOK_LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
            "LOGBOOK_SYNC_RATE_LIMIT": "100000 per minute",
        }
        try:
            if url is None:
                reset_pg(args.pg_url)
                print(f"== {layout}: init-db + demo", flush=True)
                run([*LOGBOOK, "init-db"], env)
                run([*LOGBOOK, "demo"], env)
                url, procs, sock = start_layout(layout, env, folder)
            users_file = folder / "users.json"
            users_file.write_text(json.dumps(practitioners))
            if given is not None and args.pids_file:
                pids = json.loads(Path(args.pids_file).read_text())
                roots = [pid for name, pid in pids.items() if name.startswith(("app", "worker"))]
                proxy = [pid for name, pid in pids.items() if name == "haproxy"]
            else:
                roots = [p.pid for p in procs if p.args[0] != "haproxy"]
                proxy = [p.pid for p in procs if p.args[0] == "haproxy"]
            meter = Meter(roots, args.pg_url, proxy)
            for clients in [int(c) for c in args.clients.split(",")]:
                spread_before = haproxy_stats(sock) if sock else {}
                load = os.getloadavg()
                prefix = out / f"{index}-{layout}-{clients}"
                print(f"== {layout}, {clients} clients (load before {load[0]:.2f})", flush=True)
                cpu = run_locust(
                    args,
                    clients,
                    url=url,
                    prefix=prefix,
                    users=users_file,
                    password=DEMO_PASSWORD,
                    meter=meter,
                )
                load_after = os.getloadavg()[0]
                spread_after = haproxy_stats(sock) if sock else {}
                spread = {k: spread_after[k] - spread_before.get(k, 0) for k in spread_after}
                for row in summarise(prefix):
                    rows.append(
                        {
                            "layout": layout,
                            "clients": clients,
                            "load": f"{load[0]:.1f}-{load_after:.1f}",
                            "spread": spread,
                            "cpu": cpu,
                            **row,
                        }
                    )
                print(f"   spread over servers (whole level, logins included): {spread}", flush=True)
        finally:
            for p in reversed(procs):
                p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
    (out / "summary.json").write_text(json.dumps(rows, indent=1))
    print(
        "\n| layout | clients | load | request | requests/s | p50 ms | p95 ms | p99 ms | errors "
        "| CPU ms a request |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if row["Name"] in ENDPOINTS_ORDER or row["Name"] == "Aggregated":
            print(
                f"| {row['layout']} | {row['clients']} | {row['load']} | {row['Name']} | "
                f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} | "
                f"{row['Failure Count']}/{row['Request Count']} | {per_request(row)} |"
            )


def per_request(row: dict) -> str:
    """app + balancer + database CPU ms per request, for the whole level (the Aggregated row only)."""
    count = int(row["Request Count"])
    if row["Name"] != "Aggregated" or not row.get("cpu") or not count:
        return ""
    app, proxy, db = (row["cpu"][k] * 1000 / count for k in ("app", "proxy", "db"))
    return f"{app:.1f} + {proxy:.1f} + {db:.1f} = {app + proxy + db:.1f}"


if __name__ == "__main__":
    main()
