"""WeChat sign-in (网页授权) through the real client over HTTP against the local fake of WeChat's API:
the full journey, the state bound to the session, codes used once — and the same refusals on the sandbox path."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

import requests
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client

from orders.models import Buyer
from orders.services.buyers import WeChatSandboxSignIn
from orders.services.wechat import check_official_account
from tests.orders.wechat_local import wx  # noqa: F401 - the fixture

CALLBACK = "/shop/login/wechat/callback/"


def start(client, query="next=/shop/orders/"):
    """The shop's redirect to WeChat's consent page, split into (address, its query)."""
    resp = client.get("/shop/login/wechat/?" + query)
    assert resp.status_code == 302
    return resp["Location"], parse_qs(urlsplit(resp["Location"]).query)


def consent(location):
    """The buyer's phone on WeChat's consent page: WeChat redirects back with ``code`` and ``state``."""
    resp = requests.get(location.split("#")[0], allow_redirects=False, timeout=5)
    assert resp.status_code == 302, resp.text
    back = urlsplit(resp.headers["Location"])
    return back.path + "?" + back.query


def signed_in(client):
    return client.get("/shop/orders/").status_code == 200


def test_it_signs_a_buyer_in_with_the_openid_from_wechat(db, client, wx):  # noqa: F811
    wx.sign_in_as("oBuyer_0000000000000000000001")
    location, query = start(client)
    assert location.startswith(f"{wx.url}/connect/oauth2/authorize?appid={wx.appid}&redirect_uri=")
    assert location.endswith("#wechat_redirect")
    assert query["scope"] == ["snsapi_base"] and query["response_type"] == ["code"]
    assert query["redirect_uri"][0].endswith(CALLBACK)
    done = client.get(consent(location))
    assert done["Location"] == "/shop/orders/"
    assert Buyer.objects.get().wechat_openid == "oBuyer_0000000000000000000001"
    assert signed_in(client)
    # snsapi_base: the openid only, no nickname asked for.
    assert wx.count("/sns/oauth2/access_token") == 1 and wx.count("/sns/userinfo") == 0
    # The same WeChat user again is the same buyer.
    client.post("/shop/logout/")
    client.get(consent(start(client)[0]))
    assert Buyer.objects.count() == 1 and signed_in(client)


def test_with_the_buyers_agreement_their_wechat_nickname_becomes_their_name(db, client, wx):  # noqa: F811
    wx.sign_in_as("oBuyer_0000000000000000000002", nickname="阿依莫")
    location, query = start(client, "scope=userinfo&next=/shop/me/")
    assert query["scope"] == ["snsapi_userinfo"]
    assert client.get(consent(location))["Location"] == "/shop/me/"
    assert Buyer.objects.get().name == "阿依莫"
    assert wx.count("/sns/userinfo") == 1


def test_a_callback_without_state_signs_nobody_in(db, client, wx):  # noqa: F811
    """The login-CSRF of the issue: an attacker's own code in a link to the victim."""
    attackers_code = wx.issue_code(openid="oAttacker000000000000000000000")
    victim = Client()
    page = victim.get(f"{CALLBACK}?code={attackers_code}", follow=True)
    assert "微信授权已失效" in page.content.decode()
    assert not signed_in(victim) and not Buyer.objects.exists()
    assert wx.count("/sns/oauth2/access_token") == 0  # refused before asking WeChat
    # A victim who had started a sign-in of their own is not fooled either, and keeps nothing usable.
    start(victim)
    victim.get(f"{CALLBACK}?code={attackers_code}")
    assert not signed_in(victim) and not Buyer.objects.exists()


def test_another_sessions_state_is_refused(db, wx):  # noqa: F811
    attacker, victim = Client(), Client()
    wx.sign_in_as("oAttacker000000000000000000000")
    attackers_return = consent(start(attacker)[0])  # the attacker stops before their own callback
    start(victim)
    page = victim.get(attackers_return, follow=True)
    assert "微信授权已失效" in page.content.decode()
    assert not signed_in(victim) and not Buyer.objects.exists()


def test_a_state_is_used_once_and_expires(db, client, wx):  # noqa: F811
    with time_machine.travel(datetime.datetime(2026, 12, 3, 8, 0, tzinfo=datetime.UTC), tick=False) as clock:
        back = consent(start(client)[0])
        clock.shift(datetime.timedelta(minutes=11))
        assert "微信授权已失效" in client.get(back, follow=True).content.decode()
        assert not Buyer.objects.exists()
    # Used (or spent by a failure): the same state does not work a second time.
    state = parse_qs(urlsplit(back).query)["state"][0]
    code = wx.issue_code()
    assert "微信授权已失效" in client.get(f"{CALLBACK}?code={code}&state={state}", follow=True).content.decode()
    assert not Buyer.objects.exists()


