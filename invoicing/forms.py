"""The invoice editor: header, buyer, lines, and the discounts and charges on the whole invoice.

Forms only parse into the service's input dict."""

import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from integrations.nrs.totals import DEDUCTED_CATEGORIES
from integrations.reference.models import Lga, PaymentMeans, State, TaxCategory
from invoicing.models import GateRules, Invoice, Kind
from invoicing.parsing import MAX_ALLOWANCE_CHARGES
from invoicing.shapes import BUYER_FIELDS, OPTIONAL_TEXT
from invoicing.summary import payment_means_label
from invoicing.wording import TAX_WORDS
from tenants.validators import normalise_phone, validate_postal_code


def read_money(text) -> Decimal | None:
    """An amount as people type it: "500,000", "₦500,000.50", "NGN 1 500". None when empty.

    Raises ValueError when what is left is not a number of naira and kobo.
    """
    value = str(text or "").strip().replace("\u20a6", "").replace("NGN", "").replace(",", "")
    value = re.sub(r"\s+", "", value)
    if not value:
        return None
    if not re.fullmatch(r"\d+(\.\d{1,2})?|\.\d{1,2}", value):  # no sign: every money input is an amount, never a debt
        raise ValueError(value)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise ValueError(value) from None


class MoneyField(forms.CharField):
    """A money input that accepts thousands separators and the naira sign; the refusal names the field."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 24)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal"})

    def prepare_value(self, value):
        return f"{value:,.2f}" if isinstance(value, Decimal) else value  # a stored amount reads as 100,000.00

    def clean(self, value):
        text = super().clean(value)  # the text's own checks (length) first, then the amount it reads as
        try:
            amount = read_money(text)
        except ValueError:
            raise ValidationError(
                _("%(field)s: enter an amount in naira, such as 500,000 or 500,000.50."),
                code="invalid",
                params={"field": self.label or _("Amount")},
            ) from None
        return amount


class AdjustmentForm(forms.Form):
    """One discount or charge on the whole invoice: its kind, reason, amount and the VAT it carries.

    A blank VAT means "as the lines": the service taxes it at the lines' one rate, and asks for a choice when the
    lines have several (invoicing/validation.py). The other choices are the lines' own, less the deducted taxes
    (withholding is kept back by the buyer, never carried by a discount or a charge)."""

    KINDS = (("discount", _("Discount")), ("charge", _("Charge")))

    kind = forms.ChoiceField(label=_("Discount or charge"), choices=KINDS, initial="discount")
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Such as Loyalty discount or Delivery")}),
    )
    amount = MoneyField(label=_("Amount"))
    tax_scheme = forms.ChoiceField(label=_("VAT"))
    tax_rate = forms.CharField(label=_("Rate %"), max_length=6, widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tax_scheme"].choices = [("", _("As the lines"))] + [
            (code, TAX_WORDS.get(code, name))
            for code, name in TaxCategory.objects.values_list("code", "name")
            if code not in DEDUCTED_CATEGORIES
        ]
        for bound in self.visible_fields():  # a row's cells sit under the table's headings, as a line's do
            bound.field.required = False
            bound.field.widget.attrs.setdefault("aria-label", bound.label)

    def as_data(self) -> dict | None:
        """The service's `allowance_charges` item; None for a row left empty."""
        data = self.cleaned_data
        if data.get("amount") is None and not data.get("reason"):
            return None
        scheme = data.get("tax_scheme") or ""
        return {
            "charge_indicator": data.get("kind") == "charge",
            "amount": data.get("amount"),
            "reason": data.get("reason", ""),
            "tax_scheme": scheme,
            # "As the lines" is the lines' rate too: a rate left in the row from another choice is not sent.
            "tax_rate": ((data.get("tax_rate") or "").strip() or None) if scheme else None,
        }


