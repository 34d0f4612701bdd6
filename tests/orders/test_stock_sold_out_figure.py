"""The cached sold-out figure (orders/services/stock.py): a cached 0 refuses a sale without a query or the
lock; any other figure goes on to the locked check, which alone sells. Every write that changes a pool's
stock rewrites its figure after the commit, a figure wrongly 0 lives at most its lifetime, and a cache
outage only loses the shortcut."""

import time

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from coop.models import Batch
from coop.services.batches import set_batch_status
from coop.services.packing import pack_batch
from orders.models import AfterSale, Order, OrderError
from orders.services import aftersale, payments, stock
from orders.services.orders import Item, cancel_order, cancel_unpaid, mark_shipped, pack_order, place_order
from tests.factories import ADDRESS, make_batch, make_delivery, make_farmer

pytestmark = pytest.mark.django_db


def pool(shop):
    return (shop.coop.pk, shop.product.weight_class, shop.product.pack_size)


def figure(shop):
    return stock.cached_available(*pool(shop))


def order(shop, boxes=1):
    return place_order(buyer=shop.buyer, items=[Item(shop.product, boxes)], address=ADDRESS)[0]


def stock_queries(queries):
    return [q["sql"] for q in queries if "SUM(" in q["sql"] or "advisory" in q["sql"]]


# --- refusing, never selling -------------------------------------------------------------------------


def test_a_cached_zero_refuses_as_sold_out_without_counting_stock(shop):
    stock.remember_available(*pool(shop), 0)
    with CaptureQueriesContext(connection) as queries, pytest.raises(OrderError) as err:
        order(shop)
    assert err.value.code == "sold_out" and "卖完" in err.value.message
    assert stock_queries(queries.captured_queries) == []
    assert Order.objects.count() == 0


def test_a_figure_too_high_never_sells_the_locked_check_refuses(shop):
    order(shop, 5)
    order(shop, 5)  # the 10 boxes are gone
    stock.remember_available(*pool(shop), 50)
    with pytest.raises(OrderError) as err:
        order(shop)
    assert err.value.code == "sold_out"
    assert Order.objects.count() == 2


def test_an_unknown_figure_is_counted_once_and_remembered(shop):
    Batch.objects.filter(pk=shop.batch.pk).update(status=Batch.SOLD_OUT)  # no signal: nothing cached yet
    assert figure(shop) is None
    with pytest.raises(OrderError):
        order(shop)
    assert figure(shop) == 0
    with CaptureQueriesContext(connection) as queries, pytest.raises(OrderError):
        order(shop)
    assert stock_queries(queries.captured_queries) == []


def test_switched_off_the_figure_is_neither_read_nor_written(shop, settings):
    settings.GREENSHELL_STOCK_CACHE = False
    stock.remember_available(*pool(shop), 0)
    assert order(shop).status == Order.PENDING_PAYMENT
    settings.GREENSHELL_STOCK_CACHE = True
    assert figure(shop) is None


# --- a figure wrongly 0 does not last -----------------------------------------------------------------


def test_a_stale_zero_is_corrected_by_the_next_stock_write(shop, django_capture_on_commit_callbacks):
    stock.remember_available(*pool(shop), 0)  # wrong: 10 are on the shelf
    with django_capture_on_commit_callbacks(execute=True):
        make_batch(shop.coop, weight_class="L", pack_size=10, boxes=2)
    assert figure(shop) == 12
    assert order(shop).status == Order.PENDING_PAYMENT


def test_a_stale_zero_lives_at_most_its_lifetime(shop, settings):
    settings.GREENSHELL_STOCK_CACHE_SECONDS = 1
    stock.remember_available(*pool(shop), 0)
    with pytest.raises(OrderError):
        order(shop)
    time.sleep(1.2)
    assert order(shop).status == Order.PENDING_PAYMENT


# --- every stock write rewrites the figure after its commit -------------------------------------------
# Each test plants a wrong figure (999) first: without the refresh it would stay, or be gone (None).


