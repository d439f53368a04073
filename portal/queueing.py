"""Handing work to django-q2: one broker per process, and queueing that commits with the change needing it.

The foundation's, so that every app queues its tasks the same way without importing another app for it.
"""

import functools
import os

from django.db import DEFAULT_DB_ALIAS, transaction


@functools.cache
def _broker(pid: int):
    """One broker per process: django-q2 builds a new one (a new Redis connection) for every task otherwise."""
    from django_q.brokers import get_broker

    return get_broker()


def enqueue(func: str, *args, when=None) -> None:
    """Hand work to django-q2 (or schedule it once at `when`)."""
    from django_q.models import Schedule
    from django_q.tasks import async_task

    if when is None:
        async_task(func, *args, broker=_broker(os.getpid()))
    else:
        Schedule.objects.create(
            func=func, args=",".join(repr(a) for a in args), schedule_type=Schedule.ONCE, next_run=when, repeats=1
        )


def enqueue_on_commit(func: str, *args, when=None) -> None:
    """Queue work that must start only once the current transaction has committed.

    A schedule (`when`) is a row in this database, and so is a task with django-q2's ORM broker (the embedded
    default): both are written inside the transaction, so they commit with the change that needs them (a crash
    right after the commit cannot lose them) at no extra write. Redis, or the tests' sync mode, get the task
    after the commit; a broker hiccup then is logged, and the sweepers queue the work again later.
    """
    from django_q.conf import Conf

    if when is not None or (Conf.ORM == DEFAULT_DB_ALIAS and not Conf.SYNC):
        enqueue(func, *args, when=when)
    else:
        transaction.on_commit(lambda: enqueue(func, *args, when=when), robust=True)


def keep_scheduled(name: str, func: str, *, minutes: int | None = None) -> None:
    """A periodic task, every `minutes` or else hourly: one schedule by its name, however many migrations or
    processes call this (each app calls it after its migrations, for its own tasks)."""
    from django_q.models import Schedule

    every = {"schedule_type": Schedule.MINUTES, "minutes": minutes} if minutes else {"schedule_type": Schedule.HOURLY}
    Schedule.objects.update_or_create(name=name, defaults={"func": func, **every})
