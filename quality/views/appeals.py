"""A household's appeal against a penalty (/farmer/penalties/<pk>/appeal/)."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coop.views.farmers import farmer_required
from quality.models import CharterError
from quality.services.appeals import appeal_grounds, file_appeal
from quality.views.penalties import _own_penalties


@require_POST
@farmer_required
def appeal(request, pk):
    penalty = get_object_or_404(_own_penalties(request.farmer), pk=pk)
    grounds = request.POST.get("grounds", "")
    wants_call = request.POST.get("wants_call") == "1"
    try:
        file_appeal(penalty, user=request.user, wants_call=wants_call, grounds=appeal_grounds(
            reason=request.POST.get("reason", ""), text=grounds, wants_call=wants_call))
    except CharterError as exc:
        messages.error(request, str(exc))
        request.session["appeal_grounds"] = grounds[:2000]  # keep what they typed
    else:
        messages.success(request, _("申诉已提交。议事会审理前不会扣钱。"))
    return HttpResponseRedirect(f"/farmer/penalties/{penalty.pk}/")
