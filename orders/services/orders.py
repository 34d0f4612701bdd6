"""Placing, moving and packing orders.

The order rule (docs/ARCHITECTURE.md, "Locking"): validate what can be validated without a lock,
then inside ``transaction.atomic()`` take the stock lock as late as possible but before reading
availability, recompute availability from facts, and write. ``LockTimeout`` becomes "busy, try
again" in the views, never an oversell."""

import datetime
import secrets
from dataclasses import dataclass
from decimal import Decimal

from celery import shared_task
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from coop.lib.locking import lock_keys
from coop.lib.validators import InvalidPhone, normalize_phone, too_long
from coop.models import Batch
from coop.services.audit import log_action
from orders.models import Allocation, GroupBuy, Order, OrderError, OrderLine, OrderStatusChange
from orders.models.buyers import masked_name
from orders.models.catalog import stock_key
from orders.services import regions, shipping, stock, waitlist
from orders.services.payments import close_payment
from orders.services.programmes import attribute_new_order
from orders.services.status import set_status

PAY_WITHIN = datetime.timedelta(minutes=30)

# What waits for the manager, as field lookups: the manager's lists filter with them and the workbench counts
# and links with them (an admin list's query string is the same lookups), so a count opens exactly its rows.
TO_PACK = {"status": Order.PAID}
TO_SHIP = {"status": Order.PACKED, "fulfilment": Order.COURIER}
TO_HAND_OVER = {"fulfilment": Order.PICKUP, "status__in": (Order.PACKED, Order.READY_FOR_PICKUP)}


# Pickup codes are read aloud and typed: no 0/O/1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code(length=8):
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(length))


def new_order_number(now=None):
    now = timezone.localtime(now or timezone.now())
    return f"{now:%Y%m%d%H%M%S}{secrets.randbelow(10**6):06d}"


@dataclass
class Item:
    product: object
    boxes: int


def _validate(buyer, items, fulfilment, pickup_point, address, group_buy):
    if not items:
        raise OrderError(_("购物车是空的。"), "empty")
    coops = {item.product.cooperative_id for item in items}
    if len(coops) != 1:
        raise OrderError(_("一个订单只能包含同一个合作社的商品。"), "mixed")
    for item in items:
        if not item.product.active:
            raise OrderError(_("“%(name)s”已下架。") % {"name": item.product.name}, "inactive")
        if not isinstance(item.boxes, int) or item.boxes < 1:
            raise OrderError(_("盒数至少为 1。"), "boxes")
        if item.boxes > item.product.per_order_limit:
            raise OrderError(_("“%(name)s”每单限购 %(n)s 盒。") % {"name": item.product.name,
                                                                  "n": item.product.per_order_limit}, "limit")
    if group_buy is not None:
        if not group_buy.is_joinable():
            raise OrderError(_("这个接龙已经截止或尚未开始。"), "closed")
        if len(items) != 1 or items[0].product.pk != group_buy.product_id:
            raise OrderError(_("接龙订单只能包含接龙的商品。"), "groupbuy_product")
        if items[0].boxes > group_buy.per_person_limit:
            raise OrderError(_("每人限购 %(n)s 盒。") % {"n": group_buy.per_person_limit}, "limit")
        fulfilment, pickup_point = Order.PICKUP, group_buy.pickup_point
    if fulfilment == Order.PICKUP:
        if pickup_point is None or pickup_point.cooperative_id not in coops or not pickup_point.active:
            raise OrderError(_("请选择自提点。"), "pickup_point")
    elif fulfilment == Order.COURIER:
        if not address or not all(str(address.get(k) or "").strip() for k in ("recipient", "phone", "address")):
            raise OrderError(_("请填写收货人、电话和地址。"), "address", field="address")
    else:
        raise OrderError(_("请选择配送方式。"), "fulfilment")
    return coops.pop(), fulfilment, pickup_point


ORDER_TEXT_LABELS = {"recipient": _l("收货人"), "address": _l("收货地址"), "note": _l("留言")}


