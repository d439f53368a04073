# CSV batches: upload → per-row validation → submit → progress (filled in by the CSV batch work).
urlpatterns = []
