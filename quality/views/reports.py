"""Bad-egg report pages: the form behind the scan page, status and lookup."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from quality.forms import ReportForm
from quality.models import BadEggReport, CharterError
from quality.services import reports
from quality.services.reports import RateLimited


@require_http_methods(["GET", "POST"])
def report_form(request, code):
    """``/t/<code>/report/``: a customer with a box in hand reports bad eggs. No account needed.

    From a buyer's order page the link carries ``?order=<number>``: when the signed-in buyer owns
    that order and it holds this batch, the report is linked to it (for the buyer's remedy).
    """
    batch = reports.batch_for_code(code)
    if batch is None:
        raise Http404(_("找不到这个溯源码。"))
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, batch=batch)
        if form.is_valid():
            data = form.cleaned_data
            staff = request.user.is_authenticated and request.user.is_staff
            order = reports.order_for_buyer(request.user, request.POST.get("order", ""), batch)
            try:
                report, merged = reports.submit_report(
                    batch=batch, eggs=data["eggs"], defect=data["defect"], photos=data["photos"],
                    stamp_code=data["stamp_code"], note=data["note"], contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"], trace_code=code, user=request.user,
                    source=BadEggReport.SOURCE_ORDER if order else BadEggReport.SOURCE_SCAN,
                    order_ref=order.number if order else "", fingerprint=reports.fingerprint_for(request),
                    client=reports.client_key(request), rate_limited=not staff)
            except RateLimited as exc:
                form.add_error(None, str(exc))
                status = 429
            except CharterError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                suffix = "?merged=1" if merged else ""
                return redirect(f"/report/{report.reference}/{suffix}")
        else:
            status = 400
    else:
        form = ReportForm(batch=batch)
    order = reports.order_for_buyer(request.user, request.GET.get("order") or request.POST.get("order", ""), batch)
    return render(request, "quality/charter/report_form.html",
                  {"form": form, "batch": batch, "code": code, "order": order}, status=status)


@require_GET
def report_status(request, reference):
    """``/report/<reference>/``: where the reporter follows their report. Shows nothing personal."""
    report = get_object_or_404(BadEggReport.objects.select_related("batch"), reference=reference.upper())
    steps = [BadEggReport.RECEIVED, BadEggReport.INVESTIGATING]
    return render(request, "quality/charter/report_status.html", {
        "report": report, "merged": request.GET.get("merged") == "1", "steps": steps,
        "done": report.status in (BadEggReport.CONFIRMED, BadEggReport.DISMISSED),
    })


@require_GET
def report_lookup(request):
    ref = "".join(ch for ch in request.GET.get("ref", "") if ch.isalnum()).upper()
    if ref:
        return redirect(f"/report/{ref}/")
    return render(request, "quality/charter/report_lookup.html")
