"""Managers' shop pages: order queue, packing and pickup lists (print), one order's actions."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coop import tenancy
from coop.services.locking import LockTimeout
from orders.models import Order, OrderError
from orders.services import payments
from orders.services.orders import complete, mark_ready_for_pickup, mark_shipped, pack_order, trace_batches

ROLES = (tenancy.Staff.MANAGER,)


def manager_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not tenancy.is_staff_of_any(request.user, ROLES):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _orders(request):
    return tenancy.scope(Order.objects.all(), request.user, roles=ROLES).select_related(
        "buyer", "pickup_point", "group_buy").prefetch_related("lines")


@manager_required
def queue(request):
    status = request.GET.get("status", Order.PAID)
    orders = _orders(request)
    counts = {s: orders.filter(status=s).count() for s, _label in Order.STATUSES}
    return render(request, "orders/manage_queue.html", {
        "orders": orders.filter(status=status)[:200], "status": status, "statuses": Order.STATUSES,
        "counts": counts})


@manager_required
def packing_list(request):
    orders = _orders(request).filter(status=Order.PAID).order_by("placed_at")
    totals = {}
    for o in orders:
        for line in o.lines.all():
            totals[line.name] = totals.get(line.name, 0) + line.boxes
    return render(request, "orders/manage_packing.html", {"orders": orders, "totals": sorted(totals.items()),
                                                          "now": timezone.now()})


@manager_required
def pickup_list(request):
    orders = _orders(request).filter(fulfilment=Order.PICKUP, status__in=(Order.PACKED, Order.READY_FOR_PICKUP)
                                     ).order_by("pickup_point__name", "group_buy_id", "chain_no", "placed_at")
    return render(request, "orders/manage_pickup.html", {"orders": orders, "now": timezone.now()})


@manager_required
def order_page(request, number):
    order = get_object_or_404(_orders(request), number=number)
    return render(request, "orders/manage_order.html", {
        "order": order, "lines": order.lines.all(), "history": order.history.all(),
        "payments": order.payments.all(), "refunds": order.refunds.all(), "batches": trace_batches(order)})


@manager_required
@require_POST
def order_action(request, number):
    order = get_object_or_404(_orders(request), number=number)
    action = request.POST.get("action")
    try:
        if action == "pack":
            pack_order(order, user=request.user)
        elif action == "ready":
            mark_ready_for_pickup(order, user=request.user)
        elif action == "ship":
            mark_shipped(order, courier_company=request.POST.get("courier_company", ""),
                         tracking_no=request.POST.get("tracking_no", ""), user=request.user)
        elif action == "complete":
            complete(order, user=request.user)
        elif action == "offline":
            payments.record_offline_payment(order, reference=request.POST.get("reference", ""), user=request.user)
        elif action == "refund":
            reason = request.POST.get("reason", "").strip()
            if not reason:
                raise OrderError(_("请填写退款原因。"))
            amount = request.POST.get("amount", "").strip() or None
            payments.refund(order, out_refund_no=request.POST.get("out_refund_no") or f"M{order.number}"
                            f"{order.refunds.count() + 1}", amount=amount, reason=reason, user=request.user)
        else:
            raise OrderError(_("未知操作。"))
    except LockTimeout:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    except (OrderError, ValueError, ArithmeticError) as exc:
        messages.error(request, getattr(exc, "message", None) or _("输入有误。"))
    else:
        messages.success(request, _("已完成。"))
    return redirect("shop:manage-order", number=number)
