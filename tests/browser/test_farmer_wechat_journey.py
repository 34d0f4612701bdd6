"""A household on a 360×640 phone inside WeChat binds its WeChat from its 消息 page (the local fake plays WeChat's
authorisation) and its next message arrives there as a template message."""

import re

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from coop.models import Farmer
from coop.services import notifications
from tests.browser.conftest import screenshot
from tests.factories import give_pin
from tests.orders.wechat_local import wx  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The browser keeps WeChat's "#wechat_redirect" through the redirects back (nothing reads it).
ON_NOTES = re.compile(r"/farmer/notifications/(#wechat_redirect)?$")


def test_a_household_binds_its_wechat_and_gets_its_receipt_there(phone, live_server, personas, wx,  # noqa: F811
                                                                  settings):
    wx.sign_in_as("oHousehold00000000000000001")
    wx.follow("oHousehold00000000000000001")
    wx.domain = "localhost"  # 网页授权域名: WeChat sends the code back to this host only
    settings.NOTIFICATION_CHANNEL = "wechat"
    settings.WECHAT_TEMPLATE_NOTICE = wx.add_template()
    give_pin(personas.farmer_a, personas.manager_a, pin="135790")
    with override_settings(SITE_URL=live_server.url):
        phone.goto(phone.url_for(f"/farmer/login/?phone={personas.farmer_a.phone}"))
        phone.fill("#id_pin", "135790")
        phone.get_by_role("button", name="登录").click()
        phone.wait_for_url("**/farmer/")
        phone.goto(phone.url_for("/farmer/notifications/"))
        screenshot(phone, "farmer-wechat-bind")
        with phone.expect_navigation(url=ON_NOTES):  # to WeChat's authorisation and back
            phone.get_by_role("button", name="绑定微信，用微信接收通知").click()
        expect(phone.locator(".messages")).to_contain_text("绑定好了")
        expect(phone.locator("#wechat-binding")).to_contain_text("已绑定微信")
        assert Farmer.objects.get(pk=personas.farmer_a.pk).wechat_openid == "oHousehold00000000000000001"
        notifications.deliver(notifications.notify(event="delivery.receipt", key="bw:1", farmer=personas.farmer_a,
                                                   body="您交蛋30枚，合格28枚，应得¥42.00。").pk)
        phone.reload()
        expect(phone.locator(".notes")).to_contain_text("已发到微信")
        screenshot(phone, "farmer-wechat-bound")
    assert [m["touser"] for m in wx.messages] == ["oHousehold00000000000000001"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
