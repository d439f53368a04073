"""Every change to webhooks goes through these functions: the endpoint (create, update, rotate, pause,
re-enable, delete), emitting events, redeliveries and the test event. Sending is in delivery.py."""

import logging
from datetime import UTC

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django_scopes import scope

from integrations.webhooks.models import TEST_EVENT_TYPE, WebhookDelivery, WebhookEndpoint, WebhookEvent
from integrations.webhooks.safety import secret_grace, timeout, url_problem
from integrations.webhooks.signing import secret_problem
from invoicing import setup
from invoicing.api.representations import purchase_summary
from invoicing.events import EVENT_TYPES, INVOICE_ACKNOWLEDGED, INVOICE_FAILED, PUBLISHED, PURCHASE_RECEIVED
from portal.errors import DomainError
from portal.queries import insert
from tenants import notifications
from tenants.audit import audit, diff
from tenants.models import Membership, Notification, Tenant

logger = logging.getLogger(__name__)
State = WebhookDelivery.State
TASK = "integrations.webhooks.tasks.deliver"
SECRET_MIN = 16
SECRET_MAX = 256

SETUP_ENDPOINT = "webhook_endpoint"  # the endpoint, kept in invoicing's per-process copy of a business's set-up


class WebhookError(DomainError):
    """A refused webhook action; the API answers 409 unless it says otherwise."""

    default_status = 409

    def __init__(self, code: str, message: str, status: int = 409):
        super().__init__(code, message, status=status)


def _enqueue(delivery_id, when=None) -> None:
    from portal.queueing import enqueue_on_commit

    enqueue_on_commit(TASK, delivery_id, when=when)


# --- validation -------------------------------------------------------------------------------


def _check(*, url=None, events=None, secret=None, active=None, partial=False) -> dict:
    """The cleaned values; a ValidationError naming each bad field (url, events, secret, active)."""
    errors, clean = {}, {}
    if url is not None or not partial:
        problem = url_problem(url)
        if problem:
            errors["url"] = problem
        else:
            clean["url"] = url
    if events is not None or not partial:
        known = ", ".join(EVENT_TYPES)
        if not isinstance(events, list | tuple) or not events:
            errors["events"] = f"Choose at least one event type: {known}."
        elif unknown := [e for e in events if e not in EVENT_TYPES]:
            errors["events"] = f"Unknown event type {unknown[0]!r}; choose among {known}."
        else:
            clean["events"] = [e for e in EVENT_TYPES if e in events]  # known order, no duplicates
    if secret is not None or not partial:
        if not isinstance(secret, str) or not secret:
            errors["secret"] = (
                f"A signing secret is required (at least {SECRET_MIN} characters); generate one in the portal."
            )
        elif len(secret) < SECRET_MIN:
            errors["secret"] = f"Use a secret of at least {SECRET_MIN} characters (it has {len(secret)})."
        elif len(secret) > SECRET_MAX:
            errors["secret"] = f"Use a secret of at most {SECRET_MAX} characters."
        elif secret != secret.strip() or not secret.isprintable():
            errors["secret"] = "The secret must not start or end with spaces or contain control characters."
        elif problem := secret_problem(secret):
            errors["secret"] = problem
        else:
            clean["secret"] = secret
    if active is not None:
        if not isinstance(active, bool):
            errors["active"] = "Send true or false."
        else:
            clean["active"] = active
    if errors:
        raise ValidationError(errors)
    return clean


def _state(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "events": endpoint.events, "active": endpoint.active}


# --- the endpoint -----------------------------------------------------------------------------


