from django import template

from tenants import expiry

register = template.Library()


@register.filter
def expiry_note(ends_at) -> str:
    """{{ key.valid_until|expiry_note }}: "Expires in 12 days", "Expired on 3 Dec 2026", or nothing."""
    return expiry.expiry_note(ends_at)
