"""Buyer sign-in: a one-time code to a mobile number, or WeChat's web authorisation (网页授权).

Each provider's ``authenticate`` returns a Buyer. WeChat has two behind one interface (``authorize_url``,
``authenticate(code=, scope=)``): the real official account (``WeChatOAuthSignIn``, orders/services/wechat/)
when ``WECHAT_APPID`` is set, else the local imitation on a DEBUG or demo site. Both go through
``begin_wechat_sign_in`` / ``finish_wechat_sign_in``: a random ``state`` bound to the session, single use,
10 minutes; a ``code`` accepted once (remembered in the cache for its 5-minute life).
Phone codes are 6 digits, valid 10 minutes, 5 tries, stored only as a keyed hash, sent through the
notification service (console channel in development: the code appears in the server log).
"""

import datetime
import hashlib
import hmac
import logging
import math
import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from coop.lib.errors import DomainError
from coop.lib.validators import (
    MOBILE_RE,
    InvalidPhone,
    normalize_mobile,
    normalize_phone,
    normalize_tax_number,
    tax_number_problem,
    too_long,
)
from coop.lib.words import in_site_language
from coop.services.audit import log_action
from coop.services.notifications import SendLimited, notify, spend_sms_allowance
from orders.models import Address, Buyer, LoginCode
from orders.services import regions, wechat

CODE_TTL = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5
OAUTH_SESSION_KEY = "wx_oauth"
STATE_TTL = 600  # seconds from leaving for WeChat's consent page to coming back
WECHAT_CODE_LIFE = 300  # WeChat's codes live 5 minutes: remembered as used that long
log = logging.getLogger(__name__)


class SignInError(DomainError):
    """A refused buyer sign-in step (bad phone, code sent too often, wrong code); ``code`` says which."""

    code = "invalid"


def _hash(phone, code):
    return salted_hmac("greenshell.login-code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def clean_phone(phone):
    phone = normalize_mobile(phone)
    if not MOBILE_RE.match(phone):
        raise SignInError(_("请输入 11 位手机号。"), "phone")
    return phone


def send_login_code(phone, now=None, *, client_ip=""):
    """Send a code to ``phone`` if the SMS service's limits allow (per number, per address ``client_ip``,
    the platform's daily budget: ``spend_sms_allowance``), counted before anything is sent."""

    now = now or timezone.now()
    phone = clean_phone(phone)
    try:
        spend_sms_allowance(phone=phone, client_ip=client_ip, cooperative=None, now=now)
    except SendLimited as exc:
        if exc.code == "too_soon":
            # The code sent moments ago is still good: say how long until another may be asked for.
            wait = resend_wait(phone, now, exc.retry_after)
            raise SignInError(_("验证码已发送，请 %(n)s 秒后再获取。") % {"n": wait}, exc.code, status=429,
                              retry_after=wait) from None
        raise SignInError(exc.message, exc.code, status=429, retry_after=exc.retry_after) from None
    code = f"{secrets.randbelow(10**6):06d}"
    row = LoginCode.objects.create(phone=phone, code_hash=_hash(phone, code), created_at=now,
                                   expires_at=now + CODE_TTL)
    with in_site_language():
        notify(event="buyer.login_code", key=f"login-code:{row.pk}", phone=phone,
               body=_("【绿壳蛋】你的登录验证码是 %(code)s，10 分钟内有效。请勿告诉他人。") % {"code": code},
               sms_params={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)})
    return row


def resend_wait(phone, now, window):
    """Whole seconds left of the ``window`` (the SMS service's one-a-minute limit) that began when the last
    code was sent to ``phone`` — at least 1, at most the window (a limit hit with no code row: the window)."""
    last = LoginCode.objects.filter(phone=phone).order_by("-created_at").values_list("created_at", flat=True).first()
    if last is None:
        return window
    left = window - (now - last).total_seconds()
    return max(1, min(window, math.ceil(left)))


