"""Invoices as the API shows them: camelCase fields, money as decimal strings with 2 places, UTC times."""

from datetime import UTC

from django.urls import reverse


def iso(value):
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def money(value) -> str:
    return f"{value:.2f}"


def _party(data: dict) -> dict:
    address = data.get("address", {})
    return {
        "name": data.get("name", ""),
        "tin": data.get("tin", ""),
        "email": data.get("email", ""),
        "phone": data.get("telephone", ""),
        "address": address.get("street", ""),
        "city": address.get("city", ""),
        "postalCode": address.get("postal_zone", ""),
        "state": address.get("state", ""),
        "lga": address.get("lga", ""),
        "country": address.get("country", ""),
    }


def invoice_summary(invoice) -> dict:
    """The short form: lists, status polls."""
    data = {
        "invoiceId": str(invoice.pk),
        "documentNumber": invoice.document_number,
        "irn": invoice.irn or None,
        "invoiceKind": invoice.kind,
        "invoiceType": invoice.invoice_type,
        "status": invoice.status,
        "issueDate": invoice.issue_date.isoformat(),
        "currency": invoice.currency,
        "payableAmount": money(invoice.payable),
        "paymentStatus": invoice.payment_status,
        "customer": {"name": invoice.buyer.get("name", ""), "tin": invoice.buyer.get("tin", "")},
        "updatedAt": iso(invoice.updated_at),
    }
    if invoice.status == "FAILED":
        data["reason"] = invoice.nrs_reason
        data["detail"] = invoice.nrs_detail
    elif invoice.block_reason and invoice.status in ("BLOCKED", "PENDING_REVIEW", "PENDING_APPROVAL"):
        data["reason"] = invoice.block_reason
        data["detail"] = invoice.block_detail
    return data


def invoice_detail(invoice) -> dict:
    lines = [
        {
            "position": line.position + 1,
            "description": line.description,
            "quantity": f"{line.quantity.normalize():f}",
            "unitPrice": money(line.unit_price),
            "discount": money(line.discount),
            "hsnCode": line.hsn_code or None,
            "isicCode": line.isic_code or None,
            "taxScheme": line.tax_category,
            "taxRate": f"{line.tax_rate.normalize():f}",
            "unitOfMeasure": line.unit or None,
            "lineExtensionAmount": money(line.line_extension),
            "taxAmount": money(line.tax_amount),
            "itemId": line.item_id,
        }
        for line in invoice.lines.all()
    ]
    data = invoice_summary(invoice)
    data.update(
        {
            "typeCode": invoice.type_code,
            "dueDate": invoice.due_date.isoformat() if invoice.due_date else None,
            "note": invoice.note,
            "poReference": invoice.po_reference,
            "originalInvoiceId": str(invoice.original_id) if invoice.original_id else None,
            "customer": _party(invoice.buyer),
            "supplier": _party(invoice.supplier),
            "lines": lines,
            "totals": {
                "lineExtensionAmount": money(invoice.line_extension),
                "taxAmount": money(invoice.tax_total),
                "payableAmount": money(invoice.payable),
                "amountPaid": money(invoice.amount_paid),
                "amountDue": money(invoice.amount_due),
            },
            "paymentReported": invoice.payment_reported,
            "nrs": {
                "attempts": invoice.attempts,
                "signedAt": iso(invoice.signed_at),
                "transmittedAt": iso(invoice.transmitted_at),
                "certifiedAt": iso(invoice.certified_at),
                "nextAttemptAt": iso(invoice.next_attempt_at),
                "error": {"reason": invoice.nrs_reason, "details": invoice.nrs_detail} if invoice.nrs_reason else None,
            },
            "qrPayload": invoice.qr_payload or None,
            "b2cReportDeadline": iso(invoice.b2c_report_deadline),
            "createdAt": iso(invoice.created_at),
            "links": {
                "self": reverse("api_invoice_detail", args=[invoice.pk]),
                "pdf": reverse("api_invoice_pdf", args=[invoice.pk]) if invoice.is_certified else None,
            },
        }
    )
    return data
