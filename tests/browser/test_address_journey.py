"""A buyer on a 360×640 phone adds an address with the province → city → district picker (cities and districts
fetched per province as small JSON), sees the courier fee for it at checkout before paying, and the order's
total — the amount the cashier asks for — includes it."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from coop.models import Notification
from orders.models import Address, CourierFeeRegion, CourierFees, Order
from tests.browser.conftest import screenshot
from tests.factories import make_batch, make_cooperative, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(phone):
    phone.goto(phone.url_for("/shop/login/?next=/shop/me/"))
    phone.get_by_label("手机号").fill("13800138000")
    phone.get_by_role("button", name="获取验证码").click()
    body = Notification.objects.get(phone="13800138000", event="buyer.login_code").body
    phone.get_by_label("验证码").fill(re.search(r"\d{6}", body).group())
    phone.get_by_role("button", name="登录", exact=True).click()
    phone.wait_for_url("**/shop/me/")


def test_buyer_adds_an_address_with_the_picker_and_checkout_shows_the_fee_in_the_total(phone):
    coop = make_cooperative(name="贺波洛乡绿壳蛋合作社", producer_code="HBLJ")
    product = make_product(coop, name="高山绿壳鸡蛋 10枚装")
    make_batch(coop, weight_class="L", pack_size=10, boxes=10)
    fees = CourierFees.objects.create(cooperative=coop, default_fee=Decimal("15.00"), free_from_boxes=6)
    CourierFeeRegion.objects.create(fees=fees, province_code="51", fee=Decimal("6.00"))
    fetched = []
    phone.on("request", lambda r: fetched.append(r.url) if "/shop/regions/" in r.url else None)

    _sign_in(phone)

    form = phone.locator("#address-form")
    expect(form.get_by_role("button", name="列出城市和区县")).to_have_count(0)  # the script does it
    form.get_by_label("收货人").fill("张三")
    form.get_by_label("手机号").fill("138 0013 8000")
    form.get_by_label("省份").select_option(label="四川省")
    expect(form.locator("#a-city option", has_text="凉山彝族自治州")).to_have_count(1)
    form.get_by_label("城市").select_option(label="凉山彝族自治州")
    form.get_by_label("区县").select_option(label="昭觉县")
    form.get_by_label("详细地址（乡镇、村、门牌）").fill("竹核乡 1 组 3 号")
    screenshot(phone, "shop-address-picker")
    form.get_by_role("button", name="添加地址").click()
    expect(phone.get_by_text("地址已保存。")).to_be_visible()
    expect(phone.get_by_text("四川省凉山彝族自治州昭觉县竹核乡 1 组 3 号")).to_be_visible()
    assert [u for u in fetched if "/shop/regions/51.json" in u], fetched  # one small file, for Sichuan
    assert Address.objects.get().district_code == "513431"

    phone.goto(phone.url_for(f"/shop/p/{product.pk}/"))
    phone.get_by_role("button", name="立即购买").click()
    phone.wait_for_url("**/shop/checkout/")
    price = product.price
    expect(phone.locator("#saved-addresses")).to_contain_text(f"运费 ¥6.00 · 应付 ¥{price + 6}")
    screenshot(phone, "shop-checkout-fee")
    phone.get_by_role("button", name="提交订单").click()
    expect(phone.locator("#courier-fee")).to_have_text("运费 ¥6.00")
    order = Order.objects.get()
    assert order.total == price + Decimal("6.00") and order.courier_fee == Decimal("6.00")
    expect(phone.locator(".card .price").first).to_have_text(f"¥{order.total}")
    screenshot(phone, "shop-order-with-fee")
    phone.get_by_role("button", name="微信支付").click()
    expect(phone.locator("#amount")).to_have_text(f"¥{order.total}")


def test_buyer_edits_an_address_with_the_picker_then_deletes_it_after_a_confirmation(phone):
    from orders.models import Buyer
    from orders.services.buyers import add_address

    _sign_in(phone)
    buyer = Buyer.objects.get(phone="13800138000")
    address = add_address(buyer, recipient="张三", phone="13800138000", province="51", city="5134",
                          district="513431", detail="竹核乡 1 组 3 号")
    phone.reload()
    phone.locator(".card.address").get_by_role("link", name="修改").click()
    expect(phone.get_by_label("区县")).to_have_value("513431")
    phone.get_by_label("城市").select_option(label="成都市")
    expect(phone.locator("#a-district option", has_text="锦江区")).to_have_count(1)
    phone.get_by_label("区县").select_option(label="锦江区")
    screenshot(phone, "shop-address-edit")
    phone.get_by_role("button", name="保存").click()
    expect(phone.get_by_text("四川省成都市锦江区竹核乡 1 组 3 号")).to_be_visible()
    phone.locator(".card.address").get_by_role("link", name="删除").click()
    expect(phone.get_by_role("heading", name="删除这个地址吗？")).to_be_visible()
    screenshot(phone, "shop-address-delete")
    assert Address.objects.filter(pk=address.pk).exists()
    phone.get_by_role("button", name="确定删除").click()
    expect(phone.get_by_text("地址已删除。")).to_be_visible()
    assert not Address.objects.exists()
