"""Managers' shop pages: order queue, packing and pickup lists (print), one order's actions, product photos."""

from decimal import Decimal
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from coop.lib import tenancy
from coop.lib.locking import LockTimeout
from coop.lib.validators import InvalidNumber, parse_id
from coop.services import twofactor
from orders.models import AfterSale, AfterSaleError, Order, OrderError, PickupPoint, Product, ProductPhoto
from orders.services import aftersale, catalog, payments, stock
from orders.services.groupbuys import create_group_buy
from orders.services.orders import (
    TO_HAND_OVER,
    TO_PACK,
    complete,
    mark_ready_for_pickup,
    mark_shipped,
    pack_order,
    trace_batches,
)

ROLES = (tenancy.Staff.MANAGER,)
# What moves money (a refund out, a transfer recorded as paid): these wait for the second factor.
MONEY_ACTIONS = {"offline", "refund", "confirm_refund"}


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
    waiting = (tenancy.scope(AfterSale.objects.filter(status__in=AfterSale.OPEN), request.user, roles=ROLES)
               .select_related("order", "line").order_by("created_at")[:100])
    return render(request, "orders/manage_queue.html", {
        "orders": orders.filter(status=status)[:200], "status": status, "statuses": Order.STATUSES,
        "counts": counts, "shortfalls": _shortfalls(request), "aftersales": waiting,
        "products": catalog.managed_products(request.user).annotate(n_photos=Count("photos")).order_by(
            "cooperative_id", "sort_order", "id")[:50]})


def _shortfalls(request):
    return stock.shortfalls(tenancy.cooperative_ids(request.user, roles=ROLES))


@manager_required
def packing_list(request):
    orders = _orders(request).filter(**TO_PACK).order_by("placed_at")
    totals = {}
    for o in orders:
        for line in o.lines.all():
            totals[line.name] = totals.get(line.name, 0) + line.boxes
    return render(request, "orders/manage_packing.html", {"orders": orders, "totals": sorted(totals.items()),
                                                          "now": timezone.now(), "shortfalls": _shortfalls(request)})


@manager_required
def pickup_list(request):
    orders = _orders(request).filter(**TO_HAND_OVER).order_by("pickup_point__name", "group_buy_id", "chain_no",
                                                              "placed_at")
    return render(request, "orders/manage_pickup.html", {"orders": orders, "now": timezone.now()})


@manager_required
def order_page(request, number):
    order = get_object_or_404(_orders(request), number=number)
    rows = list(order.aftersales.select_related("line", "refund", "replacement", "decided_by")
                .prefetch_related("photos"))
    for row in rows:
        if row.is_open:
            row.suggested_amount = aftersale.suggested_refund(row)
            row.suggested_boxes = aftersale.boxes_for(row.line, row.unit, row.quantity)
        row.needs_refund = aftersale.needs_refund(row)
    return render(request, "orders/manage_order.html", {
        "order": order, "lines": order.lines.all(), "history": order.history.all(),
        "payments": order.payments.all(), "refunds": order.refunds.all(), "batches": trace_batches(order),
        "aftersales": rows, "replaces": order.replaces.select_related("order").first()})


@manager_required
@require_POST
def order_action(request, number):
    order = get_object_or_404(_orders(request), number=number)
    action = request.POST.get("action")
    if action in MONEY_ACTIONS:
        twofactor.check_verified(request.user)  # the middleware answers the page that says how to verify
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
        elif action in AFTERSALE_ACTIONS:
            row = get_object_or_404(order.aftersales, pk=_post_id(request, "aftersale"))
            if action == "aftersale_refund":
                aftersale.decide_refund(row, user=request.user, amount=request.POST.get("amount", "").strip() or None,
                                        note=request.POST.get("note", ""))
            elif action == "aftersale_retry":
                aftersale.retry_refund(row, user=request.user)
            elif action == "aftersale_replace":
                aftersale.decide_replacement(row, user=request.user, note=request.POST.get("note", ""),
                                             boxes=request.POST.get("boxes", "").strip() or None)
            else:
                aftersale.decide_refusal(row, user=request.user, note=request.POST.get("note", ""))
        elif action == "confirm_refund":
            row = get_object_or_404(order.refunds, pk=request.POST.get("refund") or 0)
            payments.confirm_offline_refund(row, user=request.user, confirmation=request.POST.get("confirmation"))
        else:
            raise OrderError(_("未知操作。"))
    except LockTimeout:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    except (OrderError, AfterSaleError, ValueError, ArithmeticError) as exc:
        messages.error(request, getattr(exc, "message", None) or _("输入有误。"))
    else:
        messages.success(request, _("已完成。"))
    return redirect("shop:manage-order", number=number)


