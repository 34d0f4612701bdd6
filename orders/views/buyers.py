"""Buyer sign-in (mobile + code, or WeChat web authorisation: real or the sandbox's imitation), profile, addresses."""

import secrets
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from coop.lib.client import client_ip
from coop.lib.redirects import safe_next
from coop.lib.validators import optional_id
from orders.models import Buyer
from orders.services import regions
from orders.services.buyers import (
    AddressError,
    PhoneCodeSignIn,
    SignInError,
    WeChatSandboxSignIn,
    add_address,
    begin_wechat_sign_in,
    delete_address,
    finish_wechat_sign_in,
    own_address,
    send_login_code,
    set_default_address,
    update_address,
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
    wait = None
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send":
                send_login_code(phone, client_ip=client_ip(request))
                messages.success(request, _("验证码已发送到你的手机。"))
                return redirect(reverse("shop:login") + "?" + urlencode({"phone": phone, "sent": "1", "next": nxt}))
            buyer = PhoneCodeSignIn().authenticate(phone=phone, code=request.POST.get("code", ""))
        except SignInError as exc:
            messages.error(request, exc.message)
            # A second request within the minute: the code already sent is still good, so its box stays.
            sent = request.POST.get("action") != "send" or exc.code == "too_soon"
            wait = exc.retry_after if exc.code == "too_soon" else None
        else:
            _sign_in(request, buyer)
            return redirect(nxt)
    return render(request, "orders/login.html", {"phone": phone, "sent": sent, "next": nxt, "wait": wait,
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


ADDRESS_INPUTS = ("recipient", "phone", "province", "city", "district", "detail")


def address_picker(form):
    """The picker's lists for what the form holds: every province, and the cities and districts of the chosen
    ones — so a phone without JavaScript gets real selects (after 列出城市和区县) and one with it the same lists."""
    return {"provinces": regions.provinces(), "cities": regions.cities(form.get("province")),
            "districts": regions.districts(form.get("province"), form.get("city")),
            "regions_url": reverse("shop:regions", args=["00"]).replace("00.json", ""),
            "regions_version": regions.version()}


def _address_post(request, save):
    """``(form, errors, done)`` for an address form posted to ``save``; 列出城市和区县 only re-renders."""
    form = {k: request.POST.get(k, "").strip() for k in ADDRESS_INPUTS}
    if request.POST.get("step") == "regions":
        return form, {}, False
    try:
        save(form)
    except AddressError as exc:
        # Shown beside its field with what was typed kept, so the buyer fixes one thing, not all of it.
        return form, {exc.field: exc.message}, False
    return form, {}, True


@buyer_required
def profile(request):
    buyer = request.buyer
    address_form, address_errors, status = {}, {}, 200
    if request.method == "POST":
        if request.POST.get("action") == "address":
            address_form, address_errors, done = _address_post(request, lambda f: add_address(buyer, **f))
            if done:
                messages.success(request, _("地址已保存。"))
                return redirect("shop:profile")
            status = 400 if address_errors else 200
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
                                                   **address_picker(address_form),
                                                   # Only a WeChat buyer: the grant returns their own openid, so
                                                   # the same account (a phone buyer would land in another one).
                                                   "wechat_nickname": bool(buyer.wechat_openid)
                                                   and wechat_sign_in() is not None},
                  status=status)


def _own_address_or_404(request, address_id):
    address = own_address(request.buyer, optional_id(address_id))
    if address is None:
        raise Http404
    return address


@buyer_required
def address_edit(request, address_id):
    address = _own_address_or_404(request, address_id)
    form = {"recipient": address.recipient, "phone": address.phone, "province": address.province_code,
            "city": address.city_code, "district": address.district_code, "detail": address.detail}
    errors, status = {}, 200
    if request.method == "POST":
        if request.POST.get("action") == "default":
            set_default_address(address)
            messages.success(request, _("已设为默认地址。"))
            return redirect("shop:profile")
        form, errors, done = _address_post(
            request, lambda f: update_address(address, make_default=request.POST.get("is_default") == "1", **f))
        if done:
            messages.success(request, _("地址已修改。"))
            return redirect("shop:profile")
        status = 400 if errors else 200
    return render(request, "orders/address_edit.html", {"address": address, "address_form": form,
                                                        "address_errors": errors, **address_picker(form)},
                  status=status)


@buyer_required
def address_delete(request, address_id):
    """GET asks 确定删除吗 (nothing changes on a GET); POST deletes."""
    address = _own_address_or_404(request, address_id)
    if request.method == "POST":
        delete_address(address)
        messages.success(request, _("地址已删除。以前的订单仍按原来的地址显示。"))
        return redirect("shop:profile")
    return render(request, "orders/address_delete.html", {"address": address})


@require_GET
@cache_control(public=True, max_age=30 * 24 * 3600, immutable=True)
def region_cities(request, province):
    """One province's cities and their districts as small JSON for the picker. Public and cached a month:
    its address carries the data's version (``?v=``), so an update is a new address."""
    tree = regions.province_tree(province)
    if tree is None:
        raise Http404
    return JsonResponse(tree, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
