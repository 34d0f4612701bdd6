"""发票 pages: the buyer's 申请开票 (details, confirm, send) and PDF; the managers' list and each request's
已开票 / 退回. Each step is a call to ``orders.services.invoices``."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from coop.lib import tenancy
from coop.lib.locking import LockTimeout
from coop.lib.media import private_file_response
from orders.models import InvoiceError, InvoiceRequest
from orders.models.invoices import COMPANY, KINDS
from orders.services import invoices
from orders.views.base import buyer_required
from orders.views.manage import ROLES, manager_required
from orders.views.shop import own_order

FIELDS = ("kind", "title", "tax_number", "email")


@buyer_required
@require_http_methods(["GET", "POST"])
def request_form(request, number):
    """``/shop/orders/<number>/invoice/``: the saved details prefilled; 下一步 shows them to confirm, 确认提交 sends."""
    order = own_order(request, number)
    page = invoices.for_order_page(order)
    if not page["may_request"]:
        messages.error(request, page["why"] or _("这个订单已经申请过发票了。"))
        return redirect("shop:order", number=number)
    form = invoices.prefill(order)
    errors, status, confirming = {}, 200, False
    if request.method == "POST":
        form = {k: request.POST.get(k, "")[:200] for k in FIELDS}
        save = request.POST.get("save_details") == "1"
        try:
            if request.POST.get("step") == "confirm":
                invoices.request_invoice(order, **form, save_details=save, user=request.user)
                messages.success(request, _("开票申请已提交，合作社开好后会通知您。"))
                return redirect("shop:order", number=number)
            if request.POST.get("step") != "edit":  # 返回修改 shows the form again with what was typed
                form = invoices.clean_details(**form)
                confirming = True
        except LockTimeout:
            errors["form"] = _("系统繁忙，请稍后再试。")
            status = 503
        except InvoiceError as exc:
            if exc.code == "exists":
                messages.error(request, exc.message)
                return redirect("shop:order", number=number)
            errors[exc.field or "form"] = exc.message
            status = 400
    return render(request, "orders/invoice_form.html", {
        "order": order, "form": form, "errors": errors, "confirming": confirming, "kinds": KINDS,
        "COMPANY": COMPANY, "amount": invoices.invoiced_amount(order), "returned": page["row"]}, status=status)


def _invoice_for(request, number):
    """The order's request, for its buyer or a manager of its cooperative; anyone else: 404."""
    row = (InvoiceRequest.objects.filter(order__number=number).select_related("order", "order__buyer").first())
    if row is None:
        raise Http404
    buyer = getattr(request.user, "buyer", None) if request.user.is_authenticated else None
    own = buyer is not None and row.order.buyer_id == buyer.pk
    if not own and row.cooperative_id not in tenancy.cooperative_ids(request.user, roles=ROLES):
        raise Http404
    return row


@require_safe
def invoice_pdf(request, number):
    if not request.user.is_authenticated:
        return redirect(f"/shop/login/?next={request.path}")
    row = _invoice_for(request, number)
    if row.status != InvoiceRequest.ISSUED or not row.pdf:
        raise Http404
    return private_file_response(row.pdf, filename=f"发票-{row.order.number}.pdf")


@manager_required
@require_safe
def manage_list(request):
    """``/shop/manage/invoices/``: requests waiting to be issued, oldest first, with what each is for."""
    rows = list(invoices.waiting(request.user)[:200])
    return render(request, "orders/manage_invoices.html", {"rows": rows})


@manager_required
@require_http_methods(["GET", "POST"])
def manage_one(request, number):
    """``/shop/manage/invoices/<number>/``: 已开票 (number, PDF) or 退回 (reason) one request."""
    row = get_object_or_404(tenancy.scope(InvoiceRequest.objects.select_related("order", "order__buyer"),
                                          request.user, roles=ROLES), order__number=number)
    errors, status = {}, 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "issue":
                invoices.issue_invoice(row, user=request.user, invoice_number=request.POST.get("invoice_number", ""),
                                       amount=request.POST.get("amount", ""), pdf=request.FILES.get("pdf"))
                messages.success(request, _("已登记开票，买家会收到通知。"))
                return redirect("shop:manage-invoices")
            if action == "return":
                invoices.return_invoice(row, user=request.user, reason=request.POST.get("reason", ""))
                messages.success(request, _("已退回，买家会收到通知。"))
                return redirect("shop:manage-invoices")
            errors["form"] = _("请选择开票或退回。")
            status = 400
        except LockTimeout:
            errors["form"] = _("系统繁忙，请稍后再试。")
            status = 503
        except InvoiceError as exc:
            errors[exc.field or "form"] = exc.message
            status = 400 if exc.status == 400 else 409
    row.refresh_from_db()
    can, why = invoices.can_request(row.order)
    return render(request, "orders/manage_invoice.html", {
        "row": row, "order": row.order, "lines": row.order.lines.all(), "errors": errors, "post": request.POST,
        "amount": invoices.invoiced_amount(row.order), "can_issue": can, "why": why}, status=status)
