"""The spec's list shape: {"items": [], "total": 142, "limit": 50, "offset": 0}."""

from rest_framework.response import Response

from portal.api_errors import refuse_nul
from portal.query_params import whole_number


def paginated(request, queryset, serialize, *, max_limit: int, default_limit: int = 50) -> Response:
    refuse_nul(request.query_params)  # the filters of `queryset` run below, in count(): PostgreSQL cannot take one
    limit = whole_number(request, "limit", default_limit, minimum=1, maximum=max_limit)
    offset = whole_number(request, "offset", 0)
    total = queryset.count()
    # Past the end is an empty page, asked of no database: an offset beyond a 64-bit integer would not even bind.
    items = [serialize(obj) for obj in queryset[offset : offset + limit]] if offset < total else []
    return Response({"items": items, "total": total, "limit": limit, "offset": offset})
