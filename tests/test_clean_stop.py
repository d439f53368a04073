"""`manage.py qcluster` stops in order on SIGTERM (issue 15), sent to it alone or to its whole process group (as
systemd, a terminal or a test's killpg do), once or again while it stops: no traceback, no worker killed in a task,
nothing left running."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.processes import (
    ROOT,
    TROUBLE,
    alive_in_group,
    instance_env,
    kill_group,
    start,
    wait_for,
    wait_until_gone,
)


# Signals a few milliseconds apart until the process is gone: each re-entered django-q2's stop() until
# RecursionError (as `make run`'s old trap did, signalling itself and the cluster without end), and one arriving
# after Python, exiting, had put SIGTERM's default action back killed the stopped cluster (exit code -15).
# Ctrl-C in `make run`: SIGINT to the whole group, and at once SIGTERM from its trap: both caught before the first
# is handled (a handler that ignored signals from then on left the second to Python's "ignored due to race
# condition" traceback).
@pytest.mark.parametrize(
    "to_group, again, first",
    [(True, False, signal.SIGTERM), (False, True, signal.SIGTERM), (False, False, signal.SIGINT)],
    ids=["group", "process-again-and-again", "interrupt-then-terminate"],
)
def test_qcluster_stops_in_order_on_sigterm(tmp_path, to_group, again, first):
    env = instance_env(tmp_path, Q_WORKERS="2")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    log = tmp_path / "qcluster.log"
    cluster = start([sys.executable, "manage.py", "qcluster"], env, log)
    try:
        wait_for(
            lambda: log.read_text().count("ready for work") == 2 and "running." in log.read_text(), 30, "cluster", log
        )
        (os.killpg if to_group else os.kill)(cluster.pid, first)
        if first == signal.SIGINT:
            os.kill(cluster.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        while again and cluster.poll() is None and time.monotonic() < deadline:  # while it stops, and as it exits
            time.sleep(0.002)
            os.kill(cluster.pid, signal.SIGTERM)
        wait_until_gone(cluster, timeout=15)
    finally:
        kill_group(cluster)
    output = log.read_text()
    assert cluster.returncode == 0, output[-4000:]
    assert not [word for word in TROUBLE if word in output], output[-4000:]
    assert output.count("stopped doing work") == 2, output[-4000:]  # each worker got its STOP: none died in a task
    assert "has stopped" in output


def test_the_guard_still_kills_a_worker_stuck_past_its_timeout(tmp_path):
    # Workers no longer die of SIGTERM, which is what django-q2's guard sends a worker whose task outlived its
    # timeout: it must end it anyway, or the stuck process keeps its task and a place no STOP ever reaches.
    env = instance_env(tmp_path, Q_WORKERS="1", Q_TIMEOUT="1", Q_RETRY="60")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    enqueue = "from django_q.tasks import async_task; async_task('tests.processes.stubborn_task')"
    subprocess.run([sys.executable, "manage.py", "shell", "-c", enqueue], cwd=ROOT, env=env, check=True)
    log = tmp_path / "qcluster.log"
    cluster = start([sys.executable, "manage.py", "qcluster"], env, log)
    try:
        stuck = int(wait_for(lambda: re.search(r"ready for work at (\d+)", log.read_text()), 30, "worker", log)[1])
        wait_for(lambda: "after timeout" in log.read_text(), 20, "reincarnation", log)
        wait_for(lambda: stuck not in alive_in_group(cluster.pid), 5, "end of the stuck worker", log)
        os.killpg(cluster.pid, signal.SIGTERM)
        wait_until_gone(cluster, timeout=15)
    finally:
        kill_group(cluster)
    assert "Traceback" not in log.read_text()
