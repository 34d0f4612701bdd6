"""Managers' pages of the books: pack a batch, settle a month (with progress), payslips, exports.

The admin offers the same operations (it links here); these pages are plain forms that work on a
phone. Every operation is a service call; a domain error becomes a message on the form.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from coop import tenancy
from coop.forms_books import PackForm, PeriodForm
from coop.models import Batch, Cooperative, Settlement, SettlementRun, Staff
from coop.services.audit import log_action
from coop.services.packing import PackingError, available_stock, pack_batch
from coop.services.payslips import payslip_lines, render_pdf, render_transfer_xlsx
from coop.services.settlements import month_bounds, start_settlement_run

LOGIN = "/admin/login/"


def manager_cooperative(request):
    ids = tenancy.cooperative_ids(request.user, (Staff.MANAGER,))
    if not ids:
        raise PermissionDenied(_("只有合作社管理员可以做这件事。"))
    wanted = request.GET.get("coop") or request.POST.get("coop")
    if wanted and wanted.isdigit() and int(wanted) in ids:
        return Cooperative.objects.get(pk=int(wanted))
    return Cooperative.objects.get(pk=ids[0])


@login_required(login_url=LOGIN)
def pack(request):
    coop = manager_cooperative(request)
    form = PackForm(request.POST or None, initial={"pack_size": (coop.pack_sizes or [10])[0]})
    if request.method == "POST" and form.is_valid():
        try:
            batch = pack_batch(cooperative=coop, user=request.user, **form.cleaned_data)
        except PackingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("已包装批次 %(code)s：%(eggs)d 枚，保质期至 %(bb)s。") % {
                "code": batch.code, "eggs": batch.eggs, "bb": f"{batch.best_before:%Y-%m-%d}"})
            return redirect(f"{request.path}?coop={coop.pk}")
    batches = Batch.objects.filter(cooperative=coop).prefetch_related("contributions__delivery__farmer")[:5]
    return render(request, "coop/books/pack.html", {
        "coop": coop, "form": form, "stock": available_stock(coop), "batches": batches,
    }, status=400 if request.method == "POST" else 200)


@login_required(login_url=LOGIN)
def settle(request):
    coop = manager_cooperative(request)
    default = month_bounds(timezone.localdate())[0]
    form = PeriodForm(request.POST or None, initial={"month": f"{default:%Y-%m}"})
    if request.method == "POST" and form.is_valid():
        start, end = form.cleaned_data["month"]
        run = start_settlement_run(cooperative=coop, period_start=start, period_end=end, user=request.user)
        return redirect("books-run", pk=run.pk)
    runs = SettlementRun.objects.filter(cooperative=coop)[:5]
    return render(request, "coop/books/settle.html", {"coop": coop, "form": form, "runs": runs},
                  status=400 if request.method == "POST" else 200)


@login_required(login_url=LOGIN)
@require_GET
def run_progress(request, pk):
    ids = tenancy.cooperative_ids(request.user, (Staff.MANAGER,))
    run = get_object_or_404(SettlementRun.objects.select_related("cooperative"), pk=pk, cooperative__in=ids)
    finished = run.status in (SettlementRun.DONE, SettlementRun.FAILED)
    return render(request, "coop/books/run.html", {"run": run, "finished": finished})


def _period_from(request):
    raw = request.GET.get("month") or f"{timezone.localdate():%Y-%m}"
    form = PeriodForm({"month": raw})
    if not form.is_valid():
        raise Http404(_("月份不正确。"))
    return form.cleaned_data["month"]


@login_required(login_url=LOGIN)
@require_GET
def settlements(request):
    coop = manager_cooperative(request)
    start, end = _period_from(request)
    rows = (Settlement.objects.filter(cooperative=coop, period_start=start, period_end=end)
            .select_related("farmer", "farmer__village").order_by("farmer__member_no"))
    totals = {status: sum(s.net for s in rows if s.status == status) for status, _l in Settlement.STATUSES}
    return render(request, "coop/books/settlements.html", {
        "coop": coop, "rows": rows, "month": f"{start:%Y-%m}", "start": start, "end": end, "totals": totals})


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
    return render(request, "coop/books/payslip.html", {"s": s, "lines": payslip_lines(s),
                                                       "is_staff": s.cooperative_id in tenancy.cooperative_ids(
                                                           request.user)})


@login_required(login_url=LOGIN)
@require_GET
def payslip_pdf(request, pk):
    s = _visible_settlement(request, pk)
    response = HttpResponse(render_pdf(s), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="payslip-{s.farmer.member_no}-{s.period_start:%Y%m}.pdf"'
    return response


@login_required(login_url=LOGIN)
@require_GET
def export_xlsx(request):
    coop = manager_cooperative(request)
    start, end = _period_from(request)
    rows = (Settlement.objects.filter(cooperative=coop, period_start=start, period_end=end,
                                      status__in=[Settlement.APPROVED, Settlement.PAID])
            .select_related("farmer", "farmer__village").order_by("farmer__member_no"))
    # The export is the one place full account numbers appear: record who took them.
    log_action(coop, "settlement.exported", user=request.user, data={"month": f"{start:%Y-%m}", "rows": len(rows)})
    response = HttpResponse(render_transfer_xlsx(rows),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="payouts-{coop.producer_code}-{start:%Y%m}.xlsx"'
    return response
