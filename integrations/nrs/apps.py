from django.apps import AppConfig


class NrsConfig(AppConfig):
    name = "integrations.nrs"
    label = "nrs"
    verbose_name = "NRS client"
