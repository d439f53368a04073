def tenant(request):
    membership = getattr(request, "membership", None)
    return {
        "current_tenant": getattr(request, "tenant", None) if membership else None,
        "current_membership": membership,
        "is_admin": bool(membership and membership.role == "admin"),
    }
