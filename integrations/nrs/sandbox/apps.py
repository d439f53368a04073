from django.apps import AppConfig


class SandboxConfig(AppConfig):
    name = "integrations.nrs.sandbox"
    label = "nrs_sandbox"
    verbose_name = "Embedded NRS sandbox"
