"""The NRS queue seen from outside: each business's dashboard, its admins' banner, and the public status page."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from integrations.nrs.client import base_url_for
from integrations.nrs.models import NrsHost
from invoicing.models import Invoice
from tests.conftest import member
from tests.factories import invoices_in

Status = Invoice.Status


def text(response) -> str:
    """What a person reads: the page without its tags, whitespace collapsed."""
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def signed_in(client, tenant, role="admin"):
    client.force_login(member(tenant, role))
    return client


def age(invoice, minutes):
    with scopes_disabled():
        Invoice.objects.filter(pk=invoice.pk).update(created_at=timezone.now() - timedelta(minutes=minutes))


def ten_forty_two():
    """10:42 today in Lagos, as the banner and the status page print it."""
    return timezone.localtime().replace(hour=10, minute=42, second=0, microsecond=0)


def open_circuit(tenant, since=None):
    return NrsHost.objects.create(
        base_url=base_url_for(tenant), limit=96, circuit="open", failures=5, failing_since=since or ten_forty_two()
    )


# --- the dashboard --------------------------------------------------------------------------------------------


def test_the_dashboard_shows_the_business_its_own_nrs_queue(client, tenant, other_tenant):
    waiting = invoices_in(tenant, Status.PENDING, 2)
    age(waiting[0], 3)
    invoices_in(tenant, Status.SUBMITTING, 1)
    invoices_in(tenant, Status.CERTIFIED, 4)  # sent already: neither waiting nor being sent
    invoices_in(other_tenant, Status.PENDING, 5)
    invoices_in(other_tenant, Status.SUBMITTING, 7)

    page = text(signed_in(client, tenant).get(reverse("dashboard")))
    assert "Waiting for NRS: 2 Being sent now: 1 Oldest waiting: 3 min" in page
    assert "Waiting for NRS: 7" not in page and "Being sent now: 8" not in page

    # The line the open page refreshes by itself says the same, and changes with the queue.
    invoices_in(tenant, Status.PENDING, 1)
    partial = text(client.get(reverse("dashboard_nrs_queue")))
    assert "Waiting for NRS: 3" in partial and "Being sent now: 1" in partial and "<html" not in partial

    other = text(signed_in(client, other_tenant, "clerk").get(reverse("dashboard")))
    assert "Waiting for NRS: 5 Being sent now: 7" in other


def test_an_empty_queue_says_so_without_an_age(client, tenant):
    page = text(signed_in(client, tenant).get(reverse("dashboard")))
    assert "Waiting for NRS: 0 Being sent now: 0" in page and "Oldest waiting" not in page


def test_ages_read_in_hours_and_days(client, tenant):
    oldest = invoices_in(tenant, Status.PENDING, 1)[0]
    client = signed_in(client, tenant)
    for minutes, shown in ((0, "under a minute"), (125, "2 h 5 min"), (120, "2 h"), (60 * 24 + 61, "1 day 1 h")):
        age(oldest, minutes)
        assert f"Oldest waiting: {shown}" in text(client.get(reverse("dashboard_nrs_queue"))), minutes


def test_the_queue_line_is_for_signed_in_members_only(client, tenant):
    response = client.get(reverse("dashboard_nrs_queue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the admin banner -----------------------------------------------------------------------------------------


def test_admins_see_nrs_unreachable_with_their_own_waiting_count_on_every_page(client, tenant, other_tenant):
    assert base_url_for(tenant) == base_url_for(other_tenant)  # one NRS host, two businesses waiting for it
    invoices_in(tenant, Status.PENDING, 1204)
    invoices_in(other_tenant, Status.PENDING, 3)
    open_circuit(tenant)

    client = signed_in(client, tenant)
    for page in ("dashboard", "invoice_list", "customer_list", "settings_profile"):
        shown = text(client.get(reverse(page)))
        assert "NRS unreachable since 10:42 — 1,204 invoices waiting; they go out automatically." in shown, page
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("invoice_list")}?status=PENDING"' in html.split('id="nrs-banner"')[1]

    other = text(signed_in(client, other_tenant).get(reverse("dashboard")))
    assert "NRS unreachable since 10:42 — 3 invoices waiting" in other and "1,204" not in other


def test_the_banner_counts_down_the_b2c_24_hour_clock(client, tenant):
    now = timezone.now()
    for hours_ago in (22, 21.5, 10, 25):  # deadlines in 2 h and 2.5 h, in 14 h, and 1 h ago
        invoices_in(tenant, Status.PENDING, 1, kind="B2C", submitted_at=now - timedelta(hours=hours_ago))
    invoices_in(tenant, Status.PENDING, 2)  # B2B: no 24-hour clock
    invoices_in(tenant, Status.REPORTED, 1, kind="B2C", submitted_at=now - timedelta(hours=23))  # reported: done
    open_circuit(tenant)

    html = signed_in(client, tenant).get(reverse("invoice_list")).content.decode()
    banner = " ".join(re.sub(r"<[^>]+>", " ", html.split('id="nrs-banner"')[1].split("</section>")[0]).split())
    first = timezone.localtime(now - timedelta(hours=1))
    when = first.strftime("%H:%M") if first.date() == timezone.localdate() else first.strftime("%-d %b %H:%M")
    assert "6 invoices waiting" in banner
    assert f"B2C 24-hour clock: 4 waiting B2C invoices, the first to be reported by {when}." in banner
    assert "2 are due within 4 hours." in banner and "1 is past its deadline." in banner
    assert f'href="{reverse("invoice_list")}?status=PENDING&amp;kind=B2C"' in html


def test_no_banner_for_a_clerk_nor_while_nrs_answers(client, tenant):
    invoices_in(tenant, Status.PENDING, 4)
    admin = signed_in(client, tenant)
    assert "NRS unreachable" not in text(admin.get(reverse("dashboard")))  # no host row yet
    host = NrsHost.objects.create(base_url=base_url_for(tenant), limit=96, failures=2)
    assert 'id="nrs-banner"' not in admin.get(reverse("dashboard")).content.decode()  # failing, not open yet

    host.circuit, host.failing_since = "open", ten_forty_two()
    host.save()
    assert "NRS unreachable since 10:42 — 4 invoices waiting" in text(admin.get(reverse("dashboard")))
    from django.test import Client

    clerk = signed_in(Client(), tenant, "clerk")
    assert 'id="nrs-banner"' not in clerk.get(reverse("dashboard")).content.decode()
    assert 'id="nrs-banner"' not in clerk.get(reverse("invoice_list")).content.decode()


def test_only_the_businesss_own_nrs_host_counts(client, tenant, settings):
    """A sandbox business is not told about the live host's outage."""
    NrsHost.objects.create(base_url=settings.NRS_LIVE_URL, limit=96, circuit="open", failing_since=ten_forty_two())
    assert tenant.is_sandbox
    assert 'id="nrs-banner"' not in signed_in(client, tenant).get(reverse("dashboard")).content.decode()


