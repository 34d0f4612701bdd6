"""The cart on a 360 px phone says what happened (issue 17 defect 6): the cap named, a sold-out line and a
line no longer sold shown by name, each removable."""

import re

import pytest
from playwright.sync_api import expect

from coop.models import Notification
from orders.models import Product
from orders.services.orders import Item, place_order
from tests.browser.conftest import screenshot
from tests.factories import ADDRESS, make_shop

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_cart_names_every_line_and_what_happened(phone, personas):
    shop = make_shop(personas)
    other = Product.objects.create(cooperative=shop.coop, name="绿壳鸡蛋 30枚装", weight_class="M", pack_size=30,
                                   price="99.00", per_order_limit=5)
    phone.goto(phone.url_for("/shop/login/"))
    phone.get_by_label("手机号").fill("138 0000 1234")
    phone.get_by_role("button", name="获取验证码").click()
    body = Notification.objects.filter(phone="13800001234", event="buyer.login_code").latest("created_at").body
    phone.get_by_label("验证码").fill(re.search(r"\d{6}", body).group())
    phone.get_by_role("button", name="登录", exact=True).click()

    phone.goto(phone.url_for(f"/shop/p/{shop.product.pk}/"))
    phone.get_by_label("盒数").fill("8")
    phone.get_by_role("button", name="加入购物车").click()
    expect(phone.get_by_text("已加入购物车：“绿壳鸡蛋 10枚装” 8 盒，购物车里共 8 盒。")).to_be_visible()
    phone.goto(phone.url_for(f"/shop/p/{shop.product.pk}/"))
    phone.get_by_label("盒数").fill("5")
    phone.get_by_role("button", name="加入购物车").click()
    expect(phone.get_by_text("“绿壳鸡蛋 10枚装”每单限购 10 盒，购物车里现在是 10 盒。")).to_be_visible()

    # A line no longer sold, and every box of the other sold meanwhile.
    phone.context.request.post(phone.url_for("/shop/cart/update/"), form={"product": str(other.pk), "boxes": "1"},
                               headers={"X-CSRFToken": _csrf(phone), "Referer": phone.url_for("/shop/cart/")})
    other.active = False
    other.save()
    place_order(buyer=shop.buyer, items=[Item(shop.product, 10)], address=ADDRESS)
    phone.goto(phone.url_for("/shop/cart/"))
    expect(phone.get_by_text("“绿壳鸡蛋 10枚装”已售完，请填 0 删除，或等补货。")).to_be_visible()
    expect(phone.locator(".gone")).to_contain_text("绿壳鸡蛋 30枚装")
    screenshot(phone, "cart-named-lines")
    phone.locator(".gone").get_by_role("button", name="删除").click()
    expect(phone.get_by_text("“绿壳鸡蛋 30枚装”已下架，已从购物车删除。")).to_be_visible()


def _csrf(page):
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
