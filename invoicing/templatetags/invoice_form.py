from django import template

register = template.Library()


@register.filter
def split(value) -> list[str]:
    """Field names given as "a b c", or as a form's tuple of names."""
    return value.split() if isinstance(value, str) else list(value)


@register.filter
def field(form, name: str):
    return form[name]
