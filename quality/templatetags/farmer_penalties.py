"""The 处罚 badge on the household's pages: ``{% waiting_penalties request.farmer as n %}``.

A template tag, so the farmer pages of ``coop`` show a figure of ``quality`` without ``coop`` importing it."""

from django import template

from quality.services.penalties import waiting_count

register = template.Library()


@register.simple_tag
def waiting_penalties(farmer):
    return waiting_count(farmer) if farmer is not None else 0