def clean_order_contact(address, note):
    """The recipient, phone, address and buyer's note as stored: stripped, the phone normalised
    (``normalize_phone``), each within its column. A bad phone or an over-long value raises
    ``OrderError`` with the field, so the form shows the message beside it and nothing is written.
    A blank phone stays blank here (a pickup order needs none); courier orders are checked for it first."""
    address = address or {}
    cleaned = {k: str(address.get(k) or "").strip() for k in ("recipient", "phone", "address")}
    cleaned["note"] = str(note or "").strip()
    for name in ("recipient", "address", "note"):
        message = too_long(Order, name, cleaned[name], ORDER_TEXT_LABELS[name])
        if message:
            raise OrderError(message, "too_long", field=name)
    if cleaned["phone"]:
        try:
            cleaned["phone"] = normalize_phone(cleaned["phone"])
        except InvalidPhone as exc:
            raise OrderError(exc.message, "invalid_phone", field="phone") from None
    return cleaned


def place_order(*, buyer, items, fulfilment=Order.COURIER, pickup_point=None, address=None, group_buy=None,
                note="", idempotency_key=None, user=None, programme_code=None):
    """Create a pending-payment order holding the boxes and return ``(order, created)``.

    ``items`` is a list of ``Item(product, boxes)``; ``address`` a dict with recipient, phone,
    address (courier only). A repeated call with the same ``idempotency_key`` by the same buyer
    returns the first order (``created`` False) instead of selling twice.
    Keyword-only on purpose. ``programme_code`` (from ``/shop/p/<code>``) marks the order 以购代捐 for that
    pairing programme, else the buyer organisation's default programme applies (orders/services/programmes.py).
    """
    if idempotency_key:
        existing = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    cooperative_id, fulfilment, pickup_point = _validate(buyer, items, fulfilment, pickup_point, address,
                                                         group_buy)
    province_code = str((address or {}).get("province_code") or "")
    if province_code and fulfilment == Order.COURIER and regions.province_tree(province_code) is None:
        raise OrderError(_("收货地址的省份不对，请重新选择地址。"), "province", field="address")
    contact = clean_order_contact(address, note)
    contact["province_code"] = province_code if fulfilment == Order.COURIER else ""
    address, note = contact, contact["note"]
    # A cheap read without the lock turns away requests that cannot succeed (the 900 of a 1,000-request
    # flash sale for 100 boxes) without queueing them on the lock: the cached figure when it says 0, else
    # the database. It can only refuse, never sell: the decisive check is the one under the lock below.
    _refuse_sold_out(cooperative_id, items)
    keys = {stock_key(cooperative_id, i.product.weight_class, i.product.pack_size) for i in items}
    if group_buy is not None:
        keys.add(group_buy.lock_key)
    try:
        with transaction.atomic():
            # Late lock, then facts. Nothing above this line read availability.
            lock_keys(*keys)
            if idempotency_key:
                existing = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
                if existing is not None:
                    return existing, False
            _check_availability(cooperative_id, items)
            chain_no = None
            if group_buy is not None:
                chain_no = _check_group_buy(group_buy, buyer, items[0].boxes)
            order = _write_order(buyer, cooperative_id, items, fulfilment, pickup_point, address, group_buy,
                                 chain_no, note, idempotency_key)
            if group_buy is not None:
                waitlist.entry_joined(group_buy, buyer, order)
            stock.refresh_after_commit(_pools(cooperative_id, items))
            log_action(order, "order.placed", user=user, actor_label=buyer.display_name,
                       data={"total": str(order.total), "lines": [[i.product.pk, i.boxes] for i in items]})
            # 以购代捐: the programme of the link the buyer came by, or their organisation's default.
            attribute_new_order(order, programme_code=programme_code)
            return order, True
    except IntegrityError:
        # A concurrent retry with the same key won the insert: answer with its order.
        if idempotency_key:
            existing = Order.objects.filter(buyer=buyer, idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing, False
        raise


def _pools(cooperative_id, items):
    return {(cooperative_id, i.product.weight_class, i.product.pack_size) for i in items}


def _refuse_sold_out(cooperative_id, items):
    """The lock-free refusal. A pool whose cached figure is 0 is sold out (no query); a pool with a
    figure above 0 goes on to the locked check (which alone decides, so no read here); a pool with no
    figure is read from the database, and what was read is remembered for the next request."""
    for (weight_class, pack_size), boxes in _wanted(items).items():
        pool = (cooperative_id, weight_class, pack_size)
        left = stock.cached_available(*pool)
        if left is None:
            left = stock.available_boxes(*pool)
            stock.remember_available(*pool, left)
        elif left > 0:
            continue
        _refuse_beyond(boxes, left, _names(items, (weight_class, pack_size)))


def _wanted(items):
    wanted = {}
    for item in items:
        pool = (item.product.weight_class, item.product.pack_size)
        wanted[pool] = wanted.get(pool, 0) + item.boxes
    return wanted


def _names(items, pool):
    """The names of the products drawn from one stock pool, for a refusal that says which line it is about."""
    return "、".join(dict.fromkeys(f"“{i.product.name}”" for i in items
                                   if (i.product.weight_class, i.product.pack_size) == pool))


def _refuse_beyond(boxes, left, names=""):
    if boxes > left:
        if left == 0:
            raise OrderError(_("%(names)s已经卖完了，请从购物车删除。") % {"names": names}, "sold_out")
        raise OrderError(_("%(names)s库存不足：仅剩 %(n)s 盒。") % {"names": names, "n": left}, "insufficient")


def _check_availability(cooperative_id, items):
    for (weight_class, pack_size), boxes in _wanted(items).items():
        _refuse_beyond(boxes, stock.available_boxes(cooperative_id, weight_class, pack_size),
                       _names(items, (weight_class, pack_size)))


def _check_group_buy(group_buy, buyer, boxes):
    # The chain's own count (GroupBuy.boxes_taken, the page's "已接 N 盒"), plus the boxes a standing
    # waitlist offer keeps for someone else: a freed place goes to the first in line, not the fastest.
    taken = group_buy.boxes_taken()
    kept = waitlist.held_for_others(group_buy, buyer)
    if taken + kept + boxes > group_buy.stock_cap:
        left = max(group_buy.stock_cap - taken - kept, 0)
        if left == 0:
            raise OrderError(_("接龙已满。"), "full")
        raise OrderError(_("接龙名额不足：仅剩 %(n)s 盒。") % {"n": left}, "insufficient")
    mine = OrderLine.objects.filter(order__group_buy=group_buy, order__buyer=buyer,
                                    order__status__in=GroupBuy.LIVE).aggregate(n=Sum("boxes"))["n"] or 0
    if mine + boxes > group_buy.per_person_limit:
        raise OrderError(_("每人限购 %(n)s 盒，你已接龙 %(m)s 盒。") % {"n": group_buy.per_person_limit, "m": mine},
                         "limit")
    return (group_buy.orders.aggregate(n=Max("chain_no"))["n"] or 0) + 1


def _write_order(buyer, cooperative_id, items, fulfilment, pickup_point, address, group_buy, chain_no, note,
                 idempotency_key):
    now = timezone.now()
    price_of = (lambda item: group_buy.price) if group_buy is not None else (lambda item: item.product.price)
    goods = sum((price_of(i) * i.boxes for i in items), Decimal("0.00"))
    address = address or {}
    # The courier fee is part of the total, so the payment, refunds and exports need no second sum.
    fee = (shipping.courier_fee(cooperative_id, address.get("province_code", ""), sum(i.boxes for i in items))
           if fulfilment == Order.COURIER else Decimal("0.00"))
    order = Order.objects.create(
        cooperative_id=cooperative_id, buyer=buyer, number=new_order_number(now), total=goods + fee,
        courier_fee=fee,
        group_buy=group_buy, chain_no=chain_no, fulfilment=fulfilment, pickup_point=pickup_point,
        # Checked by clean_order_contact: nothing here is cut short.
        recipient=address.get("recipient", ""), phone=address.get("phone", ""),
        address=address.get("address", ""), note=note or "", pickup_code=new_code(),
        buyer_name=str(buyer.display_name)[:100], invoice_title=buyer.invoice_title, tax_number=buyer.tax_number,
        chain_name=masked_name(buyer.name) if group_buy is not None else "",
        idempotency_key=idempotency_key or None, placed_at=now, pay_by=now + PAY_WITHIN, status_changed_at=now,
    )
    OrderLine.objects.bulk_create([
        OrderLine(order=order, product=i.product, name=i.product.name, weight_class=i.product.weight_class,
                  pack_size=i.product.pack_size, boxes=i.boxes, unit_price=price_of(i))
        for i in items
    ])
    OrderStatusChange.objects.create(order=order, from_status="", to_status=Order.PENDING_PAYMENT,
                                     actor_label=buyer.display_name, created_at=now)
    return order


def cancel_order(order, *, user=None, actor_label="", reason=""):
    """Cancel an unpaid order (buyer or manager). Its boxes go back on sale at once: availability
    is computed from orders that still hold stock, and a cancelled order holds none."""
    if order.status != Order.PENDING_PAYMENT:
        raise OrderError(_("只有待付款的订单可以取消；已付款的订单请申请退款。"), "not_cancellable")
    with transaction.atomic():
        _free_place(order, lambda: set_status(order, Order.CANCELLED, user=user, actor_label=actor_label,
                                              reason=reason or _("买家取消")))
    close_open_payments(order)  # a call to the payment provider: outside the lock
    return order


def _free_place(order, cancel, now=None):
    """Cancel a group-buy entry and offer its boxes to the first in line in one step under the chain's lock:
    between the two, a newcomer's join would see a free place nobody was offered yet and jump the line."""
    if order.group_buy_id:
        lock_keys(order.group_buy.lock_key)
    cancel()
    if order.group_buy_id:
        waitlist.offer_freed_places(order.group_buy, now)


def close_open_payments(order):

    for payment in order.payments.filter(status="created"):
        close_payment(payment)


def cancel_unpaid(now=None):
    """Cancel orders whose 30 minutes to pay are over. Safe to run twice and alongside payments."""
    now = now or timezone.now()
    cancelled = 0
    for order in Order.objects.filter(status=Order.PENDING_PAYMENT, pay_by__lt=now).select_related("buyer"):
        try:
            with transaction.atomic():
                _free_place(order, lambda order=order: set_status(
                    order, Order.CANCELLED, actor_label=_("系统"), reason=_("超过 30 分钟未付款，自动取消")), now)
        except OrderError:
            continue  # paid (or cancelled) a moment ago: the other side won the compare-and-set
        close_open_payments(order)
        cancelled += 1
    return cancelled


def pack_order(order, *, user=None):
    """Allocate each line to batches (earliest best-before first) and mark the order packed."""
    if order.status != Order.PAID:
        raise OrderError(_("只有已付款的订单可以打包。"), "not_packable")
    keys = [stock_key(order.cooperative_id, line.weight_class, line.pack_size) for line in order.lines.all()]
    with transaction.atomic():
        lock_keys(*keys)
        allocations = []
        # The order's own held boxes are part of "held": they are exactly what we now allocate.
        for line in order.lines.all():
            need = line.boxes
            for batch, room in stock.batches_with_room(order.cooperative_id, line.weight_class, line.pack_size):
                take = min(room, need)
                allocations.append(Allocation(line=line, batch=batch, boxes=take))
                need -= take
                if need == 0:
                    break
            if need:
                raise OrderError(_("“%(name)s”的已包装库存不足，无法打包。") % {"name": line.name}, "no_stock")
        Allocation.objects.bulk_create(allocations)
        set_status(order, Order.PACKED, user=user, data={
            "allocations": [[a.line_id, a.batch.code, a.boxes] for a in allocations]})
    return order


def _refuse_recalled(order):
    """Eggs of a batch recalled after packing must not leave: the manager refunds the order (its
    boxes then stop counting) instead of sending them."""
    recalled = list(Batch.objects.filter(allocations__line__order=order, status=Batch.RECALLED)
                    .values_list("code", flat=True).distinct())
    if recalled:
        raise OrderError(_("订单里有已召回批次 %(codes)s 的鸡蛋，不能发出：请给买家退款。")
                         % {"codes": "、".join(sorted(recalled))}, "recalled")


def mark_shipped(order, *, courier_company, tracking_no, user=None):
    courier_company, tracking_no = (courier_company or "").strip(), (tracking_no or "").strip()
    if not courier_company or not tracking_no:
        raise OrderError(_("请填写快递公司和快递单号。"), "tracking")
    if order.fulfilment != Order.COURIER:
        raise OrderError(_("自提订单不需要发货。"), "not_courier")
    _refuse_recalled(order)
    with transaction.atomic():
        set_status(order, Order.SHIPPED, user=user, data={"courier": courier_company, "tracking_no": tracking_no})
        Order.objects.filter(pk=order.pk).update(courier_company=courier_company[:30], tracking_no=tracking_no[:40])
        order.courier_company, order.tracking_no = courier_company, tracking_no
    return order


def mark_ready_for_pickup(order, *, user=None):
    if order.fulfilment != Order.PICKUP:
        raise OrderError(_("快递订单请填写快递单号发货。"), "not_pickup")
    _refuse_recalled(order)
    return set_status(order, Order.READY_FOR_PICKUP, user=user)


def complete(order, *, user=None, reason=""):
    return set_status(order, Order.COMPLETED, user=user, reason=reason)


def pick_up(*, code, user, group_buy=None):
    """Check off a pickup by the buyer's code (scanned on the leader's phone). Returns the order."""
    code = (code or "").strip().upper()
    orders = Order.objects.filter(pickup_code=code)
    if group_buy is not None:
        orders = orders.filter(group_buy=group_buy)
    order = orders.select_related("buyer").first()
    if order is None:
        raise OrderError(_("取货码不存在。"), "unknown_code")
    if order.status == Order.COMPLETED and order.picked_up_at:
        raise OrderError(_("这个订单已经取过货了（%(t)s）。") % {
            "t": timezone.localtime(order.picked_up_at).strftime("%Y-%m-%d %H:%M")}, "already")
    if order.status in (Order.PACKED, Order.READY_FOR_PICKUP):
        _refuse_recalled(order)
    if order.status == Order.PACKED and order.fulfilment == Order.PICKUP:
        set_status(order, Order.READY_FOR_PICKUP, user=user)
    if order.status != Order.READY_FOR_PICKUP:
        raise OrderError(_("订单还不能取货（当前：%(s)s）。") % {"s": order.get_status_display()}, "not_ready")
    with transaction.atomic():
        set_status(order, Order.COMPLETED, user=user, reason=_("扫码取货"))
        now = timezone.now()
        Order.objects.filter(pk=order.pk).update(picked_up_at=now)
        order.picked_up_at = now
    return order


def trace_batches(order):
    """The batches an order's eggs came from (for the buyer's order page and bad-egg reports)."""

    batches = list(Batch.objects.filter(allocations__line__order=order).distinct().order_by("best_before", "code"))
    for b in batches:
        # The trace code (quality app) hangs off the batch as ``batch.trace``; orders does not import
        # quality, so read it through the reverse accessor and fall back to the batch code.
        try:
            b.trace_code = b.trace.code
        except (AttributeError, ObjectDoesNotExist):
            b.trace_code = ""
        b.boxes_for_order = sum(a.boxes for a in b.allocations.all() if a.line.order_id == order.pk)
    return batches


def batch_codes_by_order(order_ids):
    """``{order_id: [batch code, …]}`` — ``trace_batches``' batches, in its order, for a whole list of
    orders in one query (the API's order list)."""
    rows = (Allocation.objects.filter(line__order__in=list(order_ids))
            .values_list("line__order_id", "batch__code", "batch__best_before")
            .distinct().order_by("line__order_id", "batch__best_before", "batch__code"))
    codes = {pk: [] for pk in order_ids}
    for order_id, code, _best_before in rows:
        codes[order_id].append(code)
    return codes


def close_due_group_buys(now=None):
    now = now or timezone.now()
    due = GroupBuy.objects.filter(status=GroupBuy.OPEN, deadline__lte=now)
    closed = 0
    for gb in due:
        if GroupBuy.objects.filter(pk=gb.pk, status=GroupBuy.OPEN).update(status=GroupBuy.CLOSED, closed_at=now):
            log_action(gb, "groupbuy.closed", actor_label=_("系统"), reason=_("到达截止时间"))
            waitlist.close_waitlist(gb)
            closed += 1
    return closed


@shared_task(name="orders.tasks.cancel_unpaid_orders")
def cancel_unpaid_orders():
    cancelled = cancel_unpaid()
    # Offers not taken in time move on to the next in line, and places freed by refunds are offered.
    waitlist.refresh_open_waitlists()
    return cancelled


@shared_task(name="orders.tasks.close_due_group_buys")
def close_due_group_buys_task():
    return close_due_group_buys()
