from invoicing.views import audit_log, batches, codes, customers, invoices, items, verify

urlpatterns = [
    *audit_log.urlpatterns,
    *batches.urlpatterns,
    *codes.urlpatterns,
    *customers.urlpatterns,
    *items.urlpatterns,
    *invoices.urlpatterns,
    *verify.urlpatterns,
]
