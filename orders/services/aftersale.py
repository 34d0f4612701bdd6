"""After the eggs arrive: 确认收货, 申请售后 and the manager's decision, 再来一单.

- **Receipt.** The buyer confirms a shipped (or handed-over) order; ``confirm_received`` (beat, hourly)
  confirms shipped orders ``ORDER_AUTO_RECEIVE_DAYS`` after they were shipped. Received = completed: the
  time is the timeline's first "completed" row, a fact, not a second field that could drift.
- **A request** names one line of a received order, a reason (坏蛋 / 运输破损 / 少发漏发), a number of eggs or
  boxes and up to three photos (cleaned by ``coop.lib.photos``). It may be made ``AFTERSALE_WINDOW_DAYS``
  after receipt; a request from a bad-egg report may come before the buyer pressed 确认收货 (the box is open
  in their hands). One open request per line: counted under the line's lock, and a partial unique index.
- **The decision** is the manager's: a refund through ``orders.services.payments.refund`` (the payment's
  lock keeps the order from being refunded more than was paid), a replacement order taking its boxes
  from stock under the stock lock, or a refusal with a reason. What a line's remedies are worth (refunds +
  replaced boxes at the line's price) never exceeds what was paid for the line. Each decision is a
  compare-and-set from "open", so of twenty managers deciding at once one decides.
- The buyer is told at each step (``notify``); every step is in the audit trail.
"""

import datetime
import math
import re
from decimal import ROUND_HALF_UP, Decimal

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from coop.lib import photos as photo_rules
from coop.lib import tenancy
from coop.lib.locking import lock_keys
from coop.lib.validators import InvalidNumber, parse_int
from coop.lib.words import in_site_language
from coop.services.audit import log_action
from coop.services.notifications import notify
from orders.models import (
    AfterSale,
    AfterSaleError,
    AfterSalePhoto,
    Order,
    OrderError,
    OrderLine,
    OrderStatusChange,
    Product,
    Refund,
)
from orders.models.catalog import stock_key
from orders.services import stock
from orders.services.orders import new_code, new_order_number
from orders.services.payments import refund
from orders.services.status import set_status

MAX_PHOTOS = 3
RECEIVABLE = (Order.SHIPPED, Order.READY_FOR_PICKUP)
ZERO = Decimal("0.00")


# --- Receipt --------------------------------------------------------------------------------

def received_at(order):
    """When the order was received (its first "completed" row), or None."""
    row = (OrderStatusChange.objects.filter(order=order, to_status=Order.COMPLETED)
           .order_by("created_at", "id").first())
    return row.created_at if row else None


def confirm_receipt(order, *, user=None, actor_label="", reason=""):
    """The buyer's 确认收货: a shipped or handed-over order becomes completed."""
    if order.status == Order.COMPLETED:
        raise AfterSaleError(_("这个订单已经确认收货了。"), "already_received")
    if order.status not in RECEIVABLE:
        raise AfterSaleError(_("订单还没有发货，不能确认收货。"), "not_shipped")
    try:
        set_status(order, Order.COMPLETED, user=user, actor_label=actor_label, reason=reason or _("买家确认收货"))
    except OrderError as exc:
        raise AfterSaleError(exc.message, "conflict") from None
    return order


def confirm_received(now=None):
    """Shipped orders the buyer never confirmed count as received ``ORDER_AUTO_RECEIVE_DAYS`` after shipping.
    ``status_changed_at`` of a shipped order is when it was shipped. Safe to run twice (compare-and-set)."""
    days = settings.ORDER_AUTO_RECEIVE_DAYS
    due = (now or timezone.now()) - datetime.timedelta(days=days)
    done = 0
    for order in Order.objects.filter(status=Order.SHIPPED, status_changed_at__lte=due).select_related("buyer"):
        try:
            set_status(order, Order.COMPLETED, actor_label=_("系统"),
                       reason=_("发货 %(n)s 天后自动确认收货") % {"n": days})
        except OrderError:
            continue  # confirmed by the buyer (or refunded) a moment ago
        done += 1
    return done


