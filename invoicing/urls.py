from invoicing.views import audit_log, batches, codes, customers, exchange_rates, invoices, items, purchases, verify

urlpatterns = [
    *audit_log.urlpatterns,
    *batches.urlpatterns,
    *codes.urlpatterns,
    *customers.urlpatterns,
    *exchange_rates.urlpatterns,
    *items.urlpatterns,
    *invoices.urlpatterns,
    *purchases.urlpatterns,
    *verify.urlpatterns,
]
