"""The shop's official account (公众号): web authorisation (网页授权) and the JS-SDK ``wx.config`` signature.

A thin client of our own over ``requests``, not ``wechatpy`` (compared: wechatpy 1.8.18, the newest on PyPI,
released November 2021):
- we call four GET endpoints (``sns/oauth2/access_token``, ``sns/userinfo``, ``cgi-bin/token``,
  ``cgi-bin/ticket/getticket``) and one sha1; the client is ~150 lines we can read whole;
- wechatpy's ``get_jsapi_ticket`` refreshes only once the ticket *has* expired (no margin: a page signed in the
  last seconds shares with a dead ticket) and without a lock: twenty page views arriving after expiry fetch
  twenty tickets and twenty access tokens — each new ``cgi-bin/token`` starts the old one's 5-minute death
  and counts against the daily quota of 2000 calls, so the processes invalidate each other's tokens;
- it brings ``six``, ``xmltodict``, ``optionaldict`` and ``python-dateutil`` for message handling we do not use.
What we need from a client — one fetch at a time across processes, refresh before expiry, an address that
tests point at a local server — is the part wechatpy lacks, so we write that part and nothing else.

Tokens and tickets live in Django's cache (Redis in production, shared by every worker), each entry with the
time to refresh it (``expires_in`` minus ``REFRESH_MARGIN``) besides the time WeChat lets it die, under a
cache lock (``cache.add``: SET NX in Redis) so one process fetches while the others keep using the old value
still valid at WeChat, or wait a moment for the new one.

Only ``WECHAT_API_BASE`` / ``WECHAT_OPEN_BASE`` differ between the tests (``local.py``, a fake of WeChat
over HTTP) and production (``https://api.weixin.qq.com`` / ``https://open.weixin.qq.com``).
"""

import hashlib
import json
import secrets
import time
from collections import OrderedDict
from urllib.parse import urldefrag, urlencode

import requests
from django.conf import settings
from django.core import checks
from django.core.cache import cache

# Refresh a token or ticket this many seconds before WeChat's ``expires_in`` runs out (7200 s today).
REFRESH_MARGIN = 300
# One process fetches; the others wait at most LOCK_WAIT seconds for it. The lock dies by itself after
# LOCK_TTL seconds, so a worker killed while fetching does not block the rest for long.
LOCK_TTL = 15
LOCK_WAIT = 5
POLL = 0.05
# (connect, read) seconds: a slow WeChat must not hold a gunicorn worker for long.
TIMEOUT = (2, 4)
# After WeChat could not be reached for a token or ticket, pages stop asking for this long: each would
# otherwise wait out the timeout again (a product page must open even when api.weixin.qq.com does not).
BACKOFF = 30
# errcodes that mean "this access_token is no longer good": drop it and fetch a new one once.
STALE_TOKEN = {40001, 40014, 42001}
SCOPES = ("snsapi_base", "snsapi_userinfo")


