"""Content-Security-Policy on every HTML page.

The portal's pages load only their own static files and carry no inline script or style, so a strict policy
costs them nothing and turns an HTML-injection bug into a page that does not run the injected code. A view that
needs another policy (the API docs: Redoc and Swagger UI start from inline scripts) sets its own header, which
is kept as it is.
"""

from django.conf import settings

# Django's own error pages (the debug pages of a developer machine, the CSRF failure page) style and script
# themselves inline: under the policy they would be unreadable. They carry this tag, and none of ours does.
DJANGO_ERROR_PAGE = b'<meta name="robots" content="NONE,NOARCHIVE">'


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # JSON, CSV, PDFs and images run no script: the header would only add bytes to every API answer.
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if response.status_code >= 400 and not response.streaming and DJANGO_ERROR_PAGE in response.content[:2000]:
            return response
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
