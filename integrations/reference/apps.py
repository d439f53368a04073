from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "integrations.reference"
    label = "reference"
    verbose_name = "NRS reference data"
