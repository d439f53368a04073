from invoicing.api import batches, helpers, invoices, master, purchases

urlpatterns = [
    *invoices.urlpatterns,
    *batches.urlpatterns,
    *master.urlpatterns,
    *purchases.urlpatterns,
    *helpers.urlpatterns,
]
