"""Health of the running system: database, Redis and a Celery worker (for /healthz and the monitor)."""

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from coop.celery import app


@app.task(name="coop.ping")
def ping():
    """Answers 'pong'; /healthz and the worker tests use it to prove a worker is alive."""
    return "pong"


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_redis():
    cache.set("healthz", "ok", 10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache round-trip failed")


def check_worker():
    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError("no Celery worker answered")


def health(*, with_worker=False):
    """``(healthy, result)``: every configured service checked, each "ok" or "down: <error class>"."""
    checks = {"database": check_database}
    if settings.REDIS_URL:
        checks["redis"] = check_redis
        if with_worker:
            checks["celery_worker"] = check_worker
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
    return healthy, result
