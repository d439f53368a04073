"""Notifications: what a member should know, under the bell and, if they wish, by e-mail.

Producers (invoicing, integrations) call `notify` in the transaction of the change that caused it, so the
notification commits with the change or not at all. Each has a key naming that event, unique per member: the
same event never notifies anyone twice. E-mails go out from django-q2 tasks that lock the row and set
emailed_at with the send, so a task that runs twice sends once.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django_scopes import scope, scopes_disabled

from portal.queueing import enqueue_on_commit
from tenants.expiry import WARN_DAYS, days_left, expiring
from tenants.models import Membership, Notification, NotificationPreference

log = logging.getLogger(__name__)

Kind = Notification.Kind
Delivery = Notification.Delivery
Role = Membership.Role

SEND_TASK = "tenants.notifications.send_notification_email"
DIGEST_TASK = "tenants.notifications.send_daily_digests"


def members(tenant, *roles) -> list:
    """The business's members with one of `roles` (the users, oldest membership first)."""
    with scope(tenant=tenant):
        return [
            m.user
            for m in Membership.objects.filter(role__in=roles).select_related("user").order_by("created_at", "pk")
        ]


def delivery_for(tenant, user, kind: str) -> str:
    """How this member wants this kind: by e-mail (the default), in the daily digest, or in the portal only."""
    with scope(tenant=tenant):
        pref = NotificationPreference.objects.filter(user=user, kind=kind).first()
    if pref is None or (pref.email and not pref.digest):
        return Delivery.EMAIL if user.email else Delivery.IN_APP
    if pref.digest:
        return Delivery.DIGEST if user.email else Delivery.IN_APP
    return Delivery.IN_APP


def notify(tenant, users, kind: str, title: str, body: str, link: str, key: str) -> list[Notification]:
    """One notification per member (each once per `key`); e-mails queued with the current transaction."""
    made = []
    seen = set()
    with scope(tenant=tenant):
        for user in users:
            if user is None or user.pk in seen:
                continue
            seen.add(user.pk)
            if Notification.objects.filter(user=user, key=key).exists():
                continue
            delivery = delivery_for(tenant, user, kind)
            try:
                with transaction.atomic():  # a savepoint: a racing twin must not spoil the producer's transaction
                    notification = Notification.objects.create(
                        tenant=tenant,
                        user=user,
                        kind=kind,
                        title=title[:200],
                        body=body,
                        link=link,
                        key=key[:200],
                        delivery=delivery,
                    )
            except IntegrityError:
                continue
            made.append(notification)
            if delivery == Delivery.EMAIL:
                enqueue_on_commit(SEND_TASK, notification.pk)
    return made


def _absolute(link: str) -> str:
    return settings.SITE_URL.rstrip("/") + link if link.startswith("/") else link


def _send(to: str, subject: str, template: str, context: dict) -> None:
    context = {**context, "site_url": settings.SITE_URL.rstrip("/")}
    text = render_to_string(f"tenants/email/{template}.txt", context)
    html = render_to_string(f"tenants/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, None, [to])
    message.attach_alternative(html, "text/html")
    message.send()


def _item(notification: Notification) -> dict:
    return {
        "title": notification.title,
        "body": notification.body,
        "url": _absolute(notification.link),
        "when": timezone.localtime(notification.created_at),  # Africa/Lagos (settings.TIME_ZONE)
    }


def send_notification_email(notification_id: int) -> str:
    """The task: one notification's e-mail, sent once. The row stays locked until emailed_at is saved, so a
    second run waits and then finds it sent; a failed send rolls back and the retry sends it."""
    with scopes_disabled(), transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .select_related("user", "tenant")
            .filter(pk=notification_id, emailed_at__isnull=True)
            .first()
        )
        if notification is None:
            return "already sent"
        if not notification.user.email:
            return "no address"
        _send(
            notification.user.email,
            f"{notification.title} · {notification.tenant.name}",
            "notification",
            {"tenant": notification.tenant, "item": _item(notification)},
        )
        notification.emailed_at = timezone.now()
        notification.save(update_fields=["emailed_at"])
    return "sent"


def send_daily_digests(now=None) -> int:
    """The daily task: one e-mail per member and business with their digest notifications not yet mailed."""
    now = now or timezone.now()
    sent = 0
    with scopes_disabled():
        pairs = set(
            Notification.objects.filter(delivery=Delivery.DIGEST, emailed_at__isnull=True, created_at__lte=now)
            .values_list("tenant_id", "user_id")
            .distinct()
        )
    for tenant_id, user_id in sorted(pairs, key=str):
        sent += _send_digest(tenant_id, user_id, now)
    return sent


def _send_digest(tenant_id, user_id, now) -> int:
    with scopes_disabled(), transaction.atomic():
        items = list(
            Notification.objects.select_for_update()
            .select_related("tenant")
            .filter(
                tenant_id=tenant_id,
                user_id=user_id,
                delivery=Delivery.DIGEST,
                emailed_at__isnull=True,
                created_at__lte=now,
            )
            .order_by("created_at", "pk")
        )
        user = get_user_model().objects.filter(pk=user_id).first()
        if not items or user is None or not user.email:
            return 0
        tenant = items[0].tenant
        _send(
            user.email,
            f"Your daily summary · {tenant.name}: {len(items)} notification{'s' if len(items) != 1 else ''}",
            "digest",
            {"tenant": tenant, "items": [_item(n) for n in items]},
        )
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
    return 1


def unread_count(tenant, user) -> int:
    with scope(tenant=tenant):
        return Notification.objects.filter(user=user, read_at__isnull=True).count()


def credentials_expiring(now=None) -> int:
    """The scheduled check: an API key, the active crypto-key file or the NRS credentials ending within 30, 7 and 1
    days tells the admins (and an API key's creator) once per threshold. No secret is in any notification: only
    what it is and when it ends, and where to renew it."""
    now = now or timezone.now()
    told = 0
    for item in expiring(now):
        threshold = next(days for days in WARN_DAYS if days_left(item.ends_at, now) <= days)
        when = date_format(timezone.localtime(item.ends_at), "j M Y, H:i")  # Africa/Lagos
        in_words = "tomorrow" if threshold == 1 else f"within {threshold} days"
        verb = "expire" if item.kind == Kind.NRS_CREDENTIALS_EXPIRING else "expires"
        stop = "stop" if item.kind == Kind.NRS_CREDENTIALS_EXPIRING else "stops"
        told += bool(
            notify(
                item.tenant,
                members(item.tenant, Role.ADMIN) + item.also_tell,
                item.kind,
                f"{item.what} {verb} {in_words}",
                f"{item.what} {stop} working on {when} (Lagos time). {item.renew}",
                item.link,
                f"{item.key}:{threshold}",
            )
        )
    return told
