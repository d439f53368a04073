"""`make soak`: the crash and fault soak of issues 7 and 15, at full size.

    .venv/bin/python bench/soak.py                    # 1,000 invoices, 10 worker kills (SQLite; PostgreSQL
                                                      # when DATABASE_URL is set, Redis when REDIS_URL is)
    .venv/bin/python bench/soak.py --set latency_ms=300                       # issue 15: NRS takes 300 ms a call
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/soak.py --set latency_ms=300 --set clusters=2  # issue 15: two qclusters, PG + Redis
    .venv/bin/python bench/soak.py --invoices 100 --kills 3 --keep --set q_timeout=10 --set q_retry=12 \
        --set stuck_after=12                                                  # CI size, work folder kept

N invoices (70 % B2B, 20 % B2C, 10 % B2G; 2 % created through the API with the Flowpoint key, the rest through
the service) go through the real pipeline: gunicorn serving the embedded NRS sandbox and the API, a django-q2
cluster of two workers (or `clusters` separate `manage.py qcluster` processes of `workers` each, as on separate
machines: each logs to its own qcluster-N.log, and a kill picks among the workers of all). The sandbox waits
`latency_ms` before answering every call, answers 20 % of calls with HTTP 500, lets 5 % hang past the client's
read timeout and loses the answer of 5 % of the signs it performs; a worker is SIGKILLed at random moments; the
tenant's webhook endpoint is a receiver run by this script. At the end it prints one JSON object, and exits
non-zero when a check fails:

- every invoice is CERTIFIED / REPORTED, or FAILED with a permanent NRS reason (NRS_REJECTED): none is lost
  (left PENDING, SUBMITTING, BLOCKED, or FAILED for a transient reason);
- the sandbox's own request log shows no IRN signed twice (a sign it processed, not one it refused with an
  injected 500 or timeout), and every certified invoice signed exactly once;
- every status change that emits a webhook (invoice.pending, then invoice.certified or invoice.failed) was
  recorded and reached the receiver with a valid signature (duplicates are fine: delivery is at-least-once);
- no secret (NRS API key and secret, webhook secret, Flowpoint API key, the crypto key file, the sandbox's private
  key, the admin password, SECRET_KEY, the field encryption key) appears in a captured log (server with access
  log, cluster, driver, receiver), and no traceback does; every kill was made.

Its database is its own: a fresh SQLite file in its work folder (var/soak/run-*, removed after a pass unless
--keep), or, with DATABASE_URL set, a database `<name>_soak` on that PostgreSQL server, dropped at the end. With
REDIS_URL set (django-q2's broker and the cache), Redis database SOAK_REDIS_DB on that server, flushed before
and after (both are kept after a failure, or with --keep, until the next run): the queue's name is the
cluster's, the same for every Flowpoint on the server (`make bench` flushes REDIS_URL's own database). Redis's
broker does not redeliver a killed worker's task: the sweepers bring back its work.
Production settings (DEBUG off) with short timings, so that a killed worker's work comes back within seconds:
Q_TIMEOUT / Q_RETRY (django-q2's task timeout and redelivery), NRS_READ_TIMEOUT, NRS_SANDBOX_TIMEOUT_SECONDS,
NRS_RETRY_BACKOFF, and the sweepers' stuck thresholds (NRS_STUCK_AFTER_SECONDS, WEBHOOK_STUCK_AFTER_SECONDS).
NRS_MAX_ATTEMPTS is raised to 30: with 30 % of calls failing, six attempts give up on ~1 % of the invoices.
`timing_problems` refuses timings that cannot hold, latency included (an attempt's longest run against Q_TIMEOUT
and NRS_STUCK_AFTER_SECONDS). With latency, the sandbox's server gets more threads and the engine no more calls
in flight than it has threads (`sized`). The summary's `peaks`: the most invoices in SUBMITTING at once, and on
PostgreSQL the most connections to the soak's database (max_connections is 100 by default).

The sweepers: django-q2's scheduler reads its Schedule rows every ~30 s and a schedule runs at most once a
minute, which would dominate a run of this length. So the driver does what the schedules do in a worker
(`invoicing.tasks.sweep_invoices`: the invoice sweeper, then one dispatch task for whatever it found;
`integrations.webhooks.delivery.sweep`) every --sweep-interval seconds, with the soak's thresholds; the
cluster's scheduled sweepers keep running beside them with the production ones.

Invoices arrive as a business sends them, not all at once: the producer waits while `max_backlog` are queued and
not yet tried (the invoice sweeper re-queues every due invoice each time it runs, so a queue that stays longer
than the sweep interval fills with duplicate tasks). PDFs are not rendered (see `render_pdfs`; --pdfs to).

The kills: when the number of finished invoices crosses a random mark, a random worker (a process of the clusters
that logged "ready for work") is stopped (SIGSTOP) and looked at in /proc. It is killed (SIGKILL) only inside a
task, blocked on the network, the database or a file, at least MIN_TASK_AGE into that task; otherwise it is
resumed and tried again a few milliseconds later. A dispatching worker (invoicing/dispatch.py) is such a one
most of the time: its main thread sleeps between claims inside the task while its threads wait on NRS, and the
kill takes every invoice it has in flight (each kill's `threads_on_sockets`); they stay SUBMITTING until the
sweeper's threshold, then go out again, confirm-before-sign keeping each signed once. Elsewhere a kill takes
down django-q2 itself, not only the task: a worker parked in the task queue's get() holds that queue's lock
(django-q2 issue #23: no worker gets a task again), and one whose thread is still writing the last result holds
the result queue's (issue #339: no result is saved or acknowledged again, and every task is redelivered for
ever). --kill-anywhere kills wherever it lands.

Any other SoakConfig field: --set name=value. The tests run this soak at CI size: tests/test_soak.py (`soak`).
"""

import argparse
import hashlib
import hmac
import json
import logging
import os
import platform
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: `bench` and the project importable

from bench import stack  # noqa: E402

logger = logging.getLogger("soak")

TERMINAL = ("CERTIFIED", "REPORTED", "FAILED")
PERMANENT_REASONS = ("NRS_REJECTED",)  # NRS refused the document: resending it fails the same
SIGN_PATH = "/sandbox/nrs/api/v1/invoice/sign"
NOT_PROCESSED_FAULTS = ("timeout", "error_500")  # the sandbox answered these before looking at the request
PDF_NOT_RENDERED = "soak/not-rendered.pdf"
MIN_TASK_AGE = 0.1  # seconds a worker has been in its task before it may be killed (see Killer._try)
SOAK_REDIS_DB = 15  # with REDIS_URL set: the Redis database the soak uses (see soak_redis_url)


