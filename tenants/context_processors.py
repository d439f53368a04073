from functools import cached_property


def tenant(request):
    from django.conf import settings

    membership = getattr(request, "membership", None)
    return {
        "sandbox_embedded": settings.NRS_SANDBOX_ENABLED and settings.NRS_SANDBOX_EMBEDDED,
        "current_tenant": getattr(request, "tenant", None) if membership else None,
        "current_membership": membership,
        "is_admin": bool(membership and membership.role == "admin"),
        "unread_notifications": _unread(request, membership),
        "other_businesses": OtherBusinesses(request, membership) if membership else None,
    }


def _unread(request, membership) -> int:
    """The bell's number: one COUNT on an index, and only for a page of a signed-in member."""
    if not membership or not request.user.is_authenticated:  # an API key's request has a business, no member
        return 0
    from tenants.notifications import unread_count

    return unread_count(request.tenant, request.user)


class OtherBusinesses:
    """The business switcher's list: the member's other businesses (read by the middleware with the current one),
    with their unread notifications: one grouped COUNT, only when the header asks and there are others."""

    def __init__(self, request, membership):
        self.request = request
        self.membership = membership

    @cached_property
    def memberships(self) -> list:
        from tenants.switching import unread_elsewhere

        others = [m for m in getattr(self.request, "memberships", []) if m.tenant_id != self.membership.tenant_id]
        if not others:
            return []
        unread = unread_elsewhere(self.request.user, self.membership.tenant_id)
        return [(m, unread.get(m.tenant_id, 0)) for m in others]

    @cached_property
    def unread(self) -> int:
        return sum(n for _m, n in self.memberships)
