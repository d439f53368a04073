"""The business's home page (readiness, figures, the NRS queue) and the public status page."""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from invoicing.purchases.selectors import new_received_count, unacknowledged_by_buyer
from invoicing.selectors import dashboard as invoice_dashboard
from invoicing.selectors import nrs_queue, nrs_reachability
from invoicing.wording import problem_line
from tenants.expiry import expired_warnings
from tenants.permissions import tenant_required
from tenants.readiness import tenant_readiness


@tenant_required
def dashboard(request):
    readiness = tenant_readiness(request.tenant)
    figures = invoice_dashboard(request.tenant)
    # The same plain sentence as the invoice page says, never the stored codes or connection errors.
    figures["attention"] = [(invoice, problem_line(invoice)) for invoice in figures["attention"]]
    return render(
        request,
        "portal/dashboard.html",
        {
            "readiness": readiness,
            "ready": all(item.ok for item in readiness),
            "nrs_queue": nrs_queue(request.tenant),
            "unacknowledged": unacknowledged_by_buyer(),
            "new_purchases": new_received_count(),
            # An expired crypto-key file or NRS credentials: a plain warning for the admins, who renew them.
            "expired": expired_warnings(request.tenant) if request.membership.role == "admin" else [],
            **figures,
        },
    )


@never_cache
@require_safe
@tenant_required
def dashboard_nrs_queue(request):
    """The dashboard's NRS queue line alone: the open page refreshes it (static/js/app.js)."""
    return render(request, "portal/_nrs_queue.html", {"nrs_queue": nrs_queue(request.tenant)})


def status_page(request):
    return render(request, "portal/status.html", {"nrs": nrs_reachability()})
