import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse

logger = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Every response carries X-Request-Id: the caller's own (if sane) or a fresh one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-Id", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-Id"] = request.request_id
        return response


def is_api_path(path: str) -> bool:
    """Paths machines call, whose errors are JSON, never an HTML page: our API, /health, /metrics and the sandbox."""
    from django.conf import settings

    return path.startswith(("/api/", settings.NRS_SANDBOX_PREFIX.rstrip("/") + "/")) or path in ("/health", "/metrics")


class ApiErrorMiddleware:
    """On API paths an unexpected error is still JSON in the spec's error shape, never HTML."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None
        if isinstance(exception, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
            return JsonResponse({"error": f"Request body too large: at most {limit} MB."}, status=413)
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return JsonResponse(
            {"error": "Internal server error. Retry; contact support with the X-Request-Id if it persists."},
            status=500,
        )
