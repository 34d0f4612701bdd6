"""The sandbox cashier names the trade state in words, never WeChat Pay's code (issue 17 defect 6)."""

from django.urls import reverse

from orders.models import SandboxTransaction
from orders.services import payments
from orders.services.orders import Item, place_order
from tests.factories import ADDRESS


def test_a_paid_or_closed_trade_is_said_in_words(shop, client_for, settings):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address=ADDRESS)
    payment, _data = payments.start_payment(order, provider_name="sandbox")
    c = client_for(shop.buyer.user)
    url = reverse("shop:sandbox-cashier", args=[payment.out_trade_no])
    for state, words in (("SUCCESS", "已支付成功"), ("CLOSED", "交易已关闭"), ("REFUND", "已退款")):
        SandboxTransaction.objects.filter(out_trade_no=payment.out_trade_no).update(trade_state=state)
        html = c.get(url).content.decode()
        assert words in html and state not in html
