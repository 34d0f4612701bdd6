"""A household's penalties (/farmer/penalties/)."""

import math

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from coop.lib.audio import MAX_VOICE_SECONDS
from coop.views.farmers import farmer_required
from quality.models import Appeal, Penalty
from quality.services.appeals import APPEAL_REASONS
from quality.services.penalties import share_explanation

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
        "share": share_explanation(penalty), "reasons": APPEAL_REASONS, "voice_max": MAX_VOICE_SECONDS,
    })