@dataclass
class SoakConfig:
    invoices: int = 1000
    kills: int = 10
    workers: int = 2
    error_rate: float = 0.20
    timeout_rate: float = 0.05
    lost_response_rate: float = 0.05
    # Timing: short, so that a kill's damage is repaired within seconds; each must exceed the one before it:
    # NRS_READ_TIMEOUT < NRS_SANDBOX_TIMEOUT_SECONDS; a task's longest run < Q_TIMEOUT < Q_RETRY <= stuck_after.
    read_timeout: float = 2.0
    sandbox_timeout: float = 2.5
    q_timeout: int = 20
    q_retry: int = 25
    stuck_after: int = 25
    retry_backoff: str = "1,2,4"
    # With 30 % of calls failing, six attempts would give up on about 1 % of the invoices (SUBMISSION_ERROR):
    # by design, and not what this soak is about.
    max_attempts: int = 30
    sweep_interval: float = 5.0
    api_share: float = 0.02  # share of invoices created through the API with the Flowpoint key
    max_backlog: int = 10  # invoices queued and not yet tried, at most (see the module's doc)
    # PDF rendering (on download, or the render-pdfs schedule when no submission waits) is CPU-bound, 1-4 s an
    # invoice on a 2-core machine, and in none of the checks: off, each invoice's PDF is marked as stored.
    render_pdfs: bool = False
    deadline: float = 0.0  # seconds; 0: 240 + 1.5 s per invoice
    stall_after: float = 0.0  # seconds without progress that end the run; 0: from the timings
    seed: int | None = None
    kill_anywhere: bool = False
    log_level: str = "INFO"
    # NRS's answer time: the sandbox sleeps this long before every call (its SandboxFaults row's latency_ms).
    latency_ms: int = 0
    # Separate `manage.py qcluster` processes (as on separate machines), each with `workers` worker processes.
    clusters: int = 1
    # Sizes; 0: derived (see `sized`). The sandbox's server takes gunicorn_workers × gunicorn_threads calls at
    # once; the engine (invoicing/dispatch.py) keeps up to NRS_HOST_CONCURRENCY in flight, on NRS_WORKER_THREADS
    # threads per worker process.
    gunicorn_workers: int = 2
    gunicorn_threads: int = 0
    host_concurrency: int = 0
    worker_threads: int = 0


