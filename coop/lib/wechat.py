"""The official account's (公众号) API, for every app: its ``access_token``, web authorisation (网页授权) and
template messages (模板消息).

Here in ``coop/lib/`` rather than in the shop because two apps use it and ``coop`` may not import ``orders``
(``coop ← orders ← quality``): the households' notifications (``coop/services/notifications.py``) send
template messages and bind a household's openid; the shop signs buyers in and signs the JS-SDK
(``orders/services/wechat/``). It must be *one* client with *one* cached token: every ``cgi-bin/token`` call
starts the death of the token before it, so two clients each fetching their own would keep killing each
other's token.

A thin client of our own over ``requests``, not ``wechatpy`` (compared: wechatpy 1.8.18, the newest on PyPI,
released November 2021):
- we call a handful of endpoints (``sns/oauth2/access_token``, ``sns/userinfo``, ``cgi-bin/token``,
  ``cgi-bin/ticket/getticket``, ``cgi-bin/message/template/send``); the client is short enough to read whole;
- wechatpy refreshes a token or ticket only once it *has* expired (no margin) and without a lock: twenty
  callers arriving after expiry fetch twenty tokens — each new ``cgi-bin/token`` starts the old one's death
  and counts against the daily quota of 2000 calls, so the processes invalidate each other's tokens;
- it brings ``six``, ``xmltodict``, ``optionaldict`` and ``python-dateutil`` for message handling we do not use.
What we need — one fetch at a time across processes, refresh before expiry, a dead token replaced once, an
address that tests point at a local server — is the part wechatpy lacks, so we write that part and nothing else.

Tokens and tickets live in Django's cache (Redis in production, shared by every worker), each entry with the
time to refresh it (``expires_in`` minus ``REFRESH_MARGIN``) besides the time WeChat lets it die, under a
cache lock (``cache.add``: SET NX in Redis) so one process fetches while the others keep using the old value
still valid at WeChat, or wait a moment for the new one.

Only ``WECHAT_API_BASE`` / ``WECHAT_OPEN_BASE`` differ between the tests (``orders/services/wechat/local.py``,
a fake of WeChat over HTTP) and production (``https://api.weixin.qq.com`` / ``https://open.weixin.qq.com``).
"""

import json
import secrets
import time
from collections import OrderedDict
from urllib.parse import urlencode

import requests
from django.conf import settings
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
# After WeChat could not be reached for a token or ticket, callers stop asking for this long: each would
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


def _answer(path, send):
    try:
        resp = send()
        resp.raise_for_status()
        # Decoded from the bytes: WeChat labels its UTF-8 JSON ``text/plain`` with no charset, for which requests
        # would decode the text as ISO-8859-1 and turn a nickname like 阿依莫 into mojibake.
        data = json.loads(resp.content)
    except (requests.RequestException, ValueError) as exc:
        raise WeChatError(-2, f"{path}: {type(exc).__name__}") from None
    if data.get("errcode"):  # getticket and template/send answer errcode 0 on success
        raise WeChatError(data["errcode"], data.get("errmsg", ""))
    return data


def get(path, params):
    return _answer(path, lambda: requests.get(settings.WECHAT_API_BASE + path, params=params, timeout=TIMEOUT))


def post(path, body, params):
    # WeChat reads the body as UTF-8 JSON; ``ensure_ascii=False`` keeps Chinese readable in its logs and is
    # what its documentation sends (\u escapes are accepted too).
    data = json.dumps(body, ensure_ascii=False).encode()
    return _answer(path, lambda: requests.post(settings.WECHAT_API_BASE + path, params=params, data=data,
                                               headers={"Content-Type": "application/json; charset=utf-8"},
                                               timeout=TIMEOUT))


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
    return get("/sns/oauth2/access_token", {"appid": settings.WECHAT_APPID, "secret": settings.WECHAT_APP_SECRET,
                                            "code": code, "grant_type": "authorization_code"})


def userinfo(access_token, openid):
    """The WeChat user's nickname and picture; only with a ``snsapi_userinfo`` grant (48001 otherwise)."""
    return get("/sns/userinfo", {"access_token": access_token, "openid": openid, "lang": "zh_CN"})


# --- tokens and tickets, cached and refreshed before expiry -----------------------------------------
def cache_key(name):
    return f"wechat:{settings.WECHAT_APPID}:{name}"


def fresh(name, fetch):
    """The cached value of ``name``, fetched by ``fetch() -> (value, expires_in)`` when due, by one caller
    at a time across every process sharing the cache."""
    key, lock, down = cache_key(name), cache_key(name + ":lock"), cache_key(name + ":down")
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
    """The official account's ``client_credential`` token (not a user's web-authorisation token)."""
    def fetch():
        data = get("/cgi-bin/token", {"grant_type": "client_credential", "appid": settings.WECHAT_APPID,
                                      "secret": settings.WECHAT_APP_SECRET})
        return data["access_token"], int(data["expires_in"])
    return fresh("access_token", fetch)


def forget_token(token):
    """Drop the cached token WeChat just refused — only if it is still the one cached: another process may
    have replaced it already, and deleting that fresh one would make every process fetch again."""
    key = cache_key("access_token")
    entry = cache.get(key)
    if entry and entry["value"] == token:
        cache.delete(key)


def with_token(call):
    """``call(access_token)``; if WeChat says the token is dead (fetched again elsewhere, e.g. in the official
    account's console, or expired early), once more with a new one — never more than once."""
    token = access_token()
    try:
        return call(token)
    except WeChatError as exc:
        if exc.errcode not in STALE_TOKEN:
            raise
        forget_token(token)
        return call(access_token())


# --- template messages (模板消息) --------------------------------------------------------------------
def send_template(*, touser, template_id, data, url="", client_msg_id=""):
    """Send one template message; returns WeChat's ``msgid``.

    ``client_msg_id`` is WeChat's 防重入 id: for the same openid and id within 10 minutes WeChat sends one
    message, so a retry after a timeout that did reach WeChat does not buzz the phone twice. Raises
    ``WeChatError``: 43004 (the user does not follow the account), 40003 (not an openid of this account),
    40037 (template id), 47001/47003 (data format / a value too long), 45009 (the day's quota) and the rest.
    """
    body = {"touser": touser, "template_id": template_id, "data": data}
    if url:
        body["url"] = url
    if client_msg_id:
        body["client_msg_id"] = client_msg_id
    answer = with_token(lambda token: post("/cgi-bin/message/template/send", body, {"access_token": token}))
    return str(answer["msgid"])
