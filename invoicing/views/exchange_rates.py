"""The business's exchange rates: the Settings page where an admin keeps them, and the editor's look-up of the
rate for a currency on an issue date (static/js/invoice_editor.js prefills the invoice's rate from it)."""

from datetime import date

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from integrations.reference.models import Currency
from invoicing.exchange_rates import NAIRA, RateExists, rate_add, rate_delete, rate_on
from invoicing.models import ExchangeRate
from invoicing.templatetags.money import format_rate
from tenants.permissions import admin_required, tenant_required


class ExchangeRateForm(forms.Form):
    currency = forms.ChoiceField(label=_lazy("Currency"))
    rate = forms.DecimalField(
        label=_lazy("Naira for 1 unit"),
        min_value=0.000001,
        max_value=999999.999999,
        decimal_places=6,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_lazy("Such as 1530.00 for 1 US dollar. Up to six decimals."),
    )
    valid_from = forms.DateField(
        label=_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_lazy("Invoices issued on this day or later use it, until a later rate for the currency."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", _("Choose a currency…"))] + [
            (code, f"{name} ({code})")
            for code, name in Currency.objects.exclude(code=NAIRA).values_list("code", "name")
        ]
        self.fields["valid_from"].initial = timezone.localdate()


@admin_required
@require_http_methods(["GET", "POST"])
def settings_exchange_rates(request):
    form = ExchangeRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rate_add(
                tenant=request.tenant,
                currency=data["currency"],
                rate=data["rate"],
                valid_from=data["valid_from"],
                user=request.user,
            )
        except RateExists:
            form.add_error("valid_from", _("This currency has a rate from this day already: delete it first."))
        else:
            messages.success(request, _("Exchange rate added."))
            return redirect("settings_exchange_rates")
    rates = ExchangeRate.objects.select_related("currency").order_by("currency_id", "-valid_from")
    return render(
        request,
        "invoicing/settings_exchange_rates.html",
        {"form": form, "rates": rates, "section": "exchange_rates"},
    )


@admin_required
@require_POST
def exchange_rate_delete(request, pk):
    row = get_object_or_404(ExchangeRate, pk=pk)
    rate_delete(tenant=request.tenant, row=row, user=request.user)
    messages.success(request, _("Exchange rate deleted. Invoices already issued keep the rate they were issued at."))
    return redirect("settings_exchange_rates")


@tenant_required
@require_safe
def exchange_rate_lookup(request):
    """{"rate": "1530", "label": "₦1,530.00"} for ?currency=USD&date=2026-12-04, or {"rate": null} if none."""
    currency = (request.GET.get("currency") or "").strip().upper()[:3]
    try:
        day = date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        day = timezone.localdate()
    rate = rate_on(currency, day) if currency and currency != NAIRA else None
    return JsonResponse({"rate": f"{rate.normalize():f}" if rate else None, "label": format_rate(rate) if rate else ""})


urlpatterns = [
    path("settings/exchange-rates/", settings_exchange_rates, name="settings_exchange_rates"),
    path("settings/exchange-rates/<int:pk>/delete/", exchange_rate_delete, name="exchange_rate_delete"),
    path("invoices/exchange-rate/", exchange_rate_lookup, name="exchange_rate_lookup"),
]
