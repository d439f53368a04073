def tenant(request):
    from django.conf import settings

    membership = getattr(request, "membership", None)
    return {
        "sandbox_embedded": settings.NRS_SANDBOX_ENABLED and settings.NRS_SANDBOX_EMBEDDED,
        "current_tenant": getattr(request, "tenant", None) if membership else None,
        "current_membership": membership,
        "is_admin": bool(membership and membership.role == "admin"),
        "unread_notifications": _unread(request, membership),
    }


def _unread(request, membership) -> int:
    """The bell's number: one COUNT on an index, and only for a page of a signed-in member."""
    if not membership or not request.user.is_authenticated:  # an API key's request has a business, no member
        return 0
    from tenants.notifications import unread_count

    return unread_count(request.tenant, request.user)
