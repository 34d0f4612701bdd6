"""Public pages of the site: landing page and trace-code lookup."""

import re

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from coop.models import Cooperative, Village
from quality.services.trace import lookup_path, typed_code


@require_GET
def landing(request):
    coop = Cooperative.objects.order_by("id").first()
    villages = Village.objects.filter(cooperative=coop).order_by("-altitude_m") if coop else []
    return render(request, "coop/landing.html", {"coop": coop, "villages": villages})


@require_GET
def trace_lookup(request):
    """The box on the landing and 404 pages: for when the camera cannot read a QR code."""
    raw = request.GET.get("code", "")
    found = lookup_path(raw)
    if found is not None:
        return HttpResponseRedirect(found)
    # Not found: the scan page's own "not found" page, with what was typed (folded to what a code can hold).
    code = re.sub(r"[^0-9A-Za-z\-]", "", typed_code(raw)).upper()[:40]
    if not code:
        return render(request, "coop/trace_lookup.html", {"error": _("请输入标签上的溯源码。") if raw else ""},
                      status=400 if raw else 200)
    return HttpResponseRedirect(f"/t/{code}")
