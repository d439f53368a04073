"""django-q2's database broker (the embedded default), with the enqueue of every invoice create made cheaper.

django-q2 writes a task with `OrmQ.objects.create()`, compiling its INSERT anew each time (about 60 µs of a
create's 4 ms). Inside a transaction, where the create's submission task is written, this broker inserts the
row through SQL written once per process (`portal.queries.insert`). Outside one it is django-q2's own, which
first closes stale connections. Everything else (dequeue, acknowledgement, redelivery) is django-q2's.
"""

from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ

from portal.queries import insert


class OrmBroker(ORM):
    def enqueue(self, task):
        if transaction.get_autocommit(using=Conf.ORM) or Conf.ORM != DEFAULT_DB_ALIAS:
            return super().enqueue(task)
        insert([OrmQ(key=self.list_key or Conf.CLUSTER_NAME, payload=task, lock=timezone.now())])
        return None  # the row's id is not read back: django-q2 only logs it
