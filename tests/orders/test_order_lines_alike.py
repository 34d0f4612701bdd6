"""Checkout and the order page show the lines the same way, from one template (issue 17 defect 6):
name × boxes, the unit price and the line total — checkout no longer totals what the order page prices."""

import re

from orders.models import Order
from tests.factories import ADDRESS


def _lines(html):
    return re.findall(r'<p class="order-line">(.*?)</p>', html)


def test_checkout_and_the_order_page_show_the_same_lines(shop, client_for):
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", {"product": shop.product.pk, "boxes": "2"})
    at_checkout = _lines(c.get("/shop/checkout/").content.decode())
    c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k-lines", **ADDRESS})
    order = Order.objects.get(buyer=shop.buyer)
    on_order = _lines(c.get(f"/shop/orders/{order.number}/").content.decode())
    assert at_checkout == on_order and len(on_order) == 1
    assert "绿壳鸡蛋 10枚装 × 2" in on_order[0] and "单价 ¥39.90" in on_order[0] and "¥79.80" in on_order[0]
