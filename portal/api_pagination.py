"""The spec's list shape: {"items": [], "total": 142, "limit": 50, "offset": 0}."""

from rest_framework.response import Response

from portal.api_errors import ApiError, refuse_nul


def _int_param(request, name, default):
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(f"{name} must be a whole number.", fields={name: "must be a whole number"}) from None
    if value < 0:
        raise ApiError(f"{name} must not be negative.", fields={name: "must not be negative"})
    return value


def paginated(request, queryset, serialize, *, max_limit: int, default_limit: int = 50) -> Response:
    refuse_nul(request.query_params)  # the filters of `queryset` run below, in count(): PostgreSQL cannot take one
    limit = _int_param(request, "limit", default_limit)
    offset = _int_param(request, "offset", 0)
    if limit < 1 or limit > max_limit:
        raise ApiError(f"limit must be between 1 and {max_limit}.", fields={"limit": f"must be 1–{max_limit}"})
    total = queryset.count()
    # Past the end is an empty page, asked of no database: an offset beyond a 64-bit integer would not even bind.
    items = [serialize(obj) for obj in queryset[offset : offset + limit]] if offset < total else []
    return Response({"items": items, "total": total, "limit": limit, "offset": offset})
