"""Helpers shared by the shop views: the signed-in buyer, the cart in the session, the WeChat share card."""

import logging
from functools import wraps
from urllib.parse import quote

from django.conf import settings
from django.shortcuts import redirect, render

from orders.services import wechat
from orders.services.buyers import buyer_of

# WeChat's JS-SDK. Loaded from WeChat's own server, only inside WeChat: it is the bridge to the WeChat client,
# whose version WeChat keeps in step with it (a copy of ours would fall behind), and the WeChat client has it
# cached, so a weak signal pays nothing for it. Everywhere else the page loads none of it.
WECHAT_JSSDK = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
log = logging.getLogger(__name__)

CART_KEY = "shop_cart"


def current_buyer(request):
    return buyer_of(request.user) if request.user.is_authenticated else None


def buyer_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        buyer = current_buyer(request)
        if buyer is None:
            return redirect(f"/shop/login/?next={quote(request.get_full_path())}")
        request.buyer = buyer
        return view(request, *args, **kwargs)

    return wrapper


def cart_items(request):
    """``{product_id: boxes}`` from the session (ids as ints)."""
    raw = request.session.get(CART_KEY) or {}
    items = {}
    for k, v in raw.items():
        try:
            if int(v) > 0:
                items[int(k)] = int(v)
        except (TypeError, ValueError):
            continue
    return items


def save_cart(request, items):
    request.session[CART_KEY] = {str(k): int(v) for k, v in items.items() if int(v) > 0}


def absolute(path):
    """The address a WeChat friend opens: SITE_URL (the JS接口安全域名), never the Host header."""
    return settings.SITE_URL.rstrip("/") + path


def wechat_share(request, *, title, desc, link, image):
    """What a page opened in WeChat gives its share menus (title, text, link, picture) with the signed
    ``wx.config`` for the page's address; None outside WeChat or without an official account."""
    if "MicroMessenger" not in request.headers.get("User-Agent", "") or not wechat.configured():
        return None
    try:
        config = wechat.js_config(absolute(request.get_full_path()))
    except wechat.WeChatError as exc:  # the page still works; WeChat shares its plain link instead of a card
        log.warning("no WeChat share card: %s", exc)
        return None
    return {"config": config, "title": title, "desc": desc, "link": link, "imgUrl": image}


def render_shared(request, template, context, share):
    """``render`` with ``share`` in the context and, when there is a share card, WeChat's JS-SDK allowed by
    the content-security policy of this one response (django-csp's per-response update)."""
    response = render(request, template, {**context, "share": share})
    if share is not None:
        response._csp_update = {"script-src": [WECHAT_JSSDK]}
    return response
