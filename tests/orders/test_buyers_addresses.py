"""Issue 17 "addresses that are real": the province → city → district picker (the statistics bureau's codes,
checked as one chain on the server), edit and delete of saved addresses, orders keeping their own copy."""

import pytest

from orders.models import Address, Buyer, Order
from orders.services import regions
from orders.services.buyers import AddressError, add_address, delete_address, update_address
from orders.services.orders import Item, place_order
from tests.factories import make_user

ZHAOJUE = {"province": "51", "city": "5134", "district": "513431"}  # 四川省凉山彝族自治州昭觉县
XICHANG = {"province": "51", "city": "5134", "district": "513401"}  # 西昌市
DONGCHENG = {"province": "11", "city": "1101", "district": "110101"}  # 北京市东城区 (a municipality)
TYPED = {"recipient": "张三", "phone": "13800001234", "detail": "竹核乡 1 组 3 号"}


def _add(buyer, **kw):
    return add_address(buyer, **{**TYPED, **ZHAOJUE, **kw})


# --- the data and the chain check ------------------------------------------------------------------

def test_the_data_names_its_source_and_holds_liangshan_with_its_counties():
    assert "2023" in regions.source() and "统计" in regions.source()
    assert len(regions.provinces()) == 31 and regions.provinces()[0] == ("11", "北京市")
    assert ("5134", "凉山彝族自治州") in regions.cities("51")
    assert ("513431", "昭觉县") in regions.districts("51", "5134")
    assert ("513402", "会理市") in regions.districts("51", "5134")  # a county that became a city in 2021


def test_an_address_stores_the_codes_and_the_names_from_the_data_not_from_the_request(shop):
    address = _add(shop.buyer)
    assert (address.province_code, address.city_code, address.district_code) == ("51", "5134", "513431")
    assert (address.province_name, address.city_name, address.district_name) == ("四川省", "凉山彝族自治州", "昭觉县")
    assert address.region == "四川省凉山彝族自治州昭觉县"
    assert _add(shop.buyer, **DONGCHENG).region == "北京市东城区"  # no "市辖区" on the parcel


@pytest.mark.parametrize("codes, field, words", [
    ({"province": ""}, "province", "请选择省份"),
    ({"province": "99"}, "province", "请选择省份"),
    ({"city": ""}, "city", "请选择这个省份里的城市"),
    ({"city": "1101"}, "city", "请选择这个省份里的城市"),  # Beijing's city under Sichuan
    ({"district": "110101"}, "district", "请选择这个城市里的区县"),  # 东城区 under 凉山州
    ({"district": "510104"}, "district", "请选择这个城市里的区县"),  # 成都's 锦江区, same province, other city
    ({"district": "5134' OR 1=1"}, "district", "请选择这个城市里的区县"),
])
def test_a_district_not_in_its_city_or_a_city_not_in_its_province_is_refused_and_nothing_saved(shop, codes,
                                                                                                  field, words):
    with pytest.raises(AddressError) as exc:
        _add(shop.buyer, **codes)
    assert exc.value.field == field and words in exc.value.message
    assert not Address.objects.exists()


def test_the_profile_form_refuses_a_mismatched_district_beside_its_select_keeping_what_was_typed(shop, client_for):
    c = client_for(shop.buyer.user)
    page = c.post("/shop/me/", {"action": "address", **TYPED, **ZHAOJUE, "district": "110101"})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'id="a-district-error"' in html and "请选择这个城市里的区县" in html
    assert 'value="竹核乡 1 组 3 号"' in html and '<option value="5134" selected>凉山彝族自治州</option>' in html
    assert not Address.objects.exists()


def test_without_javascript_the_regions_step_lists_the_cities_and_districts_and_saves_nothing(shop, client_for):
    c = client_for(shop.buyer.user)
    page = c.post("/shop/me/", {"action": "address", "step": "regions", **TYPED, "province": "51", "city": "5134"})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="5134" selected>凉山彝族自治州</option>' in html
    assert '<option value="513431">昭觉县</option>' in html
    assert not Address.objects.exists()
    resp = c.post("/shop/me/", {"action": "address", **TYPED, **ZHAOJUE})
    assert resp.status_code == 302 and Address.objects.get().district_name == "昭觉县"