AFTERSALE_ACTIONS = ("aftersale_refund", "aftersale_retry", "aftersale_replace", "aftersale_refuse")


def _post_id(request, name):
    try:
        return parse_id(request.POST.get(name))
    except InvalidNumber:
        raise Http404 from None


class GroupBuyForm(forms.Form):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), label=_l("商品"))
    title = forms.CharField(max_length=80, label=_l("标题"))
    price = forms.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"), label=_l("团购价（元/盒）"))
    stock_cap = forms.IntegerField(min_value=1, max_value=10000, label=_l("总量上限（盒）"))
    target_boxes = forms.IntegerField(min_value=1, max_value=10000, required=False,
                                      label=_l("目标（盒，进度条显示“已接 N / 目标”；留空为总量上限）"))
    per_person_limit = forms.IntegerField(min_value=1, max_value=1000, initial=3, label=_l("每人限购（盒）"))
    deadline = forms.DateTimeField(label=_l("截止时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                   input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    pickup_point = forms.ModelChoiceField(queryset=PickupPoint.objects.none(), label=_l("自提点"))
    leader_phone = forms.CharField(max_length=20, required=False, label=_l("团长手机号（留空为自己）"))
    leader_name = forms.CharField(max_length=30, required=False, label=_l("团长称呼"))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label=_l("说明"))

    def __init__(self, *args, cooperative_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.filter(cooperative_id__in=cooperative_ids, active=True)
        self.fields["pickup_point"].queryset = PickupPoint.objects.filter(cooperative_id__in=cooperative_ids,
                                                                          active=True)


@manager_required
def groupbuy_new(request):
    ids = tenancy.cooperative_ids(request.user, ROLES)
    form = GroupBuyForm(request.POST or None, cooperative_ids=ids)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            gb = create_group_buy(cooperative=d["product"].cooperative, user=request.user, **d)
        except OrderError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("接龙已发布，把链接或海报发到群里吧。"))
            return redirect("shop:groupbuy", code=gb.code)
    return render(request, "orders/manage_groupbuy.html", {"form": form})


@manager_required
def product_photos(request, pk):
    """One product's photos: upload (POST, one picture at a time) and the ones published, each deletable."""
    product = get_object_or_404(catalog.managed_products(request.user), pk=pk)
    if request.method == "POST":
        upload = request.FILES.get("photo")
        try:
            if upload is None:
                raise catalog.CatalogError(_("请选择一张照片。"))
            catalog.add_product_photo(product, upload, user=request.user)
        except (catalog.CatalogError, LockTimeout) as exc:
            messages.error(request, getattr(exc, "message", None) or _("系统繁忙，请稍后再试。"))
        else:
            messages.success(request, _("照片已上传，商城里已经能看到。"))
        return redirect("shop:manage-product-photos", pk=product.pk)
    return render(request, "orders/manage_photos.html", {
        "product": product, "photos": product.photos.all(), "limit": catalog.MAX_PRODUCT_PHOTOS})


@manager_required
@require_POST
def product_photo_delete(request, pk):
    product = get_object_or_404(catalog.managed_products(request.user), pk=pk)
    try:
        photo = product.photos.get(pk=parse_id(request.POST.get("photo")))
    except (InvalidNumber, ProductPhoto.DoesNotExist):
        messages.error(request, _("这张照片已经不在了。"))
    else:
        catalog.delete_product_photo(photo, user=request.user)
        messages.success(request, _("照片已删除。"))
    return redirect("shop:manage-product-photos", pk=product.pk)