class PhoneCodeSignIn:
    name = "phone"

    def authenticate(self, *, phone, code, now=None):
        now = now or timezone.now()
        phone = clean_phone(phone)
        code = (code or "").strip()
        row = LoginCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now).first()
        if row is None:
            raise SignInError(_("验证码已过期，请重新获取。"), "expired")
        # Count the try before checking the code, in one conditional UPDATE: of twenty guesses sent at
        # once only five find ``attempts < 5`` and go on to the check (a read-then-increment let nine).
        if not LoginCode.objects.filter(pk=row.pk, attempts__lt=MAX_ATTEMPTS).update(attempts=F("attempts") + 1):
            raise SignInError(_("尝试次数过多，请重新获取验证码。"), "locked")
        if not hmac.compare_digest(row.code_hash, _hash(phone, code)):
            raise SignInError(_("验证码不正确。"), "wrong")
        # Compare-and-set: a code signs in once, even if submitted twice at the same moment.
        if not LoginCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
            raise SignInError(_("验证码已使用，请重新获取。"), "used")
        return buyer_for(phone=phone)


class WeChatSandboxSignIn:
    """The local imitation of WeChat web authorisation: the shop's own "authorize" page issues a short-lived
    signed code carrying an openid derived from a per-browser id (no official account needed)."""

    name = "wechat"
    SALT = "greenshell.wechat-sandbox-oauth"

    def authorize_url(self, redirect_uri, state, scope="snsapi_base"):
        return reverse("shop:wechat-authorize") + "?" + urlencode(
            {"redirect_uri": redirect_uri, "state": state, "scope": scope})

    def issue_code(self, device_id):
        openid = "o" + salted_hmac(self.SALT, device_id, algorithm="sha256").hexdigest()[:27]
        return signing.dumps({"openid": openid, "n": secrets.token_hex(4)}, salt=self.SALT)

    def authenticate(self, *, code, scope="snsapi_base"):
        try:
            data = signing.loads(code, salt=self.SALT, max_age=WECHAT_CODE_LIFE)
        except signing.BadSignature:
            raise SignInError(_("微信授权已失效，请重新登录。"), "bad_code") from None
        return buyer_for(openid=data["openid"])


WECHAT_REFUSALS = {
    40029: ("bad_code", _l("微信授权已失效，请重新登录。")),
    40163: ("code_used", _l("这次微信授权已用过，请重新登录。")),
}
WECHAT_UNAVAILABLE = ("unavailable", _l("暂时连不上微信，请稍后再试，或用手机号登录。"))


class WeChatOAuthSignIn:
    """The official account's web authorisation: the ``code`` is exchanged with WeChat for the openid, and
    with ``snsapi_userinfo`` (the buyer agreed on WeChat's page) the nickname becomes the buyer's 称呼."""

    name = "wechat"

    def authorize_url(self, redirect_uri, state, scope="snsapi_base"):
        return wechat.authorize_url(redirect_uri, state, scope)

    def authenticate(self, *, code, scope="snsapi_base"):
        try:
            grant = wechat.exchange_code(code)
        except wechat.WeChatError as exc:
            log.warning("wechat sign-in refused: %s", exc)
            kind, message = WECHAT_REFUSALS.get(exc.errcode, WECHAT_UNAVAILABLE)
            raise SignInError(str(message), kind) from None
        buyer = buyer_for(openid=grant["openid"])
        if scope == "snsapi_userinfo" and "snsapi_userinfo" in grant.get("scope", ""):
            try:
                nickname = (wechat.userinfo(grant["access_token"], grant["openid"]).get("nickname") or "").strip()
            except wechat.WeChatError as exc:  # the sign-in stands; only the nickname is missing
                log.warning("wechat userinfo refused: %s", exc)
                nickname = ""
            if nickname:
                Buyer.objects.filter(pk=buyer.pk).update(name=nickname[:60])
                buyer.name = nickname[:60]
        return buyer


