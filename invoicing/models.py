"""Customers, items, invoices (with credit and debit notes), their lines, events and gate rules."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tenants.models import Tenant, TenantOwned

MONEY = {"max_digits": 18, "decimal_places": 2}


class Kind(models.TextChoices):
    B2B = "B2B", _("Business (B2B)")
    B2G = "B2G", _("Government (B2G)")
    B2C = "B2C", _("Consumer (B2C)")


class Customer(TenantOwned):
    kind = models.CharField(max_length=3, choices=Kind.choices, default=Kind.B2B)
    name = models.CharField(max_length=200)
    tin = models.CharField(_("TIN"), max_length=20, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    state = models.ForeignKey("reference.State", on_delete=models.PROTECT, null=True, blank=True)
    lga = models.ForeignKey("reference.Lga", on_delete=models.PROTECT, null=True, blank=True, verbose_name="LGA")
    country = models.ForeignKey("reference.Country", on_delete=models.PROTECT, to_field="alpha_2", default="NG")
    # The buyer asked for each certified invoice by e-mail, PDF attached (invoicing/buyer_mail.py).
    email_on_certify = models.BooleanField(_("Send each certified invoice to this customer"), default=False)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "tin"],
                condition=~Q(tin="") & Q(archived_at__isnull=True),
                name="one_customer_per_tin",
            )
        ]

    def __str__(self):
        return self.name


class Item(TenantOwned):
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit_price_kobo = models.PositiveBigIntegerField()
    cost_kobo = models.PositiveBigIntegerField(null=True, blank=True)
    tax_scheme = models.ForeignKey("reference.TaxCategory", on_delete=models.PROTECT, default="STANDARD_VAT")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=7.5)
    hs_code = models.ForeignKey("reference.HsCode", on_delete=models.PROTECT, null=True, blank=True)
    service_code = models.ForeignKey("reference.ServiceCode", on_delete=models.PROTECT, null=True, blank=True)
    category = models.CharField(max_length=200, blank=True)  # NRS product_category / service_category
    unit = models.ForeignKey(
        "reference.QuantityUnit", on_delete=models.PROTECT, null=True, blank=True, verbose_name="unit of measure"
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "name"], condition=Q(archived_at__isnull=True), name="one_item_per_name"
            )
        ]

    def __str__(self):
        return self.name


class Invoice(TenantOwned):
    class Type(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")
        DEBIT_NOTE = "debit_note", _("Debit note")

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        PENDING_REVIEW = "PENDING_REVIEW", _("Awaiting review")
        PENDING_APPROVAL = "PENDING_APPROVAL", _("Awaiting approval")
        BLOCKED = "BLOCKED", _("Blocked")
        PENDING = "PENDING", _("Queued for NRS")
        SUBMITTING = "SUBMITTING", _("Submitting to NRS")
        CERTIFIED = "CERTIFIED", _("Certified")
        REPORTED = "REPORTED", _("Reported")
        FAILED = "FAILED", _("Failed")

    # Signed by NRS: certified (B2B/B2G) or reported (B2C). What a buyer, a note or a report may rely on.
    CERTIFIED_STATUSES = (Status.CERTIFIED, Status.REPORTED)

    class Payment(models.TextChoices):
        UNPAID = "UNPAID", _("Unpaid")
        PARTIAL = "PARTIAL", _("Partly paid")
        PAID = "PAID", _("Paid")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=3, choices=Kind.choices)
    invoice_type = models.CharField(max_length=12, choices=Type.choices, default=Type.INVOICE)
    type_code = models.CharField(max_length=3)  # NRS: 381 invoice, 380 credit note, 384 debit note
    document_number = models.CharField(max_length=50)
    irn = models.CharField(max_length=120, blank=True)
    issue_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="NGN")
    # NGN per 1 unit of `currency` (1 for naira), kept as issued: a later change to the rates table changes nothing.
    # Empty only on foreign-currency invoices saved before rates were recorded.
    exchange_rate = models.DecimalField(max_digits=18, decimal_places=6, null=True, blank=True)
    note = models.TextField(blank=True)
    po_reference = models.CharField(max_length=100, blank=True)
    payment_terms_note = models.CharField(max_length=500, blank=True)
    payment_means = models.CharField(max_length=3, blank=True)  # NRS payment-means code: 30 credit transfer…
    # Document-level allowances and charges as issued: integrations/nrs/totals.AllowanceCharge.as_dict() each.
    allowance_charges = models.JSONField(default=list, blank=True)
    original = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="notes", verbose_name="corrects invoice"
    )
    # A note correcting an invoice issued outside Flowpoint (before onboarding, or in another system) names it by
    # IRN and issue date instead of `original` (invoicing/external_originals.py). Its payable amount is NRS's, read
    # by `confirm` (None: NRS did not say, or could not be asked yet); checked_at: when NRS confirmed it knows it.
    external_original_irn = models.CharField(max_length=120, blank=True)
    external_original_date = models.DateField(null=True, blank=True)
    external_original_payable = models.DecimalField(**MONEY, null=True, blank=True)
    external_original_checked_at = models.DateTimeField(null=True, blank=True)
    customer = models.ForeignKey(Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices")
    # Supplier and buyer as issued: the NRS payload and the PDF are always rebuilt from these.
    supplier = models.JSONField(default=dict)
    buyer = models.JSONField(default=dict)

    line_extension = models.DecimalField(**MONEY, default=0)
    tax_total = models.DecimalField(**MONEY, default=0)  # added taxes (VAT…)
    withholding_total = models.DecimalField(**MONEY, default=0)  # withheld by the buyer, not paid to the supplier
    payable = models.DecimalField(**MONEY, default=0)  # what the buyer pays: tax-inclusive − withheld
    # The same in naira at `exchange_rate` (integrations/nrs/totals.in_naira): what VAT is accounted in.
    tax_total_ngn = models.DecimalField(**MONEY, null=True, blank=True)
    payable_ngn = models.DecimalField(**MONEY, null=True, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    block_reason = models.CharField(max_length=40, blank=True)  # machine code of the hold
    block_detail = models.TextField(blank=True)
    nrs_reason = models.CharField(max_length=40, blank=True)  # machine code of a failure
    nrs_detail = models.TextField(blank=True)  # NRS's own `details`, verbatim
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    submitting_since = models.DateTimeField(null=True, blank=True)
    sign_attempted = models.BooleanField(default=False)  # a sign was sent: confirm before sending another
    signed_at = models.DateTimeField(null=True, blank=True)
    transmitted_at = models.DateTimeField(null=True, blank=True)
    # Delivery of a transmitted B2B/B2G invoice, read from NRS's transmit lookup (invoicing/purchases/delivery.py)
    # until the buyer acknowledges it or 30 days pass.
    delivered_at = models.DateTimeField(null=True, blank=True)  # at the buyer's access point
    buyer_acknowledged_at = models.DateTimeField(null=True, blank=True)  # the buyer confirmed receipt to NRS
    delivery_checked_at = models.DateTimeField(null=True, blank=True)  # last lookup
    certified_at = models.DateTimeField(null=True, blank=True)
    qr_payload = models.TextField(blank=True)
    # NRS's own copy, compared with ours (invoicing/nrs_copy.py): when last asked, and what differed then, as
    # [{"field", "label", "nrs", "ours"}] (empty: the copies agree).
    nrs_checked_at = models.DateTimeField(null=True, blank=True)
    nrs_differences = models.JSONField(default=list, blank=True)
    pdf = models.FileField(upload_to="invoices/%Y/%m/", blank=True)

    payment_status = models.CharField(max_length=8, choices=Payment.choices, default=Payment.UNPAID)
    amount_paid = models.DecimalField(**MONEY, default=0)
    payment_reference = models.CharField(max_length=100, blank=True)
    payment_reported = models.BooleanField(default=False)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_key = models.ForeignKey(
        "tenants.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)  # left draft: the B2C 24-hour clock starts
    # From a CSV batch (or another bulk source): waits behind the business's single invoices for NRS.
    bulk = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "status", "created_at"]),
            models.Index(fields=["tenant", "document_number"]),
            # The invoice list, newest first: a page is read off the index, not sorted from the whole tenant.
            models.Index(fields=["tenant", "-created_at"], name="invoice_list_newest_first"),
            # The NRS queue of one business, in the order the dispatcher takes it (invoicing/dispatch.py). Partial:
            # only waiting rows, and no query without `status = PENDING` can pick it (SQLite's planner chose a
            # full index on tenant and status for the number-in-use check, a scan of every waiting invoice).
            models.Index(
                fields=["tenant", "bulk", "created_at"], condition=Q(status="PENDING"), name="invoice_nrs_queue_order"
            ),
            # The delivery check (invoicing/purchases/delivery.py): transmitted invoices the buyer has not
            # acknowledged yet, by certification time; never a scan of every certified invoice. No `status` in the
            # condition: SQLite matches a partial index only on terms without parameters (IS NULL, IS NOT NULL).
            models.Index(
                fields=["certified_at"],
                condition=Q(transmitted_at__isnull=False, buyer_acknowledged_at__isnull=True),
                name="invoice_delivery_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["irn"], condition=~Q(irn="") & ~Q(status="DRAFT"), name="one_live_invoice_per_irn"
            )
        ]

    def __str__(self):
        return f"{self.get_invoice_type_display()} {self.document_number}"

    @property
    def is_certified(self) -> bool:
        return self.status in self.CERTIFIED_STATUSES

    @property
    def tax_inclusive(self):
        """The invoice's value with its added taxes, before the buyer withholds anything."""
        return self.payable + self.withholding_total

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def b2c_report_deadline(self):
        """B2C invoices are reported to NRS within 24 hours of the sale."""
        if self.kind != Kind.B2C or not self.submitted_at:
            return None
        return self.submitted_at + timedelta(hours=24)


