"""Every portal form names the business it was opened in.

A person with several businesses may have pages of business A open in one tab and switch to business B in another.
A form of A posted after that must not write into B (a "new customer" or "new invoice" form names no row that B
would fail to find). So this library, a template builtin (portal/settings.py TEMPLATES), replaces Django's
`{% csrf_token %}` with the same hidden token plus a hidden `_business` field holding the business the page was
shown in; every member page checks it (tenants/permissions.py tenant_required) and refuses a form of another
business, saving nothing. One place instead of an extra tag in each of the portal's forms.
"""

from django import template
from django.template.defaulttags import CsrfTokenNode
from django.utils.html import format_html

FORM_BUSINESS = "_business"

register = template.Library()


class CsrfAndBusinessNode(CsrfTokenNode):
    def render(self, context):
        token = super().render(context)
        tenant = context.get("current_tenant")
        if not token or tenant is None:
            return token
        return token + format_html('<input type="hidden" name="{}" value="{}">', FORM_BUSINESS, tenant.pk)


@register.tag
def csrf_token(parser, token):
    return CsrfAndBusinessNode()
