"""Buyer sign-in (mobile + code, or WeChat web authorisation: real or the sandbox's imitation), profile, addresses."""

import secrets
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coop.lib.client import client_ip
from coop.lib.redirects import safe_next
from orders.models import Buyer
from orders.services.buyers import (
    AddressError,
    PhoneCodeSignIn,
    SignInError,
    WeChatSandboxSignIn,
    add_address,
    begin_wechat_sign_in,
    finish_wechat_sign_in,
    send_login_code,
    update_profile,
    wechat_sign_in,
)
from orders.views.base import buyer_required

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _sign_in(request, buyer):
    login(request, buyer.user, backend=BACKEND)


def sign_in(request):
    nxt = safe_next(request, "/shop/")
    phone = request.POST.get("phone", "") or request.GET.get("phone", "")
    sent = request.GET.get("sent") == "1"
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send":
                send_login_code(phone, client_ip=client_ip(request))
                messages.success(request, _("验证码已发送到你的手机。"))
                return redirect(reverse("shop:login") + "?" + urlencode({"phone": phone, "sent": "1", "next": nxt}))
            buyer = PhoneCodeSignIn().authenticate(phone=phone, code=request.POST.get("code", ""))
        except SignInError as exc:
            messages.error(request, exc.message)
            sent = request.POST.get("action") != "send"
        else:
            _sign_in(request, buyer)
            return redirect(nxt)
    return render(request, "orders/login.html", {"phone": phone, "sent": sent, "next": nxt,
                                                 "wechat": wechat_sign_in() is not None})


def wechat_start(request):
    """Send the browser to WeChat's consent page (or the sandbox's) with a fresh state bound to this session.
    ``?scope=userinfo`` asks for the nickname too (the profile page's button); otherwise openid only."""
    provider = wechat_sign_in()
    if provider is None:
        messages.error(request, _("本店暂未开通微信登录，请用手机号登录。"))
        return redirect("shop:login")
    scope = "snsapi_userinfo" if request.GET.get("scope") == "userinfo" else "snsapi_base"
    state = begin_wechat_sign_in(request.session, next_url=safe_next(request, "/shop/"), scope=scope)
    # The address registered as 网页授权域名 in the official account: SITE_URL, not whatever Host was sent.
    callback = settings.SITE_URL + reverse("shop:wechat-callback")
    return redirect(provider.authorize_url(callback, state, scope))


def wechat_authorize(request):
    """The sandbox's authorize page (plays WeChat). A per-browser id stands in for the WeChat account."""
    if not isinstance(wechat_sign_in(), WeChatSandboxSignIn):
        return render(request, "orders/wechat_authorize.html", {"error": True}, status=404)
    # Only our own callback path, never another site: the code must not leave the shop.
    back = urlsplit(request.GET.get("redirect_uri", "")).path
    if not back.startswith("/shop/"):
        return render(request, "orders/wechat_authorize.html", {"error": True}, status=400)
    if request.method == "POST":
        device = request.COOKIES.get("wx_sandbox_device") or secrets.token_hex(16)
        code = WeChatSandboxSignIn().issue_code(device)
        resp = redirect(back + "?" + urlencode({"code": code, "state": request.GET.get("state", "")}))
        resp.set_cookie("wx_sandbox_device", device, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
        return resp
    return render(request, "orders/wechat_authorize.html",
                  {"userinfo": request.GET.get("scope") == "snsapi_userinfo"})


def wechat_callback(request):
    """WeChat's return (a GET by the protocol). Signs in only with this session's state and a fresh code."""
    provider = wechat_sign_in()
    try:
        if provider is None:
            raise SignInError(_("本店暂未开通微信登录，请用手机号登录。"), "off")
        buyer, nxt = finish_wechat_sign_in(request.session, provider, state=request.GET.get("state", ""),
                                           code=request.GET.get("code", ""))
    except SignInError as exc:
        messages.error(request, exc.message)
        return redirect("shop:login")
    _sign_in(request, buyer)
    return redirect(nxt)


@require_POST
def sign_out(request):
    logout(request)
    return redirect("shop:home")


@buyer_required
def profile(request):
    buyer = request.buyer
    address_form, address_errors, status = {}, {}, 200
    if request.method == "POST":
        if request.POST.get("action") == "address":
            address_form = {k: request.POST.get(k, "") for k in ("recipient", "phone", "region", "detail")}
            try:
                add_address(buyer, **address_form)
            except AddressError as exc:
                # Shown beside its field with what was typed kept, so the buyer fixes one thing, not all four.
                address_errors[exc.field] = exc.message
                status = 400
            else:
                messages.success(request, _("地址已保存。"))
                return redirect("shop:profile")
        else:
            try:
                update_profile(buyer, kind=request.POST.get("kind", ""), name=request.POST.get("name", ""),
                               organisation=request.POST.get("organisation", ""),
                               invoice_title=request.POST.get("invoice_title", ""),
                               tax_number=request.POST.get("tax_number", ""))
                messages.success(request, _("资料已保存。"))
            except SignInError as exc:
                messages.error(request, exc.message)
            return redirect("shop:profile")
    return render(request, "orders/profile.html", {"buyer": buyer, "kinds": Buyer.KINDS,
                                                   "addresses": buyer.addresses.all(),
                                                   "address_form": address_form, "address_errors": address_errors,
                                                   # Only a WeChat buyer: the grant returns their own openid, so
                                                   # the same account (a phone buyer would land in another one).
                                                   "wechat_nickname": bool(buyer.wechat_openid)
                                                   and wechat_sign_in() is not None},
                  status=status)
