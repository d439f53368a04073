"""Every API error is JSON: `error` for people, `fields` per field, `reason`/`code` for machines."""

from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

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
    if isinstance(exc, ApiError):
        return Response(exc.body, status=exc.status_code)
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


def api_not_found(request, *args, **kwargs):
    return JsonResponse({"error": f"No API route {request.method} {request.path}. See /api/docs."}, status=404)
