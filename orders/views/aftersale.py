"""The buyer's after-sale pages: 确认收货, 申请售后 (with photos), 再来一单."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from coop.lib.locking import LockTimeout
from coop.lib.media import private_file_response
from coop.lib.validators import InvalidNumber, parse_id
from orders.models import AfterSale, AfterSaleError
from orders.services import aftersale
from orders.views.base import buyer_required, cart_items, save_cart
from orders.views.shop import own_order


@buyer_required
@require_POST
def receive(request, number):
    order = own_order(request, number)
    try:
        aftersale.confirm_receipt(order, user=request.user, actor_label=request.buyer.display_name)
    except AfterSaleError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("已确认收货。蛋有问题的话，收货后 %(n)s 天内可以申请售后。") % {
            "n": settings.AFTERSALE_WINDOW_DAYS})
    return redirect("shop:order", number=number)


@buyer_required
@require_http_methods(["GET", "POST"])
def request_form(request, number):
    """``/shop/orders/<number>/aftersale/``: one line, a reason, how many, photos. ``?report=`` (from a bad-egg
    report's page) fills in 坏蛋 and its count."""
    order = own_order(request, number)
    lines = list(order.lines.all())
    ok, why = aftersale.can_request(order)
    report = (request.GET.get("report") or request.POST.get("report") or "").strip().upper()[:12]
    form = {"line": str(lines[0].pk) if len(lines) == 1 else "", "reason": AfterSale.BAD_EGGS if report else "",
            "unit": AfterSale.EGGS, "quantity": request.GET.get("eggs", "1")[:4], "note": ""}
    errors, status = {}, 200
    if request.method == "POST":
        form.update({k: request.POST.get(k, "").strip() for k in form})
        try:
            line_id = parse_id(form["line"])
        except InvalidNumber:
            line_id = None
        line = next((x for x in lines if x.pk == line_id), None)
        try:
            aftersale.request_aftersale(order, line=line, reason=form["reason"], unit=form["unit"],
                                        quantity=form["quantity"], note=form["note"],
                                        photos=request.FILES.getlist("photos"), user=request.user,
                                        report_reference=report)
        except LockTimeout:
            errors["form"] = _("系统繁忙，请稍后再试。")
            status = 503
        except AfterSaleError as exc:
            errors[exc.field or "form"] = exc.message
            status = 400
        else:
            messages.success(request, _("售后申请已提交，合作社会在 2 天内处理，结果会发短信告诉您。"))
            return redirect("shop:order", number=number)
    elif not ok and not report:
        messages.error(request, why)
        return redirect("shop:order", number=number)
    return render(request, "orders/aftersale_form.html", {
        "order": order, "lines": lines, "form": form, "errors": errors, "report": report,
        "reasons": AfterSale.REASONS, "units": AfterSale.UNITS, "max_photos": aftersale.MAX_PHOTOS}, status=status)


@buyer_required
@require_POST
def reorder(request, number):
    order = own_order(request, number)
    items = cart_items(request)
    try:
        added, problems = aftersale.reorder(order, items)
    except AfterSaleError as exc:
        messages.error(request, exc.message)
        return redirect("shop:cart")
    save_cart(request, items)
    for problem in problems:
        messages.warning(request, problem)
    if added:
        messages.success(request, _("已把这单的商品放入购物车，共 %(n)s 盒。") % {"n": added})
    else:
        messages.error(request, _("这单的商品现在都买不了，购物车没有变化。"))
    return redirect("shop:cart")


@require_safe
def aftersale_photo(request, pk):
    """``/files/aftersale-photos/<pk>/``: an after-sale photo for the buyer who sent it and the cooperative's
    staff. Anyone else (signed in or not) gets the same 404 as for a photo that does not exist."""
    return private_file_response(get_object_or_404(aftersale.photos_visible_to(request.user), pk=pk).image)
