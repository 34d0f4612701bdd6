"""After-sale as WeChat shops have it: 确认收货 (by the buyer and automatically), 申请售后 within a window,
the manager's refund (through the locked refund service, never above what the line was paid), replacement
(boxes taken from stock) or refusal, 再来一单 — and the buyer told at each step."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from coop.models import AuditEvent, Notification
from orders.models import AfterSale, AfterSaleError, Order, OrderStatusChange, Refund
from orders.services import aftersale, payments, stock
from orders.services.orders import Item, mark_shipped, pack_order, place_order
from tests.factories import ADDRESS, make_batch, photo_upload

pytestmark = pytest.mark.django_db


def shipped_order(shop, manager, boxes=2):
    """A courier order of ``boxes`` × ¥39.90, paid in cash, packed and shipped."""
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, boxes)], address=ADDRESS)
    payments.record_offline_payment(order, reference="现金", user=manager)
    order.refresh_from_db()
    pack_order(order, user=manager)
    mark_shipped(order, courier_company="邮政", tracking_no="YZ123", user=manager)
    order.refresh_from_db()
    return order


@pytest.fixture
def received(shop, personas):
    order = shipped_order(shop, personas.manager_a)
    aftersale.confirm_receipt(order, user=personas.buyer, actor_label="张三")
    order.refresh_from_db()
    return order


def ask(order, *, unit=AfterSale.EGGS, quantity=2, reason=AfterSale.BAD_EGGS, **kw):
    return aftersale.request_aftersale(order, line=order.lines.get(), reason=reason, unit=unit, quantity=quantity,
                                       **kw)


def age_receipt(order, days):
    OrderStatusChange.objects.filter(order=order, to_status=Order.COMPLETED).update(
        created_at=timezone.now() - datetime.timedelta(days=days))


# --- 确认收货 -----------------------------------------------------------------------------------

def test_it_lets_the_buyer_confirm_receipt_of_a_shipped_order_only(shop, personas):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    with pytest.raises(AfterSaleError, match="还没有发货"):
        aftersale.confirm_receipt(order, user=personas.buyer)
    order = shipped_order(shop, personas.manager_a)
    aftersale.confirm_receipt(order, user=personas.buyer, actor_label="张三")
    order.refresh_from_db()
    assert order.status == Order.COMPLETED
    assert order.history.last().reason == "买家确认收货"
    with pytest.raises(AfterSaleError, match="已经确认收货"):
        aftersale.confirm_receipt(order, user=personas.buyer)


def test_it_confirms_receipt_by_itself_after_the_days_in_the_setting(shop, personas, settings):
    settings.ORDER_AUTO_RECEIVE_DAYS = 7
    order = shipped_order(shop, personas.manager_a)
    assert aftersale.confirm_received(now=timezone.now() + datetime.timedelta(days=6)) == 0
    order.refresh_from_db()
    assert order.status == Order.SHIPPED
    assert aftersale.confirm_received(now=timezone.now() + datetime.timedelta(days=7, minutes=1)) == 1
    order.refresh_from_db()
    assert order.status == Order.COMPLETED and order.history.last().reason == "发货 7 天后自动确认收货"
    assert order.history.last().actor_label == "系统"
    assert aftersale.confirm_received(now=timezone.now() + datetime.timedelta(days=30)) == 0  # twice: no-op


def test_the_periodic_task_is_scheduled(settings):
    schedule = {v["task"] for v in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "orders.tasks.confirm_received_orders" in schedule
    assert aftersale.confirm_received_orders.name == "orders.tasks.confirm_received_orders"


# --- 申请售后 -----------------------------------------------------------------------------------

def test_a_request_needs_a_received_order_within_the_window(shop, personas, settings):
    settings.AFTERSALE_WINDOW_DAYS = 15
    order = shipped_order(shop, personas.manager_a)
    with pytest.raises(AfterSaleError, match="确认收货后可以申请售后"):
        ask(order)
    aftersale.confirm_receipt(order, user=personas.buyer)
    order.refresh_from_db()
    age_receipt(order, 16)
    with pytest.raises(AfterSaleError, match="已超过收货后 15 天的售后期限"):
        ask(order)
    assert not AfterSale.objects.exists()
    age_receipt(order, 14)
    row = ask(order, note="三枚散黄", photos=[photo_upload()])
    assert (row.status, row.quantity, row.unit, row.cooperative_id) == (
        AfterSale.REQUESTED, 2, "eggs", order.cooperative_id)
    photo = row.photos.get()
    assert b"GPS" not in photo.image.read() and photo.image.name.endswith(".jpg")  # cleaned like report photos
    assert AuditEvent.objects.filter(action="aftersale.requested", object_id=str(row.pk)).exists()
    told = Notification.objects.get(event="aftersale.requested")
    assert told.phone == "13800001234" and "已收到您的售后申请" in told.body


def test_one_open_request_per_line_at_a_time(received, personas):
    first = ask(received)
    with pytest.raises(AfterSaleError, match="已有一个售后申请在处理中"):
        ask(received, reason=AfterSale.BROKEN)
    aftersale.decide_refusal(first, user=personas.manager_a, note="照片看不出问题")
    ask(received, reason=AfterSale.BROKEN)  # decided: the buyer may ask again
    assert AfterSale.objects.filter(status=AfterSale.REQUESTED).count() == 1


def test_bad_quantities_and_photos_are_refused_and_nothing_is_saved(received):
    for quantity in ("0", "abc", "21", "-1", ""):  # 2 boxes of 10 eggs: at most 20 eggs
        with pytest.raises(AfterSaleError, match="数量应在 1 到 20 枚之间"):
            ask(received, quantity=quantity)
    with pytest.raises(AfterSaleError, match="数量应在 1 到 2 盒之间"):
        ask(received, unit=AfterSale.BOXES, quantity=3)
    with pytest.raises(AfterSaleError, match="不是有效的图片文件"):
        ask(received, photos=[photo_upload(content=b"not a picture")])
    with pytest.raises(AfterSaleError, match="请选择售后原因"):
        ask(received, reason="refund_me")
    assert not AfterSale.objects.exists()


# --- Deciding: refund -------------------------------------------------------------------------

def test_a_refund_goes_through_the_refund_service_and_is_the_eggs_paid(received, personas):
    row = ask(received, quantity=2)  # 2 eggs of a ¥39.90 box of 10 → ¥7.98
    assert aftersale.suggested_refund(row) == Decimal("7.98")
    aftersale.decide_refund(row, user=personas.manager_a, note="照片属实")
    row.refresh_from_db()
    refund = Refund.objects.get(order=received)
    assert (refund.out_refund_no, refund.amount_fen) == (f"AS{row.pk}-1", 798)
    assert refund.status == Refund.AWAITING_OFFLINE  # paid in cash: handed back by the manager
    assert (row.status, row.amount, row.refund, row.decided_by) == (
        AfterSale.REFUNDED, Decimal("7.98"), refund, personas.manager_a)
    received.refresh_from_db()
    assert received.status == Order.COMPLETED  # compensation, not a cancelled order
    event = AuditEvent.objects.get(action="aftersale.refunded")
    assert event.actor == personas.manager_a and event.reason == "照片属实"
    told = Notification.objects.get(event="aftersale.refunded")
    assert "同意退款 ¥7.98" in told.body and told.phone == "13800001234"
    with pytest.raises(AfterSaleError, match="已经处理过了"):
        aftersale.decide_refund(row, user=personas.manager_a)
    assert Refund.objects.count() == 1


def test_refunds_of_a_line_never_exceed_what_was_paid_for_it(received, personas):
    row = ask(received, unit=AfterSale.BOXES, quantity=2)
    for amount in ("79.81", "100", "abc", "0", "-5", "1.234", "NaN", "1e30", "Infinity", "٣"):
        with pytest.raises(AfterSaleError):
            aftersale.decide_refund(row, user=personas.manager_a, amount=amount)
        row.refresh_from_db()
        assert row.status == AfterSale.REQUESTED
    assert not Refund.objects.exists()
    aftersale.decide_refund(row, user=personas.manager_a, amount="50.00")
    second = ask(received, unit=AfterSale.BOXES, quantity=2)
    assert aftersale.suggested_refund(second) == Decimal("29.80")  # what is left of ¥79.80
    with pytest.raises(AfterSaleError, match="还可退的 ¥29.80"):
        aftersale.decide_refund(second, user=personas.manager_a, amount="29.81")
    aftersale.decide_refund(second, user=personas.manager_a)
    assert sum(r.amount_fen for r in Refund.objects.all()) == 7980
    with pytest.raises(AfterSaleError, match="全部退款或补发过了"):
        ask(received)


def test_an_order_refunded_in_full_takes_no_request(received, personas):
    payments.refund(received, out_refund_no="M-ALL", reason="管理员全额退款", user=personas.manager_a)
    received.refresh_from_db()
    assert received.status == Order.REFUND_PENDING
    with pytest.raises(AfterSaleError, match="确认收货后可以申请售后"):
        ask(received)


def test_a_refund_refused_by_the_payment_service_reopens_the_request(received, personas):
    row = ask(received, unit=AfterSale.BOXES, quantity=1)
    # Money went back another way meanwhile (a partial refund at the counter): ¥50 of ¥79.80 left… ¥29.80.
    payments.refund(received, out_refund_no="M-PART", amount="50.00", reason="柜台退款", user=personas.manager_a)
    with pytest.raises(AfterSaleError, match="退款没有成功"):
        aftersale.decide_refund(row, user=personas.manager_a, amount="39.90")
    row.refresh_from_db()
    assert (row.status, row.amount, row.decided_by) == (AfterSale.REQUESTED, None, None)
    assert AuditEvent.objects.filter(action="aftersale.refund_failed").exists()
    aftersale.decide_refund(row, user=personas.manager_a, amount="29.80")  # what the payment still has
    assert Refund.objects.get(out_refund_no=f"AS{row.pk}-1").amount_fen == 2980


# --- Deciding: replacement, refusal -------------------------------------------------------------

def test_a_replacement_is_a_new_order_that_takes_its_boxes_from_stock(shop, received, personas):
    before = stock.product_availability(shop.product)  # 10 packed − 2 sent
    assert before == 8
    row = ask(received, quantity=3)  # 3 bad eggs → one box
    aftersale.decide_replacement(row, user=personas.manager_a, note="补发一盒")
    row.refresh_from_db()
    new = row.replacement
    assert (row.status, row.replacement_boxes) == (AfterSale.REPLACED, 1)
    assert (new.status, new.total, new.buyer, new.address) == (Order.PAID, Decimal("0.00"), received.buyer,
                                                                received.address)
    assert [(line.name, line.boxes, line.unit_price) for line in new.lines.all()] == [
        (received.lines.get().name, 1, Decimal("0.00"))]
    assert stock.product_availability(shop.product) == before - 1  # held like any paid order
    pack_order(new, user=personas.manager_a)  # and packed the usual way
    assert new.lines.get().allocations.get().boxes == 1
    assert "同意补发 1 盒" in Notification.objects.get(event="aftersale.replaced").body
    assert AuditEvent.objects.get(action="aftersale.replaced").actor == personas.manager_a


def test_a_replacement_without_stock_is_refused_and_changes_nothing(shop, received, personas):
    place_order(buyer=shop.buyer, items=[Item(shop.product, 8)], address=ADDRESS)  # holds the last 8 boxes
    row = ask(received, unit=AfterSale.BOXES, quantity=1)
    with pytest.raises(AfterSaleError, match="库存不足：仅剩 0 盒"):
        aftersale.decide_replacement(row, user=personas.manager_a)
    row.refresh_from_db()
    assert row.status == AfterSale.REQUESTED and Order.objects.count() == 2
    make_batch(shop.coop, weight_class="L", pack_size=10, boxes=2)
    aftersale.decide_replacement(row, user=personas.manager_a)


def test_replaced_and_refunded_boxes_together_stay_within_the_line(received, personas):
    row = ask(received, unit=AfterSale.BOXES, quantity=2)
    aftersale.decide_replacement(row, user=personas.manager_a, boxes=1)
    second = ask(received, unit=AfterSale.BOXES, quantity=2)
    with pytest.raises(AfterSaleError, match="还可补发 1 盒"):
        aftersale.decide_replacement(second, user=personas.manager_a, boxes=2)
    with pytest.raises(AfterSaleError, match="还可退的 ¥39.90"):
        aftersale.decide_refund(second, user=personas.manager_a, amount="39.91")


def test_a_refusal_needs_a_reason_the_buyer_reads(received, personas):
    row = ask(received)
    with pytest.raises(AfterSaleError, match="必须写明原因"):
        aftersale.decide_refusal(row, user=personas.manager_a, note="  ")
    aftersale.decide_refusal(row, user=personas.manager_a, note="已超过保质期才打开")
    row.refresh_from_db()
    assert row.status == AfterSale.REFUSED
    assert "未通过" in Notification.objects.get(event="aftersale.refused").body
    assert "已超过保质期才打开" in Notification.objects.get(event="aftersale.refused").body


# --- 再来一单 ------------------------------------------------------------------------------------

def test_reorder_puts_what_is_still_sold_in_the_cart_and_names_the_rest(shop, received, personas):
    from tests.factories import make_product

    cart = {}
    added, problems = aftersale.reorder(received, cart)
    assert (added, problems, cart) == (2, [], {shop.product.pk: 2})
    place_order(buyer=shop.buyer, items=[Item(shop.product, 7)], address=ADDRESS)  # 1 box left
    cart = {}
    added, problems = aftersale.reorder(received, cart)
    assert cart == {shop.product.pk: 1} and problems == [f"“{shop.product.name}”仅剩 1 盒，购物车里放了 1 盒。"]
    shop.product.active = False
    shop.product.save()
    added, problems = aftersale.reorder(received, {})
    assert added == 0 and problems == [f"“{received.lines.get().name}”已下架，没有放入购物车。"]
    other = make_product(personas.coop_b, name="竹核土鸡蛋")
    with pytest.raises(AfterSaleError, match="其他合作社"):
        aftersale.reorder(received, {other.pk: 1})


def test_a_refund_decided_but_never_made_is_made_once_on_retry(received, personas):
    """The process stopped between recording the decision and calling the refund service."""
    row = ask(received, unit=AfterSale.BOXES, quantity=1)
    aftersale._decide(row, AfterSale.REFUNDED, user=personas.manager_a, note="", amount=Decimal("39.90"))
    with pytest.raises(AfterSaleError, match="不需要重新发起"):  # it may still be on its way
        aftersale.retry_refund(row, user=personas.manager_a)
    AfterSale.objects.filter(pk=row.pk).update(decided_at=timezone.now() - datetime.timedelta(minutes=5))
    row.refresh_from_db()
    assert aftersale.needs_refund(row)
    aftersale.retry_refund(row, user=personas.manager_a)
    row.refresh_from_db()
    assert row.refund.amount_fen == 3990 and not aftersale.needs_refund(row)
    with pytest.raises(AfterSaleError, match="不需要重新发起"):
        aftersale.retry_refund(row, user=personas.manager_a)
    assert Refund.objects.count() == 1


def test_a_retry_after_a_crash_that_wrote_the_refund_does_not_pay_twice(received, personas):
    row = ask(received, unit=AfterSale.BOXES, quantity=1)
    aftersale._decide(row, AfterSale.REFUNDED, user=personas.manager_a, note="", amount=Decimal("39.90"))
    # The refund was written, then the process stopped before linking it to the request.
    payments.refund(received, out_refund_no=f"AS{row.pk}-1", amount="39.90", reason="售后退款",
                    user=personas.manager_a)
    AfterSale.objects.filter(pk=row.pk).update(decided_at=timezone.now() - datetime.timedelta(minutes=5))
    row.refresh_from_db()
    aftersale.retry_refund(row, user=personas.manager_a)
    assert Refund.objects.count() == 1 and AfterSale.objects.get().refund.out_refund_no == f"AS{row.pk}-1"


def test_a_refund_the_platform_failed_later_can_be_made_again(received, personas):
    row = ask(received, unit=AfterSale.BOXES, quantity=1)
    aftersale.decide_refund(row, user=personas.manager_a)
    Refund.objects.filter(pk=row.refund_id).update(status=Refund.FAILED)  # REFUND.ABNORMAL from the platform
    row.refresh_from_db()
    assert aftersale.needs_refund(row) and aftersale.line_left(row.line)[0] == Decimal("79.80")
    aftersale.retry_refund(row, user=personas.manager_a)
    row.refresh_from_db()
    assert row.refund.out_refund_no == f"AS{row.pk}-2" and row.refund.status == Refund.AWAITING_OFFLINE
