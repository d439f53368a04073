from invoicing.api import batches

urlpatterns = [*batches.urlpatterns]
