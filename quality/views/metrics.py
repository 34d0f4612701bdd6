"""/metrics for the operator's Prometheus: answered only to the scraper (a bearer token, or an address on
the allow-list), a 404 to anyone else, so the figures of a collective's machinery are no public page."""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from coop.lib.client import client_ip
from quality.services.metrics import CollectiveCollector

_collective = CollectiveCollector()
REGISTRY.register(_collective)


def _allowed(request):
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return bool(settings.METRICS_ALLOWED_IPS) and client_ip(request) in settings.METRICS_ALLOWED_IPS


@never_cache
@require_GET
def metrics(request):
    if not _allowed(request):
        raise Http404
    if settings.PROMETHEUS_MULTIPROC_DIR:
        # gunicorn workers and Celery workers each write their counters to the shared directory; one
        # registry reads them all, and the scrape-time figures are added once.
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(_collective)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
