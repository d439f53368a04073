from invoicing.api import batches, exchange_rates, helpers, invoices, master, purchases

urlpatterns = [
    *invoices.urlpatterns,
    *batches.urlpatterns,
    *master.urlpatterns,
    *purchases.urlpatterns,
    *helpers.urlpatterns,
    *exchange_rates.urlpatterns,
]
