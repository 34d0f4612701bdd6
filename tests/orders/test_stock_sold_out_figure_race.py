"""The sold-out figure never causes an oversell: 40 simultaneous orders for the last 3 boxes, on
PostgreSQL, with the figure on (run with REDIS_URL to have it in Redis, as in production)."""

import pytest
from django.db.models import Sum

from orders.models import Buyer, Order, OrderError, OrderLine
from orders.services import stock
from orders.services.orders import Item, place_order
from tests.conftest import requires_postgres
from tests.factories import ADDRESS, make_batch, make_cooperative, make_product, make_user
from tests.trust.parallel import errors, run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("planted", [None, 3, 40], ids=["no-figure", "true-figure", "figure-too-high"])
def test_forty_orders_for_the_last_three_boxes_sell_exactly_three(settings, planted):
    settings.GREENSHELL_LOCKING = True
    settings.GREENSHELL_STOCK_CACHE = True
    coop = make_cooperative()
    product = make_product(coop, per_order_limit=5)
    make_batch(coop, weight_class="L", pack_size=10, boxes=10)
    buyer = Buyer.objects.create(user=make_user("last-three"), name="买家")
    place_order(buyer=buyer, items=[Item(product, 5)], address=ADDRESS)
    place_order(buyer=buyer, items=[Item(product, 2)], address=ADDRESS)  # 3 left
    pool = (coop.pk, product.weight_class, product.pack_size)
    assert stock.cached_available(*pool) == 3  # refreshed after those commits
    if planted is not None:
        stock.remember_available(*pool, planted)

    def buy():
        return place_order(buyer=Buyer.objects.get(pk=buyer.pk), items=[Item(product, 1)], address=ADDRESS)[0]

    results = run_parallel([buy] * 40)
    assert errors(results, OrderError) == []
    refusals = [r for r in results if isinstance(r, OrderError)]
    assert {r.code for r in refusals} == {"sold_out"}
    assert len(results) - len(refusals) == 3
    sold = OrderLine.objects.filter(product=product, order__status=Order.PENDING_PAYMENT).aggregate(n=Sum("boxes"))
    assert sold["n"] == 10
    assert stock.cached_available(*pool) == 0  # the last sale's commit wrote the sold-out figure
