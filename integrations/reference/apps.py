from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ReferenceConfig(AppConfig):
    name = "integrations.reference"
    label = "reference"
    verbose_name = "NRS reference data"

    def ready(self):
        from integrations.reference import lookup

        # A code list edited row by row (the admin, a test) is seen by this process's next lookup.
        def forget(**kwargs):
            lookup.clear()

        for model in self.get_models():
            post_save.connect(forget, sender=model, dispatch_uid=f"lookup-save-{model.__name__}", weak=False)
            post_delete.connect(forget, sender=model, dispatch_uid=f"lookup-delete-{model.__name__}", weak=False)
