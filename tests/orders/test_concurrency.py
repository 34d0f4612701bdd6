"""Many buyers press "buy" for the last boxes at the same moment: real HTTP requests, real PostgreSQL.

Like pretix's tests: the same burst with locking switched off (test-only setting) shows the race
is real — more boxes are sold than exist — and with locking on exactly the available boxes sell.
"""

import json
import urllib.request

import pytest
from django.db.models import Sum
from rest_framework.authtoken.models import Token

from orders.models import Buyer, Order, OrderLine
from tests.conftest import requires_postgres
from tests.factories import ADDRESS, make_batch, make_cooperative, make_product, make_user
from tests.trust.parallel import http_status, run_parallel

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

BOXES = 5
CLIENTS = 24


def setup_sale():
    coop = make_cooperative()
    product = make_product(coop, per_order_limit=5)
    make_batch(coop, weight_class="L", pack_size=10, boxes=BOXES)
    tokens = []
    for i in range(CLIENTS):
        user = make_user(f"flash{i}")
        Buyer.objects.create(user=user, name=f"买家{i}")
        tokens.append(Token.objects.create(user=user).key)
    return product, tokens


def burst(url, product, tokens):
    """Every client sends one order for 1 box, released together by the shared harness."""

    def order(token):
        body = json.dumps({"items": [{"product": product.pk, "boxes": 1}], **ADDRESS}).encode()
        # The key makes a resend after a dropped connection safe: it can never buy twice.
        req = urllib.request.Request(url + "/api/orders/", data=body, method="POST", headers={
            "Authorization": f"Token {token}", "Content-Type": "application/json", "Idempotency-Key": token[:20]})
        return lambda: http_status(req)

    return run_parallel([order(token) for token in tokens])


def boxes_sold(product):
    return OrderLine.objects.filter(product=product, order__status=Order.PENDING_PAYMENT).aggregate(
        n=Sum("boxes"))["n"] or 0


def test_simultaneous_orders_for_the_last_boxes_never_oversell(live_server, settings):
    settings.GREENSHELL_LOCKING = True
    product, tokens = setup_sale()
    statuses = burst(live_server.url, product, tokens)
    assert len(statuses) == CLIENTS
    assert statuses.count(201) + statuses.count(200) == BOXES
    assert statuses.count(409) == CLIENTS - BOXES  # "sold out", never a 5xx
    assert boxes_sold(product) == BOXES


def test_without_locking_the_same_burst_oversells(live_server, settings):
    """Proves the test above can fail: the race exists and only the lock closes it."""
    settings.GREENSHELL_LOCKING = False
    oversold = False
    for _round in range(5):
        product, tokens = setup_sale()
        burst(live_server.url, product, tokens)
        if boxes_sold(product) > BOXES:
            oversold = True
            break
        Token.objects.all().delete()
        Buyer.objects.all().delete()
        from django.contrib.auth import get_user_model

        get_user_model().objects.filter(username__startswith="flash").delete()
    assert oversold, "five bursts without locks never oversold: the race test is not testing anything"
