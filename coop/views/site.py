"""Public pages of the site: landing page and trace-code lookup."""

import re

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
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
