"""以购代捐 seen by the buyer (issue 17 defect 4): the statements page is linked, a person who came by a
programme's link sees their orders there, and checkout and the order page say the order counts."""

from orders.models import Buyer, Order
from tests.factories import ADDRESS, make_user, pay


def _buy_through_the_link(pairing, client_for):
    c = client_for(pairing.other_buyer.user)  # a walk-in buyer: no organisation
    c.get("/shop/p/ZNMG16")
    c.post("/shop/cart/update/", {"product": pairing.product.pk, "boxes": "2"})
    return c


def test_checkout_says_the_order_counts_for_the_programme(pairing, client_for):
    c = _buy_through_the_link(pairing, client_for)
    html = c.get("/shop/checkout/").content.decode()
    assert "本单计入“紫南村—莫谷村结对帮扶”以购代捐" in html


def test_checkout_promises_nothing_without_a_programme(pairing, client_for):
    c = client_for(pairing.other_buyer.user)
    c.post("/shop/cart/update/", {"product": pairing.product.pk, "boxes": "1"})
    assert "以购代捐" not in c.get("/shop/checkout/").content.decode()


def test_the_order_page_says_it_counts_and_when(pairing, client_for, personas):
    c = _buy_through_the_link(pairing, client_for)
    c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k1", **ADDRESS})
    order = Order.objects.get(buyer=pairing.other_buyer)
    html = c.get(f"/shop/orders/{order.number}/").content.decode()
    assert "本单计入“紫南村—莫谷村结对帮扶”以购代捐" in html and "付款后计入" in html
    pay(order, personas.manager_a)
    html = c.get(f"/shop/orders/{order.number}/").content.decode()
    assert "已计入" in html


def test_a_walk_in_buyer_finds_their_programme_orders_from_my_orders(pairing, client_for, personas):
    c = client_for(pairing.other_buyer.user)
    assert "/shop/statements/" not in c.get("/shop/orders/").content.decode()  # nothing to show yet
    c = _buy_through_the_link(pairing, client_for)
    c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k2", **ADDRESS})
    order = pay(Order.objects.get(buyer=pairing.other_buyer), personas.manager_a)

    assert 'href="/shop/statements/"' in c.get("/shop/orders/").content.decode()
    html = c.get("/shop/statements/").content.decode()
    assert "还没有关联帮扶采购单位" not in html
    assert order.number in html and "本单计入“紫南村—莫谷村结对帮扶”以购代捐" in html and "已计入" in html


def test_an_organisation_buyer_is_linked_too(pairing, client_for):
    html = client_for(pairing.buyer.user).get("/shop/orders/").content.decode()
    assert 'href="/shop/statements/"' in html


def test_a_buyer_sees_only_their_own_programme_orders(pairing, client_for, personas):
    c = _buy_through_the_link(pairing, client_for)
    c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k3", **ADDRESS})
    theirs = Order.objects.get(buyer=pairing.other_buyer)
    stranger = Buyer.objects.create(user=make_user("stranger"), name="赵六", phone="13900001111")
    html = client_for(stranger.user).get("/shop/statements/").content.decode()
    assert theirs.number not in html and "您还没有以购代捐订单" in html
