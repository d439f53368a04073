"""Portal routes of the webhooks app (Settings → Webhooks); the API routes are in api.py."""

from integrations.webhooks.views import urlpatterns

__all__ = ["urlpatterns"]
