from invoicing.api import batches, helpers, invoices, master, purchases, tools

urlpatterns = [
    *tools.urlpatterns,
    *invoices.urlpatterns,
    *batches.urlpatterns,
    *master.urlpatterns,
    *purchases.urlpatterns,
    *helpers.urlpatterns,
]
