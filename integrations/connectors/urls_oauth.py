"""Portal routes of QuickBooks' OAuth connect (the connector screens have their own urls module)."""

from integrations.connectors.views_oauth import urlpatterns

__all__ = ["urlpatterns"]
