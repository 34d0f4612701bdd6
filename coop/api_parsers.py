"""Request parsers of the API (a module of its own: DRF imports it while loading its settings)."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers


class ObjectJSONParser(parsers.JSONParser):
    """Every write of this API takes a JSON object; anything else is bad input, answered with 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("请求内容应为 JSON 对象。"))
        return data
