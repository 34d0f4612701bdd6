"""Posting a group buy (接龙), reading its chain, and a buyer's own entry: joining (or the waitlist when it
is full), changing its boxes, cancelling it. Closing at the deadline lives in orders.services.orders."""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.locking import lock_keys
from coop.services.audit import log_action
from orders.models import Buyer, GroupBuy, Order, OrderError
from orders.models.catalog import stock_key
from orders.services import stock, waitlist
from orders.services.orders import Item, cancel_order, close_open_payments, new_code, place_order

LIVE = GroupBuy.LIVE
# Refusals that mean "no room": the buyer is offered the waitlist instead.
NO_ROOM = ("full", "insufficient", "sold_out")


def _chain_orders():
    return (Order.objects.filter(status__in=LIVE).select_related("buyer")
            .annotate(boxes=Sum("lines__boxes")).order_by("chain_no"))


def chain(group_buy):
    """The chain's live orders in joining order, each annotated with its ``boxes`` (the page, the leader's
    check-off and summary, and the API all show this). Read from ``with_chains``' prefetch when there is one."""
    prefetched = getattr(group_buy, "chain_orders", None)
    if prefetched is not None:
        return prefetched
    return _chain_orders().filter(group_buy=group_buy)


def with_chains(group_buys):
    """A list of group buys with every chain in one more query (``chain`` of each, without a query a row)."""
    return group_buys.prefetch_related(Prefetch("orders", queryset=_chain_orders(), to_attr="chain_orders"))


def taken_boxes(group_buy):
    return group_buy.boxes_taken()


