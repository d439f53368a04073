"""Odoo: posted customer invoices and refunds (account.move) become invoices, and each one's IRN is posted back.

Through Odoo's external XML-RPC API (the standard library's xmlrpc.client): `/xmlrpc/2/common` authenticate gives
the user id, `/xmlrpc/2/object` execute_kw reads and writes models, with an API key in place of the password.

- settings: {"url", "db", "username"}; credentials: {"api_key"} (encrypted at rest).
- Read: account.move with [('move_type', 'in', ['out_invoice', 'out_refund']), ('state', '=', 'posted'),
  ('write_date', '>=', <watermark>)], oldest change first, with its partner, lines (account.move.line), their
  products and taxes (account.tax) read into its raw copy, so a retry after a mapping fix needs no second read.
- Write back: message_post on the move (a note in its chatter, "Certified by NRS. IRN: …"), which every Odoo has;
  writing a field would need one added to account.move, and `ref` is the customer's own reference.
"""

import http.client
import json
import xmlrpc.client
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings as django_settings

from integrations.connectors import books, sync
from integrations.connectors.models import Connector, SourceDocument
from integrations.connectors.reach import host_problem
from invoicing.models import Invoice

KIND = Connector.Kind.ODOO
PAGE = 100
MOVE_FIELDS = [
    "name",
    "move_type",
    "state",
    "partner_id",
    "invoice_date",
    "invoice_date_due",
    "currency_id",
    "ref",
    "narration",
    "invoice_line_ids",
    "reversed_entry_id",
    "write_date",
]
LINE_FIELDS = ["name", "display_type", "product_id", "quantity", "price_unit", "discount", "tax_ids", "product_uom_id"]
PARTNER_FIELDS = ["name", "vat", "email", "phone", "street", "street2", "city", "zip", "state_id", "country_code"]
FIX_SETTINGS = "Correct it under Settings → Connectors"


class _Timeout:
    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = django_settings.CONNECTORS_TIMEOUT
        return connection


class _Transport(_Timeout, xmlrpc.client.Transport):
    pass


class _SafeTransport(_Timeout, xmlrpc.client.SafeTransport):
    pass


