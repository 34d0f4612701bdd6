"""Boxes of an order refunded before its eggs left go back on sale; after they left, they do not."""

from django.utils import timezone

from orders.models import Order
from orders.services import payments, stock
from orders.services.orders import Item, mark_ready_for_pickup, mark_shipped, pack_order, place_order
from orders.services.payments.base import ProviderError
from orders.services.payments.offline import OfflineProvider
from quality.services.dashboard import boxes_for_sale
from tests.factories import ADDRESS


def paid_order(shop, boxes, personas, **kw):
    kw.setdefault("address", ADDRESS)
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, boxes)], **kw)
    payments.record_offline_payment(order, reference="现金", user=personas.manager_a)
    order.refresh_from_db()
    return order


def refund_all(order, personas, no="R1", confirm=True):
    row = payments.refund(order, out_refund_no=f"{no}-{order.pk}", reason="买家不要了", user=personas.manager_a)
    # An offline refund waits for the manager to confirm the cash went back (待线下退款).
    if confirm:
        payments.confirm_offline_refund(row, user=personas.manager_a, confirmation="现金当面退还")
    order.refresh_from_db()
    return order


def test_it_puts_boxes_of_a_packed_order_refunded_before_shipping_back_on_sale(shop, personas):
    order = paid_order(shop, 4, personas)
    pack_order(order, user=personas.manager_a)
    assert stock.product_availability(shop.product) == 10 - 4
    refund_all(order, personas)
    assert order.status == Order.REFUNDED
    assert stock.product_availability(shop.product) == 10
    # and the freed boxes can really be packed for the next buyer
    again = paid_order(shop, 10, personas)
    pack_order(again, user=personas.manager_a)
    again.refresh_from_db()
    assert again.status == Order.PACKED


def test_it_frees_the_boxes_while_the_refund_is_still_pending(shop, personas, monkeypatch):
    order = paid_order(shop, 3, personas)
    pack_order(order, user=personas.manager_a)
    def refuse(self, **kw):
        raise ProviderError("bank closed")

    monkeypatch.setattr(OfflineProvider, "refund", refuse)
    refund_all(order, personas, confirm=False)
    assert order.status == Order.REFUND_PENDING
    assert stock.product_availability(shop.product) == 10


def test_it_keeps_boxes_of_a_shipped_order_out_of_stock_when_it_is_refunded(shop, personas):
    order = paid_order(shop, 4, personas)
    pack_order(order, user=personas.manager_a)
    mark_shipped(order, courier_company="顺丰", tracking_no="SF1234567890", user=personas.manager_a)
    refund_all(order, personas)
    assert order.status == Order.REFUNDED
    assert stock.product_availability(shop.product) == 10 - 4


def test_it_keeps_boxes_handed_to_the_pickup_point_out_of_stock_when_refunded(shop, personas):
    order = paid_order(shop, 2, personas, fulfilment=Order.PICKUP, pickup_point=shop.pickup)
    pack_order(order, user=personas.manager_a)
    mark_ready_for_pickup(order, user=personas.manager_a)
    refund_all(order, personas)
    assert stock.product_availability(shop.product) == 10 - 2


def test_the_dashboard_counts_freed_boxes_as_for_sale(shop, personas):
    order = paid_order(shop, 4, personas)
    pack_order(order, user=personas.manager_a)
    refund_all(order, personas)
    assert boxes_for_sale([shop.coop.pk], timezone.localdate()) == [("L", 10, 10)]
