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


def _bench_database_url(url: str) -> str:
    """The same PostgreSQL server, a database of the bench's own: a run never touches real data."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "postgres"
    return urlunsplit(parts._replace(path=f"/{name}_bench"))


def _recreate_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    name = parts.path.lstrip("/")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _bench_encryption_key() -> str:
    """One key per machine, kept beside the bench database, so bench/profile.py can read what run.py wrote."""
    path = VAR / "fernet.key"
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
    return path.read_text().strip()


def environment(port: int) -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        {
            "DEBUG": "false",
            "SECRET_KEY": "bench-" + "x" * 50,
            "FIELD_ENCRYPTION_KEYS": _bench_encryption_key(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "SECURE_SSL_REDIRECT": "false",
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "MEDIA_ROOT": str(VAR / "media"),
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_API": "100000000",
            "RATE_LIMIT_INVOICE_CREATE": "100000000",
            "RATE_LIMIT_CSV_SUBMIT": "100000000",
            "RATE_LIMIT_AUTH": "100000000",
            "Q_WORKERS": "2",
            # No idle wait between the sign and transmit retries the pipeline makes on a transient error.
            "NRS_RETRY_BACKOFF": "1,1,2,4,8",
        }
    )
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = _bench_database_url(os.environ["DATABASE_URL"])
    else:
        env["SQLITE_PATH"] = str(VAR / "bench.sqlite3")
    return env


def prepare_database(env: dict) -> None:
    if "DATABASE_URL" in env:
        _recreate_postgres_database(env["DATABASE_URL"])
    else:
        for leftover in VAR.glob("bench.sqlite3*"):
            leftover.unlink()
    if env.get("REDIS_URL"):
        import redis

        redis.Redis.from_url(env["REDIS_URL"]).flushdb()  # the broker's queue and the cache of an earlier run
    for command in (["migrate", "--noinput", "-v0"], ["createcachetable"], ["load_reference_data"]):
        manage(env, *command)
    manage(env, "collectstatic", "--noinput", "-v0")


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


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
        log = open(self.logs / f"{name}.log", "a")
        return subprocess.Popen(
            args, cwd=ROOT, env=env or self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_web(self) -> None:
        """The portal's server, and the sandbox's."""
        self.web = self._gunicorn("web", self.port, self.env)
        self.sandbox = self._gunicorn("sandbox", self.sandbox_port, self.sandbox_env)

    def _gunicorn(self, name: str, port: int, env: dict) -> subprocess.Popen:
        gunicorn = str(Path(PYTHON).with_name("gunicorn"))
        args = [gunicorn, "portal.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
        process = self._spawn(name, args, env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return process
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer on :{port}; see {self.logs / f'{name}.log'}")

    def start_worker(self, env: dict | None = None) -> None:
        """The qcluster, with the deployment's environment or `env` (e.g. another NRS_SANDBOX_URL)."""
        self.worker = self._spawn("worker", [PYTHON, "manage.py", "qcluster"], env)

    def start_standin(self, latency_ms: float = 0) -> str:
        """bench/nrs_standin.py on a free port: NRS answering every call after `latency_ms`. Its base URL."""
        port = free_port()
        script = str(ROOT / "bench" / "nrs_standin.py")
        self.standin = self._spawn("standin", [PYTHON, script, "--port", str(port), "--latency-ms", str(latency_ms)])
        self.standin_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.standin_url}/_standin/stats", timeout=1).status_code == 200:
                    return self.standin_url
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the NRS stand-in did not answer on :{port}; see {self.logs / 'standin.log'}")

    def stop_standin(self) -> None:
        self.standin = _stop(self.standin)

    def stop_worker(self) -> None:
        self.worker = _stop(self.worker)

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
        self.web = _stop(self.web)
        self.sandbox = _stop(self.sandbox)
        self.standin = _stop(self.standin)


SERVICES = ("postgres", "redis-server")


def _processes() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, name, CPU seconds including exited children) of every process."""
    tick = os.sysconf("SC_CLK_TCK")
    table = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name, _, rest = (entry / "stat").read_text().partition(" (")[2].rpartition(")")
        except OSError:
            continue  # exited meanwhile
        fields = rest.split()
        # After the name: state ppid … utime(12) stime(13) cutime(14) cstime(15), counted from 0.
        table.append((int(entry.name), int(fields[1]), name, sum(int(value) for value in fields[11:15]) / tick))
    return table


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


def _stop(process: subprocess.Popen | None) -> None:
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return None


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
