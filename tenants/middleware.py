from django.contrib import messages
from django_scopes import scope

from tenants.services import api_key_lookup, api_key_touch, memberships_and_current

KEY_HEADER = "X-Flowpoint-Key"
SESSION_TENANT = "tenant_id"


class TenantMiddleware:
    """Resolves the request's tenant (API key, else the user's membership) and scopes every query to it.

    A request without a tenant gets no scope at all: any tenant-owned query then raises instead of
    silently reading across tenants.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        request.api_key = None
        request.api_key_problem = None
        request.memberships = []  # a signed-in person's businesses (the header's switcher)
        if KEY_HEADER in request.headers:
            key = api_key_lookup(request.headers[KEY_HEADER].strip())
            if key is None:
                request.api_key_problem = "invalid"
            elif key.status != "active":
                request.api_key_problem = key.status
            else:
                api_key_touch(key)
                request.api_key = key
                request.tenant = key.tenant
        elif request.user.is_authenticated:
            chosen = request.session.get(SESSION_TENANT)
            membership, request.memberships = memberships_and_current(request.user, chosen)
            if membership:
                request.membership = membership
                request.tenant = membership.tenant
                if chosen != str(membership.tenant_id):
                    # The session remembers the business it works in (the first one, until the person switches),
                    # so that when they are removed from it, it works in their other business and says so once.
                    request.session[SESSION_TENANT] = str(membership.tenant_id)
                    if chosen and hasattr(request, "_messages"):
                        messages.info(request, f"You are now working in {membership.tenant.name}.")
        if request.tenant is None:
            return self.get_response(request)
        with scope(tenant=request.tenant):
            return self.get_response(request)
