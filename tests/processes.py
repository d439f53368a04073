"""Processes started the way a developer or an operator starts them (`make run`, `manage.py qcluster`), each in a
process group of its own, on a database of its own, and what is left of them after a signal."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TROUBLE = ("Traceback", "RecursionError", "Segmentation fault", "Exception ignored")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def instance_env(folder: Path, **extra) -> dict:
    """The environment of a separate instance: its SQLite file and media in `folder`, nothing of the test run's
    (DATABASE_URL, REDIS_URL) nor of the developer's address (SITE_URL, NRS_SANDBOX_URL)."""
    dropped = ("DATABASE_URL", "REDIS_URL", "SITE_URL", "NRS_SANDBOX_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "MAKEFLAGS")
    env = {name: value for name, value in os.environ.items() if name not in dropped}
    env.update({"SQLITE_PATH": str(folder / "flowpoint.sqlite3"), "MEDIA_ROOT": str(folder / "media"), **extra})
    return env


def start(args: list, env: dict, log: Path) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_for(condition, timeout: float, what: str, log: Path, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(every)
    raise AssertionError(f"no {what} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def alive_in_group(pgid: int) -> dict[int, str]:
    """The processes of the group that still run, by pid (zombies, waiting for whoever reaps them, are done)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid, rest = stat.read_text().split(" (", 1)
            state, _ppid, group = rest.rsplit(") ", 1)[1].split()[:3]
            if int(group) == pgid and state not in "ZX":
                found[int(pid)] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return found


def wait_until_gone(process: subprocess.Popen, timeout: float) -> None:
    """Waits until the process and its whole group ended; AssertionError naming what still runs if not."""
    deadline = time.monotonic() + timeout
    while (process.poll() is None or alive_in_group(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = alive_in_group(process.pid)
    assert process.poll() is not None and not left, f"still running {timeout:.0f} s after the signal: {left}"


def kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def stubborn_task() -> None:
    """A task stuck past its timeout: it shrugs off django-q2's in-process timeout (a SystemExit raised by SIGALRM),
    as a call blocked outside Python would. Only the guard's kill ends it."""
    while True:
        try:
            time.sleep(60)
        except SystemExit:
            pass
