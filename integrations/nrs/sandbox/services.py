"""The sandbox's behaviour: issuing businesses and keys, validating documents the way NRS does."""

import base64
import hashlib
import json
import re
import secrets
import string
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from django.db import transaction

from integrations.nrs.fields import MANDATORY
from integrations.nrs.payload import tax_currency_entry
from integrations.nrs.qr import qr_payload
from integrations.nrs.sandbox.models import SandboxBusiness, SandboxCredential, SandboxFaults, SandboxInvoice
from integrations.nrs.totals import DEDUCTED_CATEGORIES
from integrations.reference.models import Currency, HsCode, InvoiceType, Lga, ServiceCode, State, TaxCategory

_ALNUM = string.ascii_uppercase + string.digits


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- businesses and credentials ----------------------------------------------------------------


@transaction.atomic
def business_provision(*, name: str, tin: str = "", email: str = "") -> dict:
    """A new sandbox business: entity, service id, API key/secret and an RSA-2048 key pair.

    Returns what NRS would hand the taxpayer, including the crypto-key file; the secret exists only here.
    """
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    service_id = "".join(secrets.choice(_ALNUM) for _ in range(8))
    while SandboxBusiness.objects.filter(service_id=service_id).exists():
        service_id = "".join(secrets.choice(_ALNUM) for _ in range(8))
    business = SandboxBusiness.objects.create(
        name=name,
        tin=tin,
        email=email,
        service_id=service_id,
        private_key_pem=private_pem.decode(),
        public_key_pem=public_pem.decode(),
        certificate=base64.b64encode(secrets.token_bytes(48)).decode(),
    )
    api_key = secrets.token_hex(16)
    api_secret = secrets.token_urlsafe(32)
    SandboxCredential.objects.create(business=business, api_key=api_key, secret_hash=sha256(api_secret))
    return {
        "business_id": str(business.business_id),
        "service_id": business.service_id,
        "api_key": api_key,
        "api_secret": api_secret,
        "crypto_keys": key_file(business),
    }


def key_file(business: SandboxBusiness) -> dict:
    """The crypto_keys.txt content NRS's portal lets a taxpayer download."""
    return {
        "public_key": base64.b64encode(business.public_key_pem.encode()).decode(),
        "certificate": business.certificate,
    }


def issuer_qr_code(invoice) -> str:
    """The QR payload of a signed invoice as its issuer printed it (NRS.md: the IRN with the signing time and the
    issuer's certificate, encrypted with the issuer's public key). NRS holds the issuer's key pair, so it can hand
    the buyer the same code with the invoice; the buyer cannot make it, having neither key."""
    return qr_payload(irn=invoice.irn, key_file=json.dumps(key_file(invoice.business)), when=invoice.signed_at)


def buyer_tin(document: dict) -> str:
    """The TIN NRS routes a transmitted invoice to: its buyer's."""
    party = document.get("accounting_customer_party")
    return str(party.get("tin") or "").strip()[:40] if isinstance(party, dict) else ""


def delivered_document(invoice: SandboxInvoice) -> dict:
    """A transmitted invoice as its buyer's pull receives it: the document with its IRN, when it was transmitted,
    and the QR code its issuer printed."""
    return {
        **invoice.document,
        "irn": invoice.irn,
        "transmitted_at": invoice.transmitted_at.isoformat(),
        "qr_code": issuer_qr_code(invoice),  # what the issuer printed, for the buyer's copy
    }


def business_for_credentials(api_key: str, api_secret: str) -> SandboxBusiness | None:
    credential = SandboxCredential.objects.select_related("business").filter(api_key=api_key).first()
    if credential and secrets.compare_digest(credential.secret_hash, sha256(api_secret)):
        return credential.business
    return None


def qr_decrypt(business: SandboxBusiness, payload_b64: str) -> dict:
    """What NRS does with a scanned QR code: decrypt with the business's private key."""
    private_key = serialization.load_pem_private_key(business.private_key_pem.encode(), password=None)
    plaintext = private_key.decrypt(base64.b64decode(payload_b64), padding.PKCS1v15())
    return json.loads(plaintext)


def faults() -> dict:
    row = SandboxFaults.objects.order_by("pk").first()
    if row is None:
        return dict(settings.NRS_SANDBOX_FAULTS)
    return {
        "latency_ms": row.latency_ms,
        "error_rate": row.error_rate,
        "timeout_rate": row.timeout_rate,
        "offline_rate": row.offline_rate,
        "lost_response_rate": row.lost_response_rate,
        "throttle_rate": row.throttle_rate,
        "retry_after_seconds": row.retry_after_seconds,
        "strict": row.strict,
    }