def adjustment_initial(item: dict) -> dict:
    """A service `allowance_charges` item (a draft's, or one made through the API) as a row's initial values."""
    rate = item.get("tax_rate")
    return {
        "kind": "charge" if item.get("charge_indicator") else "discount",
        "reason": item.get("reason") or "",
        "amount": Decimal(str(item["amount"])) if item.get("amount") not in (None, "") else None,
        "tax_scheme": item.get("tax_scheme") or "",
        "tax_rate": "" if rate in (None, "") else str(rate),  # as kept: the rate saves back unchanged
    }


class BaseAdjustmentFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": _("At most %(num)d discounts and charges on one invoice: remove one."),
    }


AdjustmentFormSet = formset_factory(
    AdjustmentForm, formset=BaseAdjustmentFormSet, extra=0, max_num=MAX_ALLOWANCE_CHARGES, validate_max=True
)


class InvoiceForm(forms.Form):
    # The invoice's own fields, in the editor's order (the buyer and the lines come after).
    HEADER_FIELDS = ("invoice_kind", "document_number", "issue_date", "due_date", "currency", *OPTIONAL_TEXT)
    CUSTOMER_FIELDS = tuple(f"customer_{name}" for name in BUYER_FIELDS)  # the buyer, in the editor's order

    invoice_kind = forms.ChoiceField(label=_("Invoice for"), choices=Kind.choices, initial=Kind.B2B)
    document_number = forms.CharField(
        label=_("Invoice number"),
        max_length=50,
        required=False,
        help_text=_("Your own number, e.g. INV-2026-001. It becomes part of the IRN."),
    )
    issue_date = forms.DateField(label=_("Issue date"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
    due_date = forms.DateField(label=_("Due date"), widget=forms.DateInput(attrs={"type": "date"}), required=False)
    currency = forms.CharField(max_length=3, initial="NGN", required=False)
    exchange_rate = forms.CharField(
        label=_("Exchange rate"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        help_text=_("Naira for 1 unit of the currency, such as 1,530.00. Filled in from your exchange rates."),
    )
    note = forms.CharField(
        label=_("Payment note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Printed on the invoice: bank account, payment terms…"),
    )
    po_reference = forms.CharField(label=_("PO reference"), max_length=100, required=False)
    payment_terms_note = forms.CharField(
        label=_("Payment terms"),
        max_length=500,
        required=False,
        help_text=_("In words, such as Net 30 days. Sent to NRS and printed on the invoice."),
    )
    # Payment and adjustments (invoicing/_document_extras.html): how the buyer pays; the discounts and charges on
    # the whole invoice are rows of their own (AdjustmentFormSet, `self.adjustments`).
    payment_means = forms.ChoiceField(
        label=_("Payment by"),
        required=False,
        help_text=_("How the buyer pays, by the due date."),
    )
    invoice_type = forms.ChoiceField(choices=Invoice.Type.choices, widget=forms.HiddenInput, initial="invoice")
    original_invoice_id = forms.CharField(widget=forms.HiddenInput, required=False)
    # A note's original issued outside Flowpoint (invoicing/external_originals.py): chosen in its own card
    # (invoicing/_corrects_invoice.html) instead of the invoice in Flowpoint it was started from.
    EXTERNAL_ORIGINAL_FIELDS = ("original_irn", "original_issue_date")
    original_source = forms.ChoiceField(
        choices=(("flowpoint", _("The invoice in Flowpoint")), ("external", _("An invoice issued outside Flowpoint"))),
        widget=forms.RadioSelect,
        required=False,
    )
    original_irn = forms.CharField(
        label=_("IRN of the invoice"),
        max_length=120,
        required=False,
        help_text=_("As printed on the invoice, such as INV001-94ND90NR-20240611."),
    )
    original_issue_date = forms.DateField(
        label=_("Date it was issued"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    customer_id = forms.CharField(widget=forms.HiddenInput, required=False)
    customer_name = forms.CharField(label=_("Buyer name"), max_length=200, required=False)
    customer_tin = forms.CharField(label=_("TIN"), max_length=20, required=False)
    customer_email = forms.CharField(label=_("E-mail"), max_length=200, required=False)
    customer_phone = forms.CharField(label=_("Telephone"), max_length=20, required=False)
    customer_address = forms.CharField(label=_("Street address"), max_length=200, required=False)
    customer_city = forms.CharField(label=_("City"), max_length=100, required=False)
    customer_postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    customer_state = forms.ChoiceField(label=_("State"), required=False)
    customer_lga = forms.ChoiceField(label=_("LGA"), required=False)
    customer_country = forms.CharField(label=_("Country"), max_length=2, initial="NG", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer_state"].choices = [("", _("Choose a state…"))] + list(
            State.objects.order_by("name").values_list("code", "name")
        )
        self.fields["customer_lga"].choices = [("", _("Choose an LGA…"))] + list(
            Lga.objects.order_by("name").values_list("code", "name")
        )
        self.fields["customer_phone"].widget.attrs.update({"type": "tel", "autocomplete": "off"})
        self.fields["customer_phone"].help_text = _("Such as 0803 123 4567; outside Nigeria, + and the country code.")
        self.fields["customer_postal_code"].help_text = _("In Nigeria 6 digits, such as 100001.")
        self.fields["issue_date"].initial = timezone.localdate()
        self.fields["payment_means"].choices = [("", _("Not said"))] + [
            (code, payment_means_label(code)) for code in PaymentMeans.objects.values_list("code", flat=True)
        ]
        if self.is_note:  # a credit or debit note keeps its reason where an invoice keeps its payment note
            kind = Invoice.Type(self["invoice_type"].value()).label
            self.fields["note"].label = _("Reason for the %(kind)s") % {"kind": str(kind).lower()}
            self.fields["note"].help_text = _("Printed on the note: why it corrects the invoice.")
            self.fields["document_number"].label = _("%(kind)s number") % {"kind": kind}
            prefix = "CN" if self["invoice_type"].value() == Invoice.Type.CREDIT_NOTE else "DN"
            self.fields["document_number"].help_text = _(
                "Your own number, e.g. %(example)s. It becomes part of the IRN."
            ) % {"example": f"{prefix}-{timezone.localdate().year}-001"}
        # The service decides what is required (it depends on B2B/B2C); the browser must not block a draft.
        for field in self.fields.values():
            field.required = False
        self.adjustments = self._adjustments()

    def _adjustments(self):
        """The discount and charge rows: posted, or from `initial["adjustments"]` (one empty row when none)."""
        prefix = "adjustments"
        if not self.is_bound:
            return AdjustmentFormSet(prefix=prefix, initial=self.initial.get("adjustments") or [{}])
        data = self.data
        if f"{prefix}-TOTAL_FORMS" not in data:  # a post without the section (an older page) has no rows
            data = data.copy()
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        return AdjustmentFormSet(data, prefix=prefix)

    def is_valid(self) -> bool:
        adjustments_valid = self.adjustments.is_valid()  # both checked, so each shows its own errors
        return super().is_valid() and adjustments_valid

    @property
    def is_note(self) -> bool:
        return self["invoice_type"].value() in (Invoice.Type.CREDIT_NOTE, Invoice.Type.DEBIT_NOTE)

    def clean_customer_phone(self) -> str:
        return normalise_phone(self.cleaned_data["customer_phone"])  # 0803 123 4567 is +2348031234567

    def clean(self):
        data = super().clean()
        if self.is_note and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why this note corrects the invoice."))
        if data.get("customer_postal_code"):
            try:
                validate_postal_code(data["customer_postal_code"], data.get("customer_country"))
            except ValidationError as error:
                self.add_error("customer_postal_code", error)
        return data

    def as_data(self, lines) -> dict:
        data = self.cleaned_data
        return {
            "invoice_kind": data["invoice_kind"],
            "invoice_type": data["invoice_type"] or "invoice",
            "document_number": data["document_number"],
            "issue_date": data["issue_date"].isoformat() if data["issue_date"] else None,
            "due_date": data["due_date"].isoformat() if data["due_date"] else None,
            "currency": data["currency"] or "NGN",
            # A naira invoice has no rate: a figure left in the hidden field from another currency is not sent.
            "exchange_rate": data["exchange_rate"] if (data["currency"] or "NGN").upper() != "NGN" else None,
            **{name: data[name] for name in OPTIONAL_TEXT},
            **self._original_data(),
            "customer_id": data["customer_id"] or None,
            "customer": {name: data[f"customer_{name}"] for name in BUYER_FIELDS},
            "lines": lines,
            "payment_means": data["payment_means"],
            "allowance_charges": [item for _row, item in self._adjustment_rows()],
        }

    def _adjustment_rows(self) -> list:
        """The discount and charge rows filled in: (the row's form, its `allowance_charges` item), in order."""
        return [(row, item) for row in self.adjustments.forms if (item := row.as_data())]

    def _original_data(self) -> dict:
        """The invoice a note corrects: the one in Flowpoint it was started from, or one issued outside."""
        data = self.cleaned_data
        if data["original_invoice_id"] and data["original_source"] != "external":
            return {"original_invoice_id": data["original_invoice_id"]}
        day = data["original_issue_date"]
        return {"original_irn": data["original_irn"].strip(), "original_issue_date": day.isoformat() if day else None}

    def allowance_charge_field(self, index: int, key: str) -> tuple[forms.Form, str] | None:
        """The row form and its field an error about `allowance_charges[index].key` belongs beside: the index
        counts the rows sent, so empty rows in between are skipped."""
        rows = self._adjustment_rows()
        if index >= len(rows):
            return None
        name = {"charge_indicator": "kind"}.get(key, key)
        row = rows[index][0]
        return (row, name) if name in row.fields else None

    @classmethod
    def initial_from(cls, data: dict) -> dict:
        """The service's dict (e.g. a draft) back into this form's initial values."""
        initial = {
            k: data.get(k)
            for k in (
                "invoice_kind",
                "invoice_type",
                "document_number",
                "issue_date",
                "due_date",
                "currency",
                *OPTIONAL_TEXT,
                "original_invoice_id",
                "original_irn",
                "original_issue_date",
                "customer_id",
            )
        }
        initial["original_source"] = "external" if data.get("original_irn") else "flowpoint"
        initial["invoice_kind"] = data.get("invoice_kind")
        if (data.get("currency") or "NGN") != "NGN" and data.get("exchange_rate"):
            initial["exchange_rate"] = data["exchange_rate"]
        initial["payment_means"] = data.get("payment_means") or ""
        initial["adjustments"] = [adjustment_initial(item) for item in data.get("allowance_charges") or []]
        for name in BUYER_FIELDS:
            initial[f"customer_{name}"] = (data.get("customer") or {}).get(name, "")
        return initial


class LineForm(forms.Form):
    item_id = forms.CharField(widget=forms.HiddenInput, required=False)
    # The description is also the saved-item look-up: typing searches the catalogue, a free text stays as typed.
    description = forms.CharField(
        label=_("Description"),
        max_length=300,
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "item-lookup",
                "autocomplete": "off",
                "placeholder": _("Describe it or find a saved item"),
                "aria-label": _("Description (or find a saved item)"),
            }
        ),
    )
    hsn_code = forms.CharField(
        label=_("HS / ISIC code"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("Code or words")}),
    )
    quantity = forms.CharField(max_length=20, required=False, initial="1")
    unit_price = MoneyField(label=_("Unit price"), required=False)
    discount = MoneyField(label=_("Discount"), required=False, initial="0")
    fee = MoneyField(label=_("Fee"), required=False, initial="0")
    unit_of_measure = forms.CharField(
        label=_("Unit"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"list": "unit-words", "autocomplete": "off", "placeholder": _("each, kg…")}),
    )
    tax_scheme = forms.ChoiceField(label=_("Tax"), required=False)
    tax_rate = forms.CharField(label=_("Rate %"), max_length=6, required=False, initial="7.5")
    withholding_rate = forms.CharField(label=_("Withholding %"), max_length=6, required=False, initial="0")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tax_scheme"].choices = [
            (code, TAX_WORDS.get(code, name)) for code, name in TaxCategory.objects.values_list("code", "name")
        ]
        self.fields["tax_scheme"].initial = "STANDARD_VAT"
        for name in ("quantity", "unit_price", "discount", "fee", "tax_rate", "withholding_rate"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal"})
        # A line's cells sit under the table's headings, not beside a <label>: each input names itself.
        for bound in self.visible_fields():
            bound.field.widget.attrs.setdefault("aria-label", bound.label)

    def as_data(self) -> dict | None:
        data = self.cleaned_data
        if all(data.get(k) in (None, "") for k in ("description", "unit_price", "item_id", "hsn_code")):
            return None  # an untouched empty row
        code = data.get("hsn_code", "").strip()
        is_service = bool(re.fullmatch(r"\d{4}", code))  # ISIC classes are four digits; HS codes have a dot
        return {
            "item_id": data.get("item_id") or None,
            "description": data.get("description", ""),
            "hsn_code": "" if is_service else code,
            "isic_code": code if is_service else "",
            "quantity": data.get("quantity") or None,
            "unit_price": data.get("unit_price"),
            "discount": data.get("discount") or "0",
            "fee": data.get("fee") or "0",
            "unit_of_measure": data.get("unit_of_measure", ""),
            "tax_scheme": data.get("tax_scheme") or "STANDARD_VAT",
            "tax_rate": data.get("tax_rate") or None,
            "withholding_rate": data.get("withholding_rate") or "0",
        }


LineFormSet = formset_factory(LineForm, extra=0, min_num=1, max_num=500, validate_max=True)


def line_initial(line: dict) -> dict:
    return {
        "item_id": line.get("item_id") or "",
        "description": line.get("description", ""),
        "hsn_code": line.get("hsn_code") or line.get("isic_code") or "",
        "quantity": _plain(line.get("quantity")),
        "unit_price": _plain(line.get("unit_price")),
        "discount": _plain(line.get("discount")) or "0",
        "fee": _plain(line.get("fee")) or "0",
        "unit_of_measure": line.get("unit_of_measure") or "",
        "tax_scheme": line.get("tax_scheme") or "STANDARD_VAT",
        "tax_rate": _plain(line.get("tax_rate")),
        "withholding_rate": _plain(line.get("withholding_rate")) or "0",
    }


def _plain(value) -> str:
    if value in (None, ""):
        return ""
    text = f"{value}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class PaymentForm(forms.Form):
    payment_status = forms.ChoiceField(label=_("Payment"), choices=Invoice.Payment.choices)
    amount = MoneyField(
        label=_("Amount paid"),
        required=False,
        help_text=_("For a part payment. Leave empty for paid in full."),
    )
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args, full_amount: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if full_amount:  # paid in full is the total as credit and debit notes corrected it: say which amount
            self.fields["amount"].help_text = _("For a part payment. Leave it empty for paid in full (%(total)s).") % {
                "total": full_amount
            }


class GateRulesForm(forms.ModelForm):
    review_above = MoneyField(label=_("…above this amount (₦)"), required=False)
    approval_above = MoneyField(label=_("Approval required above (₦)"), required=False)

    class Meta:
        model = GateRules
        fields = ["review", "review_above", "approval_above", "maker_checker"]
        labels = {
            "review": _("Review required for"),
            "review_above": _("…above this amount (₦)"),
            "approval_above": _("Approval required above (₦)"),
            "maker_checker": _("Maker-checker: whoever created an invoice cannot approve it"),
        }
        help_texts = {
            "review_above": _("Used when review is required for invoices above an amount."),
            "approval_above": _("Leave empty for no approval step."),
        }

    def clean(self):
        data = super().clean()
        if data.get("review") == GateRules.Review.ABOVE and data.get("review_above") is None:
            self.add_error("review_above", _("Enter the amount above which invoices need review."))
        return data
