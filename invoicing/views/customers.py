# Filled in by the master-data work: list, search, create, edit, archive, and the as-you-type look-up.
urlpatterns = []
