"""Packing allocates each line to batches (earliest best-before first); the buyer sees the trace codes."""

import datetime

import pytest
from django.utils import timezone

from coop.models import Batch
from orders.models import Allocation, Order, OrderError
from orders.services import payments, stock
from orders.services.orders import Item, mark_shipped, pack_order, place_order, trace_batches
from tests.factories import ADDRESS, make_batch


def paid_order(shop, boxes, personas):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, boxes)], address=ADDRESS)
    payments.record_offline_payment(order, reference="现金", user=personas.manager_a)
    order.refresh_from_db()
    return order


def test_packing_takes_the_earliest_best_before_first_and_spans_batches(shop, personas):
    later = shop.batch  # best before laid+28 from yesterday
    earlier = make_batch(shop.coop, weight_class="L", pack_size=10, boxes=2,
                         laid_on=timezone.localdate() - datetime.timedelta(days=5))
    order = paid_order(shop, 5, personas)
    pack_order(order, user=personas.manager_a)
    order.refresh_from_db()
    assert order.status == Order.PACKED
    got = {a.batch_id: a.boxes for a in Allocation.objects.filter(line__order=order)}
    assert got == {earlier.pk: 2, later.pk: 3}
    assert [b.code for b in trace_batches(order)] == [earlier.code, later.code]
    assert stock.product_availability(shop.product) == 12 - 5


def test_only_paid_orders_are_packed(shop):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    with pytest.raises(OrderError):
        pack_order(order)
    assert not Allocation.objects.exists()


def test_packing_refuses_when_batches_were_recalled_after_the_sale(shop, personas):
    order = paid_order(shop, 3, personas)
    Batch.objects.filter(pk=shop.batch.pk).update(status=Batch.RECALLED)
    with pytest.raises(OrderError) as err:
        pack_order(order, user=personas.manager_a)
    assert "库存不足" in err.value.message
    order.refresh_from_db()
    assert order.status == Order.PAID and not Allocation.objects.exists()


def test_shipping_needs_a_tracking_number(shop, personas):
    order = paid_order(shop, 1, personas)
    pack_order(order)
    with pytest.raises(OrderError):
        mark_shipped(order, courier_company="顺丰", tracking_no="")
    mark_shipped(order, courier_company="顺丰", tracking_no="SF1234567890")
    order.refresh_from_db()
    assert order.status == Order.SHIPPED and order.tracking_no == "SF1234567890"


def test_the_buyer_sees_trace_codes_on_the_order_page_after_packing(shop, personas, client_for):
    order = paid_order(shop, 2, personas)
    c = client_for(shop.buyer.user)
    assert "这盒蛋的来历" not in c.get(f"/shop/orders/{order.number}/").content.decode()
    pack_order(order)
    html = c.get(f"/shop/orders/{order.number}/").content.decode()
    assert "这盒蛋的来历" in html
    assert shop.batch.code in html


def test_the_order_page_links_each_batch_to_a_bad_egg_report_for_this_order(shop, personas, client_for):
    order = paid_order(shop, 1, personas)
    pack_order(order)
    batch = trace_batches(order)[0]
    html = client_for(shop.buyer.user).get(f"/shop/orders/{order.number}/").content.decode()
    assert batch.trace_code  # the quality app gives every batch its trace code
    assert f"/t/{batch.trace_code}/report/?order={order.number}" in html
