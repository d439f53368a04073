"""One domain error for every app: a refusal that reaches an API view unworded still answers as JSON, never 500."""

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from integrations.webhooks.services import WebhookError
from invoicing.errors import InvoiceError
from invoicing.master_data import MasterDataError
from portal.errors import DomainError


@pytest.mark.parametrize(
    "error, status, code",
    [
        (InvoiceError("duplicate_invoice", "That number is taken.", status=409), 409, "duplicate_invoice"),
        (MasterDataError("CUSTOMER_NOT_FOUND", "No such customer.", status=404), 404, "CUSTOMER_NOT_FOUND"),
        (WebhookError("endpoint_exists", "One endpoint per business."), 409, "endpoint_exists"),
    ],
)
def test_every_app_refuses_with_the_one_domain_error(error, status, code):
    class Refusing(APIView):
        authentication_classes = permission_classes = ()

        def get(self, request):
            raise error

    assert isinstance(error, DomainError)
    response = Refusing.as_view()(APIRequestFactory().get("/api/v1/anything"))
    assert response.status_code == status
    assert response.data == {"error": error.message, "code": code}
