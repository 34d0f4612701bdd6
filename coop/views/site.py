"""Public pages of the site: the landing page and the favicon (the trace-code lookup is quality's:
quality/views/trace.py)."""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_safe

from coop.models import Cooperative, Village


@require_GET
def landing(request):
    coop = Cooperative.objects.order_by("id").first()
    villages = Village.objects.filter(cooperative=coop).order_by("-altitude_m") if coop else []
    return render(request, "coop/landing.html", {"coop": coop, "villages": villages})


FAVICON = "img/favicon.ico"


@lru_cache(maxsize=1)
def _favicon_bytes():
    # Found once among the shipped static files (the source folder, or collectstatic's copy).
    path = finders.find(FAVICON) or str(Path(settings.STATIC_ROOT) / FAVICON)
    return Path(path).read_bytes()


@require_safe
@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request):
    """/favicon.ico, which every browser asks for whatever the page says: the shipped egg, cached a week
    (an answer, not a 404 logged on every first visit)."""
    return HttpResponse(_favicon_bytes(), content_type="image/x-icon")
