"""Boxes sold from a batch that expired before they were packed: never sold again, and the paid
orders waiting on them are shown to the manager until new stock (which goes to them first) or a
refund settles them."""

import datetime

import pytest
from django.utils import timezone

from coop.models import Batch
from orders.models import Order, OrderError
from orders.services import payments, stock
from orders.services.orders import Item, pack_order, place_order
from tests.factories import ADDRESS, make_batch
from tests.orders.test_packing_and_trace import paid_order


def expire(batch):
    Batch.objects.filter(pk=batch.pk).update(best_before=timezone.localdate() - datetime.timedelta(days=1))


def test_it_shows_the_manager_paid_orders_left_without_eggs_by_an_expired_batch(shop, personas, client_for):
    first, second = paid_order(shop, 6, personas), paid_order(shop, 3, personas)
    expire(shop.batch)
    html = client_for(personas.manager_a).get("/shop/manage/").content.decode()
    assert "已售出的盒数超过了能打包的鸡蛋" in html and "还差 9 盒" in html
    assert first.number in html and second.number in html
    packing = client_for(personas.manager_a).get("/shop/manage/packing/").content.decode()
    assert "还差 9 盒" in packing
    # another cooperative's manager sees nothing of it
    assert "还差" not in client_for(personas.manager_b).get("/shop/manage/").content.decode()


def test_expired_boxes_are_never_sold_and_new_stock_goes_to_the_waiting_orders(shop, personas):
    first, second = paid_order(shop, 6, personas), paid_order(shop, 3, personas)
    expire(shop.batch)
    assert stock.product_availability(shop.product) == 0
    with pytest.raises(OrderError) as err:
        place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    assert err.value.code == "sold_out"
    with pytest.raises(OrderError):
        pack_order(first, user=personas.manager_a)
    first.refresh_from_db()
    assert first.status == Order.PAID
    [short] = stock.shortfalls([shop.coop.pk])
    assert (short.weight_class, short.pack_size, short.boxes) == ("L", 10, 9)
    assert [o.pk for o in short.waiting] == [first.pk, second.pk]

    make_batch(shop.coop, weight_class="L", pack_size=10, boxes=7)
    assert stock.product_availability(shop.product) == 0  # the new boxes are owed to the waiting orders
    [short] = stock.shortfalls([shop.coop.pk])
    assert short.boxes == 2 and [o.pk for o in short.waiting] == [second.pk]
    pack_order(first, user=personas.manager_a)
    make_batch(shop.coop, weight_class="L", pack_size=10, boxes=2)
    pack_order(second, user=personas.manager_a)
    second.refresh_from_db()
    assert second.status == Order.PACKED
    assert stock.shortfalls([shop.coop.pk]) == []
    assert stock.product_availability(shop.product) == 0


def test_a_refund_of_a_waiting_order_clears_the_warning(shop, personas):
    order = paid_order(shop, 4, personas)
    expire(shop.batch)
    assert stock.shortfalls([shop.coop.pk])
    payments.refund(order, out_refund_no="R-expired", reason="批次过期，退款", user=personas.manager_a)
    assert stock.shortfalls([shop.coop.pk]) == []
