"""The demo shop: products, a running group buy and orders in every state; safe to seed twice."""

import os

from django.core.management import call_command

from orders.models import Order, Payment


def test_the_demo_has_orders_in_every_state_and_seeds_twice_safely(seeded_demo, client):
    with open(os.devnull, "w") as out:
        count = Order.objects.count()
        call_command("seed_demo", stdout=out)
    assert Order.objects.count() == count
    assert set(Order.objects.values_list("status", flat=True)) == {s for s, _label in Order.STATUSES} - {
        Order.REFUND_PENDING}
    assert Payment.objects.filter(provider="sandbox", status="succeeded").count() >= 5
    html = client.get("/shop/g/ZN2026A").content.decode()
    assert "张** 2盒" in html
    # The Foshan neighbours' group buy is picked up in Foshan, not in a Liangshan village.
    assert "紫南村服务站" in html and "尔吉村村委会" not in html
    assert "仅剩" in client.get("/shop/").content.decode()
