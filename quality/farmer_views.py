"""The household's penalty and charter pages (/farmer/penalties/, /farmer/charter/).

Same rules as the coop farmer pages: signed-in household only, filtered by ``request.farmer`` so
another household's penalty id is a 404. Appeals go through ``quality.services.appeals.file_appeal``.
"""

import math

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coop.farmer.auth import farmer_required
from quality.models import Appeal, CharterError, Penalty
from quality.services.appeals import file_appeal
from quality.services.charter import charter_in_force

# Colour of each state on the farmer's screen: red = a fine that counts, amber = not decided yet.
TONE = {
    Penalty.PROPOSED: "warn", Penalty.NOTIFIED: "warn", Penalty.APPEALED: "warn",
    Penalty.APPLIED: "bad", Penalty.WAIVED: "ok", Penalty.REVERSED: "ok",
}


def _days_left(penalty, now):
    if not penalty.appeal_open:
        return None
    return max(0, math.ceil((penalty.appeal_deadline - now).total_seconds() / 86400))


def _decorate(penalty, now):
    penalty.tone = TONE.get(penalty.status, "warn")
    if penalty.tone == "bad" and not penalty.amount:
        penalty.tone = "warn"  # a warning costs no money: amber, not the red of a fine
    penalty.days_left = _days_left(penalty, now)
    return penalty


def _own_penalties(farmer):
    return (Penalty.objects.filter(farmer=farmer)
            .select_related("report", "report__batch", "clause", "charter")
            .exclude(status=Penalty.PROPOSED))  # a proposal is not yet decided: the household is told at "notified"


@farmer_required
def penalties(request):
    now = timezone.now()
    rows = [_decorate(p, now) for p in _own_penalties(request.farmer).order_by("-created_at")[:50]]
    return render(request, "quality/farmer/penalties.html", {"penalties": rows, "nav": "fines"})


@farmer_required
def penalty_detail(request, pk):
    now = timezone.now()
    penalty = _decorate(get_object_or_404(_own_penalties(request.farmer), pk=pk), now)
    appeal = Appeal.objects.filter(penalty=penalty).first()
    return render(request, "quality/farmer/penalty_detail.html", {
        "p": penalty, "report": penalty.report, "photos": penalty.report.photos.all()[:3],
        "appeal": appeal, "nav": "fines", "grounds": request.session.pop("appeal_grounds", ""),
    })


@require_POST
@farmer_required
def appeal(request, pk):
    penalty = get_object_or_404(_own_penalties(request.farmer), pk=pk)
    grounds = request.POST.get("grounds", "")
    try:
        file_appeal(penalty, user=request.user, grounds=grounds)
    except CharterError as exc:
        messages.error(request, str(exc))
        request.session["appeal_grounds"] = grounds[:2000]  # keep what they typed
    else:
        messages.success(request, _("申诉已提交。议事会审理前不会扣钱。"))
    return HttpResponseRedirect(f"/farmer/penalties/{penalty.pk}/")


@farmer_required
def charter(request):
    current = charter_in_force(request.farmer.cooperative, timezone.localdate())
    clauses = current.clauses.order_by("number", "from_offence") if current else []
    return render(request, "quality/farmer/charter.html", {"charter": current, "clauses": clauses, "nav": ""})