def sized(config: SoakConfig) -> SoakConfig:
    """The config with its derived sizes (the fields left 0) filled in.

    Without latency a call holds a server thread for milliseconds: 4 threads a gunicorn worker, and the
    product's own NRS_HOST_CONCURRENCY and NRS_WORKER_THREADS (left 0: not set). With latency_ms each call holds
    one that long: 16 threads a worker, and no more calls in flight than the server has threads (as an operator
    sets NRS_HOST_CONCURRENCY to NRS's published limit: more would queue in gunicorn past the client's read
    timeout, timeouts the soak does not inject), spread over the worker processes of every cluster. That also
    keeps PostgreSQL's connections (a thread holds one) under its max_connections of 100 with two clusters."""
    slow = config.latency_ms > 0
    threads = config.gunicorn_threads or (16 if slow else 4)
    host = config.host_concurrency or (config.gunicorn_workers * threads if slow else 0)
    per_worker = -(-host // (config.clusters * config.workers)) if slow else 0  # rounded up
    return replace(
        config, gunicorn_threads=threads, host_concurrency=host, worker_threads=config.worker_threads or per_worker
    )


def timing_problems(config: SoakConfig, dispatch_seconds: float = 60.0) -> list[str]:
    """What in the config's timings cannot hold (see SoakConfig's comment); empty when they all do.

    An attempt's longest run: its calls each wait `latency_ms`, and two of them may time out (a sign, then
    the confirm that asks whether it went through; or a confirm, then a transmit), at NRS_READ_TIMEOUT each.
    A dispatch task claims for its budget (invoicing.dispatch.run_budget: min(NRS_DISPATCH_SECONDS, Q_TIMEOUT
    / 4)), then lets what it started finish within 80 % of Q_TIMEOUT (Dispatcher._drain)."""
    latency = config.latency_ms / 1000
    attempt = 2 * config.read_timeout + 3 * latency
    budget = min(dispatch_seconds, config.q_timeout / 4)
    problems = []
    if latency * 2 > config.read_timeout:
        problems.append(f"latency_ms={config.latency_ms} leaves too little of read_timeout={config.read_timeout} s")
    if config.read_timeout >= config.sandbox_timeout:
        problems.append("an injected timeout (sandbox_timeout) must outlast the client's read_timeout")
    if budget + attempt > 0.8 * config.q_timeout:
        problems.append(
            f"a dispatch task claims for {budget:g} s and its last attempt may take {attempt:g} s more: over the"
            f" {0.8 * config.q_timeout:g} s (80 % of q_timeout) it waits for them"
        )
    if attempt >= config.stuck_after:
        problems.append(f"an attempt may take {attempt:g} s: stuck_after must exceed it (the sweeper's threshold)")
    if not config.q_timeout < config.q_retry <= config.stuck_after:
        problems.append("q_timeout < q_retry <= stuck_after must hold (a task redelivered while it runs)")
    return problems


def config_value(name: str, text: str):
    """A SoakConfig field's value from `--set name=text`, of the field's type."""
    kind = SoakConfig.__dataclass_fields__[name].type
    if kind is bool:
        return text.strip().lower() in ("1", "true", "yes", "on")
    if kind == int | None:
        return None if text.strip().lower() in ("", "none") else int(text)
    return kind(text)


# --- syscalls of a stopped worker --------------------------------------------------------------------------

# Blocked in one of these, the worker's main thread is inside a task: waiting on NRS, the webhook receiver, the
# database or a file. It then holds none of django-q2's queue or timer locks.
_TASK_IO = {
    "x86_64": {
        7: "poll", 23: "select", 270: "pselect6", 271: "ppoll", 232: "epoll_wait", 281: "epoll_pwait",
        42: "connect", 44: "sendto", 45: "recvfrom", 46: "sendmsg", 47: "recvmsg", 17: "pread64",
        18: "pwrite64", 74: "fsync", 75: "fdatasync", 72: "fcntl", 35: "nanosleep", 230: "clock_nanosleep",
        257: "openat", 3: "close", 8: "lseek", 262: "newfstatat", 87: "unlink",
    },
    "aarch64": {
        73: "ppoll", 72: "pselect6", 22: "epoll_pwait", 203: "connect", 206: "sendto", 207: "recvfrom",
        211: "sendmsg", 212: "recvmsg", 67: "pread64", 68: "pwrite64", 82: "fsync", 83: "fdatasync", 25: "fcntl",
        101: "nanosleep", 115: "clock_nanosleep", 56: "openat", 57: "close", 62: "lseek", 79: "newfstatat",
        35: "unlinkat",
    },
}  # fmt: skip
_READ_WRITE = {"x86_64": (0, 1), "aarch64": (63, 64)}
_WAITS = ("poll", "ppoll", "epoll_wait", "epoll_pwait", "select", "pselect6")  # on a socket, in these threads
_SOCKET_IO = {"x86_64": (44, 45, 46, 47), "aarch64": (206, 207, 211, 212)}  # sendto, recvfrom, sendmsg, recvmsg


def _syscall(pid: int, tid: int) -> tuple[int, list[str]]:
    """(number, args) of the syscall thread `tid` is blocked in; -1 when it is not in one."""
    parts = Path(f"/proc/{pid}/task/{tid}/syscall").read_text().split()
    if not parts or parts[0] == "running":
        return -1, []
    return int(parts[0]), parts[1:]


def _fd_target(pid: int, fd_hex: str) -> str:
    try:
        return os.readlink(f"/proc/{pid}/fd/{int(fd_hex, 16)}")
    except OSError:
        return "?"


def kill_point(pid: int, machine: str | None = None) -> str | None:
    """Where the stopped worker `pid` is, if killing it there is safe (see the module's doc); None otherwise."""
    machine = machine or platform.machine()
    task_io, (read, write) = _TASK_IO[machine], _READ_WRITE[machine]
    for tid in sorted(int(t) for t in os.listdir(f"/proc/{pid}/task")):
        number, args = _syscall(pid, tid)
        on_pipe = number in (read, write) and args and _fd_target(pid, args[0]).startswith("pipe:")
        if tid != pid:
            if number == write and on_pipe:
                return None  # a queue's feeder thread is writing a result: it holds the queue's write lock
            continue
        if number in (read, write):
            if on_pipe or not args:
                return None  # parked in the task queue's get(): it holds the queue's read lock
            target = _fd_target(pid, args[0])
            return f"{'read' if number == read else 'write'}({target.split(':')[0] if ':' in target else 'file'})"
        if number in task_io:
            return task_io[number]
        return None  # running Python code, or waiting on a lock: it may hold a queue or timer lock
    return None


def threads_on_sockets(pid: int, machine: str | None = None) -> int:
    """How many threads of the stopped process `pid`, other than its main one, wait on a socket: reading or
    writing one, or polling (a dispatcher's threads, each with an invoice's NRS call or database query open)."""
    machine = machine or platform.machine()
    (read, write), polls = _READ_WRITE[machine], {k for k, v in _TASK_IO[machine].items() if v in _WAITS}
    count = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        if int(tid) == pid:
            continue
        try:
            number, args = _syscall(pid, int(tid))
        except OSError:
            continue
        if number in polls or (
            number in (read, write, *_SOCKET_IO[machine]) and args and _fd_target(pid, args[0]).startswith("socket:")
        ):
            count += 1
    return count


def _stat(pid: int) -> list[str] | None:
    stat = stack.proc_stat(pid)
    return stat[1] if stat else None  # state, ppid, pgrp, session, ...


# --- the processes -----------------------------------------------------------------------------------------


class Cluster:
    """gunicorn (serving the embedded sandbox and the API) and `config.clusters` separate `manage.py qcluster`
    processes, each logging to a file of its own (qcluster-1.log, qcluster-2.log, ...)."""

    def __init__(self, env: dict, port: int, logs: Path, config: SoakConfig):
        self.env, self.port, self.logs, self.config = env, port, logs, config
        self.web = None
        self.qclusters: list[subprocess.Popen] = []
        self._seen: dict[int, tuple[int, dict[int, str]]] = {}  # cluster → (log offset read, {pid: name})

    def qcluster_log(self, n: int) -> Path:
        return self.logs / f"qcluster-{n}.log"

    def start(self) -> None:
        options = ("-w", str(self.config.gunicorn_workers), "-k", "gthread", "--threads")
        options += (str(self.config.gunicorn_threads), "--access-logfile", "-", "--error-logfile", "-")
        # Ready when the embedded sandbox answers: the workers' first calls go there.
        self.web = stack.start_gunicorn(
            "server", self.port, self.env, self.logs, options=options, ready_path="/sandbox/nrs/api", timeout=60
        )
        for n in range(1, self.config.clusters + 1):
            self.qclusters.append(stack.start_qcluster(self.qcluster_log(n).stem, self.env, self.logs))

    def workers(self) -> dict[int, tuple[int, str]]:
        """The live worker processes of every cluster: pid → (cluster number, django-q2's process name)."""
        found = {}
        for n, qcluster in enumerate(self.qclusters, 1):
            offset, named = self._seen.get(n, (0, {}))
            with open(self.qcluster_log(n), "rb") as log:  # only what was logged since the last look
                log.seek(offset)
                chunk = log.read()
            whole = chunk[: chunk.rfind(b"\n") + 1]  # a line being written is read next time
            text = whole.decode("utf-8", "replace")
            named.update({int(pid): name for name, pid in re.findall(r"(Process-\w+) ready for work at (\d+)", text)})
            self._seen[n] = (offset + len(whole), named)
            for pid, name in named.items():
                stat = _stat(pid)
                if stat and stat[0] not in ("Z", "X") and int(stat[3]) == qcluster.pid:
                    found[pid] = (n, name)
        return found

    def current_task(self, n: int, name: str) -> tuple[str, float]:
        """The task the worker `name` of cluster `n` started last, and when (epoch seconds; 0 when not found)."""
        with open(self.qcluster_log(n), "rb") as log:
            log.seek(max(0, log.seek(0, os.SEEK_END) - 512 * 1024))
            text = log.read().decode("utf-8", "replace")
        found = re.findall(rf"^(\S+ \S+),(\d+) .*{re.escape(name)} processing \S+ '([\w.]+)'", text, re.MULTILINE)
        if not found:
            return "?", 0.0
        stamp, millis, func = found[-1]
        started = time.mktime(time.strptime(stamp, "%Y-%m-%d %H:%M:%S")) + int(millis) / 1000
        return func.rsplit(".", 1)[-1], started

    def stop(self) -> None:
        """Every cluster at once, then the server (each a few seconds to stop, then SIGKILLed)."""
        stack.stop(*self.qclusters, grace=5)
        stack.stop(self.web, grace=5)


class Killer:
    """SIGKILLs a random worker at a point where it is inside a task (see the module's doc)."""

    def __init__(self, cluster: Cluster, rng: random.Random, anywhere: bool, started: float):
        self.cluster, self.rng, self.anywhere, self.started = cluster, rng, anywhere, started
        self.done: list[dict] = []

    def kill(self, patience: float = 15.0) -> bool:
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            workers = self.cluster.workers()
            if workers:
                pid = self.rng.choice(sorted(workers))
                n, name = workers[pid]
                point, task, on_socket = self._try(pid, n, name)
                if point:
                    self.done.append(
                        {
                            "n": len(self.done) + 1,
                            "at_s": round(time.monotonic() - self.started, 1),
                            "cluster": n,
                            "pid": pid,
                            "blocked_in": point,
                            "task": task,
                            "threads_on_sockets": on_socket,
                        }
                    )
                    logger.info(
                        "kill %d: worker %d of cluster %d in %s (%s), %d threads waiting on sockets",
                        len(self.done),
                        pid,
                        n,
                        point,
                        task,
                        on_socket,
                    )
                    return True
            time.sleep(self.rng.uniform(0.005, 0.03))
        logger.warning("no worker could be killed inside a task within %.0f s", patience)
        return False

    def _try(self, pid: int, n: int, name: str) -> tuple[str | None, str, int]:
        """(where it was killed, or None; the task it was in; its threads blocked on a socket then)."""
        if self.anywhere:
            task, _started = self.cluster.current_task(n, name)
            os.kill(pid, signal.SIGKILL)
            return "anywhere", task, 0
        try:
            os.kill(pid, signal.SIGSTOP)
            for _ in range(100):
                stat = _stat(pid)
                if stat is None or stat[0] in ("T", "t", "Z", "X"):
                    break
                time.sleep(0.001)
            point = kill_point(pid) if stat and stat[0] in ("T", "t") else None
            task, started = self.cluster.current_task(n, name)  # stopped: it cannot start another meanwhile
            # The previous task's result goes to the monitor through a pipe, written by a thread of the worker
            # that holds the result queue's lock meanwhile: a kill then stops the monitor for good (django-q2
            # issue #339). Well into the next task, that write is long done.
            if not started or time.time() - started < MIN_TASK_AGE:
                point = None
            on_socket = threads_on_sockets(pid) if point else 0
            os.kill(pid, signal.SIGKILL if point else signal.SIGCONT)
            return point, task, on_socket
        except (ProcessLookupError, FileNotFoundError):
            return None, "?", 0


class Receiver:
    """The tenant's webhook endpoint: records every delivery, checks its signature, answers 204."""

    def __init__(self, secret: str, log: Path):
        self.secret = secret.encode()
        self.received: list[dict] = []
        self.truncated = 0
        self._lock = threading.Lock()
        self._log = open(log, "a")
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:  # the sender died mid-request (a killed worker): not a delivery
                    with receiver._lock:
                        receiver.truncated += 1
                    self.close_connection = True
                    return
                expected = hmac.new(receiver.secret, raw, hashlib.sha256).hexdigest()
                signature_ok = hmac.compare_digest(expected, self.headers.get("x-flowpoint-signature", ""))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                record = {
                    "id": body.get("id"),
                    "type": body.get("type"),
                    "invoice_id": (body.get("data") or {}).get("invoiceId"),
                    "signature_ok": signature_ok,
                }
                with receiver._lock:
                    receiver.received.append(record)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):
                with receiver._lock:
                    receiver._log.write(f"{self.address_string()} {format % args}\n")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/flowpoint"

    def snapshot(self) -> list[dict]:
        with self._lock:
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._log.close()


