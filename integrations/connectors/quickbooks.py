"""QuickBooks Online: customer invoices and credit memos become invoices, and each one's IRN goes back to it.

Through Intuit's own libraries: intuit-oauth (AuthClient) for the OAuth 2.0 authorization-code flow and the token
refresh, python-quickbooks for the Accounting API. Neither hard-codes a host we cannot change: AuthClient takes a
discovery-document URL as its "environment" (settings.QUICKBOOKS_OAUTH_URL, Intuit's production document by
default), and the QuickBooks client reads its API root from `api_url_v3`, which we set from
settings.QUICKBOOKS_BASE_URL. So tests run both against a local stand-in (tests/standins/quickbooks.py).

- credentials: {"access_token", "refresh_token", "expires_at", "refresh_expires_at"} (encrypted at rest); a refresh
  stores the new refresh token Intuit hands out, under a row lock so two runs never spend the same one.
- settings: {"realm_id"} (the company, from the connect callback).
- Read: `select * from Invoice|CreditMemo where Metadata.LastUpdatedTime >= <watermark>`, with each document's
  customer, items and tax codes read into its raw copy, so a retry after a mapping fix needs no second read.
- A foreign-currency document's ExchangeRate (home-currency units per unit of its CurrencyRef: the company's home
  currency is taken to be the naira) is the invoice's exchange rate.
- Write back: a sparse update of the invoice's (or credit memo's) PrivateNote — the "private note" only the
  business sees — with one "NRS e-invoice: …" line, replaced on each write. (Custom fields hold 31 characters and
  must be set up per company first; the private note needs nothing set up.)
"""

import json
import secrets
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks import QuickBooks
from quickbooks import exceptions as qb_errors
from requests_oauthlib import OAuth2Session

from integrations.connectors import books, sync
from integrations.connectors.models import Connector, SourceDocument
from invoicing.models import Invoice

KIND = Connector.Kind.QUICKBOOKS
MINOR_VERSION = 75  # the lowest minor version Intuit still serves
PAGE = 100
ENTITIES = ("Invoice", "CreditMemo")
NOTE_PREFIX = "NRS e-invoice:"
# The invoice's custom fields that may carry what QuickBooks has no place for (their names, as set up in QuickBooks).
TIN_FIELDS = ("TIN", "Customer TIN")
ORIGINAL_FIELDS = ("Original invoice",)
RECONNECT = "an admin connects it again under Settings → Connectors → Connect QuickBooks"


class _Timed:
    """A requests session that never waits on Intuit longer than settings.CONNECTORS_TIMEOUT."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", settings.CONNECTORS_TIMEOUT)
        return super().request(*args, **kwargs)


class _AuthClient(_Timed, AuthClient):
    pass


class _Session(_Timed, OAuth2Session):
    pass


def auth_client(redirect_uri: str = "", **tokens) -> AuthClient:
    """Intuit's OAuth client, its endpoints read from the discovery document (raises requests or AuthClientError)."""
    return _AuthClient(
        client_id=settings.QUICKBOOKS_CLIENT_ID,
        client_secret=settings.QUICKBOOKS_CLIENT_SECRET,
        redirect_uri=redirect_uri,
        environment=settings.QUICKBOOKS_OAUTH_URL,
        **tokens,
    )


# --- connecting (the portal's routes are in views_oauth.py) ----------------------------------------------------


def authorization_url(redirect_uri: str) -> tuple[str, str]:
    """Where to send the admin to let Flowpoint read their QuickBooks company, and the state to expect back."""
    state = secrets.token_urlsafe(24)
    client = auth_client(redirect_uri, state_token=state)
    return client.get_authorization_url([Scopes.ACCOUNTING], state_token=state), state


def connect(connector: Connector, *, code: str, realm_id: str, redirect_uri: str) -> None:
    """Exchange the callback's code for tokens; keep them (encrypted) and the company id."""
    client = auth_client(redirect_uri)
    client.get_bearer_token(code, realm_id=realm_id)
    connector.credentials = json.dumps(_tokens(client))
    connector.settings = {**(connector.settings or {}), "realm_id": realm_id}
    connector.save(update_fields=["credentials", "settings", "updated_at"])