@shared_task(name="orders.tasks.confirm_received_orders")
def confirm_received_orders():
    return confirm_received()


# --- What a line is owed ----------------------------------------------------------------------

def line_paid(line):
    return (Decimal(line.unit_price) * line.boxes).quantize(Decimal("0.01"))


def _settled(line):
    """Refunded money and replaced boxes of ``line``'s decided requests (a failed refund gives its amount back)."""
    decided = AfterSale.objects.filter(line=line)
    refunded = (decided.filter(status=AfterSale.REFUNDED).exclude(refund__status=Refund.FAILED)
                .aggregate(n=Sum("amount"))["n"] or ZERO)
    replaced = decided.filter(status=AfterSale.REPLACED).aggregate(n=Sum("replacement_boxes"))["n"] or 0
    return refunded, replaced


def line_left(line):
    """``(money, boxes)`` a line may still be remedied with: what was paid for it, less refunds and
    replaced boxes at the line's price; boxes, less those already replaced."""
    refunded, replaced = _settled(line)
    money = line_paid(line) - refunded - Decimal(line.unit_price) * replaced
    return max(money, ZERO), max(line.boxes - replaced, 0)


def value_of(line, unit, quantity):
    """What ``quantity`` eggs (or boxes) of ``line`` were paid: its price per egg or per box."""
    price = Decimal(line.unit_price)
    if unit == AfterSale.EGGS:
        price = price / Decimal(line.pack_size)
    return (price * quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def boxes_for(line, unit, quantity):
    """Boxes that make good ``quantity`` eggs or boxes (three bad eggs: one box)."""
    return quantity if unit == AfterSale.BOXES else math.ceil(quantity / line.pack_size)


def suggested_refund(aftersale):
    money, _boxes = line_left(aftersale.line)
    return min(value_of(aftersale.line, aftersale.unit, aftersale.quantity), money)


# --- Asking ---------------------------------------------------------------------------------

def can_request(order):
    """``(True, "")`` when the buyer may ask for after-sale on ``order`` now, else ``(False, why)``."""
    if order.status != Order.COMPLETED:
        return False, _("确认收货后可以申请售后。")
    got = received_at(order)
    if got is not None and timezone.now() > got + datetime.timedelta(days=settings.AFTERSALE_WINDOW_DAYS):
        return False, _("已超过收货后 %(n)s 天的售后期限。") % {"n": settings.AFTERSALE_WINDOW_DAYS}
    return True, ""


def _quantity(line, unit, quantity):
    most = line.boxes * line.pack_size if unit == AfterSale.EGGS else line.boxes
    try:
        number = parse_int(quantity, minimum=1, maximum=most)
        if number is None:  # left blank
            raise InvalidNumber("")
        return number
    except InvalidNumber:
        raise AfterSaleError(_("数量应在 1 到 %(n)s %(u)s之间。") % {
            "n": most, "u": dict(AfterSale.UNITS)[unit]}, "quantity", field="quantity") from None


def request_aftersale(order, *, line, reason, unit, quantity, note="", photos=(), user=None, report_reference=""):
    """Open an after-sale request on one line of ``order`` and return it. Raises ``AfterSaleError``."""
    if report_reference:
        # From a bad-egg report: the box is open in the buyer's hands, received or not yet confirmed.
        if order.status not in (*RECEIVABLE, Order.COMPLETED):
            raise AfterSaleError(_("订单还没有发货，不能申请售后。"), "not_received")
        if order.status == Order.COMPLETED:
            ok, why = can_request(order)
            if not ok:
                raise AfterSaleError(why, "window")
    else:
        ok, why = can_request(order)
        if not ok:
            raise AfterSaleError(why, "window" if order.status == Order.COMPLETED else "not_received")
    if line is None or line.order_id != order.pk:
        raise AfterSaleError(_("请选择要售后的商品。"), "line", field="line")
    if reason not in dict(AfterSale.REASONS):
        raise AfterSaleError(_("请选择售后原因。"), "reason", field="reason")
    if unit not in dict(AfterSale.UNITS):
        raise AfterSaleError(_("请选择按枚还是按盒。"), "unit", field="unit")
    quantity = _quantity(line, unit, quantity)
    note = (note or "").strip()
    if len(note) > 300:
        raise AfterSaleError(_("说明最多 300 字。"), "note", field="note")
    photos = list(photos or [])
    if len(photos) > MAX_PHOTOS:
        raise AfterSaleError(_("最多上传 %(n)s 张照片。") % {"n": MAX_PHOTOS}, "photos", field="photos")
    try:
        cleaned = [photo_rules.clean_photo(p) for p in photos]  # refuse a bad file before anything is written
    except photo_rules.PhotoError as exc:
        raise AfterSaleError(exc.message, "photos", field="photos") from None
    if report_reference and Refund.objects.filter(order=order, out_refund_no=f"{report_reference}R").exists():
        # The report was confirmed and its bad eggs refunded already (quality's grant_remedy): not twice.
        raise AfterSaleError(_("这份坏蛋报告已经给您退过款了。"), "report_refunded")
    money, boxes = line_left(line)
    # A ¥0 line (a replacement's) can still be replaced; any other line is done once its money is used up.
    if boxes <= 0 or (line.unit_price > 0 and money <= 0):
        raise AfterSaleError(_("这件商品已经全部退款或补发过了。"), "settled")
    try:
        with transaction.atomic():
            lock_keys(f"aftersale:line:{line.pk}")
            if AfterSale.objects.filter(line=line, status__in=AfterSale.OPEN).exists():
                raise AfterSaleError(_("这件商品已有一个售后申请在处理中，请等合作社处理完再申请。"), "open")
            row = AfterSale.objects.create(cooperative_id=order.cooperative_id, order=order, line=line, reason=reason,
                                           unit=unit, quantity=quantity, note=note,
                                           report_reference=(report_reference or "")[:12])
            for content in cleaned:
                AfterSalePhoto.objects.create(aftersale=row, image=content)
            log_action(row, "aftersale.requested", user=user, actor_label=order.buyer.display_name,
                       data={"order": order.number, "line": line.pk, "reason": reason, "unit": unit,
                             "quantity": quantity, "photos": len(cleaned), "report": report_reference})
            with in_site_language():
                _tell_buyer(row, _("已收到您的售后申请（%(what)s），合作社会在 2 天内处理。") % {"what": describe(row)})
    except IntegrityError:
        # The partial unique index: a second tab's request got in between the check and the insert.
        raise AfterSaleError(_("这件商品已有一个售后申请在处理中，请等合作社处理完再申请。"), "open") from None
    return row


def describe(row):
    return _("%(name)s：%(reason)s %(n)s %(u)s") % {
        "name": row.line.name, "reason": row.get_reason_display(), "n": row.quantity, "u": row.get_unit_display()}


def _tell_buyer(row, body):
    phone, openid = row.order.buyer.phone or "", row.order.buyer.wechat_openid or ""
    if not (phone or openid):
        return
    with in_site_language():
        notify(event=f"aftersale.{row.status}", key=f"aftersale:{row.pk}:{row.status}",
               body=_("【绿壳蛋】订单 %(no)s ") % {"no": row.order.number} + body, cooperative=row.order.cooperative,
               phone=phone, wechat_openid=openid,
               sms_params={"no": row.order.number, "status": str(row.get_status_display())})


# --- Deciding -------------------------------------------------------------------------------

def _decide(row, status, *, user, note, **fields):
    """Compare-and-set from open to ``status``: of several managers (or a double click) one decides."""
    now = timezone.now()
    done = AfterSale.objects.filter(pk=row.pk, status=AfterSale.REQUESTED).update(
        status=status, decided_by=user, decided_at=now, decision_note=note[:300], **fields)
    if not done:
        row.refresh_from_db()
        raise AfterSaleError(_("这个售后申请已经处理过了（%(s)s）。") % {"s": row.get_status_display()},
                             "decided", status=409)
    row.refresh_from_db()
    return row


MONEY_RE = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")


def _money(amount):
    """Yuan as typed: ASCII digits and at most two decimals (Decimal alone would take "1e30", "NaN" or "٣")."""
    text = str(amount).strip()
    if not MONEY_RE.fullmatch(text):
        raise AfterSaleError(_("请填写正确的退款金额，例如 7.98。"), "amount", field="amount")
    return Decimal(text)


def decide_refund(row, *, user, amount=None, note=""):
    """Refund the request (``amount`` yuan; by default what its eggs or boxes were paid), once.

    The line's lock is taken before reading what the line may still be refunded; the request is then
    marked refunded by compare-and-set and committed, and only then is the refund made, through the
    shop's refund service (which locks the payment against refunding more than was paid). A refund the
    service refuses puts the request back to open, with the reason, for the manager to decide otherwise.
    """
    note = (note or "").strip()
    with transaction.atomic():
        lock_keys(f"aftersale:line:{row.line_id}")
        row.refresh_from_db()
        if not row.is_open:
            raise AfterSaleError(_("这个售后申请已经处理过了（%(s)s）。") % {"s": row.get_status_display()},
                                 "decided", status=409)
        value = suggested_refund(row) if amount in (None, "") else _money(amount)
        money, _boxes = line_left(row.line)
        if value <= 0:
            raise AfterSaleError(_("退款金额必须大于 0。"), "amount", field="amount")
        if value > money:
            raise AfterSaleError(_("退款金额超过这件商品还可退的 ¥%(n)s。") % {"n": money}, "amount", field="amount")
        _decide(row, AfterSale.REFUNDED, user=user, note=note, amount=value)
    return _pay_refund(row, value, user=user, note=note)


def _refund_no(row):
    """The refund number of the request's current try: one more than the tries the platform failed. A try
    that is retried after a crash (its refund written, never linked) gets the same number, so the refund
    service returns that refund instead of paying twice."""
    failed = Refund.objects.filter(order_id=row.order_id, out_refund_no__startswith=f"AS{row.pk}-",
                                   status=Refund.FAILED).count()
    return f"AS{row.pk}-{failed + 1}"


def _pay_refund(row, value, *, user, note):
    order = row.order
    try:
        result = refund(order, out_refund_no=_refund_no(row), amount=value, user=user,
                        reason=_("售后退款：%(what)s") % {"what": describe(row)})
    except OrderError as exc:
        _reopen(row, user=user, why=exc.message)
        raise AfterSaleError(_("退款没有成功：%(why)s") % {"why": exc.message}, "refund_failed") from None
    if result.status == Refund.FAILED:
        _reopen(row, user=user, why=_("支付平台拒绝了退款"))
        raise AfterSaleError(_("退款没有成功：支付平台拒绝了退款，请稍后再试或改为补发。"), "refund_failed")
    AfterSale.objects.filter(pk=row.pk).update(refund=result)
    row.refresh_from_db()
    log_action(row, "aftersale.refunded", user=user, reason=note,
               data={"order": order.number, "amount": str(value), "out_refund_no": result.out_refund_no,
                     "refund_status": result.status})
    when = (_("合作社会把钱当面或转账退给您。") if result.status == Refund.AWAITING_OFFLINE
            else _("钱原路退回，一般 1–3 天到账。"))
    with in_site_language():
        _tell_buyer(row, _("售后已同意退款 ¥%(v)s（%(what)s）。%(when)s") % {
            "v": value, "what": describe(row), "when": when})
    return row


def needs_refund(row):
    """A refund decided whose money is not on its way: the platform failed it afterwards, or the decision
    was recorded and the refund never made (the process stopped in between)."""
    if row.status != AfterSale.REFUNDED:
        return False
    if row.refund_id is None:
        return row.decided_at is not None and timezone.now() - row.decided_at > RETRY_AFTER
    return row.refund.status == Refund.FAILED


RETRY_AFTER = datetime.timedelta(minutes=2)  # longer than any refund call takes (the provider's timeout)


def retry_refund(row, *, user):
    """Make the refund a manager already decided, again: same amount, through the same refund service."""
    with transaction.atomic():
        lock_keys(f"aftersale:line:{row.line_id}")
        row.refresh_from_db()
        if not needs_refund(row):
            raise AfterSaleError(_("这笔售后退款不需要重新发起。"), "not_failed", status=409)
    log_action(row, "aftersale.refund_retried", user=user, data={"order": row.order.number})
    return _pay_refund(row, row.amount, user=user, note=row.decision_note)


def _reopen(row, *, user, why):
    # Back to open (a failed refund unlinked; its amount is given back by its status): the manager may
    # decide again, a replacement instead for instance.
    AfterSale.objects.filter(pk=row.pk, status=AfterSale.REFUNDED).update(
        status=AfterSale.REQUESTED, amount=None, refund=None, decided_by=None, decided_at=None, decision_note="")
    row.refresh_from_db()
    log_action(row, "aftersale.refund_failed", user=user, reason=why, data={"order": row.order.number})


def decide_replacement(row, *, user, boxes=None, note=""):
    """Send replacement boxes: a new paid order (¥0) for the buyer, holding its boxes from stock like any
    order, so the manager packs and ships it the usual way. Under the stock lock, availability first."""
    note = (note or "").strip()
    line = row.line
    if boxes in (None, ""):
        boxes = boxes_for(line, row.unit, row.quantity)
    try:
        boxes = parse_int(boxes, minimum=1, maximum=line.boxes)
    except InvalidNumber:
        raise AfterSaleError(_("补发盒数应在 1 到 %(n)s 之间。") % {"n": line.boxes}, "boxes", field="boxes") from None
    order = row.order
    with transaction.atomic():
        lock_keys(f"aftersale:line:{line.pk}", stock_key(order.cooperative_id, line.weight_class, line.pack_size))
        row.refresh_from_db()
        if not row.is_open:
            raise AfterSaleError(_("这个售后申请已经处理过了（%(s)s）。") % {"s": row.get_status_display()},
                                 "decided", status=409)
        money, left = line_left(line)
        if boxes > left or Decimal(line.unit_price) * boxes > money:
            raise AfterSaleError(_("补发超过了这件商品买的数量（还可补发 %(n)s 盒）。") % {
                "n": min(left, int(money // Decimal(line.unit_price)) if line.unit_price else left)},
                "boxes", field="boxes")
        available = stock.available_boxes(order.cooperative_id, line.weight_class, line.pack_size)
        if boxes > available:
            raise AfterSaleError(_("库存不足：仅剩 %(n)s 盒，无法补发。请等新批次包装后再处理，或改为退款。")
                                 % {"n": available}, "insufficient", status=409)
        replacement = _replacement_order(order, line, boxes, row)
        stock.refresh_after_commit({(order.cooperative_id, line.weight_class, line.pack_size)})
        _decide(row, AfterSale.REPLACED, user=user, note=note, replacement=replacement, replacement_boxes=boxes)
        log_action(row, "aftersale.replaced", user=user, reason=note,
                   data={"order": order.number, "replacement": replacement.number, "boxes": boxes})
        with in_site_language():
            _tell_buyer(row, _("售后已同意补发 %(n)s 盒（%(what)s），补发订单 %(r)s，发货后会再告诉您。") % {
                "n": boxes, "what": describe(row), "r": replacement.number})
    return row


def _replacement_order(order, line, boxes, row):
    now = timezone.now()
    new = Order.objects.create(
        cooperative_id=order.cooperative_id, buyer=order.buyer, number=new_order_number(now), total=ZERO,
        status=Order.PAID, fulfilment=order.fulfilment, pickup_point=order.pickup_point,
        recipient=order.recipient, phone=order.phone, address=order.address,
        note=_("售后补发：原订单 %(no)s") % {"no": order.number}, pickup_code=new_code(),
        buyer_name=order.buyer_name, placed_at=now, pay_by=now, paid_at=now, status_changed_at=now)
    OrderLine.objects.create(order=new, product=line.product, name=line.name, weight_class=line.weight_class,
                             pack_size=line.pack_size, boxes=boxes, unit_price=ZERO)
    OrderStatusChange.objects.create(order=new, from_status="", to_status=Order.PAID, actor_label=_("售后补发"),
                                     reason=_("原订单 %(no)s 的售后补发") % {"no": order.number}, created_at=now)
    log_action(new, "order.placed", actor_label=_("售后补发"),
               data={"replaces": order.number, "aftersale": row.pk, "boxes": boxes})
    return new


def decide_refusal(row, *, user, note):
    """Refuse the request; the buyer is told why."""
    note = (note or "").strip()
    if not note:
        raise AfterSaleError(_("不予售后时必须写明原因，买家会看到。"), "note", field="note")
    with transaction.atomic():
        _decide(row, AfterSale.REFUSED, user=user, note=note)
        log_action(row, "aftersale.refused", user=user, reason=note, data={"order": row.order.number})
        with in_site_language():
            _tell_buyer(row, _("售后申请未通过（%(what)s）：%(why)s") % {"what": describe(row), "why": note})
    return row


def open_for_lines(order):
    """``{line id: open request}`` of ``order``."""
    return {a.line_id: a for a in order.aftersales.filter(status__in=AfterSale.OPEN)}


def report_has_aftersale(reference):
    return AfterSale.objects.filter(report_reference=reference).exclude(
        Q(status=AfterSale.REFUSED)).exists()


# --- 再来一单 ----------------------------------------------------------------------------------

def reorder(order, cart):
    """Put the lines of ``order`` into ``cart`` (``{product id: boxes}``, changed in place) as far as
    they are still sold, in stock and within the per-order limit. Returns ``(boxes added, messages)``: one
    message for every line not put in whole, naming it and saying why."""
    in_cart = set(Product.objects.filter(pk__in=list(cart)).values_list("cooperative_id", flat=True))
    if in_cart and in_cart != {order.cooperative_id}:
        raise AfterSaleError(_("购物车里已有其他合作社的商品，请先结算或清空。"), "mixed")
    problems, added = [], 0
    for line in order.lines.select_related("product"):
        product = line.product
        if not product.active:
            problems.append(_("“%(name)s”已下架，没有放入购物车。") % {"name": line.name})
            continue
        left = stock.product_availability(product)
        if left <= 0:
            problems.append(_("“%(name)s”已经卖完了，没有放入购物车。") % {"name": product.name})
            continue
        have = cart.get(product.pk, 0)
        target = min(have + line.boxes, product.per_order_limit, left)
        take = max(target - have, 0)
        if take < line.boxes:
            if target == left:
                problems.append(_("“%(name)s”仅剩 %(n)s 盒，购物车里放了 %(m)s 盒。") % {
                    "name": product.name, "n": left, "m": target})
            else:
                problems.append(_("“%(name)s”每单限购 %(n)s 盒，购物车里放了 %(m)s 盒。") % {
                    "name": product.name, "n": product.per_order_limit, "m": target})
        if take:
            cart[product.pk] = have + take
            added += take
    return added, problems


def photos_visible_to(user):
    """The after-sale photos ``user`` may open: any of the cooperatives they work for (all for a superuser),
    and the buyer's own requests. Everyone else: none — the photo view answers 404, as for a missing one."""
    rule = Q(aftersale__cooperative_id__in=tenancy.cooperative_ids(user))
    if getattr(user, "is_authenticated", False):  # by the user, not buyer_of (which creates a profile: no write on GET)
        rule |= Q(aftersale__order__buyer__user_id=user.pk)
    return AfterSalePhoto.objects.filter(rule)
