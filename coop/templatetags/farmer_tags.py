"""Small helpers for the pages: money as ¥12.50 / −¥6.00, icons from one cached SVG sprite, the words for
audit actions, notification events and channels (coop.lib.words)."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from coop.lib import words
from coop.services.notifications import event_label as label

register = template.Library()


@register.filter
def yuan(value):
    """¥12.50, and −¥3.00 for a debit (the sign in front, where a reader looks first)."""
    return words.yuan(value)


@register.filter
def action_label(action, object_type=None):
    """``{{ e.action|action_label:e.object_type }}`` → "交蛋已登记"."""
    return words.action_label(action, object_type)


@register.filter
def channel_label(channel):
    return words.channel_label(channel)


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


@register.filter
def person_name(user):
    """``{{ delivery.inspector|person_name }}`` → the person's name, not their login."""
    return words.person_name(user)