# --- database and environment ------------------------------------------------------------------------------


def soak_redis_url(url: str) -> str:
    """REDIS_URL's server, database SOAK_REDIS_DB: the soak's own, flushed before and after (django-q2's queue
    is named after the cluster, `flowpoint`, whoever runs one: the soak must not share it, nor the cache)."""
    parts = urlsplit(url)
    if (parts.path.strip("/") or "0") == str(SOAK_REDIS_DB):
        raise ValueError(f"REDIS_URL is the soak's own Redis database ({SOAK_REDIS_DB}), which it flushes")
    return urlunsplit(parts._replace(path=f"/{SOAK_REDIS_DB}", query=""))


def prepare_database(db_env: dict, logs: Path) -> None:
    """A fresh database: migrated, with its cache table and the reference data."""
    if "DATABASE_URL" in db_env:
        stack.recreate_postgres_database(db_env["DATABASE_URL"])
    if db_env.get("REDIS_URL"):
        stack.flush_redis(db_env["REDIS_URL"])
    with open(logs / "setup.log", "ab") as log:
        stack.migrate({**_base_env(), **db_env}, log=log)


def drop_database(db_env: dict) -> None:
    if "DATABASE_URL" in db_env:
        stack.drop_postgres_database(db_env["DATABASE_URL"])
    if db_env.get("REDIS_URL"):
        stack.flush_redis(db_env["REDIS_URL"])


def _base_env() -> dict:
    dropped = ("DATABASE_URL", "SQLITE_PATH", "NRS_SANDBOX_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "SITE_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("NRS_SANDBOX_")}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    return env


def process_env(config: SoakConfig, db_env: dict, port: int, workdir: Path) -> dict:
    """The environment of the server and the cluster: production settings, the soak's timings."""
    from django.conf import settings

    env = stack.production_env(
        {**_base_env(), **db_env},
        port=port,  # the embedded sandbox is SITE_URL + /sandbox/nrs
        secret_key=settings.SECRET_KEY,  # the driver's own, so that it reads what they encrypt
        encryption_keys=",".join(settings.FIELD_ENCRYPTION_KEYS),
        media_root=workdir / "media",
        log_level=config.log_level,
    )
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "Q_WORKERS": str(config.workers),
            "Q_TIMEOUT": str(config.q_timeout),
            "Q_RETRY": str(config.q_retry),
            "NRS_CONNECT_TIMEOUT": str(config.read_timeout),
            "NRS_READ_TIMEOUT": str(config.read_timeout),
            "NRS_SANDBOX_TIMEOUT_SECONDS": str(config.sandbox_timeout),
            "NRS_RETRY_BACKOFF": config.retry_backoff,
            "NRS_MAX_ATTEMPTS": str(config.max_attempts),
            "NRS_STUCK_AFTER_SECONDS": str(config.stuck_after),
            **({"NRS_HOST_CONCURRENCY": str(config.host_concurrency)} if config.host_concurrency else {}),
            **({"NRS_WORKER_THREADS": str(config.worker_threads)} if config.worker_threads else {}),
        }
    )
    return env


def configure_standalone(workdir: Path) -> dict:
    """Script mode: the soak's own database and keys in this process's environment, then Django. Returns the
    database part of the environment."""
    from cryptography.fernet import Fernet

    if os.environ.get("DATABASE_URL"):
        db_env = {"DATABASE_URL": stack.database_url_for(os.environ["DATABASE_URL"], "soak")}
    else:
        db_env = {"SQLITE_PATH": str(workdir / "soak.sqlite3")}
    if os.environ.get("REDIS_URL"):
        db_env["REDIS_URL"] = soak_redis_url(os.environ["REDIS_URL"])
    os.environ.pop("SQLITE_PATH", None)
    os.environ.update(db_env)
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "false",
            "SECRET_KEY": "soak-" + secrets.token_urlsafe(40),
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
            "MEDIA_ROOT": str(workdir / "media"),
        }
    )
    return db_env


