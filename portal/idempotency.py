"""`Idempotency-Key` on creating POSTs: the same key and body replay the first answer
(`Idempotency-Replayed: true`); the same key with another body is a 409; two requests racing with one key
make one thing (the second is told the first is still running). Kept at least 24 hours."""

import hashlib
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.http.request import RawPostDataException
from django.utils import timezone
from rest_framework.response import Response

from portal.models import IdempotencyRecord

KEEP = timedelta(hours=24)
HEADER = "Idempotency-Key"


def _conflict(message):
    return Response({"error": message, "reason": "IDEMPOTENCY_CONFLICT"}, status=409)


def _body_hash(request) -> str:
    try:
        raw = request._request.body
    except RawPostDataException:  # a multipart upload already streamed: hash what it carried instead
        files = sorted((name, f.name, f.size) for name, f in request.FILES.items())
        raw = repr((sorted(request.POST.lists()), files)).encode()
    return hashlib.sha256(raw).hexdigest()


def idempotent(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = request.headers.get(HEADER, "").strip()
        if not key:
            return view(request, *args, **kwargs)
        if len(key) > 255 or "\x00" in key:  # (PostgreSQL cannot store a NUL character)
            return Response({"error": "Idempotency-Key must be at most 255 characters, none of them NUL."}, status=400)
        scope = str(getattr(request._request, "tenant", None) and request._request.tenant.pk)
        body_hash = _body_hash(request)
        route = request.path
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(scope=scope, key=key, route=route, body_hash=body_hash)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
            if existing is None:  # expired and purged between the two statements
                return wrapper(request, *args, **kwargs)
            if existing.body_hash != body_hash or existing.route != route:
                return _conflict("This Idempotency-Key was used with a different request body. Use a new key.")
            if existing.status_code is None:
                return _conflict("A request with this Idempotency-Key is still being processed; retry shortly.")
            replay = Response(existing.response_body, status=existing.status_code)
            replay["Idempotency-Replayed"] = "true"
            return replay
        try:
            response = view(request, *args, **kwargs)
        except Exception:
            record.delete()  # nothing was made: let the client retry with the same key
            raise
        if response.status_code >= 500:
            record.delete()
        else:
            record.status_code = response.status_code
            record.response_body = response.data
            record.save(update_fields=["status_code", "response_body"])
        return response

    return wrapper


def purge_idempotency_records() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return deleted
