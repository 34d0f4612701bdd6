"""/healthz: database, Redis and worker checks for the monitor (coop/services/health.py)."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from coop.services.health import health


@never_cache
@require_GET
def healthz(request):
    """200 when everything configured is up, 503 naming what is down. Used by monitoring."""
    healthy, result = health(with_worker=request.GET.get("worker") == "1")
    return JsonResponse(result, status=200 if healthy else 503)