class Odoo:
    """One connector's session: authenticated once, then execute_kw on the models."""

    def __init__(self, connector: Connector):
        given = connector.settings or {}
        self.url = str(given.get("url", "")).rstrip("/")
        self.db, self.username = given.get("db", ""), given.get("username", "")
        try:
            self.key = json.loads(connector.credentials or "{}").get("api_key", "")
        except ValueError:
            self.key = ""
        if not (self.url and self.db and self.username and self.key):
            raise sync.SourceUnreachable(
                f"Odoo is not set up yet: its address, database, user and API key are needed. {FIX_SETTINGS}."
            )
        self.uid = self._call("common", "authenticate", self.db, self.username, self.key, {})
        if not self.uid:
            raise sync.SourceUnreachable(
                f"Odoo refused the user “{self.username}” with this API key on database “{self.db}”. Create a new "
                f"API key in Odoo (your user → Preferences → Account Security → New API Key) and enter it under "
                "Settings → Connectors."
            )

    def _proxy(self, service: str):
        parts = urlsplit(self.url)
        problem = host_problem(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        if problem:  # checked at each run: the name may now resolve inside our network
            raise sync.SourceUnreachable(f"{problem} {FIX_SETTINGS}.")
        transport = _SafeTransport() if self.url.startswith("https:") else _Transport()
        return xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/{service}", transport=transport, allow_none=True)

    def _call(self, service: str, method: str, *args):
        try:
            return getattr(self._proxy(service), method)(*args)
        except xmlrpc.client.Fault as fault:
            said = str(fault.faultString).strip().splitlines()[-1][:300] if fault.faultString else ""
            if "Access Denied" in said or fault.faultCode == 3:
                raise sync.SourceUnreachable(
                    f"Odoo refused the API key of “{self.username}”. Create a new one in Odoo and enter it under "
                    "Settings → Connectors."
                ) from fault
            if "does not exist" in said and "database" in said.lower():
                raise sync.SourceUnreachable(f"Odoo has no database “{self.db}”. {FIX_SETTINGS}.") from fault
            raise sync.SourceUnreachable(f"Odoo answered with an error: “{said}”. The next run tries again.") from fault
        except xmlrpc.client.ProtocolError as exc:
            raise sync.SourceUnreachable(
                f"Odoo at {self.url} answered {exc.errcode} {exc.errmsg}: is the address right? {FIX_SETTINGS}."
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise sync.SourceUnreachable(
                f"Odoo at {self.url} could not be reached. The next run tries again; if the address is wrong, "
                "correct it under Settings → Connectors."
            ) from exc

    def execute(self, model: str, method: str, args: list, options: dict | None = None):
        return self._call("object", "execute_kw", self.db, self.uid, self.key, model, method, args, options or {})

    def read(self, model: str, ids, fields: list) -> dict:
        ids = sorted({found for found in ids if found})
        if not ids:
            return {}
        return {str(row["id"]): row for row in self.execute(model, "read", [ids], {"fields": fields})}


def _id(value):
    """A many2one as Odoo answers it: [id, name], or False."""
    return value[0] if isinstance(value, list | tuple) and value else None


def _name(value) -> str:
    return value[1] if isinstance(value, list | tuple) and len(value) > 1 else ""


class OdooSource:
    def fetch(self, connector: Connector) -> sync.Batch:
        odoo = Odoo(connector)
        domain = [["move_type", "in", ["out_invoice", "out_refund"]], ["state", "=", "posted"]]
        if connector.watermark:
            # ">=": a move changed in the same second as the last one read is read again, never skipped.
            domain.append(["write_date", ">=", connector.watermark])
        moves, offset = [], 0
        while True:
            page = odoo.execute(
                "account.move",
                "search_read",
                [domain],
                {"fields": MOVE_FIELDS, "order": "write_date asc, id asc", "limit": PAGE, "offset": offset},
            )
            moves += page
            if len(page) < PAGE:
                break
            offset += PAGE
        lines = odoo.read(
            "account.move.line", [line for move in moves for line in move["invoice_line_ids"]], LINE_FIELDS
        )
        partners = odoo.read("res.partner", [_id(move["partner_id"]) for move in moves], PARTNER_FIELDS)
        products = odoo.read(
            "product.product", [_id(line.get("product_id")) for line in lines.values()], ["default_code", "name"]
        )
        taxes = odoo.read(
            "account.tax",
            [tax for line in lines.values() for tax in line.get("tax_ids") or []],
            ["name", "amount", "amount_type"],
        )
        listed = []
        for move in moves:
            mine = [lines[str(line)] for line in move["invoice_line_ids"] if str(line) in lines]
            raw = {
                "move": move,
                "partner": partners.get(str(_id(move["partner_id"])), {}),
                "lines": mine,
                "products": {
                    key: products[key] for key in {str(_id(line.get("product_id"))) for line in mine} if key in products
                },
                "taxes": {
                    str(tax): taxes[str(tax)] for line in mine for tax in line.get("tax_ids") or [] if str(tax) in taxes
                },
            }
            listed.append(sync.Listed(source_id=str(move["id"]), raw=raw, reference=move["name"]))
        return sync.Batch(listed, watermark=moves[-1]["write_date"] if moves else connector.watermark)

    def to_invoice(self, connector: Connector, raw: dict) -> dict:
        move, partner = raw["move"], raw.get("partner", {})
        refund = move["move_type"] == "out_refund"
        name = f"Odoo {'credit note' if refund else 'invoice'} {move['name']}"
        currency = _name(move.get("currency_id")) or "NGN"
        body = {
            "invoice_type": "credit_note" if refund else "invoice",
            "document_number": move["name"][:50],
            "issue_date": move.get("invoice_date") or move["write_date"][:10],
            "currency": currency[:3],
            "customer": {
                "name": partner.get("name") or _name(move.get("partner_id")),
                "tin": partner.get("vat") or "",
                "email": partner.get("email") or "",
                "phone": partner.get("phone") or "",
                "address": ", ".join(part for part in (partner.get("street"), partner.get("street2")) if part),
                "city": partner.get("city") or "",
                "postal_code": partner.get("zip") or "",
                "state": books.state_code(_name(partner.get("state_id"))),
                "country": partner.get("country_code") or "NG",
            },
            "lines": [],
        }
        body["invoice_kind"] = "B2B" if body["customer"]["tin"] else "B2C"
        books.with_lga(connector, body, document=name, district=partner.get("street2") or "")
        if move.get("invoice_date_due"):
            body["due_date"] = move["invoice_date_due"]
        if move.get("ref"):
            body["po_reference"] = move["ref"][:100]
        if refund:
            body["original_invoice_id"] = _original(connector, move, name)
        number = 0
        for line in raw.get("lines", []):
            if line.get("display_type") not in (None, False, "product"):
                continue  # sections and notes
            number += 1
            body["lines"].append(_line(connector, line, raw, name, number))
        if not body["lines"]:
            raise sync.NotAnInvoice(f"{name} has no product lines.")
        return body

    def write_back(self, connector: Connector, document: SourceDocument, invoice: Invoice) -> None:
        if invoice.status == Invoice.Status.FAILED:
            said = f"NRS refused this invoice; see {invoice.document_number} in Flowpoint for why."
        else:
            said = f"{invoice.get_status_display()} by NRS. IRN: {invoice.irn}"
        Odoo(connector).execute("account.move", "message_post", [[int(document.source_id)]], {"body": said})


def _line(connector: Connector, line: dict, raw: dict, name: str, number: int) -> dict:
    product = raw.get("products", {}).get(str(_id(line.get("product_id"))), {})
    taxes = [raw.get("taxes", {}).get(str(tax), {"name": str(tax)}) for tax in line.get("tax_ids", [])]
    if len(taxes) != 1:
        raise sync.MappingError(
            f"{name}, line {number}: has {'no tax' if not taxes else f'{len(taxes)} taxes'}; NRS takes exactly one tax "
            "per line. Correct the line in Odoo (a credit note there if it is posted); the next run reads it again."
        )
    tax = taxes[0]
    quantity = Decimal(str(line.get("quantity") or 0))
    price = Decimal(str(line.get("price_unit") or 0))
    result = {
        "description": (line.get("name") or product.get("name") or "")[:300],
        "quantity": books.amount(quantity),
        "unit_price": books.amount(price),
        "tax_scheme": books.tax_category(
            connector, [tax.get("name"), str(tax.get("id", ""))], document=name, line=number
        ),
        **books.product_codes(
            connector, product.get("default_code") or "", document=name, line=number, name=product.get("name", "")
        ),
    }
    if tax.get("amount_type", "percent") == "percent" and tax.get("amount") not in (None, False):
        result["tax_rate"] = books.amount(tax["amount"])
    if line.get("discount"):  # Odoo's discount is a percentage; the body's is an amount
        result["discount"] = books.amount(
            (quantity * price * Decimal(str(line["discount"])) / 100).quantize(Decimal("0.01"))
        )
    unit = books.unit(connector, _name(line.get("product_uom_id")), document=name, line=number)
    if unit:
        result["unit_of_measure"] = unit
    return result


def _original(connector: Connector, move: dict, name: str) -> str:
    original = _id(move.get("reversed_entry_id"))
    found = (
        SourceDocument.objects.filter(connector=connector, source_id=str(original), invoice__isnull=False).first()
        if original
        else None
    )
    if found is None:
        raise sync.MappingError(
            f"{name}: NRS needs the invoice it corrects, and this credit note is not a reversal of an invoice read "
            "from Odoo. Create it in Odoo with “Credit Note” on the invoice, then retry this document."
        )
    if found.invoice.status not in Invoice.CERTIFIED_STATUSES:
        raise sync.MappingError(
            f"{name}: the invoice it corrects ({found.reference}) is not certified by NRS yet. Retry this document "
            "once it is."
        )
    return str(found.invoice_id)


SOURCE = OdooSource()
sync.register(KIND, SOURCE)
