"""The JS-SDK ``wx.config`` signature and the share cards of the product, group-buy and programme pages, through
the real client over HTTP against the local fake of WeChat's API: one fetch for many page views, refreshed
before expiry, a dead token replaced."""

import datetime
import json
import re

import time_machine
from django.conf import settings
from django.core.cache import cache

from coop.lib import wechat as wechat_client
from orders.services import wechat
from tests.factories import make_group_buy
from tests.orders.wechat_local import wx  # noqa: F401 - the fixture
from tests.trust.parallel import errors, run_parallel

IN_WECHAT = ("Mozilla/5.0 (Linux; Android 13; V2203A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
             "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160083 MMWEBSDK/20240404 MicroMessenger/8.0.49.2600 "
             "NetType/4G Language/zh_CN")
PHONE_BROWSER = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36"


def test_the_signature_is_wechats_documented_example():
    """附录1 of WeChat's JS-SDK document: these four values sign to 0f9de62f…"""
    assert wechat.signature(
        jsapi_ticket="sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
        noncestr="Wm3WZYTPz0wzccnW", timestamp=1414587457, url="http://mp.weixin.qq.com?params=value",
    ) == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    # The #fragment is not part of the signed address.
    assert wechat.signature(jsapi_ticket="t", noncestr="n", timestamp=1, url="https://a.cn/p/1/?x=1#top") == \
        wechat.signature(jsapi_ticket="t", noncestr="n", timestamp=1, url="https://a.cn/p/1/?x=1")


def test_wx_config_is_signed_with_the_ticket_wechat_issued(wx):  # noqa: F811
    config = wechat.js_config("https://shop.example.cn/shop/p/3/#buy")
    assert config["appId"] == wx.appid and wx.tickets
    assert config["signature"] == wechat.signature(jsapi_ticket=wx.tickets[-1], noncestr=config["nonceStr"],
                                                   timestamp=config["timestamp"], url="https://shop.example.cn/shop/p/3/")


def test_twenty_page_views_at_once_fetch_the_ticket_once(wx):  # noqa: F811
    wx.delay = 0.2  # a slow WeChat: the other nineteen arrive while the first is still fetching
    results = run_parallel([lambda: wechat.js_config("https://shop.example.cn/shop/")] * 20)
    assert not errors(results)
    assert wx.count("/cgi-bin/token") == 1 and wx.count("/cgi-bin/ticket/getticket") == 1
    assert all(r["signature"] == wechat.signature(jsapi_ticket=wx.tickets[0], noncestr=r["nonceStr"],
                                                  timestamp=r["timestamp"], url="https://shop.example.cn/shop/")
               for r in results)


def test_without_the_lock_the_same_views_fetch_again_and_again(wx, monkeypatch):  # noqa: F811
    """The race the lock closes is real: with every caller let through, WeChat is asked many times over
    (and each new access token kills the one before, so some signatures would be made with a dead ticket)."""
    wx.delay = 0.2
    class Unlocked:  # the cache with ``add`` always succeeding: every caller thinks it holds the lock
        def add(self, *args, **kwargs):
            return True

        def __getattr__(self, name):
            return getattr(cache, name)

    monkeypatch.setattr(wechat_client, "cache", Unlocked())
    run_parallel([lambda: wechat.js_config("https://shop.example.cn/shop/")] * 20)
    assert wx.count("/cgi-bin/token") > 1