def progress(group_buy, now=None):
    """What the page's bar says: "已接 37 / 50 盒", its width, and 已满 / 已截止 in those words."""
    now = now or timezone.now()
    taken = group_buy.boxes_taken()
    target = group_buy.target
    left = waitlist.places_left(group_buy, now)
    closed = not group_buy.is_joinable(now)
    return {"taken": taken, "target": target, "left": left, "percent": min(100, taken * 100 // target),
            "full": left == 0 and not closed, "closed": closed,
            "seconds_left": max(int((group_buy.deadline - now).total_seconds()), 0)}


def remaining_words(seconds):
    """The countdown as people say it ("还剩 2 天 3 小时"), rendered on the server; the page's script only ticks it."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("还剩 %(d)s 天 %(h)s 小时") % {"d": days, "h": hours}
    if hours:
        return _("还剩 %(h)s 小时 %(m)s 分") % {"h": hours, "m": minutes}
    return _("还剩 %(m)s 分钟") % {"m": max(minutes, 1)}


def own_entry(group_buy, buyer):
    """The buyer's live entry in the chain (the newest, if an old one was made before entries could change)."""
    if buyer is None:
        return None
    return _chain_orders().filter(group_buy=group_buy, buyer=buyer).last()


def join(*, group_buy, buyer, boxes, note="", idempotency_key=None, user=None):
    """Join the chain, or — when it is full (or the eggs are sold out) — its waitlist.
    Returns ``(order, None)`` or ``(None, waitlist_entry)``."""
    mine = own_entry(group_buy, buyer)
    if mine is not None:
        raise OrderError(_("你已经接龙了（第 %(n)s 位）：要改数量或取消请用下面的按钮。") % {"n": mine.chain_no},
                         "already_joined")
    try:
        order, _created = place_order(buyer=buyer, items=[Item(group_buy.product, boxes)], group_buy=group_buy,
                                      note=note, idempotency_key=idempotency_key, user=user)
    except OrderError as exc:
        if exc.code not in NO_ROOM:
            raise
        return None, waitlist.join_waitlist(group_buy=group_buy, buyer=buyer, boxes=boxes, note=note, user=user)
    return order, None


def _own_unpaid(order, buyer):
    if order.buyer_id != buyer.pk or order.group_buy_id is None:
        raise OrderError(_("这不是你的接龙。"), "not_yours", status=403)
    if order.status != Order.PENDING_PAYMENT:
        raise OrderError(_("已付款的接龙不能修改或取消；收货后如有问题请在订单页申请售后，其他情况请联系团长。"),
                         "paid")


def change_entry(order, *, buyer, boxes, note=None, user=None):
    """修改数量 (and the remark) of an unpaid entry: its pending order's one line and total change in place,
    so the buyer keeps their number in the chain. More boxes are checked like a join — the stock pool's
    and the chain's locks, then availability (orders.services.stock) and the cap recomputed — fewer
    free a place for the waitlist. An open payment for the old total is closed: the buyer pays the new one."""
    _own_unpaid(order, buyer)
    gb = order.group_buy
    if not gb.is_joinable():
        raise OrderError(_("接龙已截止，不能再修改。"), "closed")
    if boxes < 1 or boxes > gb.per_person_limit:
        raise OrderError(_("每人限购 %(n)s 盒。") % {"n": gb.per_person_limit}, "limit")
    if note is not None:
        note = note.strip()
        if len(note) > Order._meta.get_field("note").max_length:
            raise OrderError(_("备注太长了：最多 200 个字。"), "too_long", field="note")
    product = gb.product
    with transaction.atomic():
        lock_keys(stock_key(gb.cooperative_id, product.weight_class, product.pack_size), gb.lock_key)
        order.refresh_from_db()
        _own_unpaid(order, buyer)
        line = order.lines.get()
        more = boxes - line.boxes
        if more > 0:
            left = stock.available_boxes(gb.cooperative_id, product.weight_class, product.pack_size)
            if more > left:
                raise OrderError(_("库存不足：最多还能加 %(n)s 盒。") % {"n": left}, "insufficient")
            room = gb.stock_cap - gb.boxes_taken() - waitlist.held_for_others(gb, buyer)
            if more > room:
                raise OrderError(_("接龙名额不足：最多还能加 %(n)s 盒。") % {"n": max(room, 0)}, "insufficient")
        # Compare-and-set on the status: a payment that lands now wins, and this change is refused.
        fields = {"total": (gb.price * boxes).quantize(Decimal("0.01"))}
        if note is not None:
            fields["note"] = note
        if not Order.objects.filter(pk=order.pk, status=Order.PENDING_PAYMENT).update(**fields):
            raise OrderError(_("订单状态已被更新，请刷新后重试。"), "conflict")
        line.boxes = boxes
        line.save(update_fields=["boxes"])
        log_action(order, "groupbuy.entry_changed", user=user, actor_label=buyer.display_name,
                   data={"code": gb.code, "from": line.boxes - more, "to": boxes,
                         **({"note": note} if note is not None else {})})
        if more:
            close_open_payments(order)
            # The entry holds more (or fewer) boxes: the pool's sold-out figure is recounted after commit.
            stock.refresh_after_commit([(gb.cooperative_id, product.weight_class, product.pack_size)])
        if more < 0:
            waitlist.offer_freed_places(gb)
    order.refresh_from_db()
    return order


def cancel_entry(order, *, buyer, user=None):
    """取消接龙: the unpaid order is cancelled (orders.services.orders.cancel_order), which offers its place on."""
    _own_unpaid(order, buyer)
    return cancel_order(order, user=user, actor_label=buyer.display_name, reason=_("买家取消接龙"))


def create_group_buy(*, cooperative, product, title, price, stock_cap, per_person_limit, deadline, pickup_point,
                     user, leader_phone="", leader_name="", note="", starts_at=None, target_boxes=None):
    """Post a chain. The leader is the buyer with ``leader_phone`` (so they can check off pickups on
    their own phone) or, without one, the manager posting it."""
    now = timezone.now()
    starts_at = starts_at or now
    if product.cooperative_id != cooperative.pk or pickup_point.cooperative_id != cooperative.pk:
        raise OrderError(_("商品和自提点必须属于同一个合作社。"), "cooperative")
    if deadline <= max(now, starts_at) + datetime.timedelta(minutes=30):
        raise OrderError(_("截止时间至少要在 30 分钟之后。"), "deadline")
    if per_person_limit > stock_cap:
        raise OrderError(_("每人限购不能超过总量上限。"), "limit")
    if target_boxes is not None and not 1 <= target_boxes <= stock_cap:
        raise OrderError(_("目标盒数要在 1 到总量上限之间。"), "target")
    leader = user
    if leader_phone:
        buyer = Buyer.objects.filter(phone=leader_phone.replace(" ", "")).select_related("user").first()
        if buyer is None:
            raise OrderError(_("没有找到这个手机号的买家：请团长先在商城登录一次。"), "leader")
        leader, leader_name = buyer.user, leader_name or buyer.name
    code = new_code(7)
    while GroupBuy.objects.filter(code=code).exists():
        code = new_code(7)
    gb = GroupBuy.objects.create(
        cooperative=cooperative, code=code, title=title[:80], product=product, price=price, stock_cap=stock_cap,
        per_person_limit=per_person_limit, target_boxes=target_boxes,
        starts_at=starts_at, deadline=deadline, pickup_point=pickup_point,
        leader=leader, leader_name=(leader_name or leader.get_username())[:30], note=note)
    log_action(gb, "groupbuy.posted", user=user, data={"code": code, "stock_cap": stock_cap, "price": str(price)})
    return gb


def group_buy_by_code(code, queryset=None):
    """The group buy of a shared code, as typed: ``zn2026a`` is ``ZN2026A`` (codes are made upper-case, and
    a chat or a person retyping the link lowers them). ``None`` when there is none."""
    queryset = GroupBuy.objects.all() if queryset is None else queryset
    return queryset.filter(code=code).first() or queryset.filter(code=(code or "").strip().upper()).first()