# --- document validation -----------------------------------------------------------------------

IRN_RE = re.compile(r"^(?P<number>[A-Za-z0-9]+)-(?P<service>[A-Z0-9]{8})-(?P<date>\d{8})$")
IRN_TEMPLATE_ERROR = "irn validation failed for this business, refer to the template and try again"


class DocumentInvalid(Exception):
    """`details` is spelled the way NRS spells it: lower-cased dotted paths."""

    def __init__(self, details: str):
        super().__init__(details)
        self.details = details


def _path(*parts) -> str:
    return "invoicerequest.invoice." + ".".join(str(p).replace("_", "") for p in parts)


def _fail(*parts_and_message):
    *parts, message = parts_and_message
    raise DocumentInvalid(f"{_path(*parts)} {message}")


def irn_check(business: SandboxBusiness, irn: str, issue_date: str | None = None) -> None:
    match = IRN_RE.match(irn or "")
    if not match or match["service"] != business.service_id:
        raise DocumentInvalid(IRN_TEMPLATE_ERROR)
    try:
        day = date(int(match["date"][:4]), int(match["date"][4:6]), int(match["date"][6:]))
    except ValueError:
        raise DocumentInvalid(IRN_TEMPLATE_ERROR) from None
    if issue_date and day.isoformat() != issue_date:
        raise DocumentInvalid(IRN_TEMPLATE_ERROR)


def _money(value, *path) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        _fail(*path, "must be a number")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        _fail(*path, "must be a number")


def _party(party, name: str, *, region_required: bool = True) -> None:
    """A party of the document. The buyer's state and LGA are checked when given: Flowpoint's published
    contract does not require them of a B2B/B2G buyer, and MBS accepts buyers without them."""
    if not isinstance(party, dict):
        _fail(name, "is required")
    for field in ("party_name", "tin", "email", "postal_address"):
        if not party.get(field):
            _fail(name, field, "is required")
    if len(str(party["tin"])) < 5:
        _fail(name, "tin", "must be at least in length or value 5")
    if party.get("telephone") and not str(party["telephone"]).startswith("+"):
        _fail(name, "telephone", "must start with +")
    address = party["postal_address"]
    if not isinstance(address, dict):
        _fail(name, "postal_address", "is required")
    required = (
        ("street_name", "city_name", "lga", "state", "country") if region_required else ("street_name", "city_name")
    )
    for field in required:
        if not address.get(field):
            _fail(name, "postal_address", field, "is required")
    if not region_required and not address.get("state") and not address.get("lga"):
        return
    state = State.objects.filter(code=address.get("state")).first()
    if state is None:
        _fail(name, "postal_address", "state", "must be a valid state, refer to the invoice resource apis")
    lga = Lga.objects.filter(code=address.get("lga")).first()
    if lga is None:
        _fail(name, "postal_address", "lga", "must be a valid lga, refer to the invoice resource apis")
    if lga.state_id != state.code:
        _fail(name, "postal_address", "lga", "does not belong to the state provided")


