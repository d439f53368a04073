from invoicing.views import batches, customers, invoices, items

urlpatterns = [*batches.urlpatterns, *customers.urlpatterns, *items.urlpatterns, *invoices.urlpatterns]