def test_a_code_is_accepted_once(db, client, wx):  # noqa: F811
    wx.sign_in_as("oBuyer_0000000000000000000003")
    back = consent(start(client)[0])
    client.get(back)
    assert signed_in(client)
    code = parse_qs(urlsplit(back).query)["code"][0]
    # Replayed into another browser that started its own sign-in (so its state is good): refused by us,
    # without asking WeChat again.
    other = Client()
    state = start(other)[1]["state"][0]
    page = other.get(f"{CALLBACK}?code={code}&state={state}", follow=True)
    assert "这次微信授权已用过" in page.content.decode()
    assert not signed_in(other)
    assert wx.count("/sns/oauth2/access_token") == 1


def test_wechats_own_refusals_become_clear_messages(db, client, wx):  # noqa: F811
    # 40163: a code used at WeChat (by another of our servers, say) though our cache has not seen it.
    used = wx.issue_code()
    wx.codes[used]["used"] = True
    state = start(client)[1]["state"][0]
    assert "这次微信授权已用过" in client.get(f"{CALLBACK}?code={used}&state={state}", follow=True).content.decode()
    # 40029: a code WeChat never gave.
    state = start(client)[1]["state"][0]
    assert "微信授权已失效" in client.get(f"{CALLBACK}?code=made-up&state={state}", follow=True).content.decode()
    # The buyer refused on WeChat's page: back with the state and no code.
    state = start(client)[1]["state"][0]
    assert "没有同意微信授权" in client.get(f"{CALLBACK}?state={state}", follow=True).content.decode()
    assert not Buyer.objects.exists() and not get_user_model().objects.exists()


def test_a_wechat_that_cannot_be_reached_is_a_message_not_an_error(db, client, wx, settings):  # noqa: F811
    state = start(client)[1]["state"][0]
    settings.WECHAT_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    page = client.get(f"{CALLBACK}?code={wx.issue_code()}&state={state}", follow=True)
    assert page.status_code == 200 and "暂时连不上微信" in page.content.decode()


def test_the_sandbox_path_refuses_a_missing_state_and_a_replayed_code(db):
    """Without an official account (DEMO_MODE in tests) the sandbox's imitation shares the callback."""
    attackers_code = WeChatSandboxSignIn().issue_code("attackers-phone")
    victim = Client()
    victim.get(f"{CALLBACK}?code={attackers_code}")
    assert not signed_in(victim) and not Buyer.objects.exists()

    buyer = Client()
    location = buyer.get("/shop/login/wechat/")["Location"]
    assert location.startswith("/shop/sandbox/oauth/authorize/")
    back = buyer.post(location)["Location"]
    buyer.get(back)
    assert signed_in(buyer)
    code = parse_qs(urlsplit(back).query)["code"][0]
    other = Client()
    state = parse_qs(urlsplit(other.get("/shop/login/wechat/")["Location"]).query)["state"][0]
    page = other.get(f"{CALLBACK}?code={code}&state={state}", follow=True)
    assert "这次微信授权已用过" in page.content.decode() and not signed_in(other)


def test_without_an_official_account_production_offers_no_wechat_sign_in(db, client, settings):
    settings.DEBUG = settings.DEMO_MODE = False
    assert "微信一键登录" not in client.get("/shop/login/").content.decode()
    page = client.get("/shop/login/wechat/", follow=True)
    assert "暂未开通微信登录" in page.content.decode()
    assert client.get("/shop/sandbox/oauth/authorize/?redirect_uri=/shop/login/wechat/callback/").status_code == 404


def test_a_wechat_buyer_can_take_their_nickname_from_the_profile_page(db, client, wx):  # noqa: F811
    wx.sign_in_as("oBuyer_0000000000000000000004", nickname="吉克")
    client.get(consent(start(client)[0]))
    page = client.get("/shop/me/").content.decode()
    link = re.search(r'id="wechat-nickname" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    location = client.get(link)["Location"]
    assert "scope=snsapi_userinfo" in location
    assert client.get(consent(location))["Location"] == "/shop/me/"
    assert Buyer.objects.get().name == "吉克"  # the same buyer, now with a name


def test_a_phone_buyer_is_not_offered_the_nickname(db, client, shop, client_for):
    assert "wechat-nickname" not in client_for(shop.buyer.user).get("/shop/me/").content.decode()


def test_check_reports_an_official_account_that_cannot_pay(settings):
    settings.PAYMENT_PROVIDER = "wechat"
    settings.WECHATPAY_APPID = "wxPAY0000000000001"
    settings.WECHAT_APPID, settings.WECHAT_APP_SECRET = "", ""
    assert [m.id for m in check_official_account()] == ["greenshell.W101"]
    settings.WECHAT_APPID, settings.WECHAT_APP_SECRET = "wxOTHER00000000001", "s" * 32
    assert [m.id for m in check_official_account()] == ["greenshell.E101"]
    settings.WECHAT_APPID = "wxPAY0000000000001"
    assert check_official_account() == []