def webhook_create(*, tenant: Tenant, url, events, secret, active=True, user=None, api_key=None) -> WebhookEndpoint:
    """Register the tenant's endpoint (one per tenant: a second is a WebhookError 409)."""
    with scope(tenant=tenant):
        existing = WebhookEndpoint.objects.first()
        if existing:
            raise _exists(existing)
        clean = _check(url=url, events=events, secret=secret, active=True if active is None else active)
        try:
            with transaction.atomic():
                endpoint = WebhookEndpoint.objects.create(
                    tenant=tenant,
                    created_by=user if getattr(user, "pk", None) else None,
                    paused_at=None if clean["active"] else timezone.now(),
                    paused_reason="" if clean["active"] else "Created paused.",
                    **clean,
                )
                audit(
                    tenant,
                    "webhook.created",
                    f"Webhook endpoint {endpoint.url} registered for {', '.join(endpoint.events)}.",
                    user=user,
                    api_key=api_key,
                    changes={**diff({}, _state(endpoint)), "secret": "changed"},
                )
        except IntegrityError:  # another request registered one at the same moment
            raise _exists(WebhookEndpoint.objects.first()) from None
        return endpoint


def _exists(existing) -> WebhookError:
    where = f" (id {existing.pk})" if existing else ""
    return WebhookError(
        "webhook_exists",
        f"This business already has a webhook endpoint{where}: one callback URL per business. "
        "Change its URL or events with PATCH instead.",
    )


def webhook_update(
    *, endpoint: WebhookEndpoint, user=None, api_key=None, now=None, url=None, events=None, active=None, secret=None
) -> WebhookEndpoint:
    """Change the URL, events, active flag or secret (a new secret starts the rotation grace period)."""
    now = now or timezone.now()
    with scope(tenant=endpoint.tenant):
        clean = _check(url=url, events=events, secret=secret, active=active, partial=True)
        new_secret = clean.pop("secret", None)
        new_active = clean.pop("active", None)
        with transaction.atomic():
            before = _state(endpoint)
            for field, value in clean.items():
                setattr(endpoint, field, value)
            if clean:
                endpoint.save(update_fields=[*clean, "updated_at"])
                changes = diff(before, _state(endpoint))
                if changes:
                    audit(
                        endpoint.tenant,
                        "webhook.updated",
                        "Webhook endpoint changed.",
                        user=user,
                        api_key=api_key,
                        changes=changes,
                    )
            if new_secret is not None:
                webhook_rotate_secret(endpoint=endpoint, secret=new_secret, user=user, api_key=api_key, now=now)
            if new_active is True and not endpoint.active:
                webhook_resume(endpoint=endpoint, user=user, api_key=api_key, now=now)
            elif new_active is False and endpoint.active:
                who = getattr(user, "email", None) or ("an API call" if api_key else "an admin")
                webhook_pause(endpoint=endpoint, reason=f"Paused by {who}.", user=user, api_key=api_key, now=now)
        return endpoint


def webhook_rotate_secret(*, endpoint: WebhookEndpoint, secret: str, user=None, api_key=None, now=None):
    """The new secret signs from now on; the old one also signs (…-previous) for the grace period."""
    now = now or timezone.now()
    clean = _check(secret=secret, partial=True)
    if clean["secret"] == endpoint.secret:
        return endpoint
    with scope(tenant=endpoint.tenant), transaction.atomic():
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + secret_grace()
        endpoint.secret = clean["secret"]
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"])
        until = date_format(timezone.localtime(endpoint.previous_secret_until), "j M Y, H:i")  # Africa/Lagos
        audit(
            endpoint.tenant,
            "webhook.secret_rotated",
            f"Signing secret replaced; the old one also signs until {until}.",
            user=user,
            api_key=api_key,
            changes={"secret": "changed"},
        )
    return endpoint


