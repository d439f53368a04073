"""The bell's pages: a member's notifications (newest first, mark read) and what they receive by e-mail."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tenants.models import Notification, NotificationPreference
from tenants.permissions import tenant_required


@tenant_required
def notification_list(request):
    mine = Notification.objects.filter(user=request.user)
    page = Paginator(mine.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "tenants/notifications.html",
        {"page": page, "unread": mine.filter(read_at__isnull=True).exists()},
    )


@tenant_required
@require_POST
def notification_read(request, pk):
    """Mark one read; with "open", go on to what it is about (a path in the portal only)."""
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    link = notification.link
    if request.POST.get("open") and link and url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return redirect(link)
    return redirect("notification_list")


@tenant_required
@require_POST
def notification_read_all(request):
    count = Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("%(count)d notifications marked read.") % {"count": count})
    return redirect("notification_list")


@tenant_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    """Per kind: always in the portal; by e-mail at once, in the daily digest, or not by e-mail."""
    saved = {p.kind: p for p in NotificationPreference.objects.filter(user=request.user)}
    if request.method == "POST":
        for kind, _label in Notification.Kind.choices:
            choice = request.POST.get(f"email_{kind}", "now")
            if choice not in ("now", "digest", "off"):
                choice = "now"
            NotificationPreference.objects.update_or_create(
                tenant=request.tenant,
                user=request.user,
                kind=kind,
                defaults={"email": choice != "off", "digest": choice == "digest"},
            )
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notification_settings")
    rows = []
    for kind, label in Notification.Kind.choices:
        pref = saved.get(kind)
        choice = "now" if pref is None else ("off" if not pref.email else ("digest" if pref.digest else "now"))
        rows.append({"kind": kind, "label": label, "choice": choice})
    return render(request, "tenants/notification_settings.html", {"rows": rows})
