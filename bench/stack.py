"""The product as deployed, on this machine: gunicorn (2 workers) + a django-q2 cluster, on a bench database.

NRS's side, the embedded sandbox, answers from a gunicorn of its own (the same code, 2 workers), as the real
NRS would from elsewhere: its CPU is counted apart from the product's, and both share this machine's cores.

With DATABASE_URL / REDIS_URL set, the bench runs on PostgreSQL (a database of its own, `<name>_bench`,
recreated each run) and Redis; otherwise on a fresh SQLite file under var/bench/ and the ORM broker.
Production settings (DEBUG off), but plain http on loopback, rate limits lifted (they would measure the limit,
not the server) and logs at WARNING.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url_for(url: str, suffix: str) -> str:
    """The same PostgreSQL server, a database of the run's own (`<name>_<suffix>`): a run never touches real data."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path=f"/{name}_{suffix}"))


def _postgres(url: str, statement: str) -> None:
    """`statement` ({name}: the database of `url`) run from the server's maintenance database."""
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(statement.format(name=parts.path.lstrip("/")))


def drop_postgres_database(url: str) -> None:
    _postgres(url, 'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def recreate_postgres_database(url: str) -> None:
    drop_postgres_database(url)
    _postgres(url, 'CREATE DATABASE "{name}"')


def flush_redis(url: str) -> None:
    """Empties the Redis database of `url`: the broker's queue and the cache of an earlier run."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def _bench_encryption_key() -> str:
    """One key per machine, kept beside the bench database, so bench/profile.py can read what run.py wrote."""
    path = VAR / "fernet.key"
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
    return path.read_text().strip()


# Rate limits would measure the limit, not the server.
NO_RATE_LIMITS = {
    "RATE_LIMIT_API": "100000000",
    "RATE_LIMIT_INVOICE_CREATE": "100000000",
    "RATE_LIMIT_CSV_SUBMIT": "100000000",
    "RATE_LIMIT_AUTH": "100000000",
}


def production_env(
    base: dict, *, port: int, secret_key: str, encryption_keys: str, media_root: Path, log_level: str
) -> dict:
    """`base` with production settings (DEBUG off) for the server and workers of a run on loopback: plain http,
    webhooks allowed to 127.0.0.1, rate limits lifted."""
    return {
        **base,
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "FIELD_ENCRYPTION_KEYS": encryption_keys,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(media_root),
        "LOG_LEVEL": log_level,
        **NO_RATE_LIMITS,
    }


def environment(port: int) -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    env = production_env(
        {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        port=port,
        secret_key="bench-" + "x" * 50,
        encryption_keys=_bench_encryption_key(),
        media_root=VAR / "media",
        log_level="WARNING",
    )
    env.update(
        {
            "Q_WORKERS": "2",
            # No idle wait between the sign and transmit retries the pipeline makes on a transient error.
            "NRS_RETRY_BACKOFF": "1,1,2,4,8",
        }
    )
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = database_url_for(os.environ["DATABASE_URL"], "bench")
    else:
        env["SQLITE_PATH"] = str(VAR / "bench.sqlite3")
    return env


def prepare_database(env: dict) -> None:
    if "DATABASE_URL" in env:
        recreate_postgres_database(env["DATABASE_URL"])
    else:
        for leftover in VAR.glob("bench.sqlite3*"):
            leftover.unlink()
    if env.get("REDIS_URL"):
        flush_redis(env["REDIS_URL"])
    migrate(env)
    manage(env, "collectstatic", "--noinput", "-v0")


def migrate(env: dict, log=None) -> None:
    """A fresh database made ready: its tables, the cache table and the reference data."""
    for command in (["migrate", "--noinput", "-v0"], ["createcachetable"], ["load_reference_data"]):
        manage(env, *command, log=log)


def manage(env: dict, *args: str, log=None) -> None:
    """`manage.py <args>`; its output (and errors) to the open file `log`, or nowhere."""
    out = log or subprocess.DEVNULL
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=out, stderr=log)


def spawn(name: str, args: list[str], env: dict, logs: Path) -> subprocess.Popen:
    """A process in a session of its own (stopped with its children as a group), logging to <logs>/<name>.log."""
    with open(logs / f"{name}.log", "ab") as log:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def start_gunicorn(
    name: str,
    port: int,
    env: dict,
    logs: Path,
    *,
    options: tuple[str, ...] = ("-w", "2", "--log-level", "warning"),
    ready_path: str = "/health",
    timeout: float = 30,
) -> subprocess.Popen:
    """gunicorn serving the portal on `port`, once `ready_path` answers 200."""
    args = [PYTHON, "-m", "gunicorn", "portal.wsgi", "-b", f"127.0.0.1:{port}", *options]
    process = spawn(name, args, env, logs)
    if not _answers(f"http://127.0.0.1:{port}{ready_path}", process, timeout):
        stop(process)
        raise RuntimeError(f"gunicorn did not answer on :{port}; see {logs / f'{name}.log'}")
    return process


def _answers(url: str, process: subprocess.Popen, timeout: float) -> bool:
    """Whether `url` answers 200 within `timeout` seconds, while `process` (which serves it) runs."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


def start_qcluster(name: str, env: dict, logs: Path) -> subprocess.Popen:
    return spawn(name, [PYTHON, "manage.py", "qcluster"], env, logs)


class Processes:
    """Starts and stops the web server and the worker as the deployment would run them."""

    def __init__(self, env: dict, port: int):
        self.port, self.sandbox_port = port, free_port()
        self.sandbox_env = env
        self.env = {**env, "NRS_SANDBOX_URL": f"http://127.0.0.1:{self.sandbox_port}/sandbox/nrs"}
        self.web = self.worker = self.sandbox = self.standin = None
        self.standin_url = ""
        self.logs = VAR / "logs"
        self.logs.mkdir(exist_ok=True)

    def _spawn(self, name: str, args: list[str], env: dict | None = None) -> subprocess.Popen:
        return spawn(name, args, env or self.env, self.logs)

    def start_web(self) -> None:
        """The portal's server, and the sandbox's."""
        self.web = start_gunicorn("web", self.port, self.env, self.logs)
        self.sandbox = start_gunicorn("sandbox", self.sandbox_port, self.sandbox_env, self.logs)

    def start_worker(self, env: dict | None = None) -> None:
        """The qcluster, with the deployment's environment or `env` (e.g. another NRS_SANDBOX_URL)."""
        self.worker = start_qcluster("worker", env or self.env, self.logs)

    def start_standin(self, latency_ms: float = 0) -> str:
        """bench/nrs_standin.py on a free port: NRS answering every call after `latency_ms`. Its base URL."""
        port = free_port()
        script = str(ROOT / "bench" / "nrs_standin.py")
        self.standin = self._spawn("standin", [PYTHON, script, "--port", str(port), "--latency-ms", str(latency_ms)])
        self.standin_url = f"http://127.0.0.1:{port}"
        if _answers(f"{self.standin_url}/_standin/stats", self.standin, 15):
            return self.standin_url
        raise RuntimeError(f"the NRS stand-in did not answer on :{port}; see {self.logs / 'standin.log'}")

    def stop_standin(self) -> None:
        self.standin = stop(self.standin)

    def stop_worker(self) -> None:
        self.worker = stop(self.worker)

    def cpu_seconds(self) -> dict:
        """CPU time used so far (user + system) by each process tree: the web server's, the worker's, the
        sandbox's and the NRS stand-in's (NRS's share, which would not be on this machine), and PostgreSQL's
        and Redis's when the bench uses them (they run on these cores too; nothing else uses them meanwhile)."""
        table = _processes()
        roles = {"web": self.web, "worker": self.worker, "sandbox": self.sandbox, "standin": self.standin}
        times = {role: _tree_cpu(table, p.pid) if p and p.poll() is None else 0.0 for role, p in roles.items()}
        uses_services = "DATABASE_URL" in self.env or "REDIS_URL" in self.env
        times["services"] = sum(cpu for _pid, _ppid, name, cpu in table if name in SERVICES) if uses_services else 0.0
        return times

    def stop(self) -> None:
        self.stop_worker()
        self.web = self.sandbox = self.standin = stop(self.web, self.sandbox, self.standin)


def connected_tenant(
    name: str, *, admin_email: str, admin_password: str, key_name: str, admin_name: str = ""
) -> tuple[object, str]:
    """A business connected to the embedded NRS sandbox, with the demo's TIN, contacts and address and an API
    key: (tenant, the key's plaintext). In a process with Django set up, on the run's database."""
    from django_scopes import scope

    from integrations.nrs.services import nrs_sandbox_connect
    from tenants.demo import complete_demo_profile
    from tenants.services import api_key_create, tenant_create

    tenant = tenant_create(name=name, admin_email=admin_email, admin_password=admin_password, admin_name=admin_name)
    with scope(tenant=tenant):
        complete_demo_profile(tenant)
        _key, plaintext = api_key_create(tenant=tenant, name=key_name)
    nrs_sandbox_connect(tenant=tenant)
    return tenant, plaintext


SERVICES = ("postgres", "redis-server")


def _processes() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, name, CPU seconds including exited children) of every process."""
    tick = os.sysconf("SC_CLK_TCK")
    table = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or (stat := proc_stat(int(entry.name))) is None:
            continue  # not a process, or exited meanwhile
        name, fields = stat
        # After the name: state ppid … utime(12) stime(13) cutime(14) cstime(15), counted from 0.
        table.append((int(entry.name), int(fields[1]), name, sum(int(value) for value in fields[11:15]) / tick))
    return table


def proc_stat(pid: int) -> tuple[str, list[str]] | None:
    """(name, the fields after it: state, ppid, pgrp, session, …) from /proc/<pid>/stat; None once it exited."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, _, rest = text.partition(" (")[2].rpartition(")")
    return name, rest.split()