class ExchangeRate(TenantOwned):
    """NGN per 1 unit of a currency from a date on, as the business's admin keeps them. An invoice in that
    currency without its own rate takes the latest on or before its issue date, and keeps it."""

    currency = models.ForeignKey("reference.Currency", on_delete=models.PROTECT)
    rate = models.DecimalField(max_digits=18, decimal_places=6)
    valid_from = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "currency", "valid_from"], name="one_exchange_rate_per_day")
        ]

    def __str__(self):
        return f"{self.currency_id} {self.rate} from {self.valid_from}"


class InvoiceLine(TenantOwned):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    item = models.ForeignKey(Item, on_delete=models.SET_NULL, null=True, blank=True)
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=18, decimal_places=4)
    unit_price = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY, default=0)
    fee = models.DecimalField(**MONEY, default=0)
    hsn_code = models.CharField(max_length=20, blank=True)
    isic_code = models.CharField(max_length=10, blank=True)
    category = models.CharField(max_length=200, blank=True)
    tax_category = models.CharField(max_length=40, default="STANDARD_VAT")
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=7.5)
    unit = models.CharField(max_length=20, blank=True)
    withholding_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    line_extension = models.DecimalField(**MONEY)
    tax_amount = models.DecimalField(**MONEY)
    withholding_amount = models.DecimalField(**MONEY, default=0)

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.description