def webhook_pause(*, endpoint: WebhookEndpoint, reason: str, user=None, api_key=None, now=None, notify=False):
    """Stop sending: deliveries waiting for a retry are held, new events are recorded and held."""
    now = now or timezone.now()
    with scope(tenant=endpoint.tenant), transaction.atomic():
        paused = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(
            active=False, paused_at=now, paused_reason=reason, updated_at=now
        )
        endpoint.refresh_from_db()
        if not paused:
            return endpoint
        setup.changed(endpoint.tenant_id)
        WebhookDelivery.objects.filter(endpoint=endpoint, state=State.PENDING, is_test=False).update(
            state=State.HELD, next_attempt_at=None
        )
        audit(endpoint.tenant, "webhook.paused", reason, user=user, api_key=api_key, changes={"active": [True, False]})
        if notify:
            _notify_admins_paused(endpoint)  # with the pause: both commit, or neither
    return endpoint


def webhook_resume(*, endpoint: WebhookEndpoint, user=None, api_key=None, now=None):
    """Re-enable: held deliveries start a fresh round of attempts, at once."""
    now = now or timezone.now()
    with scope(tenant=endpoint.tenant), transaction.atomic():
        resumed = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=False).update(
            active=True, paused_at=None, paused_reason="", updated_at=now
        )
        endpoint.refresh_from_db()
        if not resumed:
            return endpoint
        setup.changed(endpoint.tenant_id)
        held = list(WebhookDelivery.objects.filter(endpoint=endpoint, state=State.HELD).values_list("pk", flat=True))
        WebhookDelivery.objects.filter(pk__in=held, state=State.HELD).update(
            state=State.PENDING, consecutive_failures=0, next_attempt_at=now
        )
        for delivery_id in held:
            _enqueue(delivery_id)
        audit(
            endpoint.tenant,
            "webhook.reenabled",
            f"Webhook endpoint re-enabled; {len(held)} held deliveries are being sent.",
            user=user,
            api_key=api_key,
            changes={"active": [False, True]},
        )
    return endpoint


def webhook_delete(*, endpoint: WebhookEndpoint, user=None, api_key=None) -> None:
    """Remove the endpoint and its delivery history (the events stay recorded)."""
    with scope(tenant=endpoint.tenant), transaction.atomic():
        audit(
            endpoint.tenant,
            "webhook.deleted",
            f"Webhook endpoint {endpoint.url} removed.",
            user=user,
            api_key=api_key,
            changes=diff(_state(endpoint), {}),
        )
        endpoint.delete()


def _notify_admins_paused(endpoint: WebhookEndpoint) -> None:
    """The admins are told (tenants/notifications.py), once per pause: its time is in the key."""
    notifications.notify(
        endpoint.tenant,
        notifications.members(endpoint.tenant, Membership.Role.ADMIN),
        Notification.Kind.WEBHOOK_PAUSED,
        f"Webhooks paused: {endpoint.url} keeps failing",
        f"Flowpoint has paused the webhook endpoint {endpoint.url}.\n"
        f"Why: {endpoint.paused_reason}\n"
        f"Every delivery is tried 5 times (at once, then after about 5, 10, 20 and 40 seconds). A delivery fails "
        f"when your endpoint does not answer with a 2xx status within {timeout():g} seconds, or cannot be reached. "
        "While the endpoint is paused, new invoice events are recorded and held; nothing is sent to it.\n"
        "To resume: fix the endpoint (check that it is up, reachable over HTTPS and answers quickly), optionally "
        "send a test event, then choose “Re-enable” in Settings → Webhooks. Held events are then sent.",
        reverse("settings_webhooks"),
        f"webhook-paused:{endpoint.pk}:{endpoint.paused_at.isoformat()}",
    )


# --- events -----------------------------------------------------------------------------------


def _iso_ms(value) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _money(value) -> str:
    return f"{value:.2f}"


