from invoicing.api import batches, helpers, invoices, master

urlpatterns = [*batches.urlpatterns, *invoices.urlpatterns, *master.urlpatterns, *helpers.urlpatterns]
