import re

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from coop.models import Cooperative, Village


@require_GET
def landing(request):
    coop = Cooperative.objects.order_by("id").first()
    villages = Village.objects.filter(cooperative=coop).order_by("-altitude_m") if coop else []
    return render(request, "coop/landing.html", {"coop": coop, "villages": villages})


@require_GET
def trace_lookup(request):
    """The box on the landing and 404 pages: for when the camera cannot read a QR code."""
    raw = request.GET.get("code", "")
    code = re.sub(r"[^0-9A-Za-z\-]", "", raw).upper()
    if not code:
        return render(request, "coop/trace_lookup.html", {"error": _("请输入标签上的溯源码。") if raw else ""},
                      status=400 if raw else 200)
    return HttpResponseRedirect(f"/t/{code}")


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis():
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache round-trip failed")


def _check_worker():
    from coop.celery import app

    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no Celery worker answered")


@never_cache
@require_GET
def healthz(request):
    """200 when everything configured is up, 503 naming what is down. Used by monitoring."""
    checks = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
        if request.GET.get("worker") == "1":
            checks["celery_worker"] = _check_worker
    result, healthy = {}, True
    for name, check in checks.items():
        try:
            check()
            result[name] = "ok"
        except Exception as exc:  # a health check reports every failure, whatever its type
            result[name] = f"down: {exc.__class__.__name__}"
            healthy = False
    result["status"] = "ok" if healthy else "down"
    result["celery"] = "eager" if settings.CELERY_TASK_ALWAYS_EAGER else "worker"
    return JsonResponse(result, status=200 if healthy else 503)
