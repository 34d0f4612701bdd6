"""Bad-egg report pages: the form behind the scan page, status and lookup."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from coop.lib.media import private_file_response
from quality.forms import ReportForm
from quality.models import BadEggReport, CharterError
from quality.services import reports
from quality.services.reports import RateLimited


@require_http_methods(["GET", "POST"])
def report_form(request, code):
    """``/t/<code>/report/``: a customer with a box in hand reports bad eggs. No account needed.

    The report is linked to a shop order, for the buyer's remedy (refund or replacement): the order of the
    ``?order=<number>`` link of the buyer's order page, else the signed-in buyer's latest order holding this
    batch (a scan from the box), else the order the customer names by its number or phone.
    """
    batch = reports.batch_for_code(code)
    if batch is None:
        raise Http404(_("找不到这个溯源码。"))
    from_order_page = reports.order_for_buyer(request.user, request.GET.get("order") or request.POST.get("order", ""),
                                              batch)
    order = from_order_page or reports.buyers_order_with(request.user, batch)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST, request.FILES, batch=batch)
        if form.is_valid():
            data = form.cleaned_data
            staff = request.user.is_authenticated and request.user.is_staff
            try:
                if order is None:
                    order = reports.order_for_lookup(data["order_lookup"], batch)
                report, merged = reports.submit_report(
                    batch=batch, eggs=data["eggs"], defect=data["defect"], photos=data["photos"],
                    stamp_code=data["stamp_code"], note=data["note"], contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"], trace_code=code, user=request.user,
                    source=BadEggReport.SOURCE_ORDER if from_order_page else BadEggReport.SOURCE_SCAN,
                    order_ref=order.number if order else "", fingerprint=reports.fingerprint_for(request),
                    client=reports.client_key(request), rate_limited=not staff)
            except reports.OrderNotFound as exc:
                form.add_error("order_lookup", str(exc))
                status = 400
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
    return render(request, "quality/charter/report_form.html",
                  {"form": form, "batch": batch, "code": code, "order": order,
                   "from_order_page": from_order_page}, status=status)


@require_GET
def report_status(request, reference):
    """``/report/<reference>/``: where the reporter follows their report. Shows nothing personal."""
    report = get_object_or_404(BadEggReport.objects.select_related("batch"), reference=reference.upper())
    steps = [BadEggReport.RECEIVED, BadEggReport.INVESTIGATING]
    order = reports.linked_order(report)
    # The order's details (and the after-sale button) only for its buyer: the reference alone shows
    # nothing personal.
    own = order is not None and request.user.is_authenticated and order.buyer.user_id == request.user.pk
    return render(request, "quality/charter/report_status.html", {
        "report": report, "merged": request.GET.get("merged") == "1", "steps": steps,
        "done": report.status in (BadEggReport.CONFIRMED, BadEggReport.DISMISSED),
        "linked": order is not None, "order": order if own else None,
        "value": reports.bad_egg_value(order, report.batch, report.eggs) if order is not None else None,
        "aftersale": reports.aftersale_of(report) if own else None,
        "paid_offline": order is not None and order.payments.filter(status="succeeded", provider="offline").exists(),
    })


@require_GET
def report_lookup(request):
    ref = "".join(ch for ch in request.GET.get("ref", "") if ch.isalnum()).upper()
    if ref:
        return redirect(f"/report/{ref}/")
    return render(request, "quality/charter/report_lookup.html")


@require_safe
def report_photo(request, pk):
    """``/files/report-photos/<pk>/``: a report photo for the cooperative's staff and the household fined for
    it. Anyone else (signed in or not) gets the same 404 as for a photo that does not exist."""
    return private_file_response(get_object_or_404(reports.photos_visible_to(request.user), pk=pk).image)
