def tenant(request):
    from django.conf import settings

    membership = getattr(request, "membership", None)
    return {
        "sandbox_embedded": settings.NRS_SANDBOX_ENABLED and settings.NRS_SANDBOX_EMBEDDED,
        "current_tenant": getattr(request, "tenant", None) if membership else None,
        "current_membership": membership,
        "is_admin": bool(membership and membership.role == "admin"),
    }
