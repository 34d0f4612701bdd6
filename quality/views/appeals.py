"""A household's appeal against a penalty (/farmer/penalties/<pk>/appeal/) and its voice note
(/files/appeal-voice/<pk>/, played on the hearing page and on the household's penalty page)."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coop.lib.audio import VOICE_TYPES
from coop.lib.media import private_file_response
from coop.views.farmers import farmer_required
from quality.models import CharterError
from quality.services.appeals import appeal_grounds, file_appeal, voice_notes_visible_to
from quality.views.penalties import _own_penalties


@require_POST
@farmer_required
def appeal(request, pk):
    penalty = get_object_or_404(_own_penalties(request.farmer), pk=pk)
    grounds = request.POST.get("grounds", "")
    wants_call = request.POST.get("wants_call") == "1"
    voice = request.FILES.get("voice_note")
    try:
        file_appeal(penalty, user=request.user, wants_call=wants_call, voice_note=voice,
                    voice_seconds=request.POST.get("voice_seconds"), grounds=appeal_grounds(
                        reason=request.POST.get("reason", ""), text=grounds, wants_call=wants_call,
                        voice_note=voice is not None))
    except CharterError as exc:
        messages.error(request, str(exc))
        request.session["appeal_grounds"] = grounds[:2000]  # keep what they typed
    else:
        messages.success(request, _("申诉已提交。议事会审理前不会扣钱。"))
    return HttpResponseRedirect(f"/farmer/penalties/{penalty.pk}/")


def voice_note(request, pk):
    """``/files/appeal-voice/<pk>/``: an appeal's voice note, for the managers and committee of its cooperative
    and the household that recorded it; anyone else (signed in or not) the 404 of a note that does not exist.
    Answered as the type its content was found to be (coop.lib.audio), never a type the phone claimed."""
    appeal = get_object_or_404(voice_notes_visible_to(request.user), pk=pk)
    ending = appeal.voice_note.name.rsplit(".", 1)[-1].lower()
    return private_file_response(appeal.voice_note, content_type=VOICE_TYPES.get(ending, "application/octet-stream"),
                                 filename=f"appeal-{appeal.pk}.{ending}")
