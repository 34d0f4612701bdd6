"""The boxes left shown on the shop's list and the API's (orders/services/stock.py ``with_availability``):
read from the cached figure when it is there, counted and remembered when not, and right again at once
after every write that changes stock — an order placed, cancelled, a batch packed or recalled."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from coop.models import Batch
from coop.services.batches import set_batch_status
from orders.models import Product
from orders.services import stock
from orders.services.orders import Item, cancel_order, place_order
from tests.factories import ADDRESS, make_batch

pytestmark = pytest.mark.django_db


def shown(shop):
    rows = APIClient().get("/api/products/").json()["results"]
    return {row["id"]: row["boxes_left"] for row in rows}[shop.product.pk]


def counted(shop):
    return stock.product_availability(Product.objects.get(pk=shop.product.pk))


def sums(queries):
    return [q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"]]


def test_the_second_list_reads_the_figures_from_the_cache(shop):
    with CaptureQueriesContext(connection) as first:
        assert shown(shop) == counted(shop) == 10
    with CaptureQueriesContext(connection) as second:
        assert shown(shop) == 10
    assert len(sums(first)) >= 3 and sums(second) == []


def test_the_shown_figure_follows_every_stock_write_at_once(shop, personas, django_capture_on_commit_callbacks):
    manager = personas.manager_a
    assert shown(shop) == 10
    with django_capture_on_commit_callbacks(execute=True):
        order, _created = place_order(buyer=shop.buyer, items=[Item(shop.product, 3)], address=ADDRESS)
    assert shown(shop) == counted(shop) == 7
    with django_capture_on_commit_callbacks(execute=True):
        cancel_order(order, user=manager)
    assert shown(shop) == counted(shop) == 10
    with django_capture_on_commit_callbacks(execute=True):
        make_batch(shop.coop, weight_class="L", pack_size=10, boxes=5)
    assert shown(shop) == counted(shop) == 15
    with django_capture_on_commit_callbacks(execute=True):
        set_batch_status(Batch.objects.get(pk=shop.batch.pk), Batch.RECALLED, user=manager, reason="召回")
    assert shown(shop) == counted(shop) == 5


def test_without_the_cache_every_list_counts(shop, settings):
    settings.GREENSHELL_STOCK_CACHE = False
    shown(shop)
    with CaptureQueriesContext(connection) as again:
        assert shown(shop) == 10
    assert len(sums(again)) >= 3


def test_a_cache_outage_shows_the_counted_figure(shop, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(stock.cache, "get_many", down)
    monkeypatch.setattr(stock.cache, "set_many", down)
    assert shown(shop) == counted(shop) == 10
