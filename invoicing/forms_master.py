"""Portal forms for customers and items: they parse what was typed into the API's input shape and hand it to
invoicing.master_data; its errors are shown beside the field they are about, with the input kept."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from integrations.reference import lookup
from integrations.reference.models import Country, QuantityUnit, ServiceCode, State, TaxCategory
from invoicing import master_data
from invoicing.master_data import MasterDataError
from invoicing.models import Customer, Item, Kind
from tenants.validators import normalise_phone, validate_postal_code

# "1,500.00", "1500", "₦ 1,500.5", "-20" (the service says why a negative is wrong)
_NAIRA = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")


def naira_to_kobo(text: str) -> int | None:
    """Exact conversion of a typed naira amount to kobo; None when empty; ValidationError when unreadable."""
    value = (text or "").strip().replace("₦", "").replace("NGN", "").replace(" ", "")
    if not value:
        return None
    if not _NAIRA.match(value):
        raise ValidationError(
            _("Enter an amount in naira, such as 1,500.00 or 1500 (at most 2 decimal places)."), code="invalid"
        )
    return int(Decimal(value.replace(",", "")) * 100)


def kobo_to_text(kobo: int | None) -> str:
    return "" if kobo is None else f"{master_data.kobo_to_naira(kobo):,.2f}"


class NairaField(forms.CharField):
    """A naira amount typed by a person; cleans to kobo (int) or None."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 30)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"})

    def clean(self, value):
        return naira_to_kobo(super().clean(value))


class MasterDataForm(forms.Form):
    """Shared: show every service error beside its field (API field names map to form fields)."""

    # API field name -> form field name, where they differ
    field_for_api: dict = {}
    # Error code -> the portal's own words, where the API's would confuse (kobo, when people type naira)
    message_for_code: dict = {}

    def add_service_error(self, exc: MasterDataError) -> None:
        for error in exc.errors:
            name = self.field_for_api.get(error.field, error.field)
            message = self.message_for_code.get(error.code, error.message)
            self.add_error(name if name in self.fields else None, message)

    def _submit(self, call):
        """Run a service call with the parsed data; the saved record, or None with the errors on the form."""
        if not self.is_valid():
            return None
        try:
            return call(self.to_data())
        except MasterDataError as exc:
            self.add_service_error(exc)
            return None


def _select(choices, **attrs):
    return forms.Select(choices=choices, attrs=attrs)