def _tokens(client: AuthClient) -> dict:
    now = timezone.now()
    refresh_for = int(client.x_refresh_token_expires_in or 0) or 100 * 24 * 3600
    return {
        "access_token": client.access_token,
        "refresh_token": client.refresh_token,
        "expires_at": (now + timedelta(seconds=int(client.expires_in or 3600))).isoformat(),
        "refresh_expires_at": (now + timedelta(seconds=refresh_for)).isoformat(),
    }


def _credentials(connector: Connector) -> dict:
    try:
        found = json.loads(connector.credentials or "{}")
    except ValueError:
        found = {}
    if not found.get("refresh_token") or not (connector.settings or {}).get("realm_id"):
        raise sync.SourceUnreachable(f"QuickBooks is not connected yet: {RECONNECT}.")
    return found


def _refresh(connector: Connector, spent: dict) -> dict:
    """New tokens for old. Intuit may hand out a new refresh token each time and the old one then stops working, so
    the row is locked: a second run waiting here uses the tokens the first one stored."""
    with transaction.atomic():
        row = Connector.objects.select_for_update().get(pk=connector.pk)
        current = json.loads(row.credentials or "{}")
        if current.get("access_token") != spent.get("access_token"):
            connector.credentials = row.credentials
            return current  # refreshed meanwhile
        try:
            client = auth_client(refresh_token=current.get("refresh_token"))
            client.refresh()
        except AuthClientError as exc:
            if exc.status_code in (400, 401):
                raise sync.SourceUnreachable(
                    f"QuickBooks no longer accepts this connection (its sign-in expired or was revoked): {RECONNECT}."
                ) from exc
            raise sync.SourceUnreachable(_unreachable(f"its sign-in service answered {exc.status_code}")) from exc
        except requests.RequestException as exc:
            raise sync.SourceUnreachable(_unreachable("its sign-in service could not be reached")) from exc
        fresh = _tokens(client)
        row.credentials = connector.credentials = json.dumps(fresh)
        row.save(update_fields=["credentials", "updated_at"])
        return fresh


def _unreachable(why: str) -> str:
    return f"QuickBooks could not be read: {why}. The next run tries again."


def _expired(tokens: dict) -> bool:
    try:
        return datetime.fromisoformat(tokens["expires_at"]) <= timezone.now() + timedelta(seconds=60)
    except (KeyError, ValueError):
        return True


def _client(connector: Connector, tokens: dict) -> QuickBooks:
    client = QuickBooks(company_id=connector.settings["realm_id"], minorversion=MINOR_VERSION)
    client.api_url_v3 = settings.QUICKBOOKS_BASE_URL.rstrip("/")
    client.session = _Session(settings.QUICKBOOKS_CLIENT_ID, token={"access_token": tokens["access_token"]})
    return client


def _with_client(connector: Connector, work):
    """Run `work(client)`, refreshing an expired access token first, and once more if QuickBooks refuses it."""
    tokens = _credentials(connector)
    if _expired(tokens):
        tokens = _refresh(connector, tokens)
    try:
        try:
            return work(_client(connector, tokens))
        except qb_errors.AuthorizationException as exc:
            if exc.error_code not in (401, 3200, 3201):
                raise
            return work(_client(connector, _refresh(connector, tokens)))
    except qb_errors.AuthorizationException as exc:
        raise sync.SourceUnreachable(
            f"QuickBooks refused access ({exc.message}): {RECONNECT}, with an admin user of that company."
        ) from exc
    except qb_errors.QuickbooksException as exc:
        raise sync.SourceUnreachable(_unreachable(f"it answered “{exc.message}” {exc.detail}".strip())) from exc
    except requests.RequestException as exc:
        raise sync.SourceUnreachable(_unreachable("it could not be reached")) from exc


# --- reading ----------------------------------------------------------------------------------------------------


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _query_all(client: QuickBooks, select: str) -> list[dict]:
    found, start = [], 1
    while True:
        answer = client.query(f"{select} startposition {start} maxresults {PAGE}")["QueryResponse"]
        page = next((value for key, value in answer.items() if isinstance(value, list)), [])
        found += page
        if len(page) < PAGE:
            return found
        start += PAGE


def _read(client: QuickBooks, entity: str, ids, cache: dict) -> dict:
    for found in ids:
        if found and (entity, found) not in cache:
            cache[entity, found] = client.get_single_object(entity, found)[entity]
    return {found: cache[entity, found] for found in ids if found}


