"""The shop's side of the official account (公众号): the JS-SDK ``wx.config`` signature for sharing, and the
deploy check that the sign-in's openids can pay.

The client itself — web authorisation, the cached ``access_token``, template messages — is ``coop/lib/wechat.py``:
the households' notifications use it too, and ``coop`` may not import the shop; one client also means one
cached token (a second client fetching its own would kill ours). Its names are re-exported here, so the shop
keeps calling ``wechat.exchange_code``, ``wechat.WeChatError``, … The jsapi_ticket is the shop's alone: it
is cached the same way, by the same ``fresh``, under the same lock.

Only ``WECHAT_API_BASE`` / ``WECHAT_OPEN_BASE`` differ between the tests (``local.py``, a fake of WeChat
over HTTP) and production (``https://api.weixin.qq.com`` / ``https://open.weixin.qq.com``).
"""

import hashlib
import secrets
import time
from urllib.parse import urldefrag

from django.conf import settings
from django.core import checks

from coop.lib.wechat import (  # noqa: F401 - re-exported: the shop's one name for the official account's API
    SCOPES,
    STALE_TOKEN,
    WeChatError,
    access_token,
    authorize_url,
    cache_key,
    configured,
    exchange_code,
    fresh,
    get,
    userinfo,
    with_token,
)


def check_official_account(app_configs=None, **kwargs):
    """``manage.py check``: JSAPI pays with the openid of the WeChat sign-in, and an openid belongs to one appid."""
    if settings.PAYMENT_PROVIDER != "wechat":
        return []
    if not configured():
        return [checks.Warning(
            "PAYMENT_PROVIDER=wechat without WECHAT_APPID/WECHAT_APP_SECRET: buyers inside WeChat cannot sign in "
            "with WeChat, so they have no openid to pay with (JSAPI); only H5 and Native payments work.",
            hint="Set the official account's WECHAT_APPID and WECHAT_APP_SECRET (docs/PAYMENTS.md).",
            id="greenshell.W101")]
    if settings.WECHAT_APPID != settings.WECHATPAY_APPID:
        return [checks.Error(
            f"WECHAT_APPID={settings.WECHAT_APPID} differs from WECHATPAY_APPID={settings.WECHATPAY_APPID}: the "
            "openids buyers sign in with belong to the first, and WeChat Pay refuses them for the second.",
            hint="Use the official account bound to the merchant account for both (docs/PAYMENTS.md).",
            id="greenshell.E101")]
    return []


def jsapi_ticket():
    def fetch():
        # A token killed elsewhere (errcode 40001/42001) is replaced once, by ``with_token``.
        data = with_token(lambda token: get("/cgi-bin/ticket/getticket", {"access_token": token, "type": "jsapi"}))
        return data["ticket"], int(data["expires_in"])
    return fresh("jsapi_ticket", fetch)


def signature(*, jsapi_ticket, noncestr, timestamp, url):
    """WeChat's JS-SDK signature (附录1): sha1 of the four fields sorted by name, the URL without its #fragment."""
    url, _fragment = urldefrag(url)
    plain = f"jsapi_ticket={jsapi_ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}"
    return hashlib.sha1(plain.encode()).hexdigest()


def js_config(url):
    """The fields of ``wx.config`` for the page at ``url`` (the address the browser shows)."""
    noncestr, timestamp = secrets.token_urlsafe(12), int(time.time())
    return {"appId": settings.WECHAT_APPID, "timestamp": timestamp, "nonceStr": noncestr,
            "signature": signature(jsapi_ticket=jsapi_ticket(), noncestr=noncestr, timestamp=timestamp, url=url)}
