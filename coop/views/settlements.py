"""Settlement pages: settling a month, the run's progress, the list and its Excel export."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from coop.forms import PeriodForm
from coop.lib import tenancy
from coop.lib.files import file_response
from coop.models import Settlement, SettlementRun, Staff
from coop.services import twofactor
from coop.services.audit import log_action
from coop.services.payslips import render_transfer_xlsx
from coop.services.settlements import TO_APPROVE, month_bounds, start_settlement_run
from coop.views.base import LOGIN, manager_cooperative


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
    context = {"run": run, "finished": finished}
    if finished:
        # The next step where it is: approve this month's drafts and go on to pay them, as the admin's actions do
        # (the button posts them to the list of exactly these drafts).
        lookups = {**TO_APPROVE, "cooperative": run.cooperative_id, "period_start": run.period_start,
                   "period_end": run.period_end}
        drafts = Settlement.objects.filter(**lookups).aggregate(n=Count("id"), paid_out=Settlement.paid_out_sum())
        context.update(drafts=drafts["n"], drafts_paid_out=drafts["paid_out"] or Decimal("0.00"),
                       drafts_url=reverse("admin:coop_settlement_changelist") + "?" + urlencode(
                           {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in lookups.items()}))
    return render(request, "coop/books/run.html", context)


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
    # Totals count what is (to be) paid; a negative net is owed by the household, not paid to it, so it
    # is totalled apart instead of being subtracted from the money paid out.
    totals = {status: sum((s.paid_out for s in rows if s.status == status), Decimal("0.00"))
              for status, _l in Settlement.STATUSES}
    carried = sum((s.carried_over for s in rows), Decimal("0.00"))
    return render(request, "coop/books/settlements.html", {
        "coop": coop, "rows": rows, "month": f"{start:%Y-%m}", "start": start, "end": end, "totals": totals,
        "carried": carried})


@login_required(login_url=LOGIN)
@require_GET
def export_xlsx(request):
    coop = manager_cooperative(request)
    twofactor.check_verified(request.user)  # the transfer list: every household's full account number
    start, end = _period_from(request)
    rows = (Settlement.objects.filter(cooperative=coop, period_start=start, period_end=end,
                                      status__in=[Settlement.APPROVED, Settlement.PAID])
            .select_related("farmer", "farmer__village").order_by("farmer__member_no"))
    # The export is the one place full account numbers appear: record who took them.
    log_action(coop, "settlement.exported", user=request.user, data={"month": f"{start:%Y-%m}", "rows": len(rows)})
    response = file_response(render_transfer_xlsx(rows), f"payouts-{coop.producer_code}-{start:%Y%m}.xlsx",
                             download=True)
    return response
