"""Schema post-processing: document the error answers every operation can give.

Any operation may answer with the one error shape of ``coop.api_support.exception_handler`` —
bad input (400), not signed in (401), not allowed (403), no such row or page (404), method not
allowed (405), throttled (429). drf-spectacular documents only the success answer; without these,
a client (and the schemathesis run in tests/trust/test_api_fuzz.py) meets undocumented codes.
"""

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


# Endpoints that speak another party's protocol answer in its shape (WeChat Pay: {"code", "message"}).
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
