"""A buyer on a 360×640 phone: signs in with a code, joins a group buy, pays in the sandbox,
and after packing sees the trace codes of the eggs they got."""

import re

import pytest
from playwright.sync_api import expect

from coop.models import Notification, Staff
from orders.models import Order
from orders.services.orders import pack_order
from tests.browser.conftest import screenshot
from tests.factories import Shop, make_batch, make_cooperative, make_group_buy, make_product, make_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buyer_joins_a_group_buy_pays_and_sees_where_the_eggs_came_from(phone):
    from orders.models import PickupPoint

    coop = make_cooperative(name="贺波洛乡绿壳蛋合作社", producer_code="HBLJ")
    product = make_product(coop, name="高山绿壳鸡蛋 10枚装")
    batch = make_batch(coop, weight_class="L", pack_size=10, boxes=10)
    pickup = PickupPoint.objects.create(cooperative=coop, name="尔吉村村委会", address="贺波洛乡尔吉村")
    leader = make_staff(coop, Staff.MANAGER, "leader")
    gb = make_group_buy(Shop(coop=coop, product=product, batch=batch, pickup=pickup, buyer=None), leader,
                        title="紫南村绿壳蛋接龙")

    phone.goto(phone.url_for(f"/shop/g/{gb.code}"))
    expect(phone.get_by_role("heading", name="紫南村绿壳蛋接龙")).to_be_visible()
    expect(phone.get_by_text("仅剩 8 盒")).to_be_visible()
    screenshot(phone, "shop-groupbuy-before")
    phone.get_by_role("link", name="登录后接龙").click()

    phone.get_by_label("手机号").fill("138 0013 8000")
    phone.get_by_role("button", name="获取验证码").click()
    expect(phone.get_by_text("验证码已发送到你的手机。")).to_be_visible()
    body = Notification.objects.get(phone="13800138000", event="buyer.login_code").body
    phone.get_by_label("验证码").fill(re.search(r"\d{6}", body).group())
    screenshot(phone, "shop-login-code")
    phone.get_by_role("button", name="登录", exact=True).click()

    phone.wait_for_url(f"**/shop/g/{gb.code}")
    phone.get_by_label("接龙称呼").fill("张三")
    phone.get_by_label("盒数").fill("2")
    phone.get_by_role("button", name="我要接龙").click()
    expect(phone.get_by_text("接龙成功，你是第 1 位")).to_be_visible()
    expect(phone.locator("#status")).to_have_text("待付款")
    screenshot(phone, "shop-order-pending")

    phone.get_by_role("button", name="微信支付").click()
    expect(phone.locator("#amount")).to_have_text("¥70.00")
    screenshot(phone, "shop-sandbox-cashier")
    phone.get_by_role("button", name="确认支付").click()
    expect(phone.locator("#status")).to_have_text("已付款")
    expect(phone.locator("#pickup-code")).to_be_visible()

    order = Order.objects.get()
    pack_order(order, user=leader)  # the manager packs: lines are allocated to batches
    phone.reload()
    expect(phone.locator("#status")).to_have_text("已打包")
    trace = phone.locator("#trace")
    expect(trace).to_contain_text("这盒蛋的来历")
    expect(trace).to_contain_text(batch.code)
    trace.scroll_into_view_if_needed()
    screenshot(phone, "shop-order-trace")

    phone.goto(phone.url_for(f"/shop/g/{gb.code}"))
    expect(phone.locator("#chain")).to_contain_text("张** 2盒")
    screenshot(phone, "shop-groupbuy-chain")