class InvoiceEvent(TenantOwned):
    """One step in an invoice's life, for its timeline (and, later, webhooks and the audit log)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=40)  # e.g. invoice.created, invoice.held, nrs.sign, invoice.certified
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_key = models.ForeignKey("tenants.ApiKey", on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.kind} {self.invoice_id}"


class GateRules(models.Model):
    """A tenant's review/approval rules, set by an admin."""

    class Review(models.TextChoices):
        NEVER = "never", _("Never")
        ALL = "all", _("Every invoice")
        NOTES = "notes", _("Credit and debit notes")
        B2G = "b2g", _("Invoices to government (B2G)")
        ABOVE = "above", _("Invoices above an amount")

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True, related_name="gate_rules")
    review = models.CharField(max_length=6, choices=Review.choices, default=Review.NEVER)
    review_above = models.DecimalField(**MONEY, null=True, blank=True)
    approval_above = models.DecimalField(**MONEY, null=True, blank=True)  # empty: no approval step
    maker_checker = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"gates of {self.tenant_id}"


# --- CSV batches ------------------------------------------------------------------------------


class Batch(TenantOwned):
    """One uploaded CSV file: validated in a task, then (on request) one invoice per valid group of rows."""

    class Status(models.TextChoices):
        VALIDATING = "VALIDATING", _("Validating")
        VALIDATED = "VALIDATED", _("Validated")
        INVALID = "INVALID", _("Invalid file")
        SUBMITTING = "SUBMITTING", _("Submitting")
        DONE = "DONE", _("Done")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VALIDATING)
    file = models.FileField(upload_to="batches/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    row_count = models.PositiveIntegerField(default=0)  # data rows, the header not counted
    invoice_count = models.PositiveIntegerField(default=0)  # distinct document numbers
    valid_count = models.PositiveIntegerField(default=0)
    invalid_count = models.PositiveIntegerField(default=0)
    validated_rows = models.PositiveIntegerField(default=0)  # progress of the validation task
    error_count = models.PositiveIntegerField(default=0)
    # File-level problems (status INVALID) and problems of the whole batch (e.g. an incomplete supplier
    # profile), as [{"row", "column", "message", "code"}]; per-row errors live on BatchRow.
    file_errors = models.JSONField(default=list, blank=True)
    error_summary = models.TextField(blank=True)
    submit_requested = models.BooleanField(default=False)  # submit as soon as validation is done
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by_key = models.ForeignKey(
        "tenants.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_by_key = models.ForeignKey(
        "tenants.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"

    def __str__(self):
        return f"CSV batch {self.file_name or self.pk}"


class BatchInvoice(TenantOwned):
    """The rows of a batch that share a document number: one invoice, as the create body it maps to."""

    class State(models.TextChoices):
        VALID = "VALID", _("Valid")
        INVALID = "INVALID", _("Invalid")
        CREATED = "CREATED", _("Created")
        REJECTED = "REJECTED", _("Refused at submission")

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="groups")
    document_number = models.CharField(max_length=200, blank=True)
    first_row = models.PositiveIntegerField()
    rows = models.JSONField(default=list)  # spreadsheet row numbers of its lines, in file order
    data = models.JSONField(default=dict)  # the invoice create body
    state = models.CharField(max_length=8, choices=State.choices)
    invoice = models.ForeignKey(Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["first_row"]
        indexes = [models.Index(fields=["batch", "state"]), models.Index(fields=["batch", "first_row"])]

    def __str__(self):
        return f"{self.document_number} (row {self.first_row})"


class BatchRow(TenantOwned):
    """One CSV line as given, with its errors: [{"column", "message", "code"}]."""

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="rows")
    group = models.ForeignKey(BatchInvoice, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    row = models.PositiveIntegerField()  # as a spreadsheet numbers it: the header is row 1
    values = models.JSONField(default=dict)  # the non-empty cells, by column name
    errors = models.JSONField(default=list, blank=True)
    has_errors = models.BooleanField(default=False)

    class Meta:
        ordering = ["row"]
        constraints = [models.UniqueConstraint(fields=["batch", "row"], name="one_batch_row_per_row")]
        indexes = [models.Index(fields=["batch", "has_errors", "row"])]

    def __str__(self):
        return f"row {self.row}"


# --- the buyer's side: invoices other businesses send this one through NRS ------------------------------------


class Supplier(TenantOwned):
    """A business that invoices this one through NRS: master data, filled from the invoices received."""

    name = models.CharField(max_length=200)
    tin = models.CharField(_("TIN"), max_length=20)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    address = models.CharField(_("street address"), max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    state_code = models.CharField(max_length=10, blank=True)  # as NRS sends them (reference codes)
    lga_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="NG")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["tenant", "tin"], name="one_supplier_per_tin")]

    def __str__(self):
        return self.name