class WeChatError(Exception):
    """WeChat answered an ``errcode`` (or could not be reached: ``errcode`` -1 busy, -2 network)."""

    def __init__(self, errcode, errmsg=""):
        super().__init__(f"{errcode} {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


def configured():
    return bool(settings.WECHAT_APPID and settings.WECHAT_APP_SECRET)


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


def _get(path, params):
    try:
        resp = requests.get(settings.WECHAT_API_BASE + path, params=params, timeout=TIMEOUT)
        resp.raise_for_status()
        # Decoded from the bytes: WeChat labels its UTF-8 JSON ``text/plain`` with no charset, for which requests
        # would decode the text as ISO-8859-1 and turn a nickname like 阿依莫 into mojibake.
        data = json.loads(resp.content)
    except (requests.RequestException, ValueError) as exc:
        raise WeChatError(-2, f"{path}: {type(exc).__name__}") from None
    if data.get("errcode"):  # getticket answers errcode 0 on success
        raise WeChatError(data["errcode"], data.get("errmsg", ""))
    return data


# --- web authorisation (网页授权) ------------------------------------------------------------------
def authorize_url(redirect_uri, state, scope="snsapi_base"):
    """Where to send the browser. WeChat wants the parameters in this order and ``#wechat_redirect``."""
    assert scope in SCOPES
    query = OrderedDict([("appid", settings.WECHAT_APPID), ("redirect_uri", redirect_uri),
                         ("response_type", "code"), ("scope", scope), ("state", state)])
    return f"{settings.WECHAT_OPEN_BASE}/connect/oauth2/authorize?{urlencode(query)}#wechat_redirect"


def exchange_code(code):
    """``{"openid", "access_token", "scope", …}`` for the ``code`` WeChat gave the callback (usable once,
    5 minutes: 40029 invalid code, 40163 code been used)."""
    return _get("/sns/oauth2/access_token", {"appid": settings.WECHAT_APPID, "secret": settings.WECHAT_APP_SECRET,
                                             "code": code, "grant_type": "authorization_code"})


def userinfo(access_token, openid):
    """The buyer's nickname and picture; only with a ``snsapi_userinfo`` grant (48001 otherwise)."""
    return _get("/sns/userinfo", {"access_token": access_token, "openid": openid, "lang": "zh_CN"})


# --- tokens and tickets, cached and refreshed before expiry -----------------------------------------
def _key(name):
    return f"wechat:{settings.WECHAT_APPID}:{name}"


def _fresh(name, fetch):
    """The cached value of ``name``, fetched by ``fetch() -> (value, expires_in)`` when due, by one caller
    at a time across every process sharing the cache."""
    key, lock, down = _key(name), _key(name + ":lock"), _key(name + ":down")
    entry = cache.get(key)
    if entry and time.time() < entry["refresh_at"]:
        return entry["value"]
    if cache.get(down):
        if entry and time.time() < entry["expires_at"] - 5:
            return entry["value"]
        raise WeChatError(-1, f"WeChat was unreachable for the {name} moments ago; not asking again yet")
    me, deadline = secrets.token_hex(8), time.monotonic() + LOCK_WAIT
    while True:
        if cache.add(lock, me, LOCK_TTL):
            try:
                entry = cache.get(key)  # fetched by the holder before us while we waited for the lock
                if entry and time.time() < entry["refresh_at"]:
                    return entry["value"]
                try:
                    value, expires_in = fetch()
                except WeChatError as exc:
                    if exc.errcode == -2:
                        cache.set(down, 1, BACKOFF)
                    raise
                now = time.time()
                cache.set(key, {"value": value, "refresh_at": now + max(expires_in - REFRESH_MARGIN, expires_in / 2),
                                "expires_at": now + expires_in}, timeout=max(int(expires_in), 1))
                return value
            finally:
                # Only our own lock: after a fetch longer than LOCK_TTL it has expired and may be another's.
                if cache.get(lock) == me:
                    cache.delete(lock)
        # Someone else is fetching. The old value is still good at WeChat until its own expiry: use it.
        if entry and time.time() < entry["expires_at"] - 5:
            return entry["value"]
        if time.monotonic() > deadline:
            raise WeChatError(-1, f"waited {LOCK_WAIT}s for another process to fetch the {name}")
        time.sleep(POLL)
        entry = cache.get(key)
        if entry and time.time() < entry["refresh_at"]:
            return entry["value"]


def access_token():
    """The official account's ``client_credential`` token (not the buyer's web-authorisation token)."""
    def fetch():
        data = _get("/cgi-bin/token", {"grant_type": "client_credential", "appid": settings.WECHAT_APPID,
                                       "secret": settings.WECHAT_APP_SECRET})
        return data["access_token"], int(data["expires_in"])
    return _fresh("access_token", fetch)


def jsapi_ticket():
    def fetch():
        try:
            data = _get("/cgi-bin/ticket/getticket", {"access_token": access_token(), "type": "jsapi"})
        except WeChatError as exc:
            if exc.errcode not in STALE_TOKEN:
                raise
            # The token died early (fetched again elsewhere, e.g. in the official account's console): once more
            # with a new one.
            cache.delete(_key("access_token"))
            data = _get("/cgi-bin/ticket/getticket", {"access_token": access_token(), "type": "jsapi"})
        return data["ticket"], int(data["expires_in"])
    return _fresh("jsapi_ticket", fetch)


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
