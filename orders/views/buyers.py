"""Buyer sign-in (mobile + code, or the WeChat-shaped sandbox login), profile and addresses."""

import secrets
from urllib.parse import urlencode

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
    send_login_code,
    update_profile,
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
    return render(request, "orders/login.html", {"phone": phone, "sent": sent, "next": nxt})


def wechat_start(request):
    """Like WeChat web OAuth: send the browser to the authorize page with a state to check on return."""
    state = secrets.token_urlsafe(12)
    request.session["wx_state"] = state
    request.session["wx_next"] = safe_next(request, "/shop/")
    return redirect(reverse("shop:wechat-authorize") + "?" + urlencode(
        {"redirect_uri": reverse("shop:wechat-callback"), "state": state, "scope": "snsapi_base"}))


def wechat_authorize(request):
    """The sandbox's authorize page (plays WeChat). A per-browser id stands in for the WeChat account."""
    redirect_uri = request.GET.get("redirect_uri", "")
    if not redirect_uri.startswith("/shop/"):
        return render(request, "orders/wechat_authorize.html", {"error": True}, status=400)
    if request.method == "POST":
        device = request.COOKIES.get("wx_sandbox_device") or secrets.token_hex(16)
        code = WeChatSandboxSignIn().issue_code(device)
        resp = redirect(redirect_uri + "?" + urlencode({"code": code, "state": request.GET.get("state", "")}))
        resp.set_cookie("wx_sandbox_device", device, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
        return resp
    return render(request, "orders/wechat_authorize.html", {})


def wechat_callback(request):
    if request.GET.get("state") != request.session.pop("wx_state", None):
        messages.error(request, _("微信授权已失效，请重试。"))
        return redirect("shop:login")
    try:
        buyer = WeChatSandboxSignIn().authenticate(code=request.GET.get("code", ""))
    except SignInError as exc:
        messages.error(request, exc.message)
        return redirect("shop:login")
    _sign_in(request, buyer)
    return redirect(request.session.pop("wx_next", "/shop/"))


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
                                                   "address_form": address_form, "address_errors": address_errors},
                  status=status)
