"""In a WeChat-sized browser: sign in through WeChat (the local fake plays WeChat's consent page), take the
WeChat nickname, and a product page handing its share card to the JS-SDK (WeChat's script replaced by a
recorder at res.wx.qq.com, the only outside address the page's policy allows)."""

import re

import pytest
from django.test import override_settings

from orders.models import Buyer
from tests.browser.conftest import screenshot
from tests.orders.wechat_local import wx  # noqa: F401 - the fixture

# The browser keeps WeChat's "#wechat_redirect" through the redirects back to the shop (nothing reads it).
ON_PROFILE = re.compile(r"/shop/me/(#wechat_redirect)?$")
# Stands in for jweixin-1.6.0.js: records what the page gives wx.config and the two share calls.
RECORDER = """window.wx = {config: function (c) { window.__wxConfig = c; },
  ready: function (f) { setTimeout(f, 0); },
  updateAppMessageShareData: function (d) { window.__wxFriend = d; },
  updateTimelineShareData: function (d) { window.__wxMoments = d; }};"""


@pytest.mark.django_db(transaction=True)
def test_a_buyer_in_wechat_signs_in_takes_their_nickname_and_shares_a_product(phone, live_server, shop, wx):  # noqa: F811
    wx.sign_in_as("oBrowser000000000000000000001", nickname="阿依")
    wx.domain = "localhost"  # 网页授权域名: WeChat sends the code back to this host only
    with override_settings(SITE_URL=live_server.url):
        phone.goto(phone.url_for("/shop/login/?next=/shop/me/"))
        screenshot(phone, "wechat-login")
        phone.get_by_text("微信一键登录").click()
        phone.wait_for_url(ON_PROFILE)
        buyer = Buyer.objects.get(wechat_openid="oBrowser000000000000000000001")
        assert buyer.name == ""
        phone.click("#wechat-nickname")
        phone.wait_for_url(ON_PROFILE)
        assert phone.input_value("#name") == "阿依"
        screenshot(phone, "wechat-profile-nickname")

        phone.route("https://res.wx.qq.com/**", lambda route: route.fulfill(
            status=200, content_type="application/javascript", body=RECORDER))
        errors = []
        phone.on("pageerror", lambda exc: errors.append(str(exc)))
        phone.goto(phone.url_for(f"/shop/p/{shop.product.pk}/"))
        phone.wait_for_function("window.__wxMoments !== undefined")
        config = phone.evaluate("window.__wxConfig")
        friend = phone.evaluate("window.__wxFriend")
        assert config["appId"] == wx.appid and len(config["signature"]) == 40
        assert config["jsApiList"] == ["updateAppMessageShareData", "updateTimelineShareData"]
        assert friend["title"] == f"{shop.product.name} ¥{shop.product.price}"
        assert friend["link"] == f"{live_server.url}/shop/p/{shop.product.pk}/"
        assert friend["imgUrl"].endswith("/poster.png")
        assert not errors
        screenshot(phone, "wechat-product")
