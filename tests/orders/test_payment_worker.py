"""With a broker, the sandbox platform's notification travels as WeChat's does: a Celery worker
POSTs the signed bytes over HTTP to the shop's notify URL, and the order becomes paid."""

import time

import pytest

from orders.models import Order, SandboxTransaction
from orders.services import payments
from orders.services.orders import Item, place_order
from orders.services.payments.sandbox import SandboxPlatform
from tests.factories import ADDRESS


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_the_signed_notification_over_http(shop, celery_worker, live_server, settings):
    settings.SITE_URL = live_server.url  # the notify_url the platform will call back
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    payment, _data = payments.start_payment(order, provider_name="sandbox")
    assert SandboxTransaction.objects.get().notify_url.startswith(live_server.url)
    SandboxPlatform().pay(payment.out_trade_no, openid="o-worker")  # queues the task (no atomic: at once)
    deadline = time.time() + 30
    while time.time() < deadline:
        order.refresh_from_db()
        if order.status == Order.PAID:
            break
        time.sleep(0.3)
    assert order.status == Order.PAID
    txn = SandboxTransaction.objects.get()
    assert txn.notified_ok_at is not None and txn.notify_attempts == 1