class ReceivedInvoice(TenantOwned):
    """An invoice, credit or debit note a supplier certified with NRS and NRS delivered to this business.

    One row per IRN and business, however often or concurrently it is pulled (the constraint decides). `document`
    is NRS's document as pulled; the columns beside it are read off it for lists, filters and the VAT report."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACCEPTED = "accepted", _("Accepted")
        DISPUTED = "disputed", _("Disputed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    irn = models.CharField(max_length=120)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="invoices")
    invoice_type = models.CharField(max_length=12, choices=Invoice.Type.choices, default=Invoice.Type.INVOICE)
    document_number = models.CharField(max_length=50, blank=True)
    issue_date = models.DateField()
    due_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="NGN")
    line_extension = models.DecimalField(**MONEY, default=0)
    tax_total = models.DecimalField(**MONEY, default=0)  # the input VAT it carries
    payable = models.DecimalField(**MONEY, default=0)
    document = models.JSONField(default=dict)
    transmitted_at = models.DateTimeField(null=True, blank=True)  # when NRS says it was sent to this business

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_by_key = models.ForeignKey(
        "tenants.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)  # accepted or disputed
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dispute_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["tenant", "irn"], name="one_received_invoice_per_irn")]
        indexes = [models.Index(fields=["tenant", "issue_date"], name="received_by_issue_date")]

    def __str__(self):
        return f"{self.get_invoice_type_display()} {self.document_number or self.irn} from {self.supplier}"


class PurchasePull(models.Model):
    """Where a business's pulls of its received invoices stand: incremental from the last date seen."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True, related_name="purchase_pull")
    seen_through = models.DateField(null=True, blank=True)  # the next pull asks NRS from this date on
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)  # NRS's own words, shown on the inbox until a pull succeeds
    last_error_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"purchases of {self.tenant_id} seen through {self.seen_through}"
