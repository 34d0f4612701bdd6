"""DRF plumbing named in settings.REST_FRAMEWORK / SPECTACULAR_SETTINGS: pagination, the JSON-object
parser and the schema hook documenting the error shape.

Kept apart from coop/api/base.py: DRF reads these settings while ``rest_framework.views`` is being
imported, so the module that defines them must not import DRF's views itself.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination, parsers


class Pagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class ObjectJSONParser(parsers.JSONParser):
    """Every write of this API takes a JSON object; anything else is bad input, answered with 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if not isinstance(data, dict):
            raise exceptions.ParseError(_("请求内容应为 JSON 对象。"))
        return data


ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
            },
            "required": ["code", "message"],
        },
    },
    "required": ["error"],
}


ERRORS = {
    "400": "提交的数据有误 (bad input)",
    "401": "未登录 (not signed in)",
    "403": "无权操作 (not allowed)",
    "404": "不存在 (no such row or page)",
    "405": "不支持的方法 (method not allowed)",
    "409": "还有其他记录引用它 (still referenced)",
    "429": "请求太频繁 (throttled)",
}


METHODS = ("get", "post", "put", "patch", "delete")


PROTOCOL_PATHS = {"/api/payments/notify/{provider}/": "ProviderAnswer"}


PROVIDER_ANSWER = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
    "required": ["code"],
}


def document_errors(result, generator, request, public):
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["ProviderAnswer"] = PROVIDER_ANSWER
    for path, operations in result.get("paths", {}).items():
        name = PROTOCOL_PATHS.get(path, "Error")
        content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(code, {"description": description, "content": content})
    return result


def body_text(data, name, default=""):
    """The text field ``name`` of an action's request body (the actions that read one field without a
    serializer): a JSON list or object where a string belongs is answered 400, never passed on to a
    service that would fail on it with a 500. Numbers are read with ``coop.lib.validators.parse_int``."""
    value = data.get(name, default) if hasattr(data, "get") else default
    if value is None:
        return default
    if not isinstance(value, str):
        raise exceptions.ValidationError({name: [_("应为文字。")]})
    return value
