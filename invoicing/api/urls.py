from invoicing.api import batches, helpers, invoices, master

urlpatterns = [*invoices.urlpatterns, *batches.urlpatterns, *master.urlpatterns, *helpers.urlpatterns]
