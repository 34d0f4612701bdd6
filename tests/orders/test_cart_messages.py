"""Cart messages say what happened (issue 17 defect 6): no "商品不存在" for a bad count, no "已加入购物车" for a
removal, the per-order cap named, a line no longer sold shown by name and removable."""

from orders.models import Product
from orders.services import orders as order_service
from orders.views.base import CART_KEY
from tests.factories import ADDRESS


def _said(response):
    """The messages shown on the page the update redirected to (``follow=True``)."""
    return [str(m) for m in response.context["messages"]]


def _cart(c):
    return c.session.get(CART_KEY) or {}


def test_an_empty_count_is_named_and_changes_nothing(shop, client_for):
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "2"})
    r = c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": " ", "mode": "set"})
    said = _said(r)
    assert said == ["请填写盒数（填 0 从购物车删除）。"] and "商品不存在。" not in said
    assert c.get("/shop/cart/").context["lines"][0]["boxes"] == 2
    r = c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "两盒"})
    assert _said(r) == ["盒数应为整数。"]


def test_removing_a_line_says_removed_not_added(shop, client_for):
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "2"})
    r = c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "0", "mode": "set"})
    assert _said(r) == ["已从购物车删除“绿壳鸡蛋 10枚装”。"]
    assert c.get("/shop/cart/").context["lines"] == []


def test_adding_and_setting_say_how_many(shop, client_for):
    c = client_for(shop.buyer.user)
    assert _said(c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "2"})) == [
        "已加入购物车：“绿壳鸡蛋 10枚装” 2 盒，购物车里共 2 盒。"]
    again = c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "3", "mode": "set"})
    assert _said(again) == ["“绿壳鸡蛋 10枚装”已改为 3 盒。"]


def test_the_cap_is_said_not_silent(shop, client_for):
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "8"})
    r = c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "5"})
    assert _said(r) == ["“绿壳鸡蛋 10枚装”每单限购 10 盒，购物车里现在是 10 盒。"]
    assert c.get("/shop/cart/").context["lines"][0]["boxes"] == 10


def test_a_line_no_longer_sold_is_shown_by_name_and_can_be_removed(shop, client_for):
    c = client_for(shop.buyer.user)
    other = Product.objects.create(cooperative=shop.coop, name="绿壳鸡蛋 30枚装", weight_class="L", pack_size=30,
                                   price="99.00", per_order_limit=5)
    c.post("/shop/cart/update/", follow=True, data={"product": other.pk, "boxes": "1"})
    other.active = False
    other.save()
    html = c.get("/shop/cart/").content.decode()
    assert "绿壳鸡蛋 30枚装" in html and "已下架" in html
    r = c.post("/shop/cart/update/", follow=True, data={"product": other.pk, "boxes": "0", "mode": "set"})
    assert _said(r) == ["“绿壳鸡蛋 30枚装”已下架，已从购物车删除。"]
    assert str(other.pk) not in _cart(c)


def test_a_sold_out_line_is_named_on_the_cart_and_at_checkout(shop, client_for):
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "2"})
    # Someone else buys every box meanwhile.
    order_service.place_order(buyer=shop.buyer, items=[order_service.Item(shop.product, 10)], address=ADDRESS)
    html = c.get("/shop/cart/").content.decode()
    assert "“绿壳鸡蛋 10枚装”已售完" in html
    r = c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k-sold", **ADDRESS})
    assert "“绿壳鸡蛋 10枚装”已经卖完了" in r.content.decode()


def test_a_short_pool_names_its_product(shop, client_for):
    c = client_for(shop.buyer.user)
    order_service.place_order(buyer=shop.buyer, items=[order_service.Item(shop.product, 8)], address=ADDRESS)
    c.post("/shop/cart/update/", follow=True, data={"product": shop.product.pk, "boxes": "3"})
    r = c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k-short", **ADDRESS})
    assert "“绿壳鸡蛋 10枚装”库存不足：仅剩 2 盒。" in r.content.decode()
