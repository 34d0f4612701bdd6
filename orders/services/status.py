"""The one way an order changes status. Orders and payments both move orders through it, so neither
needs the other to do so."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib.words import in_site_language
from coop.services.audit import log_action
from coop.services.notifications import notify
from orders.models import Order, OrderError, OrderStatusChange
from orders.services import stock


def set_status(order, new_status, *, user=None, actor_label="", reason="", data=None):
    """The one way an order changes status: checked against ``Order.TRANSITIONS``, compare-and-set,
    recorded in the timeline and the audit trail. Raises ``OrderError`` for an illegal move or when
    someone else changed the order first."""
    old = order.status
    if not order.can_become(new_status):
        raise OrderError(
            _("订单当前为“%(old)s”，不能变为“%(new)s”。") % {
                "old": dict(Order.STATUSES)[old], "new": dict(Order.STATUSES).get(new_status, new_status)},
            "illegal_transition")
    now = timezone.now()
    fields = {"status": new_status, "status_changed_at": now}
    if new_status == Order.PAID:
        fields["paid_at"] = now
    with transaction.atomic():
        # Compare-and-set: of a payment and the unpaid-timeout racing, exactly one wins.
        if not Order.objects.filter(pk=order.pk, status=old).update(**fields):
            order.refresh_from_db()
            raise OrderError(_("订单状态已被更新，请刷新后重试。"), "conflict")
        for k, v in fields.items():
            setattr(order, k, v)
        label = actor_label or (user.get_username() if user is not None and user.is_authenticated else "")
        OrderStatusChange.objects.create(order=order, from_status=old, to_status=new_status,
                                         changed_by=user if user is not None and user.is_authenticated else None,
                                         actor_label=label[:60], reason=reason[:300], created_at=now)
        log_action(order, f"order.{new_status}", user=user, actor_label=label, reason=reason,
                   data={"from": old, "to": new_status, **(data or {})})
        _notify_buyer(order, new_status)
        # Cancelled, expired, refunded (or back from a refund): the boxes may be on sale again, so the
        # sold-out figure is rewritten after the commit. Every transition, not a guessed subset: one
        # cheap recount after a status change is nothing beside a figure wrongly 0.
        stock.refresh_after_commit(stock.order_pools(order))
    return order


def _notify_buyer(order, status):

    phone, openid = order.buyer.phone or "", order.buyer.wechat_openid or ""
    if not (phone or openid) or status == Order.PENDING_PAYMENT:
        return
    with in_site_language():
        body = _("【绿壳蛋】订单 %(no)s %(status)s。") % {"no": order.number, "status": dict(Order.STATUSES)[status]}
        params = {"no": order.number, "status": dict(Order.STATUSES)[status]}
        if status == Order.READY_FOR_PICKUP and order.pickup_point_id:
            params.update(place=order.pickup_point.name, code=order.pickup_code)
            body += _("请到%(place)s取货，取货码 %(code)s。") % {"place": order.pickup_point.name,
                                                              "code": order.pickup_code}
        notify(event=f"order.{status}", key=f"order:{order.pk}:{status}", body=body, cooperative=order.cooperative,
               phone=phone, wechat_openid=openid, sms_params=params)
