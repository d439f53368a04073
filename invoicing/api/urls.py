from invoicing.api import batches, exchange_rates, helpers, invoices, master, purchases, tools

urlpatterns = [
    *tools.urlpatterns,
    *invoices.urlpatterns,
    *batches.urlpatterns,
    *master.urlpatterns,
    *purchases.urlpatterns,
    *helpers.urlpatterns,
    *exchange_rates.urlpatterns,
]