def _tree_cpu(table: list, root: int) -> float:
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    for pid, ppid, _name, cpu in table:
        children.setdefault(ppid, []).append(pid)
        times[pid] = cpu
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += times.get(pid, 0.0)
        stack.extend(children.get(pid, []))
    return total


def stop(*processes: subprocess.Popen | None, grace: float = 15) -> None:
    """SIGTERM to each process's group at once (a qcluster stops in order: portal/task_cluster.py), up to `grace`
    seconds for them to exit, then SIGKILL to whatever is left of each group (say, a worker stopped in a task).
    Returns None, for `self.web = stop(self.web)`."""
    running = [p for p in processes if p is not None and p.poll() is None]
    for process in running:
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in running:
        _signal_group(process, signal.SIGKILL)
        process.wait()
    return None


def _signal_group(process: subprocess.Popen, number: int) -> None:
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


class Profiles:
    """py-spy sampling the web server's, the worker's and the sandbox's process trees while a figure is measured.

    Writes collapsed stacks (`<figure>-web.txt`, `-worker.txt`, `-sandbox.txt`, `-standin.txt`);
    bench/hotspots.py summarises them. Only processes running when the figure starts are sampled (nrs_latency
    starts its worker per phase: its worker is not).
    """

    def __init__(self, processes: Processes, folder: Path | None):
        self.processes, self.folder = processes, folder

    @contextlib.contextmanager
    def record(self, figure: str):
        if self.folder is None:
            yield
            return
        spy = str(Path(PYTHON).with_name("py-spy"))
        self.folder.mkdir(parents=True, exist_ok=True)
        samplers = []
        processes = self.processes
        roles = ("web", "worker", "sandbox", "standin")
        for role, process in ((role, getattr(processes, role)) for role in roles):
            if process is None or process.poll() is not None:
                continue
            out = self.folder / f"{figure}-{role}.txt"
            command = [spy, "record", "--pid", str(process.pid), "--subprocesses", "--format", "raw", "--rate", "200"]
            samplers.append(
                subprocess.Popen([*command, "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            )
        try:
            yield
        finally:
            for sampler in samplers:
                sampler.send_signal(signal.SIGINT)
            for sampler in samplers:
                sampler.wait(timeout=60)