def wechat_sign_in():
    """The WeChat sign-in in use: the real official account when configured, the imitation on a DEBUG or demo
    site, none in production without an official account (the button is not shown, the links refuse)."""
    if wechat.configured():
        return WeChatOAuthSignIn()
    if settings.DEBUG or settings.DEMO_MODE:
        return WeChatSandboxSignIn()
    return None


def begin_wechat_sign_in(session, *, next_url, scope="snsapi_base"):
    """A new ``state`` for this browser's session (replacing any earlier one); returns it."""
    state = secrets.token_urlsafe(16)
    session[OAUTH_SESSION_KEY] = {"state": state, "scope": scope, "next": next_url, "at": time.time()}
    return state


def finish_wechat_sign_in(session, provider, *, state, code):
    """``(buyer, next_url)`` for WeChat's return to the callback, or ``SignInError`` with nothing changed.

    Refused: no ``state``, another session's ``state`` (a link that would sign this browser into someone
    else's account), an old one, one already used (it is taken out of the session first, whatever follows),
    and a ``code`` seen before (cache.add is atomic: of two identical callbacks at once, one goes on)."""
    pending = session.pop(OAUTH_SESSION_KEY, None)
    if not (state and pending and hmac.compare_digest(str(state).encode(), pending["state"].encode())
            and time.time() - pending["at"] <= STATE_TTL):
        raise SignInError(_("微信授权已失效，请重新登录。"), "state")
    if not code:  # WeChat comes back without a code when the buyer refuses on its page
        raise SignInError(_("你没有同意微信授权，可以用手机号登录。"), "denied")
    digest = hashlib.sha256(str(code).encode()).hexdigest()[:40]
    if not cache.add(f"wechat:code:{digest}", 1, WECHAT_CODE_LIFE):
        raise SignInError(_("这次微信授权已用过，请重新登录。"), "code_used")
    return provider.authenticate(code=code, scope=pending["scope"]), pending["next"]


def buyer_for(*, phone=None, openid=None):
    """The buyer with this phone/openid, created (with a user) on first sign-in."""
    lookup = {"phone": phone} if phone else {"wechat_openid": openid}
    buyer = Buyer.objects.select_related("user").filter(**lookup).first()
    if buyer is not None:
        return buyer
    User = get_user_model()
    username = f"buyer-{phone}" if phone else f"wx-{openid[:24]}"
    try:
        with transaction.atomic():
            user, _created = User.objects.get_or_create(username=username)
            if _created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            buyer = Buyer.objects.create(user=user, phone=phone or None, wechat_openid=openid or None)
    except IntegrityError:
        return Buyer.objects.select_related("user").get(**lookup)
    log_action(buyer, "buyer.registered", user=buyer.user, data={"via": "phone" if phone else "wechat"})
    return buyer


