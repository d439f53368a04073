"""The buyer's side from end to end, as both businesses' integrations see it: A certifies a B2B invoice to B's
TIN through the real pipeline and the embedded sandbox over HTTP; B's pull brings it once (a second pull and two
concurrent ones add nothing) and B's webhook receiver hears `purchase.received`; B acknowledges; A's delivery check
sees it, A's invoice page says "Acknowledged by the buyer", and A's receiver hears `invoice.acknowledged`. Every
delivery is verified with the `standardwebhooks` package, as an integrator would."""

import base64
import io
import threading

import pytest
import zxingcpp
from django.db import connection
from django.urls import reverse
from django_q.conf import Conf
from PIL import Image
from standardwebhooks import Webhook

from integrations.nrs.sandbox.models import SandboxBusiness
from integrations.nrs.sandbox.services import qr_decrypt
from invoicing.pdf import png_data_uri
from invoicing.purchases.delivery import deliveries_check
from invoicing.purchases.pdf import received_pdf_html
from invoicing.purchases.pull import purchases_pull
from invoicing.purchases.services import purchase_acknowledge
from invoicing.services import Actor
from tests.conftest import member
from tests.invoicing.test_purchases_pull import B_TIN, business, certify, inbox, reload
from tests.webhooks.support import make_endpoint, other_receiver, receiver  # noqa: F401  (fixtures)

A_KEY = "whsec_" + base64.b64encode(bytes(range(1, 33))).decode()
B_KEY = "whsec_" + base64.b64encode(bytes(range(101, 133))).decode()


@pytest.fixture
def seller(connected_tenant):
    return connected_tenant  # Kola Foods Ltd, TIN 12345678-0001


@pytest.fixture
def buyer(sandbox_url, key_file):
    return business(key_file, name="Ada Traders Ltd", tin=B_TIN, telephone="+2348088888888")


def heard(listening, key, kind):
    """The deliveries of one event type a receiver got, each verified as Standard Webhooks defines."""
    return [
        payload
        for request in listening.requests
        if (payload := Webhook(key).verify(request["body"], request["headers"]))["type"] == kind
    ]


def test_a_b2b_invoice_goes_from_seller_to_buyer_and_the_acknowledgement_back(
    seller,
    buyer,
    receiver,  # noqa: F811  (the fixture imported above)
    other_receiver,  # noqa: F811
    client,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    make_endpoint(seller, receiver.url, events=["invoice.acknowledged"], secret=A_KEY)
    make_endpoint(buyer, other_receiver.url, events=["purchase.received"], secret=B_KEY)
    sent = certify(seller, "CHAIN-1")  # the submission task run here, as the worker would
    monkeypatch.setattr(Conf, "SYNC", True)  # from now on webhook deliveries go out at once, in this process

    with django_capture_on_commit_callbacks(execute=True):
        assert purchases_pull(buyer).received == 1
    assert other_receiver.wait_for(1, timeout=5)
    (received_event,) = heard(other_receiver, B_KEY, "purchase.received")
    assert received_event["data"]["irn"] == sent.irn
    assert received_event["data"]["supplier"] == {"name": "Kola Foods Ltd", "tin": "12345678-0001"}

    # Pulled again, and twice at once: still one received invoice and one event.
    with django_capture_on_commit_callbacks(execute=True):
        assert purchases_pull(buyer).received == 0
    failures = []

    def pull():
        try:
            with django_capture_on_commit_callbacks(execute=True):
                purchases_pull(buyer)
        except Exception as exc:  # noqa: BLE001  (the assertion below names it)
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pull) for _ in range(2)]
    [thread.start() for thread in threads]
    [thread.join(timeout=60) for thread in threads]
    assert failures == []
    assert inbox(buyer) == [sent.irn]
    assert len(heard(other_receiver, B_KEY, "purchase.received")) == 1

    from django_scopes import scope

    from invoicing.models import ReceivedInvoice

    with scope(tenant=buyer):
        received = ReceivedInvoice.objects.get(irn=sent.irn)
    # B's copy carries NRS's QR code as A printed it: scanned off B's page, NRS reads A's IRN and certificate.
    client.force_login(member(buyer, "clerk"))
    page = client.get(reverse("purchase_detail", args=[received.pk])).content.decode()
    assert reverse("purchase_qr", args=[received.pk]) in page
    png = client.get(reverse("purchase_qr", args=[received.pk]))
    assert png["Content-Type"] == "image/png"
    assert png["Cache-Control"] == "private, max-age=86400"  # the browser keeps it; shared caches never do
    (scanned,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)), formats=zxingcpp.BarcodeFormat.QRCode)
    issuer = SandboxBusiness.objects.get(business_id=seller.nrs_business_id)
    opened = qr_decrypt(issuer, scanned.text)
    assert opened["irn"].split(".")[0] == sent.irn and opened["certificate"] == issuer.certificate
    assert png_data_uri(png.content) in received_pdf_html(received)  # the PDF for the files carries it too
    purchase_acknowledge(received=received, actor=Actor(user=member(buyer, "approver")))

    with django_capture_on_commit_callbacks(execute=True):
        assert deliveries_check()["acknowledged"] == 1
    assert receiver.wait_for(1, timeout=5)
    (acknowledged,) = heard(receiver, A_KEY, "invoice.acknowledged")
    assert acknowledged["data"]["irn"] == sent.irn and acknowledged["data"]["buyerAcknowledgedAt"].endswith("Z")
    assert reload(sent).buyer_acknowledged_at is not None

    client.force_login(member(seller, "clerk"))
    page = client.get(reverse("invoice_detail", args=[sent.pk])).content.decode()
    assert "Acknowledged by the buyer" in page
