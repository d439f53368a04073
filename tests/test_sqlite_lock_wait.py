"""The embedded SQLite backend (portal/sqlite): a writer waits for another connection's write lock and goes on
the moment it is released, for as long as the database's `timeout` allows; and rate-limit counting never
waits for an invoice's write transaction (portal/ratelimit.py keeps its counters in a file of their own).

These run on a database file of their own, whatever database the suite runs on."""

import sqlite3
import statistics
import threading
import time

import pytest
from django.db.utils import ConnectionHandler, OperationalError

from portal import ratelimit

# Seconds another connection keeps the write lock. SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25 ms…
# and would wake at 103 ms, 23 ms after the release: far enough from the bound below that a busy machine's
# scheduling delays (a few ms) cannot make the backend look like SQLite's handler, nor the other way round.
HOLD = 0.080


def django_connection(path, timeout=20):
    """A Django connection on `path` through the backend, configured as settings.DATABASES does."""
    options = {"init_command": "PRAGMA journal_mode=WAL;", "transaction_mode": "IMMEDIATE", "timeout": timeout}
    return ConnectionHandler({"default": {"ENGINE": "portal.sqlite", "NAME": str(path), "OPTIONS": options}})["default"]


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "db.sqlite3"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE invoice (number TEXT)")
    setup.close()
    return path


def hold_write_lock(path, seconds):
    """Another connection (another process, to SQLite) takes the write lock; returns when it has it, and the
    moment it lets go."""
    taken, released = threading.Event(), []

    def run():
        other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO invoice VALUES ('held')")
        taken.set()
        time.sleep(seconds)
        other.execute("COMMIT")
        released.append(time.monotonic())
        other.close()

    thread = threading.Thread(target=run)
    thread.start()
    taken.wait()
    return thread, released


@pytest.mark.parametrize("statement", ["INSERT INTO invoice VALUES ('mine')", "BEGIN IMMEDIATE"])
def test_a_writer_goes_on_within_milliseconds_of_the_lock_being_released(database, statement):
    connection = django_connection(database)
    late = []
    for _ in range(5):
        thread, released = hold_write_lock(database, HOLD)
        with connection.cursor() as cursor:
            cursor.execute(statement)  # no "database is locked": it waits
            done = time.monotonic()
        thread.join()
        late.append(done - released[0])
        if statement.startswith("BEGIN"):
            connection.connection.execute("ROLLBACK")
    assert statistics.median(late) < 0.015, f"went on {late} s after the release"
    connection.close()


def test_a_writer_gives_up_after_the_databases_timeout_with_database_is_locked(database):
    connection = django_connection(database, timeout=0.3)
    thread, _released = hold_write_lock(database, 1.5)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"), connection.cursor() as cursor:
        cursor.execute("INSERT INTO invoice VALUES ('mine')")
    waited = time.monotonic() - started
    thread.join()
    assert 0.25 < waited < 1.0
    connection.close()


def test_a_rate_limit_count_does_not_wait_for_an_invoice_transaction(database, monkeypatch, settings):
    settings.REDIS_URL = ""
    monkeypatch.setattr(ratelimit, "connection", django_connection(database))
    thread, released = hold_write_lock(database, 1.0)  # an invoice being written, in the database file
    started = time.monotonic()
    counted = ratelimit.hits([("api", "203.0.113.9"), ("invoice_create", "tenant-1")])
    took = time.monotonic() - started
    assert not released, "the count waited for the invoice's transaction"
    assert took < 0.5
    assert [(hit.scope, hit.count) for hit in counted] == [("api", 1), ("invoice_create", 1)]
    assert [hit.count for hit in ratelimit.hits([("api", "203.0.113.9")])] == [2]  # the same file, counting on
    thread.join()
    assert (database.parent / "db.sqlite3-ratelimit").exists()