def invoice_data(invoice, *, failed: bool = False, acknowledged: bool = False) -> dict:
    """What an ERP needs about the invoice, without calling the API again."""
    data = {
        "invoiceId": str(invoice.pk),
        "irn": invoice.irn or None,
        "documentNumber": invoice.document_number,
        "invoiceKind": invoice.kind,
        "invoiceType": invoice.invoice_type,
        "status": invoice.status,
        "issueDate": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "currency": invoice.currency,
        "totals": {
            "lineExtensionAmount": _money(invoice.line_extension),
            "taxAmount": _money(invoice.tax_total),
            "payableAmount": _money(invoice.payable),
            "amountPaid": _money(invoice.amount_paid),
            "amountDue": _money(invoice.payable - invoice.amount_paid),
        },
        "paymentStatus": invoice.payment_status,
        "paymentReported": invoice.payment_reported,
        "customer": {"name": invoice.buyer.get("name", ""), "tin": invoice.buyer.get("tin", "")},
        "certifiedAt": _iso_ms(invoice.certified_at) if invoice.certified_at else None,
    }
    if failed:
        data["nrsError"] = {"reason": invoice.nrs_reason, "details": invoice.nrs_detail}
    if acknowledged:  # what the delivery check learnt from NRS's transmit lookup
        data["deliveredAt"] = _iso_ms(invoice.delivered_at) if invoice.delivered_at else None
        data["buyerAcknowledgedAt"] = _iso_ms(invoice.buyer_acknowledged_at) if invoice.buyer_acknowledged_at else None
    return data


def _record(*, tenant, type_, status, source, data, invoice_id=None, now, is_test=False) -> WebhookEvent:
    """Record the event; create a delivery for the endpoint if it subscribes (held while it is paused)."""
    event = WebhookEvent(
        tenant=tenant, type=type_, status=status, source=source, data=data, invoice_id=invoice_id, emitted_at=now
    )
    insert([event])
    endpoint = setup.tenant_setup(tenant).extras[SETUP_ENDPOINT]  # as of this request: a pause is re-checked at sending
    if endpoint is None or (not is_test and type_ not in endpoint.events):
        return event
    sending = endpoint.active or is_test
    delivery = WebhookDelivery.objects.create(
        tenant=tenant,
        event=event,
        endpoint=endpoint,
        is_test=is_test,
        state=State.PENDING if sending else State.HELD,
        next_attempt_at=now if sending else None,
    )
    if sending:
        _enqueue(delivery.pk)
    return event


def tenant_endpoint(tenant: Tenant) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(tenant=tenant).first()


def webhook_emit(*, invoice, kind: str, source: str | None = None, now=None) -> WebhookEvent | None:
    """Record the webhook event for an invoice's InvoiceEvent `kind` (others are ignored) and queue its delivery.

    invoicing.events calls it (apps.py listens there) in the transaction of the invoice change: the data is the
    invoice as it is now.
    """
    published = PUBLISHED.get(kind)
    if published is None:
        return None
    type_, status, default_source = published.type, published.status, published.source
    now = now or timezone.now()
    if status is None:  # payment updates: the root status is the spec's pending / certified / failed
        status = {"CERTIFIED": "certified", "REPORTED": "certified", "FAILED": "failed"}.get(invoice.status, "pending")
    if source is None:
        source = default_source or ("api.create" if invoice.created_by_key_id else "portal.create")
    with scope(tenant=invoice.tenant), transaction.atomic(savepoint=False):
        return _record(
            tenant=invoice.tenant,
            type_=type_,
            status=status,
            source=source,
            data=invoice_data(invoice, failed=type_ == INVOICE_FAILED, acknowledged=type_ == INVOICE_ACKNOWLEDGED),
            invoice_id=invoice.pk,
            now=now,
        )


def webhook_emit_purchase(*, received, kind: str, now=None) -> WebhookEvent | None:
    """Record the `purchase.received` event of an invoice a supplier sent this business, and queue its delivery.

    invoicing.events.publish_purchase calls it (apps.py listens there) in the transaction that saved the received
    invoice, the first time only. The data is the received invoice as GET /api/v1/purchases/{irn} lists it.
    """
    if kind != PURCHASE_RECEIVED:
        return None
    now = now or timezone.now()
    with scope(tenant=received.tenant), transaction.atomic(savepoint=False):
        return _record(
            tenant=received.tenant,
            type_=PURCHASE_RECEIVED,
            status="received",
            source="nrs.pull",
            data=purchase_summary(received),
            now=now,
        )


