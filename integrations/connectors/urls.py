"""Portal routes of the connectors app (Settings → Connectors); the API routes are in api.py."""

from integrations.connectors.views import urlpatterns

__all__ = ["urlpatterns"]
