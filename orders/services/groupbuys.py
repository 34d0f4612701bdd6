"""Posting a group buy (接龙) and reading its chain. Closing at the deadline lives in orders.services.orders."""

import datetime

from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.services.audit import log_action
from orders.models import Buyer, GroupBuy, Order, OrderError, OrderLine
from orders.services.orders import new_code

LIVE = (Order.PENDING_PAYMENT, Order.PAID, Order.PACKED, Order.READY_FOR_PICKUP, Order.COMPLETED, Order.SHIPPED)


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
    return OrderLine.objects.filter(order__group_buy=group_buy, order__status__in=LIVE).aggregate(
        n=Sum("boxes"))["n"] or 0


def create_group_buy(*, cooperative, product, title, price, stock_cap, per_person_limit, deadline, pickup_point,
                     user, leader_phone="", leader_name="", note="", starts_at=None):
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
        per_person_limit=per_person_limit, starts_at=starts_at, deadline=deadline, pickup_point=pickup_point,
        leader=leader, leader_name=(leader_name or leader.get_username())[:30], note=note)
    log_action(gb, "groupbuy.posted", user=user, data={"code": code, "stock_cap": stock_cap, "price": str(price)})
    return gb
