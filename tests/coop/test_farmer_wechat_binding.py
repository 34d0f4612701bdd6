"""A household binds its own WeChat (绑定微信) through the official account's web authorisation, against the local
fake of WeChat's API over HTTP: the openid stored on the signed-in household only, with a state bound to this
session and household and used once, WeChat's code used once; then its messages arrive in WeChat."""

from urllib.parse import parse_qs, urlsplit

import requests
from django.test import Client

from coop.models import AuditEvent, Farmer, Notification
from coop.services import notifications
from tests.factories import give_pin, sign_in
from tests.orders.wechat_local import wx  # noqa: F401 - the fixture

CALLBACK = "/farmer/wechat/callback/"


def household(farmer, manager):
    give_pin(farmer, manager)
    c = Client()
    sign_in(c, farmer)
    return c


def start(client):
    """The farmer page's button: a POST, answered with the way to WeChat's consent page."""
    resp = client.post("/farmer/wechat/bind/")
    assert resp.status_code == 302
    return resp["Location"]


def consent(location):
    """The household's phone on WeChat's page: WeChat redirects back with ``code`` and ``state``."""
    resp = requests.get(location.split("#")[0], allow_redirects=False, timeout=5)
    assert resp.status_code == 302, resp.text
    back = urlsplit(resp.headers["Location"])
    return back.path + "?" + back.query


def openid_of(farmer):
    return Farmer.objects.get(pk=farmer.pk).wechat_openid


def flash(resp, client):
    assert resp.status_code == 302 and resp["Location"] == "/farmer/notifications/"
    return client.get(resp["Location"]).content.decode()


def test_a_household_binds_its_wechat_and_then_gets_its_messages_there(personas, wx, settings, client_for,  # noqa: F811
                                                                       django_capture_on_commit_callbacks):
    wx.sign_in_as("oFarmerA00000000000000000001")
    c = household(personas.farmer_a, personas.manager_a)
    resp = c.get("/farmer/notifications/")
    assert "绑定微信，用微信接收通知" in resp.content.decode()
    # The form's answer redirects to WeChat: browsers check that redirect against the policy's form-action.
    assert f"form-action 'self' {wx.url}" in resp["Content-Security-Policy"]
    location = start(c)
    query = parse_qs(urlsplit(location).query)
    assert location.startswith(f"{wx.url}/connect/oauth2/authorize?appid={wx.appid}&")
    assert query["scope"] == ["snsapi_base"] and query["redirect_uri"] == [settings.SITE_URL + CALLBACK]
    page = flash(c.get(consent(location)), c)
    assert "绑定好了" in page and "已绑定微信" in page
    assert openid_of(personas.farmer_a) == "oFarmerA00000000000000000001"
    assert openid_of(personas.farmer_b) == ""
    assert AuditEvent.objects.filter(action="farmer.wechat_bound", object_id=str(personas.farmer_a.pk)).exists()
    # The manager sees who gets WeChat messages, never the openid.
    listing = client_for(personas.manager_a).get("/admin/coop/farmer/").content.decode()
    assert "已绑定微信（" in listing and "oFarmerA" not in listing
    assert "未绑定（发短信）" in client_for(personas.manager_b).get("/admin/coop/farmer/").content.decode()
    # Its next message is a template message to that openid.
    settings.NOTIFICATION_CHANNEL = "wechat"
    settings.WECHAT_TEMPLATE_NOTICE = wx.add_template()
    wx.follow("oFarmerA00000000000000000001")
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(event="delivery.receipt", key="d:1", farmer=personas.farmer_a, body="您交蛋30枚")
    assert Notification.objects.get(dedupe_key="d:1").status == Notification.SENT
    assert [m["touser"] for m in wx.messages] == ["oFarmerA00000000000000000001"]
    assert "已发到微信" in c.get("/farmer/notifications/").content.decode()