def test_an_admin_is_told_when_nrs_asked_to_slow_down(client, tenant):
    invoices_in(tenant, Status.PENDING, 1)
    until = timezone.now() + timedelta(seconds=30)
    NrsHost.objects.create(base_url=base_url_for(tenant), limit=48, paused_until=until)
    shown = text(signed_in(client, tenant).get(reverse("dashboard")))
    clock = timezone.localtime(until).strftime("%H:%M:%S")
    assert f"NRS asked us to slow down until {clock} — 1 invoice waiting; it goes out automatically." in shown


# --- the public status page -----------------------------------------------------------------------------------


def test_the_status_page_says_whether_nrs_is_reachable(client, tenant):
    page = text(client.get(reverse("status")))
    assert "NRS: reachable" in page and "NRS sandbox: reachable" in page

    invoices_in(tenant, Status.PENDING, 17)
    NrsHost.objects.create(base_url=settings.NRS_LIVE_URL, limit=96, circuit="open", failing_since=ten_forty_two())
    page = text(client.get(reverse("status")))
    assert "NRS: unreachable since 10:42 (Africa/Lagos) — invoices wait and go out automatically" in page
    assert "NRS sandbox: reachable" in page
    assert "17 invoices" not in page and tenant.name not in page  # public: nothing of any business


@pytest.mark.parametrize("days_ago", [1, 3])
def test_an_outage_from_another_day_carries_its_date(client, days_ago):
    since = ten_forty_two() - timedelta(days=days_ago)
    NrsHost.objects.create(base_url=settings.NRS_LIVE_URL, limit=96, circuit="open", failing_since=since)
    assert f"NRS: unreachable since {since.strftime('%-d %b')} 10:42 (Africa/Lagos)" in text(client.get("/status"))
