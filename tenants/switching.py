"""Several businesses, one login: the list of the person's businesses and the switch between them.

The business a session works in is `request.session[SESSION_TENANT]`; the middleware (tenants/middleware.py) only
ever takes it from the person's own memberships. Switching checks the membership (a 404 otherwise, the same as
for a business that does not exist), records the switch in the audit log and lands on that business's dashboard.
Pages still open in another tab name their rows by id in the URL, looked up in the current business only (a 404);
and every portal form names the business it was opened in (tenants/templatetags/business_forms.py), so a "new
customer" form of the business left behind is refused too (409): nothing of it is written into the new one.
"""

from django.contrib import messages
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenants import services
from tenants.middleware import SESSION_TENANT
from tenants.models import Notification
from tenants.permissions import verified_required


def unread_elsewhere(user, current_tenant_id) -> dict:
    """{tenant id: unread notifications} for the person's other businesses: one grouped COUNT."""
    rows = (
        Notification.objects.with_scopes_disabled()
        .filter(user=user, read_at__isnull=True)
        .exclude(tenant_id=current_tenant_id)
        .values_list("tenant_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


@verified_required
def business_list(request):
    """The person's businesses, with their role in each, and "Add another business"."""
    current = request.membership.tenant_id if request.membership else None
    unread = unread_elsewhere(request.user, current)
    rows = [(m, unread.get(m.tenant_id, 0)) for m in request.memberships]
    return render(request, "tenants/businesses.html", {"rows": rows, "current_tenant_id": current})


@verified_required
@require_POST
def business_switch(request, tenant_id):
    entering = services.membership_for_exactly(request.user, tenant_id)
    if entering is None:
        raise Http404("No such business among yours.")  # the same answer whether or not the business exists
    leaving = request.membership
    if leaving is None or leaving.tenant_id != entering.tenant_id:
        request.session[SESSION_TENANT] = str(entering.tenant_id)
        services.business_switch(user=request.user, leaving=leaving, entering=entering)
    messages.success(request, _("You are now working in %(name)s.") % {"name": entering.tenant.name})
    return redirect("dashboard")  # a business requiring two-factor sign-in sends a person without it to enrol
