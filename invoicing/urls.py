from invoicing.views import customers, invoices, items

urlpatterns = [*customers.urlpatterns, *items.urlpatterns, *invoices.urlpatterns]