class QuickBooksSource:
    def fetch(self, connector: Connector) -> sync.Batch:
        since = connector.watermark

        def read(client):
            documents, cache = [], {}
            for entity in ENTITIES:
                # ">=": a document changed in the same second as the last one read is read again, never skipped (a
                # second read creates nothing).
                where = f" where Metadata.LastUpdatedTime >= '{since}'" if since else ""
                for found in _query_all(client, f"select * from {entity}{where} orderby Metadata.LastUpdatedTime"):
                    lines = [line.get("SalesItemLineDetail") or {} for line in found.get("Line", [])]
                    raw = {
                        "type": entity,
                        "document": found,
                        "customer": _read(client, "Customer", [found.get("CustomerRef", {}).get("value")], cache),
                        "items": _read(client, "Item", [d.get("ItemRef", {}).get("value") for d in lines], cache),
                        "tax_codes": _read(
                            client, "TaxCode", [d.get("TaxCodeRef", {}).get("value") for d in lines], cache
                        ),
                    }
                    documents.append(raw)
            return documents

        documents = _with_client(connector, read)
        documents.sort(key=lambda raw: _when(raw["document"]["MetaData"]["LastUpdatedTime"]))
        listed = [
            sync.Listed(
                source_id=f"{raw['type']}:{raw['document']['Id']}",
                raw=raw,
                reference=raw["document"].get("DocNumber") or raw["document"]["Id"],
            )
            for raw in documents
        ]
        watermark = since
        if documents:
            watermark = _when(documents[-1]["document"]["MetaData"]["LastUpdatedTime"]).isoformat()
        return sync.Batch(listed, watermark=watermark)

    def to_invoice(self, connector: Connector, raw: dict) -> dict:
        document, entity = raw["document"], raw["type"]
        number = document.get("DocNumber") or f"QB-{document['Id']}"
        name = f"QuickBooks {'credit memo' if entity == 'CreditMemo' else 'invoice'} {number}"
        customer = next(iter(raw.get("customer", {}).values()), {})
        fields = {field.get("Name"): field.get("StringValue", "") for field in document.get("CustomField", [])}
        body = {
            "invoice_type": "credit_note" if entity == "CreditMemo" else "invoice",
            "document_number": number[:50],
            "issue_date": document.get("TxnDate"),
            "currency": document.get("CurrencyRef", {}).get("value") or "NGN",
            "customer": _customer(customer, document, fields),
            "lines": [],
        }
        body["invoice_kind"] = "B2B" if body["customer"]["tin"] else "B2C"
        rate = document.get("ExchangeRate")
        if body["currency"] != "NGN" and rate not in (None, ""):
            # QuickBooks' rate is home-currency units for one unit of CurrencyRef: for a Nigerian company's books,
            # naira per unit, the invoice's own rate (so the business's rates table is not needed).
            body["exchange_rate"] = books.amount(rate)
        books.with_lga(connector, body, document=name)
        if document.get("DueDate"):
            body["due_date"] = document["DueDate"]
        memo = (document.get("CustomerMemo") or {}).get("value")
        if memo:
            body["note"] = memo[:2000]
        if entity == "CreditMemo":
            body["original_invoice_id"] = _original(connector, document, fields, name)
        for index, line in enumerate(document.get("Line", []), start=1):
            kind = line.get("DetailType")
            if kind in ("SubTotalLineDetail", "DescriptionOnly"):
                continue
            if kind != "SalesItemLineDetail":
                raise sync.MappingError(
                    f"{name}: its line {index} is a {kind or 'line'} NRS cannot take (a discount for the whole "
                    "invoice, for example). Put it on the item lines in QuickBooks; the next run reads it again."
                )
            body["lines"].append(_line(connector, line, raw, name, index))
        return body

    def write_back(self, connector: Connector, document: SourceDocument, invoice: Invoice) -> None:
        entity, _, qb_id = document.source_id.partition(":")
        if invoice.status == Invoice.Status.FAILED:
            said = f"{NOTE_PREFIX} refused by NRS; see Flowpoint ({invoice.document_number})."
        else:
            said = f"{NOTE_PREFIX} IRN {invoice.irn} ({invoice.get_status_display().lower()})"

        def write(client):
            current = client.get_single_object(entity, qb_id)[entity]
            kept = [
                line for line in (current.get("PrivateNote") or "").splitlines() if not line.startswith(NOTE_PREFIX)
            ]
            body = {
                "Id": qb_id,
                "SyncToken": current["SyncToken"],
                "sparse": True,
                "PrivateNote": "\n".join([*kept, said])[:4000],
            }
            client.update_object(entity, json.dumps(body))

        _with_client(connector, write)


