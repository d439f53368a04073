"""Django's SQLite backend, with a wait for the write lock that wakes within a fraction of a millisecond.

SQLite lets one connection write at a time. Another writer (the other gunicorn worker, the queue worker) gets
SQLITE_BUSY, and SQLite's own busy handler then sleeps in steps of 1, 2, 5, 10, 15, 20… ms: far longer than
our write transactions hold the lock (1–3 ms). Under `make bench` the web workers spent a sixth of their time
waiting there, much of it after the lock was free again. This backend turns SQLite's handler off once the
connection is set up and waits itself (`when_unlocked`), for as long as the database's `timeout` option says.

Within one process, writers also queue on a lock of the process (`_writers`) before they ask SQLite: a worker
keeps dozens of NRS submissions in flight on threads (invoicing/dispatch.py), and each of them polling SQLite's
lock in sub-millisecond steps cost more CPU than the submissions themselves. A thread blocked on a Python lock
costs nothing; only one thread per process then waits on SQLite (for another process's writer). The lock is
held from BEGIN to COMMIT or ROLLBACK, or for one autocommit write; a thread that cannot have it within the
database's `timeout` goes on without it and meets SQLite's own lock, as before.

Only a statement run outside a transaction is tried again: SQLite refuses such a statement as a whole when it
answers SQLITE_BUSY, so running it again cannot apply anything twice. That covers `BEGIN IMMEDIATE` (every
`atomic` block, settings.DATABASES' `transaction_mode`) and autocommit writes. Inside a transaction begun
IMMEDIATE the lock is already held, so nothing there waits.
"""

import sqlite3
import threading
import time

from django.db.backends.sqlite3 import base

FIRST_STEP, LAST_STEP = 0.0001, 0.002  # seconds between tries


_writers: dict[str, threading.Lock] = {}  # one per database file
_writers_guard = threading.Lock()


def _writer_lock(name: str) -> threading.Lock:
    with _writers_guard:
        return _writers.setdefault(name, threading.Lock())


def _writes(query: str) -> bool:
    return not query.lstrip()[:6].upper().startswith(("SELECT", "PRAGMA"))


def _locked(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY  # SQLITE_BUSY and its variants


def when_unlocked(connection: sqlite3.Connection, run, *args, patience: float):
    """`run(*args)`, tried again in short steps while another connection holds the lock, up to `patience` s."""
    if connection.in_transaction:
        return run(*args)
    deadline, step = time.monotonic() + patience, FIRST_STEP
    while True:
        try:
            return run(*args)
        except sqlite3.OperationalError as error:
            if not _locked(error) or time.monotonic() + step > deadline:
                raise
        time.sleep(step)
        step = min(step * 1.5, LAST_STEP)


class CursorWrapper(base.SQLiteCursorWrapper):
    patience = 5.0  # seconds; DatabaseWrapper.create_cursor sets the database's `timeout` option

    wrapper = None  # the DatabaseWrapper, for its process lock

    def execute(self, query, params=None):
        if self.connection.in_transaction or self.wrapper is None or not _writes(query):
            return when_unlocked(self.connection, super().execute, query, params, patience=self.patience)
        self.wrapper._take_writer_lock()
        try:
            return when_unlocked(self.connection, super().execute, query, params, patience=self.patience)
        finally:
            self.wrapper._drop_writer_lock()

    def executemany(self, query, param_list):
        if not self.connection.in_transaction:
            param_list = list(param_list)  # a generator could not be replayed
        return when_unlocked(self.connection, super().executemany, query, param_list, patience=self.patience)


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_writer_lock = False

    def get_connection_params(self):
        params = super().get_connection_params()
        self.lock_patience = float(params.get("timeout", 5.0))  # sqlite3.connect's own default is 5 s
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)  # SQLite's handler still waits for the PRAGMAs
        connection.execute("PRAGMA busy_timeout = 0")
        return connection

    def create_cursor(self, name=None):
        cursor = self.connection.cursor(factory=CursorWrapper)
        cursor.patience = self.lock_patience
        cursor.wrapper = self
        return cursor

    # --- the process's writers queue on one lock (see the module's doc) --------------------------------------

    _writer = None  # this database file's lock, looked up once per connection

    def _take_writer_lock(self) -> None:
        if self._holds_writer_lock:
            return
        if self._writer is None:
            self._writer = _writer_lock(self.settings_dict["NAME"])
        self._holds_writer_lock = self._writer.acquire(timeout=self.lock_patience)

    def _drop_writer_lock(self) -> None:
        if self._holds_writer_lock:
            self._holds_writer_lock = False
            self._writer.release()

    def _start_transaction_under_autocommit(self):
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._drop_writer_lock()
            raise

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._drop_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._drop_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._drop_writer_lock()