def buyer_of(user):
    """The buyer profile of a signed-in user, created on demand (staff can shop too)."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.buyer
    except Buyer.DoesNotExist:
        buyer, _created = Buyer.objects.get_or_create(user=user, defaults={"name": user.get_full_name()})
        return buyer


def update_profile(buyer, *, kind, name, organisation="", invoice_title="", tax_number=""):
    if kind not in dict(Buyer.KINDS):
        raise SignInError(_("请选择买家类型。"), "kind")
    # The one check of a 发票's number (the 申请开票 form uses it too): length, and the credit code's check character.
    tax_number = normalize_tax_number(tax_number)
    if tax_number and tax_number_problem(tax_number):
        raise SignInError(tax_number_problem(tax_number), "tax_number")
    Buyer.objects.filter(pk=buyer.pk).update(kind=kind, name=(name or "")[:60], organisation=organisation[:100],
                                             invoice_title=invoice_title[:100], tax_number=tax_number[:20])
    buyer.refresh_from_db()
    log_action(buyer, "buyer.profile_updated", user=buyer.user, data={"kind": kind})
    return buyer


class AddressError(DomainError):
    """A refused address-book entry; ``field`` names the input the message belongs beside."""

    code = "address"


ADDRESS_LABELS = {"recipient": _l("收货人"), "phone": _l("手机号"), "region": _l("省市区"), "detail": _l("详细地址")}
REGION_REFUSALS = {"province": _l("请选择省份。"), "city": _l("请选择这个省份里的城市。"),
                   "district": _l("请选择这个城市里的区县。")}


def clean_address(*, recipient, phone, province, city, district, detail):
    """The address-book fields as stored, or ``AddressError`` beside the first wrong input.

    Every field is required and within its column; the phone is stored normalised (``normalize_phone``:
    ``13800001234`` or ``0834-2123456``); the three codes must be one chain of the statistics bureau's
    divisions (orders/services/regions.py: the district in that city, the city in that province), whatever
    the page's selects sent, and their names are taken from the data, never from the request."""
    fields = {"recipient": recipient, "phone": phone, "detail": detail}
    fields = {k: str(v or "").strip() for k, v in fields.items()}
    for name in ("recipient", "phone"):
        if not fields[name]:
            raise AddressError(_("请填写%(label)s。") % {"label": ADDRESS_LABELS[name]}, field=name)
    wrong, names = regions.resolve(str(province or "").strip(), str(city or "").strip(), str(district or "").strip())
    if wrong:
        raise AddressError(str(REGION_REFUSALS[wrong]), "region", field=wrong)
    if not fields["detail"]:
        raise AddressError(_("请填写%(label)s。") % {"label": ADDRESS_LABELS["detail"]}, field="detail")
    for name, value in fields.items():
        message = too_long(Address, name, value, ADDRESS_LABELS[name])
        if message:
            raise AddressError(message, "too_long", field=name)
    try:
        fields["phone"] = normalize_phone(fields["phone"])
    except InvalidPhone as exc:
        raise AddressError(exc.message, "invalid_phone", field="phone") from None
    fields.update(province_code=province.strip(), province_name=names[0], city_code=city.strip(),
                  city_name=names[1], district_code=district.strip(), district_name=names[2],
                  region=regions.region_label(*names))
    return fields


def add_address(buyer, **typed):
    """Save an address in ``buyer``'s book (the first one becomes the default) and return it.
    ``typed``: recipient, phone, province, city, district (codes), detail — see ``clean_address``."""
    fields = clean_address(**typed)
    with transaction.atomic():
        first = not buyer.addresses.exists()
        address = Address.objects.create(buyer=buyer, is_default=first, **fields)
    return address


def own_address(buyer, address_id):
    """The buyer's own address ``address_id``, or None (another buyer's answers like a missing one)."""
    return buyer.addresses.filter(pk=address_id).first() if address_id else None


def update_address(address, *, make_default=False, **typed):
    """Change a saved address. Orders placed with it keep what they were sent to: an order copies the
    address when it is placed (``Order.recipient`` / ``phone`` / ``address``), it holds no link to the book."""
    fields = clean_address(**typed)
    with transaction.atomic():
        Address.objects.filter(pk=address.pk).update(**fields)
        if make_default:
            set_default_address(address)
    address.refresh_from_db()
    return address


def set_default_address(address):
    with transaction.atomic():
        Address.objects.filter(buyer_id=address.buyer_id).exclude(pk=address.pk).update(is_default=False)
        Address.objects.filter(pk=address.pk).update(is_default=True)


def delete_address(address):
    """Delete a saved address; when it was the default, the newest remaining one becomes the default, so a
    buyer with addresses always has one checkout starts from. Past orders keep their own copy."""
    with transaction.atomic():
        was_default = address.is_default
        buyer_id = address.buyer_id
        Address.objects.filter(pk=address.pk).delete()
        if was_default:
            nxt = Address.objects.filter(buyer_id=buyer_id).order_by("-created_at", "-pk").first()
            if nxt is not None:
                Address.objects.filter(pk=nxt.pk).update(is_default=True)