def test_a_return_without_the_state_or_with_a_forged_one_binds_nothing(personas, wx):  # noqa: F811
    c = household(personas.farmer_a, personas.manager_a)
    back = consent(start(c))
    code = parse_qs(urlsplit(back).query)["code"][0]
    page = flash(c.get(f"{CALLBACK}?code={code}"), c)
    assert "这次微信授权已失效" in page and openid_of(personas.farmer_a) == ""
    location = start(c)
    code = parse_qs(urlsplit(consent(location)).query)["code"][0]
    flash(c.get(f"{CALLBACK}?code={code}&state=forged-by-someone"), c)
    assert openid_of(personas.farmer_a) == ""
    assert wx.count("/sns/oauth2/access_token") == 0  # refused before any code was exchanged


def test_a_return_is_used_once(personas, wx):  # noqa: F811
    c = household(personas.farmer_a, personas.manager_a)
    back = consent(start(c))
    c.get(back)
    assert openid_of(personas.farmer_a) == wx.user["openid"]
    c.post("/farmer/wechat/unbind/")
    assert openid_of(personas.farmer_a) == ""
    assert "这次微信授权已失效" in flash(c.get(back), c)  # the same link again: its state is spent
    # A new state in the session, but the old code: WeChat's codes are used once.
    state = parse_qs(urlsplit(start(c)).query)["state"][0]
    code = parse_qs(urlsplit(back).query)["code"][0]
    assert "已用过" in flash(c.get(f"{CALLBACK}?code={code}&state={state}"), c)
    assert openid_of(personas.farmer_a) == ""


def test_a_household_binds_only_itself(personas, wx):  # noqa: F811
    a = household(personas.farmer_a, personas.manager_a)
    b = household(personas.farmer_b, personas.manager_b)
    # Household A's return link opened by household B (sent in a chat, say): B's session has no such state.
    wx.sign_in_as("oFarmerA00000000000000000009")
    back = consent(start(a))
    flash(b.get(back), b)
    assert openid_of(personas.farmer_a) == "" and openid_of(personas.farmer_b) == ""
    # A state started by household A, then household B signing in on the same phone: not B's to finish.
    wx.sign_in_as("oFarmerB00000000000000000009")
    back = consent(start(a))
    session = a.session
    session["wx_bind"] = {**session["wx_bind"], "farmer": personas.farmer_b.pk}  # forged into A's session
    session.save()
    assert "这次微信授权已失效" in flash(a.get(back), a)
    assert openid_of(personas.farmer_a) == "" and openid_of(personas.farmer_b) == ""
    # Nothing in the request names a household: the callback binds the signed-in one.
    back = consent(start(a))
    a.get(back + f"&farmer={personas.farmer_b.pk}")
    assert openid_of(personas.farmer_a) == "oFarmerB00000000000000000009" and openid_of(personas.farmer_b) == ""


def test_only_a_signed_in_household_may_bind_and_only_by_post(personas, wx):  # noqa: F811
    assert Client().post("/farmer/wechat/bind/")["Location"].startswith("/farmer/login/")
    assert Client().get(CALLBACK + "?code=x&state=y")["Location"].startswith("/farmer/login/")
    c = household(personas.farmer_a, personas.manager_a)
    assert c.get("/farmer/wechat/bind/").status_code == 405
    assert c.get("/farmer/wechat/unbind/").status_code == 405


def test_without_an_official_account_there_is_no_button(personas, settings):
    settings.WECHAT_APPID, settings.WECHAT_APP_SECRET = "", ""
    c = household(personas.farmer_a, personas.manager_a)
    resp = c.get("/farmer/notifications/")
    assert "绑定微信" not in resp.content.decode()
    policy = dict(part.strip().split(" ", 1) for part in resp["Content-Security-Policy"].split(";"))
    assert policy["form-action"] == "'self'"
    page = flash(c.post("/farmer/wechat/bind/"), c)
    assert "本社还没有开通微信通知" in page
