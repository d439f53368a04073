from django import template

from tenants import expiry

register = template.Library()


@register.filter
def expiry_note(ends_at) -> str:
    """{{ key.valid_until|expiry_note }}: "Expires in 12 days", "Expired on 3 Dec 2026", or nothing."""
    return expiry.expiry_note(ends_at)


@register.filter
def expiry_soon(last_day) -> bool:
    """Within the 30 days the admins are warned in (or past): the note is shown as a warning."""
    return bool(last_day) and expiry.calendar_days_left(last_day) <= max(expiry.WARN_DAYS)
