"""A walk-in buyer who came by a programme's link sees, at 360 px, that the order counts for the programme:
at checkout, on the order page, and on 我的以购代捐 reached from 我的订单 (issue 17 defect 4)."""

import re

import pytest
from playwright.sync_api import expect

from coop.models import Notification
from orders.models import Order
from tests.browser.conftest import screenshot
from tests.factories import make_pairing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_walk_in_buyer_sees_the_programme_from_checkout_to_statements(phone, personas):
    pairing = make_pairing(personas)
    phone.goto(phone.url_for("/shop/p/ZNMG16"))
    phone.get_by_role("link", name=re.compile("绿壳鸡蛋 10枚装")).click()
    phone.get_by_label("盒数").fill("2")
    phone.get_by_role("button", name="立即购买").click()
    phone.get_by_label("手机号").fill("139 0000 5678")  # 王五, no organisation
    phone.get_by_role("button", name="获取验证码").click()
    body = Notification.objects.filter(phone="13900005678", event="buyer.login_code").latest("created_at").body
    phone.get_by_label("验证码").fill(re.search(r"\d{6}", body).group())
    phone.get_by_role("button", name="登录", exact=True).click()

    phone.wait_for_url("**/shop/checkout/")
    expect(phone.locator("#programme-note")).to_contain_text("本单计入“紫南村—莫谷村结对帮扶”以购代捐")
    phone.get_by_label("收货人").fill("王五")
    phone.get_by_label("收货地址（快递）").fill("佛山市禅城区紫南村 8 号")
    screenshot(phone, "walk-in-checkout")
    phone.get_by_role("button", name="提交订单").click()
    expect(phone.locator("#programme-note")).to_contain_text("付款后计入")
    phone.get_by_role("button", name="微信支付").click()
    phone.get_by_role("button", name="确认支付").click()
    expect(phone.locator("#programme-note")).to_contain_text("已计入")
    screenshot(phone, "walk-in-order")
    assert Order.objects.get(buyer=pairing.other_buyer).attribution.organisation is None

    phone.goto(phone.url_for("/shop/orders/"))
    phone.locator("#statements-link").click()
    expect(phone.locator("#personal-programme")).to_be_visible()
    expect(phone.get_by_text("已计入")).to_be_visible()
    expect(phone.get_by_text("还没有关联帮扶采购单位")).to_have_count(0)
    screenshot(phone, "walk-in-statements")