@pytest.fixture
def after_commit(shop, django_capture_on_commit_callbacks):
    def check(write):
        stock.remember_available(*pool(shop), 999)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            write()
        assert callbacks, "the write registered no refresh"
        assert figure(shop) == stock.available_boxes(*pool(shop))
        return figure(shop)

    return check


def test_an_order_placed_rewrites_the_figure(shop, after_commit):
    assert after_commit(lambda: order(shop, 3)) == 7


def test_an_order_cancelled_rewrites_the_figure(shop, after_commit):
    placed = order(shop, 3)
    assert after_commit(lambda: cancel_order(placed, actor_label="张三")) == 10


def test_an_order_expired_unpaid_rewrites_the_figure(shop, after_commit):
    order(shop, 4)
    assert after_commit(lambda: cancel_unpaid(now=timezone.now() + timezone.timedelta(hours=1))) == 10


def test_an_order_refunded_rewrites_the_figure(shop, personas, after_commit):
    placed = order(shop, 4)
    payments.record_offline_payment(placed, reference="现金", user=personas.manager_a)
    placed.refresh_from_db()
    pack_order(placed, user=personas.manager_a)
    placed.refresh_from_db()

    def refund():
        row = payments.refund(placed, out_refund_no=f"R-{placed.pk}", reason="买家不要了", user=personas.manager_a)
        payments.confirm_offline_refund(row, user=personas.manager_a, confirmation="现金当面退还")

    assert after_commit(refund) == 10


def test_a_batch_packed_rewrites_the_figure(shop, personas, after_commit):
    farmer = make_farmer(shop.coop, member_no="FIG1", phone="13900000077")
    make_delivery(farmer, accepted={"L": 60})
    assert after_commit(lambda: pack_batch(cooperative=shop.coop, weight_class="L", pack_size=10, boxes=3,
                                           user=personas.manager_a)) == 13


@pytest.mark.parametrize("status", [Batch.RECALLED, Batch.EXPIRED, Batch.SOLD_OUT])
def test_a_batch_taken_off_sale_rewrites_the_figure(shop, after_commit, status):
    assert after_commit(lambda: set_batch_status(shop.batch, status, reason="测试")) == 0


def test_a_sold_out_batch_back_on_sale_rewrites_the_figure(shop, after_commit):
    Batch.objects.filter(pk=shop.batch.pk).update(status=Batch.SOLD_OUT)
    shop.batch.refresh_from_db()
    assert after_commit(lambda: set_batch_status(shop.batch, Batch.PACKED, reason="测试")) == 10


def test_an_after_sale_replacement_rewrites_the_figure(shop, personas, after_commit):
    placed = order(shop, 2)
    payments.record_offline_payment(placed, reference="现金", user=personas.manager_a)
    placed.refresh_from_db()
    pack_order(placed, user=personas.manager_a)
    mark_shipped(placed, courier_company="邮政", tracking_no="YZ123", user=personas.manager_a)
    placed.refresh_from_db()
    aftersale.confirm_receipt(placed, user=personas.buyer, actor_label="张三")
    placed.refresh_from_db()
    row = aftersale.request_aftersale(placed, line=placed.lines.get(), reason=AfterSale.BAD_EGGS,
                                      unit=AfterSale.EGGS, quantity=3)
    assert after_commit(lambda: aftersale.decide_replacement(row, user=personas.manager_a, note="补发")) == 7


# --- a cache outage only loses the shortcut --------------------------------------------------------------


class DownCache:
    """Redis gone: every call fails as redis-py fails when nothing listens."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        return fail


def test_with_the_cache_down_orders_take_the_locked_path_and_never_a_500(shop, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    monkeypatch.setattr(stock, "cache", DownCache())
    api = APIClient()
    api.force_authenticate(shop.buyer.user)
    body = {"items": [{"product": shop.product.pk, "boxes": 5}], **ADDRESS}
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/orders/", body, format="json").status_code == 201
        assert api.post("/api/orders/", body, format="json").status_code == 201
        refused = api.post("/api/orders/", body, format="json")
    assert refused.status_code == 409 and "卖完" in refused.json()["error"]["message"]
    assert Order.objects.count() == 2
