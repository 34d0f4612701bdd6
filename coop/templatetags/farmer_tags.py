"""Small helpers for the farmer pages: money as ¥12.50, icons from one cached SVG sprite."""

from decimal import Decimal

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from coop.services.notifications import event_label as label

register = template.Library()


@register.filter
def yuan(value):
    """¥12.50, and −¥3.00 for a debit (the sign in front, where a reader looks first)."""
    if value in (None, ""):
        return ""
    value = Decimal(value).quantize(Decimal("0.01"))
    if value < 0:
        return f"−¥{-value:,}"
    return f"¥{value:,}"


@register.simple_tag
def icon(name, label=""):
    """An icon from static/img/farmer-icons.svg. Decorative unless ``label`` is given."""
    href = static("img/farmer-icons.svg") + "#" + name
    if label:
        return format_html('<svg class="ic ic-{}" role="img" aria-label="{}"><use href="{}"></use></svg>',
                           name, label, href)
    return format_html('<svg class="ic ic-{}" aria-hidden="true"><use href="{}"></use></svg>', name, href)


@register.filter
def event_label(event):

    return label(event)