def document_check(business: SandboxBusiness, doc, *, strict: bool) -> None:
    """Raise DocumentInvalid with NRS's wording for the first problem, as MBS does."""
    if not isinstance(doc, dict):
        raise DocumentInvalid("invoicerequest.invoice must be a json object")
    for field in MANDATORY:
        if doc.get(field) in (None, "", []):
            _fail(field, "is required")
    if str(doc["business_id"]) != str(business.business_id):
        _fail("business_id", "does not match the business of the api key")
    try:
        date.fromisoformat(str(doc["issue_date"]))
    except ValueError:
        _fail("issue_date", "must be a valid date in the format yyyy-mm-dd")
    irn_check(business, str(doc["irn"]), str(doc["issue_date"]))
    if not InvoiceType.objects.filter(code=str(doc["invoice_type_code"])).exists():
        _fail("invoice_type_code", "must be a valid invoice type, refer to the invoice resource apis")
    for field in ("document_currency_code", "tax_currency_code"):
        if not Currency.objects.filter(code=doc[field]).exists():
            _fail(field, "must be a valid currency, refer to the invoice resource apis")
    _party(doc["accounting_supplier_party"], "accounting_supplier_party")
    kind = doc.get("invoice_kind")
    if kind in ("B2B", "B2G") or doc.get("accounting_customer_party"):
        _party(doc.get("accounting_customer_party"), "accounting_customer_party", region_required=False)
    if str(doc["invoice_type_code"]) in ("380", "384"):
        refs = doc.get("billing_reference")
        if not isinstance(refs, list) or not refs or not all(isinstance(r, dict) and r.get("irn") for r in refs):
            _fail("billing_reference", "is required for credit and debit notes")

    lines_total = Decimal(0)
    if not isinstance(doc["invoice_line"], list):
        _fail("invoice_line", "must be a list")
    for i, line in enumerate(doc["invoice_line"]):
        where = f"invoice_line[{i}]"
        if not isinstance(line, dict):
            _fail(where, "must be an object")
        if line.get("hsn_code"):
            if not HsCode.objects.filter(code=line["hsn_code"]).exists():
                _fail(where, "hsn_code", "must be a valid hs code, refer to the invoice resource apis")
        elif line.get("isic_code"):
            if not ServiceCode.objects.filter(code=str(line["isic_code"])).exists():
                _fail(where, "isic_code", "must be a valid service code, refer to the invoice resource apis")
        else:
            _fail(where, "hsn_code", "is required")
        quantity = _money(line.get("invoiced_quantity"), where, "invoiced_quantity")
        if quantity <= 0:
            _fail(where, "invoiced_quantity", "must be greater than 0")
        price = line.get("price")
        if not isinstance(price, dict) or price.get("price_amount") is None:
            _fail(where, "price", "is required")
        if not isinstance(line.get("item"), dict) or not line["item"].get("name"):
            _fail(where, "item", "name", "is required")
        amount = _money(line.get("line_extension_amount"), where, "line_extension_amount")
        if strict:
            discount = _money(line.get("discount_amount", line.get("dicount_amount", 0)) or 0, where, "discount_amount")
            fee = _money(line.get("fee_amount", 0) or 0, where, "fee_amount")
            expected = quantity * _money(price["price_amount"], where, "price", "price_amount") - discount + fee
            if _q(expected) != _q(amount):
                _fail(where, "line_extension_amount", f"must equal quantity x price - discount + fee ({_q(expected)})")
        lines_total += amount

    added = withheld = Decimal(0)
    if not isinstance(doc["tax_total"], list):
        _fail("tax_total", "must be a list")
    for i, total in enumerate(doc["tax_total"]):
        if i == tax_currency_entry(doc):
            # The tax in the tax currency (UBL): another currency than the totals, so not part of their sum.
            _money((total or {}).get("tax_amount"), f"tax_total[{i}]", "tax_amount")
            continue
        subtotals = (total or {}).get("tax_subtotal") or []
        subtotal_sum = Decimal(0)
        for j, sub in enumerate(subtotals):
            category = (sub or {}).get("tax_category") or {}
            if not TaxCategory.objects.filter(code=category.get("id")).exists():
                _fail(
                    f"tax_total[{i}]",
                    f"tax_subtotal[{j}]",
                    "tax_category",
                    "id",
                    "must be a valid tax category, refer to the invoice resource apis",
                )
            if strict:
                taxable = _money(sub.get("taxable_amount"), f"tax_total[{i}]", f"tax_subtotal[{j}]", "taxable_amount")
                percent = _money(category.get("percent", 0), f"tax_total[{i}]", f"tax_subtotal[{j}]", "percent")
                tax = _money(sub.get("tax_amount"), f"tax_total[{i}]", f"tax_subtotal[{j}]", "tax_amount")
                if _q(taxable * percent / 100) != _q(tax):
                    _fail(
                        f"tax_total[{i}]", f"tax_subtotal[{j}]", "tax_amount", "does not match taxable amount x percent"
                    )
                subtotal_sum += tax
        amount = _money((total or {}).get("tax_amount"), f"tax_total[{i}]", "tax_amount")
        if strict and subtotals and _q(amount) != _q(subtotal_sum):
            _fail(f"tax_total[{i}]", "tax_amount", "must equal the sum of its tax subtotals")
        if _withheld_entry(subtotals):
            withheld += amount
        else:
            added += amount

    allowances = charges = Decimal(0)
    for i, item in enumerate(doc.get("allowance_charge") or []):
        if not isinstance(item, dict) or not isinstance(item.get("charge_indicator"), bool):
            _fail(
                f"allowance_charge[{i}]", "charge_indicator", "is required (true for a charge, false for an allowance)"
            )
        amount = _money(item.get("amount"), f"allowance_charge[{i}]", "amount")
        if item["charge_indicator"]:
            charges += amount
        else:
            allowances += amount

    totals = doc["legal_monetary_total"]
    if not isinstance(totals, dict):
        _fail("legal_monetary_total", "must be an object")
    for field in ("line_extension_amount", "tax_exclusive_amount", "tax_inclusive_amount", "payable_amount"):
        if totals.get(field) is None:
            _fail("legal_monetary_total", field, "is required")
    if strict:
        line_ext = _money(totals["line_extension_amount"], "legal_monetary_total", "line_extension_amount")
        if _q(line_ext) != _q(lines_total):
            _fail("legal_monetary_total", "line_extension_amount", "must equal the sum of the invoice lines")
        exclusive = _money(totals["tax_exclusive_amount"], "legal_monetary_total", "tax_exclusive_amount")
        if _q(exclusive) != _q(line_ext - allowances + charges):
            _fail(
                "legal_monetary_total",
                "tax_exclusive_amount",
                "must equal line extension amount minus allowances plus charges",
            )
        inclusive = _money(totals["tax_inclusive_amount"], "legal_monetary_total", "tax_inclusive_amount")
        if _q(inclusive) != _q(exclusive + added):
            _fail("legal_monetary_total", "tax_inclusive_amount", "must equal tax exclusive amount plus tax")
        payable = _money(totals["payable_amount"], "legal_monetary_total", "payable_amount")
        if _q(payable) != _q(inclusive - withheld):
            _fail("legal_monetary_total", "payable_amount", "must equal tax inclusive amount minus withheld tax")


