"""Buyer sign-in: a one-time code to a mobile number, or a WeChat-login-shaped openid.

Both are ``SignInProvider``s returning a Buyer, so a real WeChat OAuth provider plugs in beside them.
Codes are 6 digits, valid 10 minutes, 5 tries, stored only as a keyed hash, sent through the
notification service (console channel in development: the code appears in the server log).
"""

import datetime
import hmac
import secrets

from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from coop.lib.errors import DomainError
from coop.lib.validators import MOBILE_RE, InvalidPhone, normalize_mobile, normalize_phone, too_long
from coop.services.audit import log_action
from coop.services.notifications import SendLimited, notify, spend_sms_allowance
from orders.models import Address, Buyer, LoginCode

CODE_TTL = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5


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
        raise SignInError(exc.message, exc.code, status=429, retry_after=exc.retry_after) from None
    code = f"{secrets.randbelow(10**6):06d}"
    row = LoginCode.objects.create(phone=phone, code_hash=_hash(phone, code), created_at=now,
                                   expires_at=now + CODE_TTL)
    notify(event="buyer.login_code", key=f"login-code:{row.pk}", phone=phone,
           body=_("【绿壳蛋】你的登录验证码是 %(code)s，10 分钟内有效。请勿告诉他人。") % {"code": code},
           sms_params={"code": code, "minutes": int(CODE_TTL.total_seconds() // 60)})
    return row


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
    """Shaped like WeChat web OAuth (``snsapi_base``): authorize → ``code`` → exchange for ``openid``.

    The local "authorize" page issues a short-lived signed code carrying an openid derived from a
    per-browser id; a real provider would call ``sns/oauth2/access_token`` with the appid/secret.
    """

    name = "wechat"
    SALT = "greenshell.wechat-sandbox-oauth"

    def issue_code(self, device_id):
        openid = "o" + salted_hmac(self.SALT, device_id, algorithm="sha256").hexdigest()[:27]
        return signing.dumps({"openid": openid}, salt=self.SALT)

    def authenticate(self, *, code):
        try:
            data = signing.loads(code, salt=self.SALT, max_age=300)
        except signing.BadSignature:
            raise SignInError(_("微信授权已失效，请重试。"), "bad_code") from None
        return buyer_for(openid=data["openid"])


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
    tax_number = (tax_number or "").strip().upper()
    if kind in Buyer.INVOICE_KINDS and invoice_title and tax_number and len(tax_number) not in (15, 18, 20):
        raise SignInError(_("纳税人识别号应为 15、18 或 20 位。"), "tax_number")
    Buyer.objects.filter(pk=buyer.pk).update(kind=kind, name=(name or "")[:60], organisation=organisation[:100],
                                             invoice_title=invoice_title[:100], tax_number=tax_number[:20])
    buyer.refresh_from_db()
    log_action(buyer, "buyer.profile_updated", user=buyer.user, data={"kind": kind})
    return buyer


class AddressError(DomainError):
    """A refused address-book entry; ``field`` names the input the message belongs beside."""

    code = "address"


ADDRESS_LABELS = {"recipient": _l("收货人"), "phone": _l("手机号"), "region": _l("省市区"), "detail": _l("详细地址")}


def add_address(buyer, *, recipient, phone, region, detail):
    """Save an address in ``buyer``'s book (the first one becomes the default) and return it.

    Every field is required and within its column; the phone is stored normalised (``normalize_phone``:
    ``13800001234`` or ``0834-2123456``). Anything else raises ``AddressError`` and saves nothing."""
    fields = {"recipient": recipient, "phone": phone, "region": region, "detail": detail}
    fields = {k: str(v or "").strip() for k, v in fields.items()}
    for name, value in fields.items():
        if not value:
            raise AddressError(_("请填写%(label)s。") % {"label": ADDRESS_LABELS[name]}, field=name)
        message = too_long(Address, name, value, ADDRESS_LABELS[name])
        if message:
            raise AddressError(message, "too_long", field=name)
    try:
        fields["phone"] = normalize_phone(fields["phone"])
    except InvalidPhone as exc:
        raise AddressError(exc.message, "invalid_phone", field="phone") from None
    with transaction.atomic():
        first = not buyer.addresses.exists()
        address = Address.objects.create(buyer=buyer, is_default=first, **fields)
    return address