class CustomerForm(MasterDataForm):
    # Field names are the API's, so an error's `field` is also the form field's name.
    customerKind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(Kind.B2B.value, Kind.B2B.label), (Kind.B2G.value, Kind.B2G.label)],
        initial=Kind.B2B.value,
        help_text=_("Consumers (B2C) are not saved as customers: you put them on the invoice itself."),
    )
    name = forms.CharField(
        label=_("Registered name"),
        max_length=200,
        error_messages={"required": _("Enter the customer's registered name.")},
    )
    tin = forms.CharField(
        label=_("TIN"),
        max_length=20,
        help_text=_("Such as 12345678-0001 or RC-1234567."),
        error_messages={"required": _("Enter the customer's TIN: NRS needs it on every B2B and B2G invoice.")},
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        widget=forms.EmailInput,
        error_messages={"required": _("Enter the customer's e-mail address: NRS needs it on B2B and B2G invoices.")},
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=40,
        help_text=_("Such as 0803 123 4567; outside Nigeria, + and the country code, such as +44 20 7946 0000."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    address = forms.CharField(label=_("Street address"), required=False, max_length=200)
    city = forms.CharField(label=_("City"), required=False, max_length=100)
    postalCode = forms.CharField(
        label=_("Postal code"), required=False, max_length=20, help_text=_("In Nigeria 6 digits, such as 100001.")
    )
    state = forms.CharField(label=_("State"), required=False)
    lga = forms.CharField(label=_("LGA"), required=False)
    country = forms.CharField(label=_("Country"), required=False, initial="NG")
    emailOnCertify = forms.BooleanField(
        label=_("Send each certified invoice to this customer"),
        required=False,
        help_text=_("By e-mail to the address above, with its PDF attached, as soon as NRS certifies it."),
    )

    def __init__(self, data=None, *, customer: Customer | None = None, **kwargs):
        self.customer = customer
        if customer is not None and data is None:
            initial = master_data.customer_data(customer)
            kwargs.setdefault("initial", {**initial, "emailOnCertify": customer.email_on_certify})
        super().__init__(data, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "off"
        self.fields["state"].widget = _select(
            [("", _("Choose a state…")), *State.objects.order_by("name").values_list("code", "name")]
        )
        self.fields["lga"].widget = _select([("", _("Choose an LGA…")), *lookup.lgas_by_state().items()])
        self.fields["country"].widget = _select(Country.objects.order_by("name").values_list("alpha_2", "name"))

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean(self):
        cleaned = super().clean()
        try:
            validate_postal_code(cleaned.get("postalCode", ""), cleaned.get("country"))
        except ValidationError as error:
            self.add_error("postalCode", error)
        return cleaned

    def to_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["country"] = data["country"] or "NG"
        return data

    def submit(self, *, tenant) -> Customer | None:
        def save(data):
            emails = bool(data.pop("emailOnCertify", False))
            if self.customer is None:
                return master_data.customer_create(tenant=tenant, data=data, email_on_certify=emails)
            return master_data.customer_update(customer=self.customer, data=data, email_on_certify=emails)

        return self._submit(save)


class ItemForm(MasterDataForm):
    field_for_api = {"unitPriceKobo": "unitPrice", "costKobo": "cost"}
    message_for_code = {
        "invalid_price": _("Enter a unit price above zero, such as 1,500.00."),
        "invalid_cost": _("Enter a cost of zero or more, such as 1,000.00, or leave it empty."),
    }

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("As it should appear on invoices."),
        error_messages={"required": _("Enter the item's name, as it should appear on invoices.")},
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    unitPrice = NairaField(
        label=_("Unit price (₦)"),
        help_text=_("Before tax, such as 1,500.00."),
        error_messages={"required": _("Enter the unit price in naira, such as 1,500.00.")},
    )
    cost = NairaField(
        label=_("Cost (₦)"), required=False, help_text=_("Optional: what one unit costs you. Never shown to buyers.")
    )
    taxScheme = forms.CharField(label=_("Tax scheme"), required=False, initial=master_data.DEFAULT_TAX_SCHEME)
    taxRate = forms.CharField(
        label=_("Tax rate (%)"),
        required=False,
        max_length=10,
        help_text=_("Leave empty for the scheme's usual rate (7.5% for standard VAT, 0 for zero-rated or exempt)."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    hsCode = forms.CharField(
        label=_("HS code (goods)"),
        required=False,
        max_length=20,
        help_text=_("Such as 8517.11. Goods need an HS code, services a service code; NRS needs one on every line."),
    )
    serviceCode = forms.CharField(label=_("Service code (services)"), required=False)
    category = forms.CharField(
        label=_("Category"), required=False, max_length=200, help_text=_("Optional, such as Electronics.")
    )
    unit = forms.CharField(label=_("Unit of measure"), required=False)

    def __init__(self, data=None, *, item: Item | None = None, **kwargs):
        self.item = item
        if item is not None and data is None:
            initial = master_data.item_data(item)
            initial["unitPrice"] = kobo_to_text(initial.pop("unitPriceKobo"))
            initial["cost"] = kobo_to_text(initial.pop("costKobo"))
            kwargs.setdefault("initial", initial)
        super().__init__(data, **kwargs)
        self.fields["taxScheme"].widget = _select(TaxCategory.objects.order_by("name").values_list("code", "name"))
        self.fields["serviceCode"].widget = _select(
            [
                ("", _("Choose a service code (services only)…")),
                *((c, f"{c} — {n}") for c, n in ServiceCode.objects.order_by("code").values_list("code", "name")),
            ]
        )
        self.fields["unit"].widget = _select(
            [
                ("", _("Choose a unit…")),
                *((c, f"{n} ({c})") for c, n in QuantityUnit.objects.order_by("name").values_list("code", "name")),
            ]
        )

    def to_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["unitPriceKobo"] = data.pop("unitPrice")
        data["costKobo"] = data.pop("cost")
        data["taxRate"] = data["taxRate"] or None  # empty: the scheme's usual rate
        return data

    def submit(self, *, tenant) -> Item | None:
        if self.item is None:
            return self._submit(lambda data: master_data.item_create(tenant=tenant, data=data))
        return self._submit(lambda data: master_data.item_update(item=self.item, data=data))
