"""WeChat's notification and the buyer's return (a query) arrive at the same moment: real PostgreSQL, real threads,
the real provider over HTTP. Money is recorded once, whichever wins: the compare-and-set of ``_apply_success``
(created → succeeded) and of ``apply_refund_result`` (processing → succeeded)."""

import pytest

from coop.models import AuditEvent
from orders.models import Order, Refund
from orders.services import payments
from orders.services.orders import Item, place_order
from orders.services.payments.base import Payer
from tests.conftest import requires_postgres
from tests.factories import ADDRESS, start_local_wechat
from tests.trust.parallel import errors, run_parallel

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


@pytest.fixture
def wechat(settings, tmp_path):
    api = start_local_wechat(settings, tmp_path)
    yield api
    api.stop()


def at_once(*calls):
    results = run_parallel(calls)
    assert not errors(results), errors(results)  # a thread's failure must fail the test


def test_notifications_and_queries_at_once_pay_once_and_refund_once(shop, wechat):
    shop.buyer.wechat_openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    shop.buyer.save()
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)], address=ADDRESS)
    payment, _data = payments.start_payment(order, payer=Payer("jsapi", openid=shop.buyer.wechat_openid))
    wechat.pay(payment.out_trade_no)
    notes = [wechat.transaction_notification(payment.out_trade_no) for _i in range(THREADS // 2)]
    at_once(*[lambda n=n: payments.handle_notification("wechat", *n) for n in notes],
            *[lambda: payments.sync_payment(type(payment).objects.get(pk=payment.pk))
              for _i in range(THREADS // 2)])
    assert AuditEvent.objects.filter(action="payment.succeeded").count() == 1
    assert Order.objects.get(pk=order.pk).history.filter(to_status=Order.PAID).count() == 1
    assert not Refund.objects.exists()  # no "late payment" refund from a thread that lost

    row = payments.refund(Order.objects.get(pk=order.pk), out_refund_no="RC1", reason="鸡蛋破损")
    wechat.settle_refund("RC1")
    notes = [wechat.refund_notification("RC1") for _i in range(THREADS // 2)]
    at_once(*[lambda n=n: payments.handle_notification("wechat", *n) for n in notes],
            *[lambda: payments.sync_refund(Refund.objects.get(pk=row.pk)) for _i in range(THREADS // 2)])
    assert AuditEvent.objects.filter(action="refund.succeeded").count() == 1
    order = Order.objects.get(pk=order.pk)
    assert order.status == Order.REFUNDED and order.history.filter(to_status=Order.REFUNDED).count() == 1
