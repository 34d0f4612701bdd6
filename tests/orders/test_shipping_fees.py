"""Issue 17: courier fees by region, shown before paying and part of the one order total (payment amount,
order page, export); pickup pays none; the rule table is the cooperative's manager's only."""

from decimal import Decimal

import pytest
from django.utils import translation

from orders.models import CourierFeeRegion, CourierFees, Order
from orders.services import payments, shipping
from orders.services.buyers import add_address
from orders.services.exports import orders_table
from orders.services.orders import Item, place_order
from tests.factories import ADDRESS

ZHAOJUE = {"province": "51", "city": "5134", "district": "513431"}
DONGCHENG = {"province": "11", "city": "1101", "district": "110101"}
TYPED = {"recipient": "张三", "phone": "13800001234", "detail": "竹核乡 1 组 3 号"}


@pytest.fixture
def fees(shop):
    table = CourierFees.objects.create(cooperative=shop.coop, default_fee=Decimal("15.00"), free_from_boxes=5)
    CourierFeeRegion.objects.create(fees=table, province_code="51", fee=Decimal("6.00"))
    return table


def test_the_fee_is_the_province_s_else_the_default_and_free_from_n_boxes(shop, fees):
    assert shipping.courier_fee(shop.coop.pk, "51", 1) == Decimal("6.00")
    assert shipping.courier_fee(shop.coop.pk, "11", 1) == Decimal("15.00")
    assert shipping.courier_fee(shop.coop.pk, "", 4) == Decimal("15.00")  # typed without the picker
    assert shipping.courier_fee(shop.coop.pk, "11", 5) == Decimal("0.00")
    assert shipping.courier_fee(shop.coop.pk + 999, "11", 1) == Decimal("0.00")  # no table, no fee


def test_the_order_total_includes_the_fee_and_the_payment_asks_for_that_total(shop, fees):
    address = add_address(shop.buyer, **TYPED, **DONGCHENG)
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 2)],
                           address={"recipient": "张三", "phone": "13800001234",
                                    "address": address.region + address.detail,
                                    "province_code": address.province_code})
    goods = shop.product.price * 2
    assert order.courier_fee == Decimal("15.00") and order.total == goods + Decimal("15.00")
    assert isinstance(order.total, Decimal) and order.goods_total == goods
    assert order.total_fen == int((goods + Decimal("15.00")) * 100)
    with translation.override("zh-hans"):  # the export's headers are words of the active language
        _title, headers, rows = orders_table([shop.coop.pk])
    row = dict(zip(headers, next(iter(rows)), strict=True))
    assert row["金额（元）"] == order.total and row["其中运费（元）"] == Decimal("15.00")
    payments.record_offline_payment(order, reference="转账-1", user=None)
    order.refresh_from_db()
    assert order.status == Order.PAID


def test_a_pickup_order_pays_no_courier_fee(shop, fees):
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], fulfilment=Order.PICKUP,
                           pickup_point=shop.pickup, address={"province_code": "11"})
    assert order.courier_fee == 0 and order.total == shop.product.price


def test_an_unknown_province_code_is_refused_and_nothing_is_placed(shop, fees):
    from orders.models import OrderError

    with pytest.raises(OrderError) as exc:
        place_order(buyer=shop.buyer, items=[Item(shop.product, 1)], address={**ADDRESS, "province_code": "99"})
    assert "省份" in exc.value.message
    assert not Order.objects.exists()


def test_checkout_shows_each_saved_address_s_fee_before_paying_and_the_order_carries_it(shop, fees, client_for):
    sichuan = add_address(shop.buyer, **TYPED, **ZHAOJUE)
    beijing = add_address(shop.buyer, **TYPED, **DONGCHENG)
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", {"product": shop.product.pk, "boxes": 1})
    html = c.get("/shop/checkout/").content.decode()
    price = shop.product.price
    assert f"运费 ¥6.00 · 应付 ¥{price + 6}" in html and f"运费 ¥15.00 · 应付 ¥{price + 15}" in html
    assert f'value="{sichuan.pk}" checked' in html  # the default address first
    resp = c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k1", "address_id": beijing.pk})
    order = Order.objects.get()
    assert resp.status_code == 302 and order.total == price + 15 and order.courier_fee == 15
    assert order.address == "北京市东城区竹核乡 1 组 3 号"
    page = c.get(f"/shop/orders/{order.number}/").content.decode()
    assert f"¥{order.total}" in page and "运费 ¥15.00" in page


def test_checkout_with_a_deleted_or_someone_else_s_address_is_refused_and_places_nothing(shop, fees, client_for):
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", {"product": shop.product.pk, "boxes": 1})
    page = c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k1", "address_id": "987654"})
    assert page.status_code == 400 and "这个地址已经不在你的地址簿里了" in page.content.decode()
    assert not Order.objects.exists()


def test_only_the_cooperative_s_manager_sees_and_edits_the_fee_table(shop, fees, personas, client_for):
    url = f"/admin/orders/courierfees/{fees.pk}/change/"
    assert client_for(personas.manager_a).get(url).status_code == 200
    for other in (personas.inspector_a, personas.committee_a, personas.manager_b):
        assert client_for(other).get(url).status_code in (302, 403, 404)
    assert client_for(personas.inspector_a).get("/admin/orders/courierfees/").status_code == 403


def test_the_admin_refuses_a_negative_fee_and_changes_nothing(shop, fees, personas, client_for):
    url = f"/admin/orders/courierfees/{fees.pk}/change/"
    region = fees.regions.get()
    form = {"cooperative": shop.coop.pk, "default_fee": "-1", "free_from_boxes": "5",
            "regions-TOTAL_FORMS": "1", "regions-INITIAL_FORMS": "1", "regions-MIN_NUM_FORMS": "0",
            "regions-MAX_NUM_FORMS": "1000", "regions-0-id": region.pk, "regions-0-fees": fees.pk,
            "regions-0-province_code": "51", "regions-0-fee": "6.00"}
    page = client_for(personas.manager_a).post(url, form)
    assert page.status_code == 200 and "errornote" in page.content.decode()
    fees.refresh_from_db()
    assert fees.default_fee == Decimal("15.00")
    form["default_fee"] = "12.00"
    assert client_for(personas.manager_a).post(url, form).status_code == 302
    fees.refresh_from_db()
    assert fees.default_fee == Decimal("12.00")


def test_the_api_prices_the_province_and_shows_the_fee(shop, fees, personas, api_for):
    resp = api_for(personas.buyer).post("/api/orders/", {"items": [{"product": shop.product.pk, "boxes": 1}],
                                                         **ADDRESS, "province_code": "51"}, format="json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["courier_fee"] == "6.00" and Decimal(body["total"]) == shop.product.price + 6
    resp = api_for(personas.buyer).post("/api/orders/", {"items": [{"product": shop.product.pk, "boxes": 1}],
                                                         **ADDRESS, "province_code": "99"}, format="json")
    assert resp.status_code == 400 and "省份" in resp.json()["error"]["message"]
    assert Order.objects.count() == 1
