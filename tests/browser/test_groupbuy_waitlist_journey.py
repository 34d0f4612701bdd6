"""Group buy like 快团团 on a 360×640 phone in WeChat: the progress bar and countdown, the chain fills up
(已满), a buyer joins the waitlist (候补) with a remark, another cancels their entry from the page, the
waitlisted buyer is told (a notification) and takes the place kept for them."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from coop.models import Notification, Staff
from orders.models import Buyer, Order, WaitlistEntry
from orders.services import groupbuys
from tests.browser.conftest import PHONE, screenshot
from tests.factories import Shop, make_batch, make_cooperative, make_group_buy, make_product, make_staff, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WECHAT = "Mozilla/5.0 (Linux; Android 12) MicroMessenger/8.0"


def signed_in_phone(browser, live_server, user):
    """A WeChat-sized phone already signed in as ``user`` (the SMS sign-in has its own journey)."""
    c = Client()
    c.force_login(user)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN", user_agent=WECHAT)
    context.add_cookies([{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("dialog", lambda d: d.accept())  # 确定取消这条接龙吗？
    return page


def test_progress_full_waitlist_a_place_frees_and_the_waitlisted_buyer_takes_it(browser, live_server):
    from orders.models import PickupPoint

    coop = make_cooperative(name="贺波洛乡绿壳蛋合作社", producer_code="HBLW")
    product = make_product(coop, name="高山绿壳鸡蛋 10枚装")
    batch = make_batch(coop, weight_class="L", pack_size=10, boxes=10)
    pickup = PickupPoint.objects.create(cooperative=coop, name="尔吉村村委会", address="贺波洛乡尔吉村")
    leader = make_staff(coop, Staff.MANAGER, "leader")
    gb = make_group_buy(Shop(coop=coop, product=product, batch=batch, pickup=pickup, buyer=None), leader,
                        title="紫南村绿壳蛋接龙", stock_cap=3, per_person_limit=2, note="周六上午村委会门口取蛋",
                        deadline=timezone.now() + datetime.timedelta(minutes=50))
    lisi = Buyer.objects.create(user=make_user("lisi"), name="李四", phone="13900002222")
    zhang = Buyer.objects.create(user=make_user("zhangsan"), name="张三", phone="13800001234")
    groupbuys.join(group_buy=gb, buyer=lisi, boxes=2)
    url = live_server.url + f"/shop/g/{gb.code}"

    me = signed_in_phone(browser, live_server, zhang.user)
    me.goto(url)
    expect(me.get_by_text("已接 2 / 3 盒")).to_be_visible()
    expect(me.get_by_text("周六上午村委会门口取蛋")).to_be_visible()
    countdown = me.locator("#gb-countdown")
    expect(countdown).to_contain_text("还剩 49 分")
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first, timeout=3000)  # it ticks, without reloading
    screenshot(me, "groupbuy-progress")

    groupbuys.join(group_buy=gb, buyer=Buyer.objects.create(user=make_user("wangwu"), name="王五"), boxes=1)
    me.reload()
    expect(me.locator("#gb-state")).to_have_text("已满")
    me.get_by_label("盒数").fill("1")
    me.get_by_label("备注（会显示在接龙里，如：放门卫）").fill("放门卫")
    screenshot(me, "groupbuy-full")
    me.get_by_role("button", name="加入候补").click()
    expect(me.get_by_text("已为你登记候补")).to_be_visible()
    expect(me.get_by_role("heading", name="我在候补")).to_be_visible()
    screenshot(me, "groupbuy-waitlisted")
    assert not Notification.objects.filter(event="groupbuy.place_offered").exists()

    # 李四 changes their mind on their own phone: 取消接龙 instead of leaving an unpaid order to expire.
    other = signed_in_phone(browser, live_server, lisi.user)
    other.goto(url)
    expect(other.get_by_role("heading", name="我的接龙：第 1 位")).to_be_visible()
    screenshot(other, "groupbuy-my-entry")
    other.get_by_role("button", name="取消接龙").click()
    expect(other.get_by_text("已取消接龙。")).to_be_visible()

    note = Notification.objects.get(event="groupbuy.place_offered")
    assert note.phone == "13800001234" and "有空位了" in note.body
    me.reload()
    expect(me.locator("#offer")).to_contain_text("有空位了！1 盒为你保留到")
    screenshot(me, "groupbuy-offered")
    me.get_by_role("button", name="我要接龙").click()
    expect(me.get_by_text("接龙成功，你是第 3 位")).to_be_visible()
    assert WaitlistEntry.objects.get(buyer=zhang).status == WaitlistEntry.JOINED
    me.goto(url)
    expect(me.locator("#chain")).to_contain_text("备注：放门卫")  # the remark given when joining the waitlist
    expect(me.get_by_text("已接 2 / 3 盒")).to_be_visible()  # 李四's other box is free again
    screenshot(me, "groupbuy-joined-from-waitlist")
    assert Order.objects.filter(group_buy=gb, status=Order.PENDING_PAYMENT).count() == 2
