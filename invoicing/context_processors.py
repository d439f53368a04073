"""The NRS banner on every portal page (templates/partials/nrs_banner.html)."""

from functools import cache

from invoicing.selectors import nrs_outage
from tenants.models import Membership


def nrs_banner(request):
    """For an admin of a business whose NRS host is unreachable (or asked us to slow down): what it means for
    the business's own invoices. Admins only: they are the ones who answer when a customer asks about a missing
    invoice, and clerks cannot change anything about it.

    A callable, not the value: the template calls it once, so a page rendered without base.html (a partial, a
    PDF) costs no query, and the query runs inside the request's tenant scope as the page renders."""
    membership = getattr(request, "membership", None)
    if membership is None or membership.role != Membership.Role.ADMIN:
        return {}
    return {"nrs_outage": cache(lambda: nrs_outage(membership.tenant))}
