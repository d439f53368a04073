"""Customers: list and search (every member), add, edit, archive and TIN check (clerks and admins), and the
as-you-type look-up the invoice editor uses."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrations.reference.models import Lga
from invoicing import master_data
from invoicing.forms_master import CustomerForm
from invoicing.models import Customer
from tenants.models import Membership
from tenants.permissions import role_required, tenant_required
from tenants.two_factor_rules import verification_pending

PER_PAGE = 50
LOOKUP_MIN, LOOKUP_MAX = 2, 100
# Clerks and admins keep the customer and item lists; reviewers and approvers only read them.
WRITERS = (Membership.Role.CLERK,)


def can_write(request) -> bool:
    role = request.membership.role
    return role == Membership.Role.ADMIN or role in WRITERS


def list_context(request, queryset_for, *, url_name: str, section: str) -> dict:
    """Shared by the customer and item lists: search box, Active/Archived filter, 50 a page."""
    q = request.GET.get("q", "").strip()[:LOOKUP_MAX]
    archived = request.GET.get("archived") == "1"
    page = Paginator(queryset_for(tenant=request.tenant, q=q, archived=archived), PER_PAGE).get_page(
        request.GET.get("page")
    )

    def link(**params):
        query = {"q": q, "archived": "1" if archived else "", **params}
        query = {k: v for k, v in query.items() if v}
        return reverse(url_name) + ("?" + urlencode(query) if query else "")

    return {
        "q": q,
        "archived": archived,
        "page": page,
        "can_write": can_write(request),
        "active_url": link(archived="", page=""),
        "archived_url": link(archived="1", page=""),
        "previous_url": link(page=page.previous_page_number()) if page.has_previous() else "",
        "next_url": link(page=page.next_page_number()) if page.has_next() else "",
        "total": page.paginator.count,
        "section_nav": section,
    }


def json_member_required(view):
    """Look-ups for the portal's own scripts: a signed-in member's session; errors are JSON, never a page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.api_key is not None or request.api_key_problem:
            return JsonResponse(
                {"error": _("This look-up is for the portal. With an API key, use /api/v1/…/search?q=.")}, status=403
            )
        if not request.user.is_authenticated or verification_pending(request):
            return JsonResponse({"error": _("Sign in to the portal first.")}, status=401)
        if request.membership is None:
            return JsonResponse({"error": _("You are not a member of any business.")}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def lookup_query(request) -> tuple[str, JsonResponse | None]:
    q = request.GET.get("q", "").strip()
    if not LOOKUP_MIN <= len(q) <= LOOKUP_MAX:
        return q, JsonResponse(
            {"error": _("q must be 2 to 100 characters (you sent %(n)d).") % {"n": len(q)}}, status=400
        )
    return q, None


def _context(form, customer=None, **extra):
    return {
        "form": form,
        "customer": customer,
        "lga_states": dict(Lga.objects.values_list("code", "state_id")),
        "section_nav": "customers",
        **extra,
    }


@tenant_required
@require_GET
def customer_list(request):
    context = list_context(request, master_data.customer_queryset, url_name="customer_list", section="customers")
    return render(request, "invoicing/customers/list.html", context)


@role_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def customer_new(request):
    form = CustomerForm(request.POST or None)
    if request.method == "POST":
        customer = form.submit(tenant=request.tenant)
        if customer is not None:
            messages.success(request, _("Customer %(name)s added.") % {"name": customer.name})
            return redirect("customer_list")
    return render(request, "invoicing/customers/form.html", _context(form))


@role_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def customer_edit(request, pk):
    customer = get_object_or_404(Customer.objects.select_related("state", "lga", "country"), pk=pk)
    if customer.archived_at:
        return render(request, "invoicing/customers/archived.html", {"customer": customer, "section_nav": "customers"})
    form = CustomerForm(request.POST or None, customer=customer)
    if request.method == "POST":
        if form.submit(tenant=request.tenant) is not None:
            messages.success(request, _("Customer %(name)s saved.") % {"name": customer.name})
            return redirect("customer_list")
    return render(request, "invoicing/customers/form.html", _context(form, customer))


@role_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def customer_archive(request, pk):
    customer = get_object_or_404(Customer, pk=pk, archived_at__isnull=True)
    if request.method == "POST":
        master_data.customer_archive(customer=customer)
        messages.success(request, _("Customer %(name)s archived.") % {"name": customer.name})
        return redirect("customer_list")
    return render(request, "invoicing/customers/archive.html", {"customer": customer, "section_nav": "customers"})


@role_required(*WRITERS)
@require_POST
def customer_verify_tin(request, pk):
    """Ask NRS about the customer's saved TIN; the answer comes back as a message on the customer's page."""
    from integrations.nrs.errors import NrsError, NrsNotFound
    from integrations.nrs.services import tin_verify

    customer = get_object_or_404(Customer, pk=pk)
    back = redirect("customer_edit", pk=customer.pk)
    if not customer.tin:
        messages.error(request, _("Enter the customer's TIN and save it first."))
        return back
    try:
        found = tin_verify(tenant=request.tenant, tin=customer.tin)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except NrsNotFound:
        messages.error(
            request,
            _("NRS does not know TIN %(tin)s. Ask %(name)s for the TIN on their tax documents.")
            % {"tin": customer.tin, "name": customer.name},
        )
    except NrsError as exc:
        messages.error(request, _("NRS could not check the TIN now: %(why)s") % {"why": exc})
    else:
        messages.success(
            request,
            _("NRS knows TIN %(tin)s: %(name)s (%(status)s).")
            % {"tin": customer.tin, "name": found.get("taxpayer_name", "?"), "status": found.get("status", "?")},
        )
    return back


@json_member_required
@require_GET
def customer_lookup(request):
    q, error = lookup_query(request)
    if error:
        return error
    found = master_data.customer_search(tenant=request.tenant, q=q)
    return JsonResponse({"items": [master_data.customer_row(c) for c in found]})


urlpatterns = [
    path("customers/", customer_list, name="customer_list"),
    path("customers/new/", customer_new, name="customer_new"),
    path("customers/lookup", customer_lookup, name="customer_lookup"),
    path("customers/<int:pk>/", customer_edit, name="customer_edit"),
    path("customers/<int:pk>/archive/", customer_archive, name="customer_archive"),
    path("customers/<int:pk>/verify-tin/", customer_verify_tin, name="customer_verify_tin"),
]
