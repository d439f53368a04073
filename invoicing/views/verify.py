"""The public verify page, `/verify/<IRN>`: what a buyer sees after scanning the invoice's plain QR code.

No sign-in; rate-limited per address, since it reads across businesses. It shows exactly what the verify API
returns (the same lookup and the same shape), never more of a business's data, save the tax-inclusive total
printed on the invoice itself (which differs from the payable amount when the buyer withholds tax)."""

from django.shortcuts import render
from django.urls import path
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_safe

from invoicing.api.representations import VERIFIED
from invoicing.verification import irn_check
from portal.ratelimit import apply_headers, hits
from portal.throttle import client_ip

# A public page: a signed-in visitor sees no business's navigation or banners either (these override the context
# processors' values for this page alone).
PUBLIC_PAGE = {"current_tenant": None, "nrs_outage": None}


@require_safe
def verify_page(request, irn):
    counted = hits([("verify_page", client_ip(request))])
    if counted[0].exceeded:
        response = render(request, "invoicing/verify.html", {**PUBLIC_PAGE, "irn": irn, "outcome": "busy"}, status=429)
        apply_headers(response, counted)
        return response
    check = irn_check(irn)
    context = {**PUBLIC_PAGE, "irn": irn}
    if check.malformed:
        context["outcome"], status = "malformed", 400
    elif check.invoice is None:
        context["outcome"], status = "unknown", 404
    else:
        result = VERIFIED.render(check.invoice)
        context |= {
            "outcome": "certified",
            "result": result,
            # What the invoice in the buyer's hands calls its total (with taxes, before any withholding); the
            # payable amount is shown beside it only when withholding makes it less.
            "tax_inclusive": check.invoice.tax_inclusive,
            "withheld": check.invoice.tax_inclusive != check.invoice.payable,
            "issue_date": parse_date(result["issueDate"]),
            "certified_at": parse_datetime(result["certifiedAt"]) if result.get("certifiedAt") else None,
        }
        status = 200
    response = render(request, "invoicing/verify.html", context, status=status)
    apply_headers(response, counted)
    return response


urlpatterns = [path("verify/<str:irn>", verify_page, name="verify_page")]