def _customer(customer: dict, document: dict, fields: dict) -> dict:
    address = document.get("BillAddr") or customer.get("BillAddr") or {}
    tin = next((fields[name] for name in TIN_FIELDS if fields.get(name)), "")
    given = customer.get("PrimaryTaxIdentifier") or ""
    if not tin and given and "X" not in given.upper():  # QuickBooks masks it (XXXXX6789) for most apps
        tin = given
    email = (document.get("BillEmail") or customer.get("PrimaryEmailAddr") or {}).get("Address", "")
    country = (address.get("Country") or "").strip()
    return {
        "name": customer.get("CompanyName") or customer.get("DisplayName") or "",
        "tin": tin.strip(),
        "email": email,
        "phone": (customer.get("PrimaryPhone") or {}).get("FreeFormNumber", ""),
        "address": ", ".join(part for part in (address.get("Line1"), address.get("Line2")) if part),
        "city": address.get("City", ""),
        "postal_code": address.get("PostalCode", ""),
        "state": books.state_code(address.get("CountrySubDivisionCode", "")),
        # A country QuickBooks holds by name other than Nigeria is passed on as is: the service says it wants a code.
        "country": "NG"
        if country.casefold() in ("", "nigeria")
        else (country.upper() if len(country) == 2 else country),
    }


def _line(connector: Connector, line: dict, raw: dict, name: str, index: int) -> dict:
    detail = line["SalesItemLineDetail"]
    item_id = detail.get("ItemRef", {}).get("value")
    item = raw.get("items", {}).get(item_id, {})
    tax_id = detail.get("TaxCodeRef", {}).get("value")
    if not tax_id:
        raise sync.MappingError(
            f"{name}, line {index}: has no tax code. Give it one in QuickBooks; the next run reads it again."
        )
    tax = raw.get("tax_codes", {}).get(tax_id, {})
    quantity = detail.get("Qty") or 1
    price = detail.get("UnitPrice")
    if price in (None, ""):  # QuickBooks leaves the price out when only the amount was typed
        price = Decimal(str(line.get("Amount") or 0)) / Decimal(str(quantity))
    code = item.get("Sku") or item.get("Name") or detail.get("ItemRef", {}).get("name", "")
    result = {
        "description": (line.get("Description") or item.get("Name") or code)[:300],
        "quantity": books.amount(quantity),
        "unit_price": books.amount(price),
        "tax_scheme": books.tax_category(connector, [tax.get("Name") or tax_id, tax_id], document=name, line=index),
        **books.product_codes(connector, code, document=name, line=index, name=item.get("Name", "")),
    }
    # The item's unit, where QuickBooks holds one ("Unit of measure" on the item); most items hold none.
    unit = books.unit(connector, item.get("UQCDisplayText") or "", document=name, line=index)
    if unit:
        result["unit_of_measure"] = unit
    return result


def _original(connector: Connector, document: dict, fields: dict, name: str) -> str:
    """The certified invoice a credit memo corrects: a linked QuickBooks invoice, or the invoice number its
    "Original invoice" custom field names."""
    linked = [txn.get("TxnId") for txn in document.get("LinkedTxn", []) if txn.get("TxnType") == "Invoice"]
    documents = SourceDocument.objects.filter(connector=connector, invoice__isnull=False)
    found = documents.filter(source_id__in=[f"Invoice:{txn}" for txn in linked]).first() if linked else None
    number = next((fields[key] for key in ORIGINAL_FIELDS if fields.get(key)), "")
    if found is None and number:
        found = documents.filter(source_id__startswith="Invoice:", reference=number).first()
    if found is None:
        raise sync.MappingError(
            f"{name}: NRS needs the invoice it corrects. Link it to the invoice in QuickBooks, or fill its "
            "“Original invoice” custom field with that invoice's number, then retry this document."
        )
    if found.invoice.status not in Invoice.CERTIFIED_STATUSES:
        raise sync.MappingError(
            f"{name}: the invoice it corrects ({found.reference}) is not certified by NRS yet. Retry this document "
            "once it is."
        )
    return str(found.invoice_id)


SOURCE = QuickBooksSource()
sync.register(KIND, SOURCE)
