"""Payslip pages (/books/payslip/…), HTML and PDF."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from coop.lib import tenancy
from coop.lib.files import file_response
from coop.models import Settlement
from coop.services.payslips import payslip_reading, render_pdf
from coop.views.base import LOGIN


def _visible_settlement(request, pk):
    """Staff of the cooperative see any payslip; a household signed in sees only its own."""
    s = get_object_or_404(Settlement.objects.select_related("farmer", "farmer__village", "cooperative"), pk=pk)
    if s.cooperative_id in tenancy.cooperative_ids(request.user):
        return s
    if s.farmer.user_id and s.farmer.user_id == request.user.pk:
        return s
    raise Http404


@login_required(login_url=LOGIN)
@require_GET
def payslip(request, pk):
    s = _visible_settlement(request, pk)
    return render(request, "coop/books/payslip.html", {
        "s": s, "r": payslip_reading(s),
        "is_staff": s.cooperative_id in tenancy.cooperative_ids(request.user)})


@login_required(login_url=LOGIN)
@require_GET
def payslip_pdf(request, pk):
    s = _visible_settlement(request, pk)
    response = file_response(render_pdf(s), f"payslip-{s.farmer.member_no}-{s.period_start:%Y%m}.pdf")
    return response