def test_the_profile_page_carries_the_provinces_only_and_the_json_is_small_and_cached(shop, client_for, client):
    html = client_for(shop.buyer.user).get("/shop/me/").content.decode()
    assert '<option value="51">四川省</option>' in html and "昭觉县" not in html
    resp = client.get("/shop/regions/51.json")
    assert resp.status_code == 200
    assert "max-age=2592000" in resp["Cache-Control"] and "public" in resp["Cache-Control"]
    data = resp.json()
    city = next(c for c in data["cities"] if c[0] == "5134")
    assert city[1] == "凉山彝族自治州" and ["513431", "昭觉县"] in city[2]
    assert len(resp.content) < 6_000  # Sichuan: 4.8 KB, one small file per province chosen
    assert client.get("/shop/regions/99.json").status_code == 404


# --- edit and delete --------------------------------------------------------------------------------

def test_a_buyer_edits_an_address_and_the_order_placed_with_it_keeps_the_old_one(shop, client_for):
    address = _add(shop.buyer)
    c = client_for(shop.buyer.user)
    c.post("/shop/cart/update/", {"product": shop.product.pk, "boxes": 1})
    resp = c.post("/shop/checkout/", {"fulfilment": "courier", "key": "k1", "address_id": address.pk})
    assert resp.status_code == 302
    order = Order.objects.get()
    assert order.address == "四川省凉山彝族自治州昭觉县竹核乡 1 组 3 号"
    page = c.get(f"/shop/me/addresses/{address.pk}/edit/")
    assert '<option value="513431" selected>昭觉县</option>' in page.content.decode()
    resp = c.post(f"/shop/me/addresses/{address.pk}/edit/", {**TYPED, **XICHANG, "detail": "长安街 8 号"})
    assert resp.status_code == 302
    address.refresh_from_db()
    assert address.region == "四川省凉山彝族自治州西昌市" and address.detail == "长安街 8 号"
    order.refresh_from_db()
    assert order.address == "四川省凉山彝族自治州昭觉县竹核乡 1 组 3 号"


def test_a_bad_edit_changes_nothing(shop, client_for):
    address = _add(shop.buyer)
    page = client_for(shop.buyer.user).post(f"/shop/me/addresses/{address.pk}/edit/",
                                            {**TYPED, **ZHAOJUE, "phone": "12"})
    assert page.status_code == 400 and "“12”不是有效的电话号码" in page.content.decode()
    address.refresh_from_db()
    assert address.phone == "13800001234"


def test_delete_asks_first_and_the_default_moves_to_the_newest_remaining(shop, client_for):
    first = _add(shop.buyer)
    second = _add(shop.buyer, detail="二号")
    third = _add(shop.buyer, detail="三号")
    assert first.is_default and not second.is_default
    c = client_for(shop.buyer.user)
    page = c.get(f"/shop/me/addresses/{first.pk}/delete/")
    assert page.status_code == 200 and "删除这个地址吗" in page.content.decode()
    assert Address.objects.count() == 3  # a GET only asks
    assert c.post(f"/shop/me/addresses/{first.pk}/delete/").status_code == 302
    assert set(Address.objects.values_list("pk", flat=True)) == {second.pk, third.pk}
    assert Address.objects.get(is_default=True).pk == third.pk
    delete_address(Address.objects.get(pk=second.pk))  # not the default: the default stays
    assert Address.objects.get().is_default


def test_an_order_placed_with_an_address_survives_its_deletion(shop):
    address = _add(shop.buyer)
    order, _ = place_order(buyer=shop.buyer, items=[Item(shop.product, 1)],
                           address={"recipient": address.recipient, "phone": address.phone,
                                    "address": address.region + address.detail,
                                    "province_code": address.province_code})
    delete_address(address)
    order.refresh_from_db()
    assert order.address == "四川省凉山彝族自治州昭觉县竹核乡 1 组 3 号" and order.recipient == "张三"


def test_another_buyers_address_answers_404_to_edit_and_delete(shop, client_for):
    address = _add(shop.buyer)
    other = Buyer.objects.create(user=make_user("other_buyer_x"), phone="13900001111")
    c = client_for(other.user)
    for url in (f"/shop/me/addresses/{address.pk}/edit/", f"/shop/me/addresses/{address.pk}/delete/",
                "/shop/me/addresses/abc/edit/"):
        assert c.get(url).status_code == 404
        assert c.post(url, {**TYPED, **XICHANG}).status_code == 404
    address.refresh_from_db()
    assert address.district_code == "513431" and Address.objects.count() == 1


def test_make_default_on_edit(shop):
    first, second = _add(shop.buyer), _add(shop.buyer, detail="二号")
    update_address(second, make_default=True, **TYPED, **ZHAOJUE)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_default and not first.is_default
