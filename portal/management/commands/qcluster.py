"""`manage.py qcluster`: django-q2's command with portal/task_cluster.py's Cluster, which stops in order.

It takes the name over because `portal` comes before `django_q` in INSTALLED_APPS.
"""

import os

from django.conf import settings
from django_q.management.commands import qcluster

from portal.task_cluster import Cluster


class Command(qcluster.Command):
    def handle(self, *args, **options):
        # django-q2's handle(), with our Cluster.
        settings.SECRET_KEY  # noqa: B018  (signing needs it: fail before starting anything)
        if options.get("cluster_name"):
            os.environ["Q_CLUSTER_NAME"] = options["cluster_name"]
        q = Cluster()
        q.start()
        if options.get("run_once", False):
            q.stop()
