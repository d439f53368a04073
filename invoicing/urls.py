from invoicing.views import audit_log, batches, codes, customers, invoices, items, purchases, verify

urlpatterns = [
    *audit_log.urlpatterns,
    *batches.urlpatterns,
    *codes.urlpatterns,
    *customers.urlpatterns,
    *items.urlpatterns,
    *invoices.urlpatterns,
    *purchases.urlpatterns,
    *verify.urlpatterns,
]
