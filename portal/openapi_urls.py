"""The OpenAPI schema (/api/v1/schema) and the docs that read it (/api/docs: Redoc; /api/docs/swagger: Swagger UI).

Public, like the published reference. UI assets come from drf-spectacular-sidecar through our own static files:
no CDN. The schema is generated once per process (per URLconf): it only changes with the code.
"""

from django.conf import settings
from django.urls import path
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.response import Response

_schemas: dict = {}


class CompactJson(OpenApiJsonRenderer2):
    """application/json without drf-spectacular's 4-space indent (a third of the size)."""

    def get_indent(self, accepted_media_type, renderer_context):
        return super(OpenApiJsonRenderer, self).get_indent(accepted_media_type, renderer_context)


class SchemaView(SpectacularAPIView):
    # JSON unless asked otherwise (?format=yaml, or Accept: application/yaml).
    renderer_classes = [CompactJson, OpenApiJsonRenderer, OpenApiYamlRenderer, OpenApiYamlRenderer2]

    def _get_schema_response(self, request):
        # Generating walks every view (~0.5 s): once per process, not once per (unauthenticated) request.
        # Keyed by URLconf only (our texts are not translated): a query string cannot grow the cache.
        if settings.ROOT_URLCONF not in _schemas:
            _schemas[settings.ROOT_URLCONF] = super()._get_schema_response(request).data
        filename = "flowpoint-api." + self.perform_content_negotiation(request, force=True)[0].format
        return Response(
            _schemas[settings.ROOT_URLCONF], headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )


# The docs pages may load nothing from another host: Redoc's bundle would fetch its attribution logo from
# cdn.redoc.ly, and a UI upgrade could bring other calls. Inline scripts and styles are the UIs' own (Redoc
# injects its styles; both start from an inline script), and Redoc renders in a blob: worker.
DOCS_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' blob:",
        "worker-src 'self' blob:",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' https://api.flowpoint.ng",  # Swagger UI's "try it out" against the production server
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)


class SameOriginOnly:
    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CSP
        return response


class DocsView(SameOriginOnly, SpectacularRedocView):
    template_name = "api_docs.html"  # Redoc without the stock template's Google Fonts links


class SwaggerView(SameOriginOnly, SpectacularSwaggerView):
    pass


urlpatterns = [
    path("api/v1/schema", SchemaView.as_view(), name="api_schema"),
    path("api/docs", DocsView.as_view(url_name="api_schema"), name="api_docs"),
    path("api/docs/swagger", SwaggerView.as_view(url_name="api_schema"), name="api_docs_swagger"),
]
