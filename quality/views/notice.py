"""The village notice board (/notice/<village>)."""

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from coop.lib.validators import ASCII_INT_RE, optional_id
from coop.models import Village
from quality.services import notice


@require_GET
def notice_board(request, village):
    """``/notice/<village>``: the village's 红黑榜 (village id, or its name)."""
    qs = Village.objects.select_related("cooperative")
    if ASCII_INT_RE.fullmatch(village):
        village_id = optional_id(village)  # a number too large to be an id names no village
        v = qs.filter(pk=village_id).first() if village_id else None
    else:
        v = qs.filter(name=village[:100]).first()
    if v is None:
        raise Http404(_("找不到这个村。"))
    now = timezone.now()
    return render(request, "quality/charter/notice.html", {
        "village": v, "sanctions": notice.sanctions_on_board(v, now), "winners": notice.hygiene_winners(v, now),
        "today": timezone.localdate(now),
    })