def _withheld_entry(subtotals: list) -> bool:
    """An entry of deducted taxes only (WITHHOLDING_TAX): the buyer keeps it back, payable = tax_inclusive − it.
    Every other entry (the tax-currency one aside, left out above) is tax added to the price."""
    ids = {((sub or {}).get("tax_category") or {}).get("id") for sub in subtotals}
    return bool(subtotals) and ids <= DEDUCTED_CATEGORIES


def _q(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def stored_document_change(irn: str, path: tuple, value) -> None:
    """Change NRS's stored copy of a signed IRN at one place of its document (`path`: keys and list indexes), as
    if NRS's record differed from the issuer's: what an issuer's reconciliation must be able to notice."""
    from integrations.nrs.sandbox.models import SandboxInvoice

    invoice = SandboxInvoice.objects.get(irn=irn)
    target = invoice.document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    invoice.save(update_fields=["document"])


# --- invoices other businesses issued outside this portal (the demo's suppliers) ---------------------------------


def business_with_tin(*, name: str, tin: str, email: str = "") -> SandboxBusiness:
    """The sandbox business of a TIN, provisioned the first time it is asked for."""
    business = SandboxBusiness.objects.filter(tin=tin).order_by("created_at").first()
    if business is None:
        business = SandboxBusiness.objects.get(
            business_id=business_provision(name=name, tin=tin, email=email)["business_id"]
        )
    return business


@transaction.atomic
def invoice_signed_and_transmitted(business: SandboxBusiness, document: dict, *, at) -> SandboxInvoice:
    """What a supplier's sign and transmit calls leave in the store, for a document its own software built: checked
    as a strict sign checks it, stored, and routed to its buyer's TIN, signed and transmitted `at`.

    Once per document number of the business: the IRN ends with the issue date, so a document built again on
    another day has another IRN, and the number is what says it is the same invoice."""
    number_and_service = str(document["irn"]).rsplit("-", 1)[0]
    existing = SandboxInvoice.objects.filter(business=business, irn__startswith=f"{number_and_service}-").first()
    if existing:
        return existing
    document_check(business, document, strict=True)
    invoice = SandboxInvoice.objects.create(
        business=business,
        irn=document["irn"],
        document=json.loads(json.dumps(document, default=str)),  # as it came over the wire
        payment_status=document.get("payment_status") or "PENDING",
        transmitted_at=at,
        buyer_tin=buyer_tin(document),
    )
    SandboxInvoice.objects.filter(pk=invoice.pk).update(signed_at=at)  # auto_now_add took the present
    invoice.refresh_from_db()
    return invoice


def receipt_confirmed(invoice: SandboxInvoice, *, at) -> None:
    """What the buyer's transmit PATCH records: its confirmation of receipt, the first time only."""
    SandboxInvoice.objects.filter(pk=invoice.pk, transmit_confirmed_at__isnull=True).update(transmit_confirmed_at=at)
