"""Items (the catalogue): list and search (every member), add, edit and archive (clerks and admins), and the
as-you-type look-up the invoice editor uses."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from invoicing import master_data
from invoicing.forms_master import ItemForm, kobo_to_text
from invoicing.models import Item
from invoicing.views.customers import WRITERS, json_member_required, list_context, lookup_query
from tenants.permissions import role_required, tenant_required


def _display(item: Item) -> Item:
    """Money and rate as people read them: ₦1,500.00 and 7.5%."""
    item.unit_price_text = kobo_to_text(item.unit_price_kobo)
    item.tax_rate_text = format(item.tax_rate.normalize(), "f")
    return item


@tenant_required
@require_GET
def item_list(request):
    context = list_context(request, master_data.item_queryset, url_name="item_list", section="items")
    for item in context["page"]:
        _display(item)
    return render(request, "invoicing/items/list.html", context)


@role_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def item_new(request):
    form = ItemForm(request.POST or None)
    if request.method == "POST":
        item = form.submit(tenant=request.tenant)
        if item is not None:
            messages.success(request, _("Item %(name)s added.") % {"name": item.name})
            return redirect("item_list")
    return render(request, "invoicing/items/form.html", {"form": form, "item": None, "section_nav": "items"})


@role_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def item_edit(request, pk):
    item = get_object_or_404(Item.objects.select_related("tax_scheme", "hs_code", "service_code", "unit"), pk=pk)
    if item.archived_at:
        return render(request, "invoicing/items/archived.html", {"item": _display(item), "section_nav": "items"})
    form = ItemForm(request.POST or None, item=item)
    if request.method == "POST":
        if form.submit(tenant=request.tenant) is not None:
            messages.success(request, _("Item %(name)s saved.") % {"name": item.name})
            return redirect("item_list")
    return render(request, "invoicing/items/form.html", {"form": form, "item": item, "section_nav": "items"})


@role_required(*WRITERS)
@require_http_methods(["GET", "POST"])
def item_archive(request, pk):
    item = get_object_or_404(Item, pk=pk, archived_at__isnull=True)
    if request.method == "POST":
        master_data.item_archive(item=item)
        messages.success(request, _("Item %(name)s archived.") % {"name": item.name})
        return redirect("item_list")
    return render(request, "invoicing/items/archive.html", {"item": item, "section_nav": "items"})


@json_member_required
@require_GET
def item_lookup(request):
    q, error = lookup_query(request)
    if error:
        return error
    found = master_data.item_search(tenant=request.tenant, q=q)
    # The API's item row, and the tax by its name for the person choosing (the API keeps the code only).
    return JsonResponse({"items": [{**master_data.item_row(i), "taxLabel": i.tax_scheme.name} for i in found]})


urlpatterns = [
    path("items/", item_list, name="item_list"),
    path("items/new/", item_new, name="item_new"),
    path("items/lookup", item_lookup, name="item_lookup"),
    path("items/<int:pk>/", item_edit, name="item_edit"),
    path("items/<int:pk>/archive/", item_archive, name="item_archive"),
]