def webhook_send_test(*, endpoint: WebhookEndpoint, user=None, now=None) -> WebhookDelivery:
    """A `webhook.test` event with sample invoice data: one attempt, sent even while paused, never pauses."""
    now = now or timezone.now()
    tenant = endpoint.tenant
    sample = {
        "test": True,
        "invoiceId": "00000000-0000-0000-0000-000000000000",
        "irn": f"TEST0001-{tenant.nrs_service_id or 'SERVICE1'}-{now:%Y%m%d}",
        "documentNumber": "TEST0001",
        "invoiceKind": "B2B",
        "invoiceType": "invoice",
        "status": "CERTIFIED",
        "issueDate": timezone.localdate(now).isoformat(),
        "currency": "NGN",
        "totals": {
            "lineExtensionAmount": "50000.00",
            "taxAmount": "3750.00",
            "payableAmount": "53750.00",
            "amountPaid": "0.00",
            "amountDue": "53750.00",
        },
        "paymentStatus": "UNPAID",
        "paymentReported": False,
        "customer": {"name": "Sample Buyer Ltd", "tin": "00000000-0001"},
        "certifiedAt": _iso_ms(now),
    }
    with scope(tenant=tenant), transaction.atomic():
        event = _record(
            tenant=tenant,
            type_=TEST_EVENT_TYPE,
            status="test",
            source="portal.test",
            data=sample,
            now=now,
            is_test=True,
        )
        audit(tenant, "webhook.test_sent", f"Test event {event.id} sent to {endpoint.url}.", user=user)
        return WebhookDelivery.objects.get(event=event)


# --- redelivery -------------------------------------------------------------------------------


def delivery_redeliver(*, delivery: WebhookDelivery, user=None, api_key=None, now=None) -> WebhookDelivery:
    """Send the same event (same id) again: a fresh round of attempts on the same delivery."""
    now = now or timezone.now()
    with scope(tenant=delivery.tenant), transaction.atomic():
        endpoint = WebhookEndpoint.objects.get(pk=delivery.endpoint_id)
        if not endpoint.active and not delivery.is_test:
            raise WebhookError(
                "endpoint_paused",
                'The endpoint is paused. Re-enable it first (PATCH {"active": true}); held deliveries are then sent.',
            )
        updated = WebhookDelivery.objects.filter(
            pk=delivery.pk, state__in=[State.SUCCEEDED, State.FAILED, State.HELD]
        ).update(state=State.PENDING, consecutive_failures=0, next_attempt_at=now, updated_at=now)
        if not updated:
            raise WebhookError("delivery_in_progress", "This delivery is already being sent; wait for its outcome.")
        _enqueue(delivery.pk)
        delivery.refresh_from_db()
    return delivery


def deliveries_redeliver_failed(*, endpoint: WebhookEndpoint, start, end, user=None, now=None) -> int:
    """Redeliver every failed delivery whose event was emitted between `start` and `end`."""
    now = now or timezone.now()
    if not endpoint.active:
        raise WebhookError("endpoint_paused", "The endpoint is paused. Re-enable it first.")
    with scope(tenant=endpoint.tenant), transaction.atomic():
        ids = list(
            WebhookDelivery.objects.filter(
                endpoint=endpoint, state=State.FAILED, event__emitted_at__gte=start, event__emitted_at__lte=end
            ).values_list("pk", flat=True)
        )
        WebhookDelivery.objects.filter(pk__in=ids, state=State.FAILED).update(
            state=State.PENDING, consecutive_failures=0, next_attempt_at=now, updated_at=now
        )
        for delivery_id in ids:
            _enqueue(delivery_id)
        if ids:
            audit(endpoint.tenant, "webhook.redelivered", f"{len(ids)} failed deliveries sent again.", user=user)
    return len(ids)
