"""Every API error is JSON: `error` for people, `fields` per field, `reason`/`code` for machines."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import DomainError
from portal.middleware import is_api_path


class ApiError(exceptions.APIException):
    """A domain error with a machine code, raised by API views."""

    def __init__(self, message, *, status_code=400, fields=None, reason=None, code=None, detail=None):
        self.status_code = status_code
        self.body = {"error": message}
        if reason:
            self.body["reason"] = reason
        if code:
            self.body["code"] = code
        if detail:
            self.body["detail"] = detail
        if fields:
            self.body["fields"] = fields
        super().__init__(message)


def refusal(exc, *, field_names=None) -> ApiError:
    """A service's refusal as the API answers it: a ValidationError names its fields (renamed to the API's names by
    `field_names`, on the part before a dot), a DomainError its code and status."""
    if isinstance(exc, ValidationError):
        fields = {}
        for field, messages in exc.message_dict.items():
            head, dot, rest = field.partition(".")
            fields[(field_names or {}).get(head, head) + dot + rest] = " ".join(messages)
        message = next(iter(fields.values())) if len(fields) == 1 else "Some fields are invalid; see fields."
        return ApiError(message, fields=fields)
    return ApiError(exc.message, status_code=exc.status, code=exc.code)


NUL = "\x00"
NUL_MESSAGE = "must not contain NUL characters (\\u0000)"


def nul_paths(value, prefix="") -> list[str]:
    """Where parsed JSON (or a QueryDict) holds a NUL character, as `customer.name` / `lines[0].description`.

    No field accepts one, and PostgreSQL cannot even store or compare text holding one: a request carrying one is
    refused before it reaches a query."""
    if isinstance(value, str):
        return [prefix or "body"] if NUL in value else []
    found = []
    if hasattr(value, "lists"):  # a QueryDict: every value of every parameter
        value = {key: values for key, values in value.lists()}
    if isinstance(value, dict):
        for key, item in value.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            found += [name] if NUL in str(key) else nul_paths(item, name)
    elif isinstance(value, list):
        if all(isinstance(item, str) for item in value):  # a repeated query parameter
            return [prefix or "body"] if any(NUL in item for item in value) else []
        for index, item in enumerate(value):
            found += nul_paths(item, f"{prefix}[{index}]")
    return found


def refuse_nul(value, **error) -> None:
    """400 when `value` (a JSON body, query parameters) holds a NUL character anywhere; `error` adds reason/code."""
    paths = nul_paths(value)
    if paths:
        raise ApiError(f"Text {NUL_MESSAGE}.", fields=dict.fromkeys(paths, NUL_MESSAGE), **error)


def _flatten(errors, prefix=""):
    """DRF's nested error lists become `{"a.b": "message"}`."""
    flat = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(_flatten(value, name))
    elif isinstance(errors, list):
        if errors and all(not isinstance(e, dict | list) for e in errors):
            flat[prefix or "non_field_errors"] = " ".join(str(e) for e in errors)
        else:
            for index, value in enumerate(errors):
                flat.update(_flatten(value, f"{prefix}[{index}]"))
    else:
        flat[prefix or "non_field_errors"] = str(errors)
    return flat


def exception_handler(exc, context):
    # Errors are JSON whatever the route's other media types (a PDF, a CSV): the Content-Type says so too.
    if isinstance(exc, ApiError):
        return Response(exc.body, status=exc.status_code, content_type="application/json")
    if isinstance(exc, DomainError):  # a service's refusal that its view did not word itself: still no 500
        body = {"error": exc.message, "code": exc.code, **({"fields": exc.fields} if exc.fields else {})}
        return Response(body, status=exc.status, content_type="application/json")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # ApiErrorMiddleware answers unexpected errors with a JSON 500
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        general = fields.pop("non_field_errors", None)
        body = {"error": general or "Some fields are invalid; see fields."}
        if fields:
            body["fields"] = fields
        response.data = body
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"error": f"Malformed request body: {exc.detail}"}
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = {"error": str(detail or exc)}
    response.content_type = "application/json"
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait) + 1)
    return response


def _json_or_html(request, status_code, message, html_view):
    if is_api_path(request.path):
        return JsonResponse({"error": message}, status=status_code)
    return html_view(request)


def handler404(request, exception=None):
    from django.views.defaults import page_not_found

    return _json_or_html(request, 404, "Not found.", lambda r: page_not_found(r, exception, template_name="404.html"))


def handler403(request, exception=None):
    from django.views.defaults import permission_denied

    return _json_or_html(
        request,
        403,
        "You do not have permission for this.",
        lambda r: permission_denied(r, exception, template_name="403.html"),
    )


def handler400(request, exception=None):
    from django.views.defaults import bad_request

    return _json_or_html(request, 400, "Bad request.", lambda r: bad_request(r, exception))


def handler500(request):
    from django.views.defaults import server_error

    return _json_or_html(request, 500, "Internal server error.", lambda r: server_error(r))


def csrf_failure(request, reason=""):
    """settings.CSRF_FAILURE_VIEW: on API paths a JSON 403 like every other API error, never Django's HTML page."""
    from django.views.csrf import csrf_failure as html_csrf_failure

    if is_api_path(request.path):
        return JsonResponse(
            {"error": "CSRF check failed: send the X-CSRFToken header on unsafe requests with a portal session."},
            status=403,
        )
    return html_csrf_failure(request, reason)


@csrf_exempt  # nothing to protect; a POST to a mistyped route is a 404, not a CSRF failure (an API key has no token)
def api_not_found(request, *args, **kwargs):
    return JsonResponse({"error": f"No API route {request.method} {request.path}. See /api/docs."}, status=404)
