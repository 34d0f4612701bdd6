"""When the database is unreachable: answer 503 "try again shortly", never the 500 page.

A PostgreSQL restart, a failover or a full connection pool raises ``OperationalError`` from whatever
query came first. That is not a bug in the request, so it must not look like one: the REST API answers
its documented error shape as JSON with ``503`` and ``Retry-After`` (clients and the offline queue retry
on it), and pages — the public scan page first, read by buyers with a box in hand — answer a short
Chinese page with ``503``. The page is static HTML: rendering a template with context processors could
itself need the database.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

logger = logging.getLogger("greenshell.outage")

RETRY_AFTER = 30  # seconds: long enough for a restart, short enough for someone standing at a stall

PAGE = """<!doctype html><html lang="zh-hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<link rel="stylesheet" href="/static/css/site.css"></head>
<body><main><h1>{title}</h1><p>{body}</p><p lang="en">{english}</p></main></body></html>"""


def is_outage(exc):
    return isinstance(exc, (OperationalError, InterfaceError))


def outage_response(request):
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": {"code": "unavailable", "message": _("服务暂时不可用，请稍后再试。")}},
                                status=503, json_dumps_params={"ensure_ascii": False})
    else:
        page = PAGE.format(title=_("系统繁忙"), body=_("数据暂时查不到，请过半分钟再扫一次或刷新页面。"),
                           english="Temporarily unavailable. Please try again in a minute.")
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    """Turns a database outage raised by a view into a 503 (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        logger.error("database unavailable: %s %s", request.method, request.path, exc_info=exception)
        return outage_response(request)
