"""Times of the NRS queue in words people read at a glance: `{{ when|clock }}`, `{{ since|waited }}`.

Both read the local time (TIME_ZONE, Africa/Lagos): a clock time without a date is only right for today.
"""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext, ngettext

register = template.Library()


@register.filter
def clock(value: datetime | None, seconds: str = "") -> str:
    """`10:42` today, `3 Dec 10:42` on another day; `clock:"s"` adds the seconds (a short pause)."""
    if not value:
        return ""
    local = timezone.localtime(value)
    time = "H:i:s" if seconds else "H:i"
    return date_format(local, time if local.date() == timezone.localdate() else f"j M {time}")


@register.filter
def waited(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago `value` was, to the minute: `under a minute`, `3 min`, `2 h 5 min`, `1 day 4 h`."""
    if not value:
        return ""
    minutes = int(((now or timezone.now()) - value).total_seconds() // 60)
    if minutes < 1:
        return gettext("under a minute")
    if minutes < 60:
        return gettext("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24 and minutes:
        return gettext("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if hours < 24:
        return gettext("%(h)d h") % {"h": hours}
    days, hours = divmod(hours, 24)
    text = ngettext("%(d)d day", "%(d)d days", days) % {"d": days}
    return text + (" " + gettext("%(h)d h") % {"h": hours} if hours else "")
