"""Placing orders: stock from facts, limits, idempotent create, cancel and the unpaid timeout."""

import datetime

import pytest
from django.utils import timezone

from coop.models import Batch
from orders.models import Order, OrderError
from orders.services import stock
from orders.services.orders import Item, cancel_order, cancel_unpaid, place_order
from tests.factories import ADDRESS, make_batch, make_product


def order(shop, boxes, **kw):
    kw.setdefault("address", ADDRESS)
    return place_order(buyer=shop.buyer, items=[Item(shop.product, boxes)], **kw)


def test_it_shows_boxes_left_from_packed_batches_minus_open_orders(shop):
    assert stock.product_availability(shop.product) == 10
    order(shop, 3)
    assert stock.product_availability(shop.product) == 7


def test_expired_and_recalled_batches_are_not_for_sale(shop):
    make_batch(shop.coop, weight_class="L", pack_size=10, boxes=5, status=Batch.RECALLED)
    old = make_batch(shop.coop, weight_class="L", pack_size=10, boxes=4)
    Batch.objects.filter(pk=old.pk).update(best_before=timezone.localdate() - datetime.timedelta(days=1))
    other_size = make_batch(shop.coop, weight_class="L", pack_size=30, boxes=4)
    assert other_size.pack_size == 30
    assert stock.product_availability(shop.product) == 10


def test_it_refuses_more_than_is_left_and_says_how_many_remain(shop):
    order(shop, 8)
    with pytest.raises(OrderError) as err:
        order(shop, 3)
    assert "仅剩 2 盒" in err.value.message
    order(shop, 2)
    with pytest.raises(OrderError) as err:
        order(shop, 1)
    assert "卖完" in err.value.message
    assert Order.objects.count() == 2


def test_the_per_order_limit_is_enforced(shop):
    shop.product.per_order_limit = 2
    shop.product.save()
    with pytest.raises(OrderError) as err:
        order(shop, 3)
    assert "限购 2 盒" in err.value.message


def test_courier_orders_need_an_address_and_pickup_orders_a_pickup_point(shop):
    with pytest.raises(OrderError):
        order(shop, 1, address={"recipient": "张三"})
    with pytest.raises(OrderError):
        order(shop, 1, fulfilment=Order.PICKUP, address=None)
    o, _ = order(shop, 1, fulfilment=Order.PICKUP, pickup_point=shop.pickup, address=None)
    assert o.pickup_point == shop.pickup


def test_a_retry_with_the_same_idempotency_key_returns_the_same_order(shop):
    first, created = order(shop, 2, idempotency_key="k-1")
    again, created_again = order(shop, 2, idempotency_key="k-1")
    assert created and not created_again
    assert first.pk == again.pk
    assert Order.objects.count() == 1
    assert stock.product_availability(shop.product) == 8


def test_an_order_copies_price_and_totals_in_decimal(shop):
    o, _ = order(shop, 3)
    assert str(o.total) == "119.70"
    assert o.total_fen == 11970
    assert o.status == Order.PENDING_PAYMENT
    assert list(o.history.values_list("to_status", flat=True)) == [Order.PENDING_PAYMENT]


def test_one_order_holds_products_of_one_cooperative_only(shop, personas):
    other = make_product(personas.coop_b)
    with pytest.raises(OrderError):
        place_order(buyer=shop.buyer, items=[Item(shop.product, 1), Item(other, 1)], address=ADDRESS)


def test_cancelling_gives_the_boxes_back(shop):
    o, _ = order(shop, 10)
    assert stock.product_availability(shop.product) == 0
    cancel_order(o, actor_label="张三")
    assert o.status == Order.CANCELLED
    assert stock.product_availability(shop.product) == 10


def test_unpaid_orders_are_cancelled_after_30_minutes_and_release_stock(shop):
    o, _ = order(shop, 6)
    assert cancel_unpaid(now=timezone.now() + datetime.timedelta(minutes=29)) == 0
    assert stock.product_availability(shop.product) == 4
    assert cancel_unpaid(now=timezone.now() + datetime.timedelta(minutes=31)) == 1
    o.refresh_from_db()
    assert o.status == Order.CANCELLED
    assert "30 分钟" in o.history.last().reason
    assert stock.product_availability(shop.product) == 10
    # Running again changes nothing.
    assert cancel_unpaid(now=timezone.now() + datetime.timedelta(minutes=40)) == 0


def test_the_periodic_task_is_scheduled():
    from django.conf import settings

    tasks = {v["task"] for v in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "orders.tasks.cancel_unpaid_orders" in tasks
    assert "orders.tasks.close_due_group_buys" in tasks
