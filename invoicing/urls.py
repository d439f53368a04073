from invoicing.views import audit_log, batches, customers, invoices, items, verify

urlpatterns = [
    *audit_log.urlpatterns,
    *batches.urlpatterns,
    *customers.urlpatterns,
    *items.urlpatterns,
    *invoices.urlpatterns,
    *verify.urlpatterns,
]