def db_env_of_connection() -> dict:
    """Test mode: the environment that points a subprocess at the database this process uses."""
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return {"SQLITE_PATH": db["NAME"]}
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return {"DATABASE_URL": f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"}


# --- the tenant and its invoices ---------------------------------------------------------------------------


def create_tenant(receiver_url: str, webhook_secret: str) -> tuple[object, dict]:
    """A sandbox-connected business with a webhook endpoint and an API key. Returns it and its secrets."""
    from django_scopes import scope

    from integrations.nrs.sandbox.models import SandboxBusiness
    from integrations.webhooks.services import webhook_create
    from invoicing.events import EVENT_TYPES
    from tenants.models import CryptoKey
    from tenants.readiness import tenant_readiness

    password = "Soak-" + secrets.token_urlsafe(18)
    tenant, api_key = stack.connected_tenant(
        "Soak Foods Ltd",
        admin_email=f"admin-{secrets.token_hex(4)}@soak.example.ng",
        admin_password=password,
        key_name="Soak integration",
    )
    tenant.refresh_from_db()
    missing = [item.label for item in tenant_readiness(tenant) if not item.ok]
    if missing:
        raise RuntimeError(f"the soak tenant is not ready: {missing}")
    webhook_create(tenant=tenant, url=receiver_url, events=list(EVENT_TYPES), secret=webhook_secret)
    with scope(tenant=tenant):
        key_file = json.loads(CryptoKey.objects.get(is_active=True).key_file)
    private_pem = SandboxBusiness.objects.get(business_id=tenant.nrs_business_id).private_key_pem
    from django.conf import settings

    found = {
        "nrs_api_key": tenant.nrs_api_key,
        "nrs_api_secret": tenant.nrs_api_secret,
        "webhook_secret": webhook_secret,
        "flowpoint_api_key": api_key,
        "flowpoint_api_key_secret_part": api_key[16:],  # the first 16 characters are its shown prefix
        "admin_password": password,
        "key_file_public_key": key_file["public_key"],
        "key_file_certificate": key_file["certificate"],
        "django_secret_key": settings.SECRET_KEY,
        "field_encryption_key": settings.FIELD_ENCRYPTION_KEYS[0],
    }
    body = [line for line in private_pem.splitlines() if line and not line.startswith("-----")]
    found.update({f"sandbox_private_key_line_{i}": line for i, line in enumerate(body)})
    return tenant, found


def invoice_body(number: int, kind: str, today) -> dict:
    from bench.figures import ACME_BUYER

    customer = {"name": "Walk-in Customer"} if kind == "B2C" else dict(ACME_BUYER)
    return {
        "invoice_kind": kind,
        "invoice_type": "invoice",
        "document_number": f"SOAK{number:05d}",
        "issue_date": today.isoformat(),
        "due_date": (today + timedelta(days=30)).isoformat(),
        "currency": "NGN",
        "customer": customer,
        "lines": [
            {
                "description": "Consulting services",
                "quantity": 1 + number % 4,
                "unit_price": 50000 + number,
                "hsn_code": "8517.11",
                "tax_scheme": "STANDARD_VAT",
                "tax_rate": 7.5,
                "unit_of_measure": "Each",
            }
        ],
        "note": "Soak",
    }


class Producer(threading.Thread):
    """Creates the invoices: most through the service, a share through the API with the Flowpoint key."""

    def __init__(self, tenant, config: SoakConfig, rng: random.Random, base_url: str, api_key: str):
        super().__init__(daemon=True, name="soak-producer")
        self.tenant, self.config, self.base_url, self.api_key = tenant, config, base_url, api_key
        self.plan = [
            (i, rng.choices(["B2B", "B2C", "B2G"], weights=[70, 20, 10])[0], rng.random() < config.api_share)
            for i in range(1, config.invoices + 1)
        ]
        self.created: list[str] = []
        self.errors: list[str] = []
        self.stop = threading.Event()

    def _wait_for_room(self):
        from django_scopes import scopes_disabled

        from invoicing.models import Invoice

        while not self.stop.is_set():
            with scopes_disabled():
                waiting = Invoice.objects.filter(tenant=self.tenant, status="PENDING", attempts=0).count()
            if waiting < self.config.max_backlog:
                return
            time.sleep(0.2)

    def run(self):
        import requests
        from django.db import connections
        from django.utils import timezone
        from django_scopes import scopes_disabled

        from invoicing.models import Invoice
        from invoicing.services import Actor, invoice_create

        today = timezone.localdate()
        session = requests.Session()
        try:
            for number, kind, by_api in self.plan:
                self._wait_for_room()
                if self.stop.is_set():
                    return
                body = invoice_body(number, kind, today)
                try:
                    if by_api:
                        response = session.post(
                            f"{self.base_url}/api/v1/invoices/create",
                            json=body,
                            headers={"X-Flowpoint-Key": self.api_key, "Idempotency-Key": f"soak-{number}"},
                            timeout=30,
                        )
                        if response.status_code != 202:
                            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
                        self.created.append(response.json()["invoiceId"])
                    else:
                        invoice = invoice_create(tenant=self.tenant, data=body, actor=Actor())
                        if invoice.status != "PENDING":
                            raise RuntimeError(f"created {invoice.status}: {invoice.block_detail}")
                        self.created.append(str(invoice.pk))
                    if not self.config.render_pdfs:
                        with scopes_disabled():
                            Invoice.objects.filter(pk=self.created[-1], pdf="").update(pdf=PDF_NOT_RENDERED)
                except Exception as exc:  # counted, and the run goes on: a failed create is a failed check
                    self.errors.append(f"{body['document_number']}: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()


# --- what happened -----------------------------------------------------------------------------------------


def progress(tenant) -> dict:
    from django.db.models import Count, Max, Sum
    from django_scopes import scopes_disabled

    from integrations.webhooks.models import WebhookDelivery
    from invoicing.models import Invoice

    with scopes_disabled():
        invoices = Invoice.objects.filter(tenant=tenant)
        statuses = dict(invoices.values_list("status").annotate(n=Count("id")).order_by())
        attempts = invoices.aggregate(n=Sum("attempts"), t=Max("updated_at"))
        deliveries = WebhookDelivery.objects.filter(tenant=tenant, is_test=False)
        states = dict(deliveries.values_list("state").annotate(n=Count("id")).order_by())
    return {
        "statuses": statuses,
        "terminal": sum(n for s, n in statuses.items() if s in TERMINAL),
        "total": sum(statuses.values()),
        "attempts": attempts["n"] or 0,
        "deliveries": states,
        "queued_tasks": _queued_tasks(),
        "connections": _connections(),
        "marker": (attempts["n"], str(attempts["t"]), tuple(sorted(states.items()))),
    }


def _connections() -> int | None:
    """PostgreSQL: the connections to the soak's database (its max_connections is shared by every process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


def _queued_tasks() -> int:
    from django.conf import settings
    from django_q.models import OrmQ

    if settings.Q_CLUSTER.get("redis"):
        from portal.queueing import _broker

        return _broker(os.getpid()).queue_size()
    return OrmQ.objects.count()


def collect(tenant, receiver: Receiver, logs: Path) -> dict:
    """Everything the checks need, from the database, the receiver and the logs."""
    from django.db.models import Count
    from django_scopes import scopes_disabled

    from integrations.nrs.sandbox.models import SandboxInvoice, SandboxRequest
    from integrations.webhooks.models import TEST_EVENT_TYPE, WebhookDelivery, WebhookEvent
    from invoicing.models import Invoice

    with scopes_disabled():
        invoices = list(
            Invoice.objects.filter(tenant=tenant).values("id", "irn", "kind", "status", "nrs_reason", "attempts")
        )
        events = list(
            WebhookEvent.objects.filter(tenant=tenant).exclude(type=TEST_EVENT_TYPE).values("id", "type", "invoice_id")
        )
        deliveries = dict(WebhookDelivery.objects.filter(tenant=tenant).values_list("event_id", "state"))
        delivered = WebhookDelivery.objects.filter(tenant=tenant, is_test=False, delivered_at__isnull=False)
        delays = sorted((d - c).total_seconds() for d, c in delivered.values_list("delivered_at", "created_at"))
    signs = defaultdict(lambda: {"processed": 0, "faulted": 0})
    sign_rows, unreadable = 0, 0
    for body, fault in SandboxRequest.objects.filter(path=SIGN_PATH).values_list("request_body", "fault"):
        sign_rows += 1
        try:
            irn = json.loads(body).get("irn")
        except (ValueError, AttributeError):
            irn = None
        if irn:
            signs[irn]["faulted" if fault in NOT_PROCESSED_FAULTS else "processed"] += 1
        else:  # a worker killed while sending it: the sandbox got no whole document, and refused it
            unreadable += 1
    faults = dict(SandboxRequest.objects.values_list("fault").annotate(n=Count("id")).order_by())
    server_log = (logs / "server.log").read_text(errors="replace") if (logs / "server.log").exists() else ""
    cluster_log = "".join(path.read_text(errors="replace") for path in sorted(logs.glob("qcluster*.log")))
    tasks = Counter(f.rsplit(".", 1)[-1] for f in re.findall(r"Process-\w+ processing \S+ '([\w.]+)'", cluster_log))
    return {
        "invoices": [{**row, "id": str(row["id"])} for row in invoices],
        "signs": dict(signs),
        "sign_requests_logged_by_sandbox": sign_rows,
        "sign_requests_without_document": unreadable,
        "sign_requests_served": server_log.count(f'"POST {SIGN_PATH} '),
        "sandbox_signed": list(SandboxInvoice.objects.values_list("irn", flat=True)),
        "faults": {"requests": sum(faults.values()), **{k or "none": v for k, v in faults.items()}},
        "events": [{**row, "invoice_id": str(row["invoice_id"]) if row["invoice_id"] else None} for row in events],
        "deliveries": deliveries,
        "delivery_seconds": {
            "median": round(delays[len(delays) // 2], 1) if delays else None,
            "p95": round(delays[int(len(delays) * 0.95)], 1) if delays else None,
            "max": round(delays[-1], 1) if delays else None,
        },
        "received": receiver.snapshot(),
        "received_truncated": receiver.truncated,
        "log_files": sorted(str(p) for p in logs.glob("*.log")),
        "tasks_run": dict(sorted(tasks.items())),
    }


def scan_logs(files: list[str], needles: dict[str, str]) -> dict:
    """Secrets found in the logs ({name: {file: count}}) and tracebacks ({file: [last line of each]})."""
    hits, tracebacks, total = {}, {}, 0
    for path in files:
        data = Path(path).read_bytes()
        total += len(data)
        for name, value in needles.items():
            if value and len(value) >= 8 and (count := data.count(value.encode())):
                hits.setdefault(name, {})[Path(path).name] = count
        text = data.decode("utf-8", "replace")
        found = []
        for match in re.finditer(r"Traceback \(most recent call last\):\n((?:[ \t].*\n)*)(.*)", text):
            found.append(match.group(2)[:300])
        if found:
            tracebacks[Path(path).name] = found
    return {
        "hits": hits,
        "tracebacks": tracebacks,
        "bytes": total,
        "files": [Path(p).name for p in files],
    }


def evaluate(facts: dict, *, expected_invoices: int, kills_wanted: int) -> dict:
    """The printed summary, with `failures` (empty when every check held)."""
    failures = []
    invoices = facts["invoices"]
    by_status = Counter(
        f"FAILED:{row['nrs_reason'] or '?'}" if row["status"] == "FAILED" else row["status"] for row in invoices
    )
    lost = [row["id"] for row in invoices if row["status"] not in TERMINAL]
    not_permanent = [
        row["id"] for row in invoices if row["status"] == "FAILED" and row["nrs_reason"] not in PERMANENT_REASONS
    ]
    created = facts.get("created", len(invoices))
    if len(invoices) != expected_invoices or created != expected_invoices:
        failures.append(f"{expected_invoices} invoices wanted, {created} created, {len(invoices)} in the database")
    if lost:
        failures.append(f"{len(lost)} invoices lost (not CERTIFIED/REPORTED/FAILED): {lost[:5]}")
    if not_permanent:
        failures.append(f"{len(not_permanent)} invoices FAILED without a permanent NRS reason: {not_permanent[:5]}")
    for error in facts.get("create_errors", [])[:5]:
        failures.append(f"create failed: {error}")

    # The sandbox's own records: a sign it processed (not one it refused with an injected 500 or timeout).
    signs = facts["signs"]
    twice = {irn: s["processed"] for irn, s in signs.items() if s["processed"] > 1}
    signed = set(facts["sandbox_signed"])
    certified = [row for row in invoices if row["status"] in ("CERTIFIED", "REPORTED")]
    unsigned = [
        row["irn"] for row in certified if row["irn"] not in signed or signs.get(row["irn"], {}).get("processed") != 1
    ]
    failed_but_signed = [row["irn"] for row in invoices if row["status"] == "FAILED" and row["irn"] in signed]
    if twice:
        failures.append(f"{len(twice)} IRNs signed more than once at the sandbox: {dict(list(twice.items())[:5])}")
    if unsigned:
        failures.append(f"{len(unsigned)} certified invoices not signed exactly once at the sandbox: {unsigned[:5]}")
    if failed_but_signed:
        failures.append(f"{len(failed_but_signed)} FAILED invoices are signed at the sandbox: {failed_but_signed[:5]}")
    unrecorded = facts["sign_requests_served"] - facts["sign_requests_logged_by_sandbox"]
    if facts["sign_requests_served"] and unrecorded:
        failures.append(f"{unrecorded} sign requests served but missing from the sandbox's records")

    # Webhooks: per invoice, invoice.pending and then invoice.certified (B2C: reported, same type) or invoice.failed.
    expected = set()
    for row in invoices:
        expected.add((row["id"], "invoice.pending"))
        if row["status"] in ("CERTIFIED", "REPORTED"):
            expected.add((row["id"], "invoice.certified"))
        elif row["status"] == "FAILED":
            expected.add((row["id"], "invoice.failed"))
    recorded = {(e["invoice_id"], e["type"]) for e in facts["events"]}
    not_emitted = sorted(expected - recorded)
    received = facts["received"]
    received_ids = Counter(r["id"] for r in received)
    event_ids = {e["id"] for e in facts["events"]}
    not_received = sorted(event_ids - set(received_ids))
    bad_signatures = [r["id"] for r in received if not r["signature_ok"]]
    unknown = sorted(set(received_ids) - event_ids)
    undelivered = {eid: state for eid, state in facts["deliveries"].items() if state != "succeeded"}
    if not_emitted:
        failures.append(f"{len(not_emitted)} status changes without a webhook event: {not_emitted[:5]}")
    if not_received:
        failures.append(f"{len(not_received)} webhook events never reached the receiver: {not_received[:5]}")
    if bad_signatures:
        failures.append(f"{len(bad_signatures)} deliveries with a bad signature: {bad_signatures[:5]}")
    if unknown:
        failures.append(f"{len(unknown)} deliveries of events Flowpoint never recorded: {unknown[:5]}")
    if undelivered:
        failures.append(f"{len(undelivered)} deliveries not succeeded: {dict(list(undelivered.items())[:5])}")

    logs = facts["logs"]
    if logs["hits"]:
        failures.append(f"secrets in the logs: {logs['hits']}")
    if logs["tracebacks"]:
        failures.append(f"tracebacks in the logs: { {k: v[:3] for k, v in logs['tracebacks'].items()} }")
    kills = facts.get("kills", [])
    if len(kills) < kills_wanted:
        failures.append(f"{kills_wanted} worker kills wanted, {len(kills)} made")
    for problem in facts.get("run_problems", []):
        failures.append(problem)

    attempts = [row["attempts"] for row in invoices] or [0]
    return {
        "ok": not failures,
        "invoices": {"wanted": expected_invoices, "created": created, "in_database": len(invoices)},
        "final_status": dict(sorted(by_status.items())),
        "lost": len(lost),
        "failed_without_permanent_reason": len(not_permanent),
        "attempts": {"max": max(attempts), "mean": round(sum(attempts) / len(attempts), 2)},
        "sandbox": {
            "sign_requests": sum(s["processed"] + s["faulted"] for s in signs.values()),
            "sign_requests_processed": sum(s["processed"] for s in signs.values()),
            "irns_signed": len(signed),
            "irns_signed_twice": len(twice),
            "certified_not_signed_exactly_once": len(unsigned),
            "sign_requests_without_document": facts.get("sign_requests_without_document", 0),
            "sign_requests_served": facts["sign_requests_served"],
            "sign_requests_unrecorded": max(unrecorded, 0),
        },
        "faults_injected": facts["faults"],
        "tasks_run": facts.get("tasks_run", {}),
        "webhooks": {
            "expected_status_events": len(expected),
            "events_recorded": len(event_ids),
            "status_events_missing": len(not_emitted),
            "received": len(received),
            "received_unique": len(received_ids),
            "received_duplicates": len(received) - len(received_ids),
            "events_not_received": len(not_received),
            "bad_signatures": len(bad_signatures),
            "requests_cut_short_by_a_kill": facts.get("received_truncated", 0),
            "deliveries_not_succeeded": len(undelivered),
            # From the event to its delivery: not a check (at-least-once has no deadline), how long hooks wait.
            "delivery_seconds": facts.get("delivery_seconds", {}),
        },
        "kills": {
            "wanted": kills_wanted,
            "done": len(kills),
            "tasks_interrupted": dict(Counter(k["task"] for k in kills)),
            "detail": kills,
        },
        "logs": {
            "files": logs["files"],
            "bytes": logs["bytes"],
            "secrets_checked": len(facts.get("secret_names", [])),
            "secret_hits": sum(sum(v.values()) for v in logs["hits"].values()),
            "tracebacks": sum(len(v) for v in logs["tracebacks"].values()),
        },
        "failures": failures,
    }


# --- the run -----------------------------------------------------------------------------------------------


def run_soak(config: SoakConfig, db_env: dict, workdir: Path) -> tuple[dict, dict]:
    """Run the soak on the database `db_env` points at (this process's Django uses it too).

    Returns the summary (what is printed) and the facts it was computed from."""
    from django.conf import settings
    from django.test import override_settings

    from integrations.nrs.sandbox.models import SandboxFaults
    from integrations.webhooks.signing import generate_secret

    config = sized(config)
    if problems := timing_problems(config, settings.NRS_DISPATCH_SECONDS):
        raise ValueError(f"the soak's timings do not hold: {problems}")
    workdir.mkdir(parents=True, exist_ok=True)
    logs = workdir / "logs"
    logs.mkdir(exist_ok=True)
    seed = config.seed if config.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    handler = logging.FileHandler(logs / "driver.log")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous_level = root.level
    root.setLevel(getattr(logging, config.log_level))
    port = stack.free_port()
    env = process_env(config, db_env, port, workdir)
    cluster = Cluster(env, port, logs, config)
    webhook_secret = generate_secret()  # Standard Webhooks' form, as the portal makes them
    receiver = Receiver(webhook_secret, logs / "receiver.log")
    started = time.monotonic()
    overrides = override_settings(
        NRS_STUCK_AFTER_SECONDS=config.stuck_after,
        WEBHOOK_STUCK_AFTER_SECONDS=config.stuck_after,
        NRS_RETRY_BACKOFF=[int(s) for s in config.retry_backoff.split(",")],
        NRS_MAX_ATTEMPTS=config.max_attempts,
        # The host's row starts at the limit of whichever process makes it first: perhaps this one.
        **({"NRS_HOST_CONCURRENCY": config.host_concurrency} if config.host_concurrency else {}),
        WEBHOOK_ALLOWED_HOSTS=["127.0.0.1"],
        NRS_SANDBOX_EMBEDDED=True,
        SITE_URL=env["SITE_URL"],
    )
    overrides.enable()
    run_problems, kills, producer, tenant, needles, peaks = [], None, None, None, {}, {}
    try:
        tenant, needles = create_tenant(receiver.url, webhook_secret)
        SandboxFaults.objects.all().delete()
        SandboxFaults.objects.create(
            error_rate=config.error_rate,
            timeout_rate=config.timeout_rate,
            lost_response_rate=config.lost_response_rate,
            latency_ms=config.latency_ms,
        )
        cluster.start()
        logger.info(
            "soak: %d invoices, %d kills, seed %d, work folder %s", config.invoices, config.kills, seed, workdir
        )
        started = time.monotonic()
        kills = Killer(cluster, rng, config.kill_anywhere, started)
        producer = Producer(tenant, config, rng, f"http://127.0.0.1:{port}", needles["flowpoint_api_key"])
        producer.start()
        run_problems = _drive(config, tenant, receiver, cluster, kills, producer, rng, started, peaks)
    finally:
        if producer:
            producer.stop.set()
            producer.join(timeout=60)
        cluster.stop()
        runtime = round(time.monotonic() - started, 1)
        try:
            facts = collect(tenant, receiver, logs) if tenant else None
        finally:
            receiver.close()
            overrides.disable()
            root.removeHandler(handler)
            root.setLevel(previous_level)
            handler.close()
            from django.db import connections

            connections.close_all()
    facts["logs"] = scan_logs(facts["log_files"], needles)
    facts["secret_names"] = sorted(needles)
    facts["kills"] = kills.done if kills else []
    facts["created"] = len(producer.created) if producer else 0
    facts["create_errors"] = producer.errors if producer else []
    facts["run_problems"] = run_problems
    summary = evaluate(facts, expected_invoices=config.invoices, kills_wanted=config.kills)
    summary["runtime_s"] = runtime
    summary["peaks"] = peaks
    summary["seed"] = seed
    summary["database"] = "postgresql" if "DATABASE_URL" in db_env else "sqlite"
    summary["broker"] = "redis" if env.get("REDIS_URL") else "orm"
    summary["config"] = asdict(config)
    summary["work_folder"] = str(workdir)
    return summary, facts


def _drive(config, tenant, receiver, cluster, killer, producer, rng, started, peaks) -> list[str]:
    """Sweeps, kills and waits until the work is done (or the deadline passes, or nothing moves any more).

    `peaks` gets the most invoices seen in SUBMITTING at once, and (PostgreSQL) database connections."""
    from integrations.webhooks.delivery import sweep as sweep_webhooks
    from invoicing import dispatch, submission

    def sweep_invoices():  # invoicing.tasks.sweep_invoices as a worker runs it: one dispatch for all it found
        found = submission.sweep(queue_each=False)
        if found["stuck"] or found["queued"]:
            submission.enqueue(dispatch.DISPATCH_TASK)

    deadline = started + (config.deadline or 240 + 1.5 * config.invoices)
    stall_after = config.stall_after or max(90.0, 2 * (config.stuck_after + config.q_retry) + 2 * config.sweep_interval)
    # Kill when the number of finished invoices crosses these (random) marks, a random moment later.
    # (Early enough that work is left to interrupt; a kill that finds no worker inside a task is tried again.)
    marks = sorted(rng.uniform(0.03, 0.6) * config.invoices for _ in range(config.kills))
    kill_at: list[float] = []
    next_sweep = time.monotonic() + config.sweep_interval
    next_look, next_report, last_marker, last_move, settled_since = 0.0, 0.0, None, time.monotonic(), None
    state = {}
    while True:
        now = time.monotonic()
        if now >= next_sweep:
            next_sweep = now + config.sweep_interval
            try:
                sweep_invoices()
                sweep_webhooks()
            except Exception:
                logger.exception("sweep failed")  # a database hiccup: the next sweep tries again
        if now >= next_look:
            next_look = now + 1.0
            state = progress(tenant)
            report = now >= next_report
            peaks["submitting"] = max(peaks.get("submitting", 0), state["statuses"].get("SUBMITTING", 0))
            if state["connections"] is not None:
                peaks["db_connections"] = max(peaks.get("db_connections", 0), state["connections"])
            if state["marker"] != last_marker:
                last_marker, last_move = state["marker"], now
            while marks and state["terminal"] >= marks[0]:
                marks.pop(0)
                kill_at.append(now + rng.uniform(0.0, 2.0))
            kill_at.sort()
            if report:
                next_report = now + 5.0
                logger.info(
                    "t=%ds created=%d statuses=%s deliveries=%s queue=%d kills=%d%s",
                    now - started,
                    len(producer.created),
                    state["statuses"],
                    state["deliveries"],
                    state["queued_tasks"],
                    len(killer.done),
                    f" connections={state['connections']}" if state["connections"] is not None else "",
                )
            finished = (
                not producer.is_alive()
                and state["total"] == len(producer.created)
                and state["terminal"] == state["total"]
                and set(state["deliveries"]) <= {"succeeded"}
                and len({r["id"] for r in receiver.snapshot()}) >= sum(state["deliveries"].values())
            )
            if finished:
                settled_since = settled_since or now
                if now - settled_since >= 2.0:  # a status change's webhook is recorded right after it
                    return []
            else:
                settled_since = None
        if kill_at and now >= kill_at[0]:
            kill_at.pop(0)
            work_left = producer.is_alive() or state.get("terminal", 0) < state.get("total", 0)
            if not killer.kill(patience=5.0) and work_left:
                kill_at.insert(0, time.monotonic() + 0.2)
        if now > deadline:
            return [f"deadline of {deadline - started:.0f} s passed; last progress: {state}"]
        if now - last_move > stall_after:
            return [f"no progress for {stall_after:.0f} s (is the cluster stuck?); last progress: {state}"]
        time.sleep(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = SoakConfig()
    parser.add_argument("--invoices", type=int, default=defaults.invoices)
    parser.add_argument("--kills", type=int, default=defaults.kills)
    parser.add_argument("--workers", type=int, default=defaults.workers)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--sweep-interval", type=float, default=defaults.sweep_interval)
    parser.add_argument("--deadline", type=float, default=0.0, help="seconds (default: 240 + 1.5 per invoice)")
    parser.add_argument("--log-level", default=defaults.log_level)
    parser.add_argument("--kill-anywhere", action="store_true", help="kill workers wherever they are (see above)")
    parser.add_argument("--pdfs", action="store_true", help="render every certified invoice's PDF too")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="any other SoakConfig field, e.g. q_timeout=10",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="default: a new folder under var/soak/")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the work folder (logs, SQLite) and the PostgreSQL and Redis databases when all passed (a failed"
        " run keeps them)",
    )
    args = parser.parse_args()
    config = SoakConfig(
        invoices=args.invoices,
        kills=args.kills,
        workers=args.workers,
        seed=args.seed,
        sweep_interval=args.sweep_interval,
        deadline=args.deadline,
        log_level=args.log_level.upper(),
        kill_anywhere=args.kill_anywhere,
        render_pdfs=args.pdfs,
    )
    for item in args.set:
        name, _, value = item.partition("=")
        if name not in SoakConfig.__dataclass_fields__:
            parser.error(f"unknown field {name!r}")
        try:
            setattr(config, name, config_value(name, value))
        except ValueError as exc:
            parser.error(f"{name}: {exc}")
    if problems := timing_problems(config, float(os.environ.get("NRS_DISPATCH_SECONDS", 60))):
        parser.error("; ".join(problems))
    (ROOT / "var" / "soak").mkdir(parents=True, exist_ok=True)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="run-", dir=ROOT / "var" / "soak"))
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "logs").mkdir(exist_ok=True)
    db_env = configure_standalone(workdir)
    print(f"soak: preparing the database ({db_env}) in {workdir}", file=sys.stderr)
    prepare_database(db_env, workdir / "logs")
    import django

    django.setup()
    summary = None
    try:
        summary, _facts = run_soak(config, db_env, workdir)
    finally:
        from django.db import connections

        connections.close_all()
        if summary and summary["ok"] and not args.keep:
            drop_database(db_env)
        elif set(db_env) - {"SQLITE_PATH"}:  # the next run starts them afresh
            print(f"soak: kept {db_env} for a look", file=sys.stderr)
    print(json.dumps(summary, indent=2))
    if summary["ok"] and not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
