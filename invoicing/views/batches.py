# Portal CSV upload flow: upload, preview with errors, submit, progress (filled in by the CSV batch work).
urlpatterns = []
