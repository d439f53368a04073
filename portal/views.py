"""The site's own page for monitors: /health. Every other page lives with the app whose data it shows."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt


def _queue_ok() -> bool:
    if settings.Q_CLUSTER.get("redis"):
        from django_q.brokers import get_broker

        return bool(get_broker().ping())
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM django_q_ormq LIMIT 1")
    return True


@csrf_exempt  # no state to protect: any method but GET / HEAD is a 405 naming the allowed ones, never a CSRF 403
def health(request):
    """Uptime for monitors and the /status page: database and queue reachable, nothing more."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"error": f"{request.method} is not allowed on /health: use GET."}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        ok = _queue_ok()
    except Exception:  # any failure of a dependency means degraded, never a 500
        ok = False
    return JsonResponse({"status": "ok" if ok else "degraded"}, status=200 if ok else 503)