def test_the_token_and_ticket_are_refreshed_before_they_expire(wx):  # noqa: F811
    start = datetime.datetime(2026, 12, 3, 8, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        first = wechat.jsapi_ticket()
        clock.shift(datetime.timedelta(seconds=6899))  # WeChat's 7200 s less five minutes, less one second
        assert wechat.jsapi_ticket() == first
        assert wx.count("/cgi-bin/token") == 1 and wx.count("/cgi-bin/ticket/getticket") == 1
        clock.shift(datetime.timedelta(seconds=2))  # inside the margin: still valid at WeChat, refreshed now
        second = wechat.jsapi_ticket()
        assert second != first and second == wx.tickets[-1]
        assert wx.count("/cgi-bin/token") == 2 and wx.count("/cgi-bin/ticket/getticket") == 2
        # Entries live in the cache (Redis in production) with WeChat's own expiry, not longer.
        entry = cache.get(wechat.cache_key("jsapi_ticket"))
        assert entry["expires_at"] - entry["refresh_at"] == 300


def test_a_token_killed_elsewhere_is_replaced_once(wx):  # noqa: F811
    wechat.jsapi_ticket()
    wx.tokens.clear()  # someone fetched a token in the official account's console: ours is dead (40001)
    cache.delete(wechat.cache_key("jsapi_ticket"))
    assert wechat.jsapi_ticket() == wx.tickets[-1]
    assert wx.count("/cgi-bin/token") == 2


def share_on(client, url):
    """(share data, CSP header) of a page opened in WeChat."""
    resp = client.get(url, HTTP_USER_AGENT=IN_WECHAT)
    assert resp.status_code == 200
    match = re.search(r'<script id="wx-share" type="application/json">(.*?)</script>', resp.content.decode())
    return (json.loads(match.group(1)) if match else None), resp["Content-Security-Policy"]


def assert_signed_for(share, wx, path):  # noqa: F811
    config = share["config"]
    assert config["signature"] == wechat.signature(jsapi_ticket=wx.tickets[-1], noncestr=config["nonceStr"],
                                                   timestamp=config["timestamp"], url=settings.SITE_URL + path)


def test_the_product_page_in_wechat_shares_its_name_price_and_picture(shop, client, wx):  # noqa: F811
    path = f"/shop/p/{shop.product.pk}/"
    share, csp = share_on(client, path)
    assert share["title"] == f"{shop.product.name} ¥{shop.product.price}"
    assert share["link"] == settings.SITE_URL + path
    assert share["imgUrl"] == settings.SITE_URL + f"/shop/p/{shop.product.pk}/poster.png"
    assert_signed_for(share, wx, path)
    assert "https://res.wx.qq.com/open/js/jweixin-1.6.0.js" in csp
    html = client.get(path, HTTP_USER_AGENT=IN_WECHAT).content.decode()
    assert "jweixin-1.6.0.js" in html and "js/wechat-share.js" in html
    # Outside WeChat: none of it, and the policy allows no outside script.
    page = client.get(path, HTTP_USER_AGENT=PHONE_BROWSER)
    assert "jweixin" not in page.content.decode() and "wx-share" not in page.content.decode()
    assert "res.wx.qq.com" not in page["Content-Security-Policy"]


def test_the_group_buy_page_in_wechat_shares_its_title_and_poster(shop, client, wx):  # noqa: F811
    gb = make_group_buy(shop, shop.buyer.user)
    share, _csp = share_on(client, f"/shop/g/{gb.code}")
    assert share["title"] == f"{gb.title} ¥{gb.price}" and "已接 0 / 8 盒" in share["desc"]
    assert share["imgUrl"] == settings.SITE_URL + f"/shop/g/{gb.code}/poster.png"
    assert_signed_for(share, wx, f"/shop/g/{gb.code}")


def test_a_buyer_who_came_through_a_programme_shares_the_programme(pairing, client, wx):  # noqa: F811
    assert share_on(client, "/shop/")[0] is None  # the shop's home shares no card of its own
    client.get("/shop/p/ZNMG16")
    share, _csp = share_on(client, "/shop/")
    assert share["title"] == "紫南村—莫谷村结对帮扶 · 以购代捐"
    assert share["link"] == settings.SITE_URL + "/shop/p/ZNMG16"
    assert share["imgUrl"] == settings.SITE_URL + "/shop/p/ZNMG16/programme-poster.png"
    assert_signed_for(share, wx, "/shop/")


def test_a_wechat_that_cannot_be_reached_leaves_the_page_working(shop, client, wx, settings):  # noqa: F811
    settings.WECHAT_API_BASE = "http://127.0.0.1:9"
    share, _csp = share_on(client, f"/shop/p/{shop.product.pk}/")
    assert share is None


def test_a_hanging_wechat_is_waited_for_once_then_left_alone_for_a_while(shop, client, wx, monkeypatch):  # noqa: F811
    monkeypatch.setattr(wechat_client, "TIMEOUT", (0.5, 0.5))
    wx.delay = 1.0  # answers after our read timeout
    path = f"/shop/p/{shop.product.pk}/"
    assert share_on(client, path)[0] is None
    assert wx.count("/cgi-bin/token") == 1
    assert share_on(client, path)[0] is None  # the next views do not wait on WeChat again
    assert wx.count("/cgi-bin/token") == 1
